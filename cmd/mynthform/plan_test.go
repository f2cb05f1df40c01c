package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlanFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want planCommandArgs
		ok   bool
	}{
		{"defaults", nil, planCommandArgs{planArgs: planArgs{refresh: true}}, true},
		{"everything", []string{"--out", "p.json", "--json", "--detailed-exitcode", "--target", "task.a", "--target", `task.b["k"]`,
			"--exclude", "task.c", "--refresh=false", "--parallelism", "32", "--var", "x=1", "--var-file", "v.mynthvars.hcl"},
			planCommandArgs{
				planArgs: planArgs{targetList: []string{"task.a", `task.b["k"]`}, excludeList: []string{"task.c"}, refresh: false, parallelism: 32,
					vars: varFlags{vars: []string{"x=1"}, varFiles: []string{"v.mynthvars.hcl"}}},
				out: "p.json", json: true, detailedExitcode: true}, true},
		{"bad parallelism", []string{"--parallelism", "many"}, planCommandArgs{}, false},
		{"unknown flag", []string{"--nope"}, planCommandArgs{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got planCommandArgs
			fs := newFlagSet("plan")
			registerPlanCommand(fs, &got)
			err := fs.Parse(tt.args)
			if (err == nil) != tt.ok {
				t.Fatalf("Parse(%q) error %v, want ok %v", tt.args, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(planCommandArgs{}, planArgs{}, varFlags{})); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckAddressSyntax(t *testing.T) {
	for addr, want := range map[string]bool{
		"task.a": true, `task.a["k"]`: true, `task.my_task-2["a b"]`: true,
		"a": false, "task.": false, "tasks.a": false, `task.a[k]`: false,
	} {
		if got := addressPattern.MatchString(addr); got != want {
			t.Errorf("address %q: valid %v, want %v", addr, got, want)
		}
	}
}
