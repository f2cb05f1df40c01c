package main

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
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
				planArgs: planArgs{targets: addressList{[]addressArg{{"task.a", spec.Address{Name: "a"}, nil}, {`task.b["k"]`, spec.Address{Name: "b", Key: "k", HasKey: true}, nil}}},
					excludes: addressList{[]addressArg{{"task.c", spec.Address{Name: "c"}, nil}}}, refresh: false, parallelism: 32,
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
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(planCommandArgs{}, planArgs{}, varFlags{}, addressList{}, addressArg{})); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckAddresses: every address flag value that is not an address is
// refused, each on one line, all of them at once; an address that matches
// nothing in the spec or the state is a warning that suggests a near one.
func TestCheckAddresses(t *testing.T) {
	sp := &spec.Spec{Tasks: []*spec.Task{
		{Address: "task.hero", Name: "hero"},
		{Address: `task.product["mug"]`, Name: "product", Key: "mug", HasKey: true},
		{Address: "task.caf\u00e9", Name: "caf\u00e9"},
	}}
	st := &state.File{
		Tasks:    map[string]*state.Task{`task.old["a\"]b"]`: {ID: "tsk_old"}},
		Attempts: map[string]*state.Attempt{"task.lost": {ID: "att_1"}},
	}
	tests := []struct {
		name     string
		args     []string
		ok       bool
		stderr   string
		targeted []spec.Address
	}{
		{"a block", []string{"--target", "task.product"}, true, "", []spec.Address{{Name: "product"}}},
		{"an instance, unquoted", []string{"--target", "task.product[mug]"}, true, "", []spec.Address{{Name: "product", Key: "mug", HasKey: true}}},
		{"a unicode name", []string{"--target", "task.caf\u00e9"}, true, "", []spec.Address{{Name: "caf\u00e9"}}},
		{"a key with a quote and a bracket", []string{"--target", `task.old["a\"]b"]`}, true, "", []spec.Address{{Name: "old", Key: `a"]b`, HasKey: true}}},
		{"only a creation of unknown outcome", []string{"--target", "task.lost"}, true, "", []spec.Address{{Name: "lost"}}},
		{"matches nothing", []string{"--target", "task.heor"}, true, "Warning: --target task.heor matches no task in the spec or the state; did you mean task.hero?\n", []spec.Address{{Name: "heor"}}},
		{"a newline in the key is printed escaped", []string{"--exclude", "task.product[\"a\nb\"]"}, true, "Warning: --exclude task.product[\"a\\nb\"] matches no task in the spec or the state\n", nil},
		{"every malformed one", []string{"--target", "product", "--exclude", "task.a.b", "--replace", "task.x[\"\n\"]]"}, false,
			"mynthform: --target \"product\" is not a task address (it does not start with \"task.\"); addresses are task.NAME, or task.NAME[\"KEY\"] under for_each (quote it for the shell: 'task.NAME[\"KEY\"]'); did you mean task.product?\n" +
				"mynthform: --exclude \"task.a.b\" is not a task address (\"a.b\" is not a task name: an address has one name after \"task.\"); addresses are task.NAME, or task.NAME[\"KEY\"] under for_each (quote it for the shell: 'task.NAME[\"KEY\"]')\n" +
				"mynthform: --replace \"task.x[\\\"\\n\\\"]]\" is not a task address (\"]\" follows the key); addresses are task.NAME, or task.NAME[\"KEY\"] under for_each (quote it for the shell: 'task.NAME[\"KEY\"]')\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a planCommandArgs
			fs := newFlagSet("plan")
			registerPlanCommand(fs, &a)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			ok := checkPlanAddresses(&globals{stderr: &stderr}, a.planArgs, sp, st)
			if ok != tt.ok {
				t.Errorf("ok %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.stderr, stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.targeted, a.scope().Targets); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}
