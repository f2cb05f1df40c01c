package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
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
		warned   []render.Notice
		stderr   string
		targeted []spec.Address
	}{
		{"a block", []string{"--target", "task.product"}, true, nil, "", []spec.Address{{Name: "product"}}},
		{"an instance, unquoted", []string{"--target", "task.product[mug]"}, true, nil, "", []spec.Address{{Name: "product", Key: "mug", HasKey: true}}},
		{"a unicode name", []string{"--target", "task.caf\u00e9"}, true, nil, "", []spec.Address{{Name: "caf\u00e9"}}},
		{"a key with a quote and a bracket", []string{"--target", `task.old["a\"]b"]`}, true, nil, "", []spec.Address{{Name: "old", Key: `a"]b`, HasKey: true}}},
		{"only a creation of unknown outcome", []string{"--target", "task.lost"}, true, nil, "", []spec.Address{{Name: "lost"}}},
		{"matches nothing", []string{"--target", "task.heor"}, true, []render.Notice{render.NoMatch{Flag: "target", Address: "task.heor", Suggestion: "task.hero"}}, "", []spec.Address{{Name: "heor"}}},
		{"a newline in the key is escaped", []string{"--exclude", "task.product[\"a\nb\"]"}, true, []render.Notice{render.NoMatch{Flag: "exclude", Address: `task.product["a\nb"]`}}, "", nil},
		{"every malformed one", []string{"--target", "product", "--exclude", "task.a.b", "--replace", "task.x[\"\n\"]]"}, false, nil,
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
			v := &fakePlanView{}
			ok := checkPlanAddresses(&globals{stderr: &stderr, planView: v}, a.planArgs, sp, st)
			if ok != tt.ok {
				t.Errorf("ok %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.stderr, stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warned, v.warned); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.targeted, a.scope().Targets); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

// fakePlanView records what plan asks its view to print, so that the
// tests read the command's decisions instead of its prose.
type fakePlanView struct {
	warned      []render.Notice
	interrupted bool
	plans       []*planner.Plan
	saved       []string
}

func (f *fakePlanView) Warn(n render.Notice)       { f.warned = append(f.warned, n) }
func (f *fakePlanView) Interrupted()               { f.interrupted = true }
func (f *fakePlanView) Plan(p *planner.Plan) error { f.plans = append(f.plans, p); return nil }
func (f *fakePlanView) Saved(path string)          { f.saved = append(f.saved, path) }

var _ render.PlanView = (*fakePlanView)(nil)

// TestPlanDecides drives plan with a fake view and --refresh=false (no
// API): the plan shown, the note of --out, the exit code of
// --detailed-exitcode, and a target that matches nothing warned once.
func TestPlanDecides(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte("task \"hero\" {\n  model  = \"m\"\n  prompt = \"a mug\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		tasks  int
		saved  []string
		warned []render.Notice
	}{
		{"changes, plain exit", []string{"--refresh=false"}, exitOK, 1, nil, nil},
		{"changes, detailed exit", []string{"--refresh=false", "--detailed-exitcode"}, exitChanges, 1, nil, nil},
		{"saved, under the name given", []string{"--refresh=false", "--out", "p.plan", "--json"}, exitOK, 1, []string{"p.plan"}, nil},
		{"a target of nothing plans nothing", []string{"--refresh=false", "--detailed-exitcode", "--target", "task.heor"}, exitOK, 0, nil,
			[]render.Notice{render.NoMatch{Flag: "target", Address: "task.heor", Suggestion: "task.hero"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &fakePlanView{}
			var stdout, stderr bytes.Buffer
			g := &globals{ctx: context.Background(), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, dir: dir, planView: v}
			if code := runPlan(g, tt.args); code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if len(v.plans) != 1 {
				t.Fatalf("%d plans shown, want 1", len(v.plans))
			}
			if got := len(v.plans[0].Tasks); got != tt.tasks {
				t.Errorf("plan of %d tasks, want %d", got, tt.tasks)
			}
			if diff := cmp.Diff(tt.saved, v.saved); diff != "" {
				t.Errorf("saved (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warned, v.warned); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if v.interrupted || stdout.Len() > 0 || stderr.Len() > 0 {
				t.Errorf("plan wrote around its view (interrupted %v):\nstdout: %s\nstderr: %s", v.interrupted, stdout.String(), stderr.String())
			}
		})
	}
}
