package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// diagSpec has a task whose max_cost and a budget whose max_total the
// seeded task (cost 0.0125) breaks; the attributes stand well below the
// first line of their blocks.
const diagSpec = `
budget {
  unpriced  = "warn"

  max_total = "0.01"
}

task "mug" {
  id     = "tsk_DIAGMUG"
  prompt = "a ceramic mug"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"

  expect {
    status = "completed"
    images = 1

    max_cost = "0.01"
  }
}
`

// lineOf is the 1-based line of the first line of src that holds s.
func lineOf(t *testing.T, src, s string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the spec", s)
	return 0
}

// TestE2EAnnotationPointsAtAttribute: under GitHub Actions, the real
// binary annotates a failed max_cost check at the max_cost line and the
// budget check at the max_total line, not at the first line of their
// blocks.
func TestE2EAnnotationPointsAtAttribute(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	planSeedTask(t, srv, planTask(srv.URL, "tsk_DIAGMUG", "a ceramic mug", mynth.StatusCompleted), "")
	dir := t.TempDir()
	planWriteSpec(t, dir, diagSpec)
	r := runBin(t, dir, append(planAPIEnv(srv), "GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=", "GITHUB_WORKSPACE="+filepath.Dir(dir)), "plan")
	if r.Code != exitError {
		t.Fatalf("plan: exit %d, want 1\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	file := filepath.Base(dir) + "/main.mynth.hcl"
	for _, c := range []struct{ title, attr string }{
		{"task.mug max_cost check failed", "max_cost ="},
		{"budget check failed", "max_total ="},
	} {
		re := regexp.MustCompile(`(?m)^::error file=([^,]*),line=(\d+),endLine=\d+,title=mynthform%3A ` + regexp.QuoteMeta(c.title) + `::`)
		m := re.FindStringSubmatch(r.Stdout)
		if m == nil {
			t.Errorf("no annotation titled %q:\n%s", c.title, r.Stdout)
			continue
		}
		want := lineOf(t, diagSpec, c.attr)
		if got, _ := strconv.Atoi(m[2]); got != want || m[1] != file {
			t.Errorf("%s: annotated at %s line %s, want %s line %d (%q)", c.title, m[1], m[2], file, want, c.attr)
		}
	}
}

// driftSpec pins the seeded task (prompt "a ceramic mug", size square)
// and asks for another prompt and size; its model is the task's.
const driftSpec = `
task "mug" {
  id = "tsk_DRIFTMUG"

  prompt {
    positive = "a stoneware mug"
  }
  model = "google/gemini-3.1-flash-image"

  size = "landscape"
}
`

// TestE2EDriftAnnotatedAtAttribute: under GitHub Actions, the real binary
// annotates a drifted task once per attribute that drifted, at that
// attribute's line (the prompt's positive, the size) with the pinned
// task's value, never at the task block's first line, and nothing at the
// model that agrees.
func TestE2EDriftAnnotatedAtAttribute(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	planSeedTask(t, srv, planTask(srv.URL, "tsk_DRIFTMUG", "a ceramic mug", mynth.StatusCompleted), "")
	dir := t.TempDir()
	planWriteSpec(t, dir, driftSpec)
	r := runBin(t, dir, append(planAPIEnv(srv), "GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=", "GITHUB_WORKSPACE="+filepath.Dir(dir)), "plan")
	if r.Code != exitError {
		t.Fatalf("plan: exit %d, want 1\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	re := regexp.MustCompile(`(?m)^::error file=([^,]*),line=(\d+),endLine=\d+,title=mynthform%3A task.mug drifted::(.*)$`)
	got := map[int]string{}
	for _, m := range re.FindAllStringSubmatch(r.Stdout, -1) {
		if want := filepath.Base(dir) + "/main.mynth.hcl"; m[1] != want {
			t.Errorf("annotated in %s, want %s", m[1], want)
		}
		line, _ := strconv.Atoi(m[2])
		got[line] = m[3]
	}
	want := map[int]string{
		lineOf(t, driftSpec, "positive ="): `request.prompt is "a ceramic mug" in the pinned task, "a stoneware mug" in the spec`,
		lineOf(t, driftSpec, "size ="):     `request.size is "square" in the pinned task, "landscape" in the spec`,
	}
	if len(got) != len(want) {
		t.Errorf("%d drift annotations, want %d:\n%s", len(got), len(want), r.Stdout)
	}
	for line, msg := range want {
		if !strings.Contains(got[line], msg) || !strings.Contains(got[line], "tsk_DRIFTMUG") {
			t.Errorf("line %d: annotation %q, want one with %q (all: %v)", line, got[line], msg, got)
		}
	}
}

// TestE2ESpecWarningPrintedOnce: the real binary prints a spec warning
// once, with its snippet, for plan (it printed it again inside the plan)
// and validate; plan --json carries it once in the document.
func TestE2ESpecWarningPrintedOnce(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	planSeedTask(t, srv, planTask(srv.URL, "tsk_DIAGMUG", "a ceramic mug", mynth.StatusCompleted), "")
	dir := t.TempDir()
	planWriteSpec(t, dir, `
task "mug" {
  id     = "tsk_DIAGMUG"
  prompt = "a ceramic mug"
}
`)
	if err := os.WriteFile(filepath.Join(dir, "x.mynthvars.hcl"), []byte("unknwn = \"v\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const summary = "Value for undeclared variable"
	for _, args := range [][]string{{"plan"}, {"validate"}, {"apply", "--auto-approve"}} {
		r := runBin(t, dir, planAPIEnv(srv), append(args, "--var-file", "x.mynthvars.hcl")...)
		if r.Code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, r.Code, r.Stdout, r.Stderr)
		}
		if n := strings.Count(r.Stdout+r.Stderr, summary); n != 1 {
			t.Errorf("%v: the warning is printed %d times, want once:\nstdout:\n%s\nstderr:\n%s", args, n, r.Stdout, r.Stderr)
		}
		if !strings.Contains(r.Stderr, `1: unknwn = "v"`) {
			t.Errorf("%v: the warning lacks its snippet:\n%s", args, r.Stderr)
		}
	}
	r := runBin(t, dir, planAPIEnv(srv), "plan", "--json", "--var-file", "x.mynthvars.hcl")
	var doc struct {
		Diagnostics []struct {
			Severity, Summary string
			Range             *struct{ Filename string }
		}
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, r.Stdout)
	}
	if len(doc.Diagnostics) != 1 || doc.Diagnostics[0].Summary != summary || doc.Diagnostics[0].Range == nil || doc.Diagnostics[0].Range.Filename != "x.mynthvars.hcl" {
		t.Errorf("plan --json diagnostics: %+v", doc.Diagnostics)
	}
}

// TestE2EStateErrorIsADiagnostic: a state the binary refuses is printed as
// a diagnostic, its hint the detail on a line of its own.
func TestE2EStateErrorIsADiagnostic(t *testing.T) {
	dir := t.TempDir()
	planWriteSpec(t, dir, `
task "mug" {
  prompt = "a ceramic mug"
}
`)
	if err := os.WriteFile(filepath.Join(dir, "mynth.state.json"), []byte("<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runBin(t, dir, nil, "plan", "--refresh=false")
	if r.Code != exitError {
		t.Fatalf("plan: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if !regexp.MustCompile(`(?m)^Error: state file .*mynth\.state\.json: .*\n    [A-Z].*\.\n`).MatchString(r.Stderr) {
		t.Errorf("the refused state is not a diagnostic with its hint:\n%s", r.Stderr)
	}
}
