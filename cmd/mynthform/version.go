package main

import (
	"fmt"
	"runtime/debug"

	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/state"
)

// version is set at build time with -ldflags "-X main.version=..."; a
// plain build reports the module version, or says what it is (see
// describeBuild).
var version = ""

// toolVersion is what `mynthform version` prints and what the state
// records as tool_version.
func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return describeBuild(version, bi)
}

// describeBuild names a build: the stamped version when there is one (an
// -ldflags stamp, or the module version of `go install ...@v1.2.3`), else
// "dev" followed by the VCS revision the build info records, or by a note
// that the build carries no version information (go run, -buildvcs=false,
// a build outside a repository).
func describeBuild(stamped string, bi *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	if bi == nil {
		return "dev (no version information in this build)"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, when, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "dev (no version information in this build)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	out := "dev (revision " + rev
	if when != "" {
		out += " of " + when
	}
	if modified == "true" {
		out += ", with uncommitted changes"
	}
	return out + ")"
}

func runVersion(g *globals, args []string) int {
	fs := newFlagSet("version")
	if code, done := parseFlags(g, fs, "version", args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(g.stderr, "mynthform version: unexpected argument %q\nUsage: mynthform version\n", fs.Arg(0))
		return exitError
	}
	_ = render.Version{Tool: toolVersion(), StateFormat: state.FormatVersion}.Render(g.stdout)
	return exitOK
}
