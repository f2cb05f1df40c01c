package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// eightPlaces matches an amount printed with Mynth's eight places, which
// people should never have to read.
var eightPlaces = regexp.MustCompile(`\$[0-9]+\.[0-9]{8}\b`)

// TestE2EAmountsForPeople: the human plan, show, apply and the markdown
// report print money with the digits that matter, while JSON and the state
// keep the exact eight places.
func TestE2EAmountsForPeople(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug", "bowl": "a bowl", "vase": "a vase"}, "0.05"))

	apply := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, apply, 0, "apply")
	plan := runBin(t, dir, env, "plan")
	mustCode(t, plan, 0, "plan")
	show := runBin(t, dir, env, "show")
	mustCode(t, show, 0, "show")
	state := runBin(t, dir, env, "state", "show", `task.product["mug"]`)
	mustCode(t, state, 0, "state show")
	md := runBin(t, dir, env, "report", "--format", "markdown")
	mustCode(t, md, 0, "report")
	for name, c := range map[string]struct {
		out  string
		want []string
	}{
		"apply":      {apply.Stdout, []string{"1 image, $0.0125, saved", "Spent $0.0375."}},
		"plan":       {plan.Stdout, []string{"$0.0125  tsk_", "Cost: $0.0375 over 3 tasks."}},
		"show":       {show.Stdout, []string{"Current cost: $0.0375 over 3 tasks", "Total spent: $0.0375, of which $0.00 on 0 tasks replaced or forgotten"}},
		"state show": {state.Stdout, []string{"cost:    $0.0125"}},
		"report":     {md.Stdout, []string{"**Total cost:** $0.0375 over 3 tasks."}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.out, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, c.out)
			}
		}
		if m := eightPlaces.FindString(c.out); m != "" {
			t.Errorf("%s prints %s with all eight places:\n%s", name, m, c.out)
		}
	}
	js := runBin(t, dir, env, "plan", "--json")
	mustCode(t, js, 0, "plan --json")
	// Amounts stay exact; a check's message is prose, for people.
	if !strings.Contains(js.Stdout, `"cost": "0.03750000"`) || !strings.Contains(js.Stdout, `"cost": "0.01250000"`) || strings.Contains(js.Stdout, `"$`) ||
		!strings.Contains(js.Stdout, "recorded $0.0375 = $0.0375 is within max_total $0.05") {
		t.Errorf("plan --json does not keep exact amounts:\n%s", js.Stdout)
	}
}

// planJSON runs plan --json and decodes the parts of the document these
// tests read.
func planJSON(t *testing.T, dir string, env []string, args ...string) (planDoc, binResult) {
	t.Helper()
	r := runBin(t, dir, env, append([]string{"plan", "--json"}, args...)...)
	var doc planDoc
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("plan --json: %v\nstdout:\n%s\nstderr:\n%s", err, r.Stdout, r.Stderr)
	}
	return doc, r
}

// planDoc is the part of the plan --json document these tests read.
type planDoc struct {
	Summary struct {
		Update int  `json:"update"`
		Failed bool `json:"failed"`
	} `json:"summary"`
	Tasks []struct {
		Address string `json:"address"`
		Action  string `json:"action"`
		Files   []struct {
			Path    string  `json:"path"`
			State   string  `json:"state"`
			ImageID *string `json:"image_id"`
		} `json:"files"`
		Checks []struct {
			Name, Outcome, Severity string
		} `json:"checks"`
	} `json:"tasks"`
}

// TestE2EFixableDriftIsAChange: a saved file that is missing or modified
// is a change that apply makes (plan --detailed-exitcode exits 2, and the
// plan does not fail), not an error; apply restores it and the next plan
// exits 0. An image that failed, which apply cannot fix, still exits 1.
func TestE2EFixableDriftIsAChange(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug", "bowl": "a bowl"}, ""))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	mug := filepath.Join(dir, "assets", "mug.png")

	for _, drift := range []struct {
		name  string
		state string
		do    func() error
	}{
		{"modified", "modified", func() error { return os.WriteFile(mug, []byte("not the image\n"), 0o644) }},
		{"missing", "missing", func() error { return os.Remove(mug) }},
		{"truncated to nothing", "modified", func() error { return os.WriteFile(mug, nil, 0o644) }},
	} {
		t.Run(drift.name, func(t *testing.T) {
			if err := drift.do(); err != nil {
				t.Fatal(err)
			}
			plan := runBin(t, dir, env, "plan", "--detailed-exitcode")
			mustCode(t, plan, exitChanges, "plan --detailed-exitcode over a "+drift.state+" file")
			want := `~ task.product["mug"]  (update: file assets/mug.png `
			if !strings.Contains(plan.Stdout, want) || !strings.HasPrefix(lastLine(plan.Stdout), "  ~   update:") {
				t.Errorf("plan does not show the file as an update (want %q):\n%s", want, plan.Stdout)
			}
			if strings.Contains(plan.Stdout, "plan failed") {
				t.Errorf("plan says it failed, and exits 2:\n%s", plan.Stdout)
			}
			doc, r := planJSON(t, dir, env, "--detailed-exitcode")
			mustCode(t, r, exitChanges, "plan --json --detailed-exitcode")
			if doc.Summary.Failed || doc.Summary.Update != 1 {
				t.Errorf("summary: %+v", doc.Summary)
			}
			for _, task := range doc.Tasks {
				if task.Address != `task.product["mug"]` {
					continue
				}
				if len(task.Files) != 1 || task.Files[0].State != drift.state || task.Files[0].ImageID == nil {
					t.Errorf("files: %+v", task.Files)
				}
			}
			// Plan alone (no --detailed-exitcode) succeeds: a change is
			// not an error.
			mustCode(t, runBin(t, dir, env, "plan"), exitOK, "plan")
			a := runBin(t, dir, env, "apply", "--auto-approve")
			mustCode(t, a, exitOK, "apply restoring the file")
			if !strings.Contains(a.Stdout, `task.product["mug"]: restored assets/mug.png`) {
				t.Errorf("apply output:\n%s", a.Stdout)
			}
			checkFilesMatchState(t, dir, loadState(t, dir))
			mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), exitOK, "plan after the restore")
		})
	}
	if n := srv.Emulator.Stats().Created; n != 2 {
		t.Errorf("restoring files created tasks: %d created, want 2", n)
	}

	// An image that failed is not fixable by apply: exit 1, and the
	// plan says it failed.
	failed := t.TempDir()
	writeSpec(t, failed, productSpec(map[string]string{"vase": "a vase [[fail-image]]"}, ""))
	mustCode(t, runBin(t, failed, env, "apply", "--auto-approve"), exitError, "apply of a task whose image fails")
	plan := runBin(t, failed, env, "plan", "--detailed-exitcode")
	mustCode(t, plan, exitError, "plan --detailed-exitcode over a failed image")
	if !strings.HasPrefix(lastLine(plan.Stdout), "The plan failed:") {
		t.Errorf("last line of a failing plan: %q", lastLine(plan.Stdout))
	}
}

// TestE2ECIGateWarningDoesNotFail: in examples/ci-gate, task.card's expect
// block has severity "warning": a failed card image, and the card file it
// could not save, are warnings and the build passes (plan and apply exit
// 0); the same failure in task.hero (severity error) fails both. The README
// of the example says so.
func TestE2ECIGateWarningDoesNotFail(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "ci-gate", "main.mynth.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "examples", "ci-gate", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), "a failed image, and the file it would have been saved to, are reported but do not fail the build") {
		t.Errorf("examples/ci-gate/README.md no longer says what this test checks")
	}
	const card = `"Greeting card illustration of a teapot, watercolour"`
	const hero = `"Wide banner of a pottery studio at dawn, warm light"`
	if !bytes.Contains(src, []byte(card)) || !bytes.Contains(src, []byte(hero)) {
		t.Fatal("the ci-gate prompts changed; update this test")
	}
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	env := applyEnv(srv)
	for _, c := range []struct {
		name, prompt string
		want         int
		warn, fail   string
	}{
		{"card image fails: a warning", card, exitOK, "task.card: file: image 2 failed", ""},
		{"hero image fails: an error", hero, exitError, "", "task.hero: file: image 1 failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			failing := strings.Replace(string(src), c.prompt, strings.TrimSuffix(c.prompt, `"`)+` [[fail-image]]"`, 1)
			writeSpec(t, dir, failing)
			a := runBin(t, dir, env, "apply", "--auto-approve")
			mustCode(t, a, c.want, "apply")
			if c.warn != "" && !strings.Contains(a.Stdout, "Warning: check failed: "+c.warn) {
				t.Errorf("apply does not warn about %q:\n%s", c.warn, a.Stdout)
			}
			if c.fail != "" && !strings.Contains(a.Stdout, "Check failed: "+c.fail) {
				t.Errorf("apply does not fail on %q:\n%s", c.fail, a.Stdout)
			}
			p := runBin(t, dir, env, "plan", "--detailed-exitcode")
			mustCode(t, p, c.want, "plan --detailed-exitcode")
			doc, _ := planJSON(t, dir, env)
			for _, task := range doc.Tasks {
				for _, ch := range task.Checks {
					if ch.Name == "file" && ch.Severity != map[string]string{"task.card": "warning", "task.hero": "error"}[task.Address] {
						t.Errorf("%s: a file check of severity %q", task.Address, ch.Severity)
					}
				}
			}
		})
	}
}

// TestE2EOneRealError: a missing "}" is one error, at the block it leaves
// open, and not errors about the blocks after it that the parser nested in
// it (nor about the rest of the spec, which a broken file cannot be
// trusted to describe); a misspelled function suggests the right one.
func TestE2EOneRealError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.mynth.hcl"), []byte(`locals {
  name = "mug"
}

task "a" {
  prompt = "a ${local.name}"
  model  = "m"

task "b" {
  prompt = "b"
  model  = "m"
}

task "c" {
  prompt = "c"
}
`))
	writeFile(t, filepath.Join(dir, "other.mynth.hcl"), []byte("task \"d\" {\n  prompt = local.name\n}\n"))
	r := runBin(t, dir, nil, "validate")
	mustCode(t, r, exitError, "validate")
	if n := strings.Count(r.Stderr, "Error: "); n != 1 ||
		!strings.Contains(r.Stderr, "Error: Unclosed configuration block\n\n  on main.mynth.hcl line 5, in task \"a\":\n   5: task \"a\" {\n") ||
		!strings.Contains(r.Stderr, "Add the } that closes it.") {
		t.Errorf("validate of a missing }: %d errors, want one at line 5:\n%s", n, r.Stderr)
	}
	var doc struct {
		ErrorCount  int `json:"error_count"`
		Diagnostics []struct {
			Summary string
			Range   struct {
				Filename string
				Start    struct{ Line int }
			}
		}
	}
	r = runBin(t, dir, nil, "validate", "--json")
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("validate --json: %v\n%s", err, r.Stdout)
	}
	if doc.ErrorCount != 1 || len(doc.Diagnostics) != 1 || doc.Diagnostics[0].Range.Filename != "main.mynth.hcl" || doc.Diagnostics[0].Range.Start.Line != 5 {
		t.Errorf("validate --json of a missing }: %+v", doc)
	}
	// plan says the same, before reading anything.
	if p := runBin(t, dir, nil, "plan"); p.Code != exitError || strings.Count(p.Stderr, "Error: ") != 1 {
		t.Errorf("plan of a missing }: exit %d\n%s", p.Code, p.Stderr)
	}

	// With the brace back, the next mistake shows: a misspelled function,
	// with the function meant, where it is called, in a local and in a
	// for_each instance alike.
	writeFile(t, filepath.Join(dir, "main.mynth.hcl"), []byte(`locals {
  name = uper("mug")
}

task "a" {
  for_each = toset(["x"])
  prompt   = "a ${lowr(each.key)}"
  model    = "m"
}
`))
	r = runBin(t, dir, nil, "validate")
	mustCode(t, r, exitError, "validate")
	for _, want := range []string{
		"  on main.mynth.hcl line 2, in locals:\n   2:   name = uper(\"mug\")\n\nThere is no function named \"uper\". Did you mean \"upper\"?",
		"  on main.mynth.hcl line 7, in task \"a\":\n   7:   prompt   = \"a ${lowr(each.key)}\"\n\nwith each.key as \"x\".\n\nThere is no function named \"lowr\". Did you mean \"lower\"?",
	} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("validate lacks\n%s\nin:\n%s", want, r.Stderr)
		}
	}
}
