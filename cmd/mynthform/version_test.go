package main

import (
	"runtime/debug"
	"testing"
)

func TestDescribeBuild(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		stamped string
		bi      *debug.BuildInfo
		want    string
	}{
		{"no build info", "", nil, "dev (no version information in this build)"},
		{"go run or -buildvcs=false", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev (no version information in this build)"},
		{"empty main version", "", &debug.BuildInfo{}, "dev (no version information in this build)"},
		{"ldflags stamp wins", "v1.4.0", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, "v1.4.0"},
		{"go install of a tag", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.1"}}, "v0.2.1"},
		{"pseudo-version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201201000-0123456789ab"}}, "v0.0.0-20261201201000-0123456789ab"},
		{"vcs revision, clean", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs", "git", "vcs.revision", "0123456789abcdef0123456789abcdef01234567", "vcs.time", "2026-12-01T20:10:00Z", "vcs.modified", "false")},
			"dev (revision 0123456789ab of 2026-12-01T20:10:00Z)"},
		{"vcs revision, modified", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", "0123456789abcdef", "vcs.modified", "true")},
			"dev (revision 0123456789ab, with uncommitted changes)"},
		{"short revision kept whole", "", &debug.BuildInfo{Settings: vcs("vcs.revision", "abc123")}, "dev (revision abc123)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describeBuild(tc.stamped, tc.bi); got != tc.want {
				t.Errorf("describeBuild = %q, want %q", got, tc.want)
			}
		})
	}
}
