package planner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

const savedCanary = "CANARY_saved_9c1"

// savedSpecSource uses a sensitive value in the prompt, the metadata, a
// webhook and an access token.
const savedSpecSource = `variable "secret" {
  sensitive = true
}

variable "region" {
  default = "eu"
}

task "a" {
  prompt   = "a mug, code ${var.secret}"
  metadata = { region = var.region, key = var.secret }
  webhook {
    custom = ["https://hooks.example/?t=${var.secret}"]
  }
}

task "b" {
  prompt = "a bowl for ${var.region}"
}
`

func savedSpecDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(savedSpecSource), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func loadSavedSpec(t *testing.T, dir string, opts spec.LoadOptions) *spec.Spec {
	t.Helper()
	s, diags := spec.Load(dir, opts)
	if diags.HasErrors() {
		t.Fatalf("loading the spec: %v", diags)
	}
	return s
}

// savePlan plans dir from an empty state and writes the saved plan,
// returning it and its bytes.
func savePlan(t *testing.T, s *spec.Spec) (*SavedPlan, []byte) {
	t.Helper()
	st := state.New("test")
	opts := Options{Spec: s, State: st, Dir: s.Dir}
	p, err := MakePlan(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := NewSavedPlan(p, st, opts, "v-test")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan")
	if err := saved.Write(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadSavedPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	return got, data
}

// TestSavedPlanHoldsNoSecret: a sensitive value used in a prompt, metadata
// and a webhook is nowhere in the saved plan, not even in a digest that
// could be recomputed without the plan's key.
func TestSavedPlanHoldsNoSecret(t *testing.T) {
	dir := savedSpecDir(t)
	s := loadSavedSpec(t, dir, spec.LoadOptions{Vars: []string{"secret=" + savedCanary}})
	saved, data := savePlan(t, s)
	if strings.Contains(string(data), savedCanary) || strings.Contains(string(data), "CANARY") {
		t.Fatalf("the saved plan holds the secret:\n%s", data)
	}
	sv := saved.Variables["secret"]
	if !sv.Sensitive || sv.Value != nil || !strings.HasPrefix(sv.Digest, "hmac-sha256:") {
		t.Errorf("the sensitive variable is saved as %+v", sv)
	}
	if saved.Salt == "" || len(saved.Requests) != 2 || saved.Sources["main.mynth.hcl"] == "" {
		t.Errorf("salt %q, requests %v, sources %v", saved.Salt, saved.Requests, saved.Sources)
	}
	// Two plans of the same spec use different keys.
	again, _ := savePlan(t, s)
	if again.Variables["secret"].Digest == sv.Digest {
		t.Error("two saved plans share a digest: the digests are not keyed")
	}
}

// TestSavedPlanCheckSpec: the spec a saved plan was made from passes; any
// other spec, variable value or request is refused, with every reason.
func TestSavedPlanCheckSpec(t *testing.T) {
	dir := savedSpecDir(t)
	saved, _ := savePlan(t, loadSavedSpec(t, dir, spec.LoadOptions{Vars: []string{"secret=" + savedCanary, "region=us"}}))
	values, err := saved.SavedValues()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := values["secret"]; ok {
		t.Error("SavedValues gives the sensitive variable")
	}
	if got := saved.SensitiveVariables(); len(got) != 1 || got[0] != "var.secret" {
		t.Errorf("SensitiveVariables() = %v", got)
	}

	// The saved values stand in for --var region=us.
	same := loadSavedSpec(t, dir, spec.LoadOptions{Vars: []string{"secret=" + savedCanary}, Saved: values})
	if err := saved.CheckSpec(same); err != nil {
		t.Errorf("CheckSpec(the same spec) = %v", err)
	}

	for name, tc := range map[string]struct {
		opts  spec.LoadOptions
		edit  string // appended to the spec file
		wants []string
	}{
		"another secret":    {opts: spec.LoadOptions{Vars: []string{"secret=other"}, Saved: values}, wants: []string{"var.secret is sensitive", "the request of task.a is not the one planned"}},
		"another region":    {opts: spec.LoadOptions{Vars: []string{"secret=" + savedCanary, "region=eu"}, Saved: values}, wants: []string{`var.region is "eu", the plan was made with "us"`, "task.b"}},
		"spec file changed": {opts: spec.LoadOptions{Vars: []string{"secret=" + savedCanary}, Saved: values}, edit: "\n# edited\n", wants: []string{"main.mynth.hcl changed"}},
		"task added":        {opts: spec.LoadOptions{Vars: []string{"secret=" + savedCanary}, Saved: values}, edit: "\ntask \"c\" {\n  prompt = \"new\"\n}\n", wants: []string{"main.mynth.hcl changed"}},
	} {
		t.Run(name, func(t *testing.T) {
			d := dir
			if tc.edit != "" {
				d = savedSpecDir(t)
				if err := os.WriteFile(filepath.Join(d, "main.mynth.hcl"), []byte(savedSpecSource+tc.edit), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := saved.CheckSpec(loadSavedSpec(t, d, tc.opts))
			if !errors.Is(err, ErrStalePlan) {
				t.Fatalf("CheckSpec = %v, want ErrStalePlan", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckSpec = %q, want it to say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), savedCanary) {
				t.Errorf("CheckSpec shows a sensitive value: %v", err)
			}
		})
	}
}

// TestReadSavedPlanRefusesVersion1: a plan saved before variable values
// and digests were recorded cannot be checked, so it is refused.
func TestReadSavedPlanRefusesVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan")
	if err := os.WriteFile(path, []byte(`{"format_version":"1","plan":{"tasks":[]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSavedPlan(path); err == nil || !strings.Contains(err.Error(), "make the plan again") {
		t.Errorf("ReadSavedPlan(version 1) = %v", err)
	}
}
