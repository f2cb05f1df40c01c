package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// sensitiveSizeSpec sizes one task from a sensitive variable, and lets
// Mynth choose the other's size with a sensitive preference: the images'
// sizes and size_auto are computed from the secret.
const sensitiveSizeSpec = `
variable "secret_size" {
  sensitive = true
}
variable "secret_shape" {
  sensitive = true
}
task "fixed" {
  prompt = "a chair"
  size   = var.secret_size
}
task "chosen" {
  prompt = "a table"
  size {
    type   = "auto"
    prefer = var.secret_shape
  }
}
`

// The secrets, and what the emulator resolves them to (portrait_tall is
// 864x1536 there), in pieces that no digest holds and that no other output
// of the test shows.
var sensitiveSizeCanaries = []string{"1357x", "x911", "portrait_tall", "864x", "x1536"}

// TestE2ESensitiveSizeHidden: a size marked sensitive is hidden in every
// view, and so is what the result echoes of it (each image's size,
// size_auto): the human plan, plan --json, the saved plan and show of it,
// show and show --json, state show and state show --json, and the report
// in every format, with and without --compare-to. The state file records
// what Mynth returned (DESIGN: sensitive hides a value in output, not in
// the state), so it is not checked; it must hold the secret, or the test
// would prove nothing.
func TestE2ESensitiveSizeHidden(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	writeSpec(t, dir, sensitiveSizeSpec)
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=mak_e2esize",
		"MYNTH_VAR_secret_size=1357x911", "MYNTH_VAR_secret_shape=portrait_tall"}
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	stateFile, err := os.ReadFile(filepath.Join(dir, "mynth.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"size":"1357x911"`, `"value":"864x1536"`} {
		if !strings.Contains(strings.ReplaceAll(string(stateFile), " ", ""), want) {
			t.Fatalf("the state does not record %s, so the test proves nothing:\n%s", want, stateFile)
		}
	}
	base := filepath.Join(dir, "base.json")
	if err := os.WriteFile(base, []byte(`{"version":1,"serial":0,"lineage":"base","tasks":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := [][]string{
		{"plan"},
		{"plan", "--json"},
		{"plan", "--out", "saved.plan"},
		{"show", "saved.plan"},
		{"show", "--json", "saved.plan"},
		{"show"},
		{"show", "--json"},
		{"state", "show", "task.fixed"},
		{"state", "show", "--json", "task.fixed"},
		{"state", "show", "task.chosen"},
		{"state", "show", "--json", "task.chosen"},
		{"report", "--format", "markdown"},
		{"report", "--format", "html"},
		{"report", "--format", "junit"},
		{"report", "--format", "markdown", "--compare-to", base},
		{"report", "--format", "html", "--compare-to", base},
		{"report", "--format", "json", "--compare-to", base},
	}
	check := func(args []string, code int) {
		t.Helper()
		name := strings.Join(args, " ")
		r := runBin(t, dir, env, args...)
		mustCode(t, r, code, name)
		out := r.Stdout + r.Stderr
		if args[len(args)-1] == "saved.plan" && args[0] == "plan" {
			b, err := os.ReadFile(filepath.Join(dir, "saved.plan"))
			if err != nil {
				t.Fatal(err)
			}
			out += string(b)
		}
		for _, line := range strings.Split(out, "\n") {
			for _, c := range sensitiveSizeCanaries {
				if strings.Contains(line, c) {
					t.Errorf("%s shows %q, computed from a sensitive size: %s", name, c, strings.TrimSpace(line))
					break
				}
			}
		}
		// A view that lists the images says what it hides (a human plan
		// without changes, and a report's summary, list none).
		lists := args[0] == "state" || slices.Contains(args, "--json") || slices.Equal(args, []string{"show"})
		if lists && !strings.Contains(out, "(sensitive)") {
			t.Errorf("%s does not say (sensitive):\n%s", name, out)
		}
	}
	for _, args := range runs {
		check(args, 0)
	}

	// The recorded result drifts from Mynth's at each image's size (the
	// state says 1357x912): the changes are hidden too, in the human plan
	// as in its JSON.
	drifted := strings.ReplaceAll(string(stateFile), "1357x911", "1357x912")
	if drifted == string(stateFile) {
		t.Fatal("no size to drift in the state")
	}
	if err := os.WriteFile(filepath.Join(dir, "mynth.state.json"), []byte(drifted), 0o644); err != nil {
		t.Fatal(err)
	}
	check([]string{"plan", "--detailed-exitcode"}, exitChanges)
	check([]string{"plan", "--json"}, 0)

	// A new secret size replaces the task: the plan shows the images it
	// replaces without their size.
	env = append(env, "MYNTH_VAR_secret_size=1357x913")
	check([]string{"plan", "--detailed-exitcode"}, exitChanges)
	check([]string{"plan", "--json"}, 0)
}

// TestE2ESavedPlanAdoptKeepsSensitiveEchoes: a saved plan leaves out what
// the result echoes of a sensitive size (each image's size), but applying
// it records the task as Mynth returned it, sizes included, as a direct
// apply does: the state is the same either way, and the next plan is
// clean.
func TestE2ESavedPlanAdoptKeepsSensitiveEchoes(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=mak_e2esavedsize", "MYNTH_VAR_secret_size=1357x911"}
	writeSpec(t, dir, "variable \"secret_size\" {\n  sensitive = true\n}\ntask \"a\" {\n  prompt = \"a chair\"\n  size   = var.secret_size\n}\n")
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	direct := loadState(t, dir).Tasks["task.a"]
	if !strings.Contains(string(direct.Result), `"1357x911"`) {
		t.Fatalf("the state does not record the images' size, so the test proves nothing:\n%s", direct.Result)
	}
	if err := os.Remove(filepath.Join(dir, "mynth.state.json")); err != nil {
		t.Fatal(err)
	}
	// The same task pinned: the saved plan adopts it.
	writeSpec(t, dir, "variable \"secret_size\" {\n  sensitive = true\n}\ntask \"a\" {\n  id     = \""+direct.ID+"\"\n  prompt = \"a chair\"\n  size   = var.secret_size\n}\n")
	mustCode(t, runBin(t, dir, env, "plan", "--out", "saved.plan"), 0, "plan --out")
	if b, err := os.ReadFile(filepath.Join(dir, "saved.plan")); err != nil || strings.Contains(string(b), "1357x") {
		t.Fatalf("the saved plan holds the sensitive size (or cannot be read: %v)", err)
	}
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve", "saved.plan"), 0, "apply saved.plan")
	got := loadState(t, dir).Tasks["task.a"]
	if got == nil || got.ID != direct.ID {
		t.Fatalf("apply of the saved plan recorded %+v", got)
	}
	if diff := cmp.Diff(string(direct.Result), string(got.Result)); diff != "" {
		t.Errorf("the adopted task's result differs from the one a direct apply records (-direct +saved):\n%s", diff)
	}
	if diff := cmp.Diff(string(direct.Request), string(got.Request)); diff != "" {
		t.Errorf("the adopted task's request differs from the one a direct apply records (-direct +saved):\n%s", diff)
	}
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after the saved apply")
}
