package main

// End-to-end runs of whole lifecycles: plan, apply and plan again, with
// the spec edited between runs.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// A task recorded with the API key and planned later with only its access
// token plans clean.
func TestE2EPATReadAfterKeyReadPlansClean(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	planSeedTask(t, srv, planTask(srv.URL, "tsk_E2ELAMP", "a lamp", mynth.StatusCompleted), e2ePAT)
	dir := t.TempDir()
	planWriteSpec(t, dir, `
variable "token" {
  sensitive = true
}
task "lamp" {
  id           = "tsk_E2ELAMP"
  prompt       = "a lamp"
  access_token = var.token
}
`)
	env := append(planAPIEnv(srv), "MYNTH_VAR_token="+e2ePAT)
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply with key")
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan with key")
	patEnv := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_VAR_token=" + e2ePAT}
	mustCode(t, runBin(t, dir, patEnv, "plan", "--detailed-exitcode"), 0, "plan with PAT only")
}

// --wait=false, then plan, apply and plan: clean at the end.
func TestE2ENoWaitThenApplyPlansClean(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: 200 * time.Millisecond})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, `
task "a" {
  prompt = "a mug"
  size   = "1024x1024"
  count  = 2
  output {
    format = "png"
  }
  files = ["a1.png", "a2.png"]
}
`)
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve", "--wait=false"), 0, "apply --wait=false")
	time.Sleep(500 * time.Millisecond)
	p := runBin(t, dir, env, "plan", "--detailed-exitcode")
	mustCode(t, p, 2, "plan after")
	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply")
	p = runBin(t, dir, env, "plan", "--detailed-exitcode")
	mustCode(t, p, 0, "plan at the end")
	for _, f := range []string{"a1.png", "a2.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// Targets with for_each, forget under a target.
func TestE2ETargetsAndForget(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug", "bowl": "a bowl"}, ""))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug"}, "")+"\ntask \"other\" {\n  prompt = \"x\"\n}\n")
	r := runBin(t, dir, env, "plan", "--target", `task.product["mug"]`, "--detailed-exitcode")
	mustCode(t, r, 0, "plan targeting mug")
	r = runBin(t, dir, env, "apply", "--auto-approve", "--target", `task.product["mug"]`)
	mustCode(t, r, 0, "apply targeting mug")
	if st := loadState(t, dir); st.Tasks[`task.product["bowl"]`] == nil {
		t.Fatalf("bowl was forgotten outside the target\n%s", r.Stdout)
	}
	r = runBin(t, dir, env, "plan", "--exclude", `task.other`, "--json")
	if !strings.Contains(r.Stdout, `"forget": 1`) || !strings.Contains(r.Stdout, `"generate": 0`) {
		t.Fatalf("plan --exclude:\n%s", r.Stdout)
	}
}

// pinnedSpec declares task.hero (pinned to id when set) and task.other.
func pinnedSpec(id, prompt string) string {
	idLine := ""
	if id != "" {
		idLine = "  id     = \"" + id + "\"\n"
	}
	return "task \"hero\" {\n" + idLine + "  prompt = \"" + prompt + "\"\n  size   = \"square\"\n  output {\n    format = \"png\"\n  }\n  files  = [\"hero.png\"]\n}\n" +
		"task \"other\" {\n  prompt = \"another\"\n  size   = \"square\"\n  output {\n    format = \"png\"\n  }\n}\n"
}

// A pinned id: pinning the recorded id changes nothing, pinning another
// task adopts it and saves its image, removing the id keeps the task, and
// a saved plan is refused once the state has moved on.
func TestE2EPinnedIDChanges(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, pinnedSpec("", "a hero"))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "first apply")
	first := loadState(t, dir).Tasks["task.hero"]
	otherID := loadState(t, dir).Tasks["task.other"].ID

	// Pin the id it has: nothing to do.
	writeSpec(t, dir, pinnedSpec(first.ID, "a hero"))
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan pinning the recorded id")
	// Pin another task: adopt it, and its image replaces the file.
	writeSpec(t, dir, pinnedSpec(otherID, "another"))
	r := runBin(t, dir, env, "plan", "--detailed-exitcode")
	mustCode(t, r, 2, "plan pinning another id")
	r = runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply pinning another id")
	st := loadState(t, dir)
	if st.Tasks["task.hero"].ID != otherID || len(st.Tasks["task.hero"].Files) != 1 {
		t.Fatalf("hero recorded %+v\n%s", st.Tasks["task.hero"], r.Stdout)
	}
	checkFilesMatchState(t, dir, st)
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after adopting")
	// Remove the id: the recorded task stays, nothing to do.
	writeSpec(t, dir, pinnedSpec("", "another"))
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan without the id")
	// Saved plan, then the state moves on: refused.
	writeSpec(t, dir, pinnedSpec("", "a third"))
	mustCode(t, runBin(t, dir, env, "plan", "--out", "p.plan"), 0, "plan --out")
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	before := srv.Emulator.Stats().Created
	r = runBin(t, dir, env, "apply", "--auto-approve", "p.plan")
	mustCode(t, r, 1, "apply of the saved plan after the state moved on")
	if srv.Emulator.Stats().Created != before {
		t.Fatalf("created %d tasks", srv.Emulator.Stats().Created-before)
	}
}

// A pending task read only through its access token is adopted, waited
// for and saved without an API key; the next plan is clean.
func TestE2EPendingPATOnly(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: 300 * time.Millisecond})
	raw := `{"id":"tsk_PENDPAT","status":"pending","type":"image.generate","createdAt":"` + time.Now().UTC().Format(time.RFC3339Nano) +
		`","request":{"prompt":"a lamp","size":"square","output":{"format":"png"},"access":{"pat":{"enabled":true}}},"emulate":true}`
	if err := srv.Emulator.AddTask(e2eKey, mynth.Task{ID: "tsk_PENDPAT", Raw: []byte(raw)}, e2ePAT); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeSpec(t, dir, `
variable "token" {
  sensitive = true
}
task "lamp" {
  id           = "tsk_PENDPAT"
  prompt       = "a lamp"
  access_token = var.token
  files        = ["lamp.png"]
}
`)
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_VAR_token=" + e2ePAT}
	p := runBin(t, dir, env, "plan", "--detailed-exitcode")
	mustCode(t, p, 2, "plan")
	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply")
	st := loadState(t, dir)
	if st.Tasks["task.lamp"].Status != mynth.StatusCompleted || checkFilesMatchState(t, dir, st) != 1 {
		t.Fatalf("state %+v\n%s", st.Tasks["task.lamp"], r.Stdout)
	}
	p2 := runBin(t, dir, env, "plan", "--detailed-exitcode")
	mustCode(t, p2, 0, "plan after")
	planNoCanary(t, "pending PAT", p.Stdout, p.Stderr, r.Stdout, r.Stderr, p2.Stdout)
	b, _ := os.ReadFile(filepath.Join(dir, "mynth.state.json"))
	planNoCanary(t, "state", string(b))
	// Applying again changes nothing: the state file is untouched.
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "second apply")
	if b2, _ := os.ReadFile(filepath.Join(dir, "mynth.state.json")); string(b2) != string(b) {
		t.Errorf("an apply with nothing to do rewrote the state")
	}
}

// sensitivePromptSpec generates a task whose prompt holds a sensitive
// variable.
const sensitivePromptSpec = `
variable "secret_word" {
  sensitive = true
}
task "note" {
  prompt = "a note that says ${var.secret_word}"
  count  = 2
}
`

// A task to generate whose request is sensitive still counts as a creation:
// without an API key apply refuses before asking, and the confirmation
// says what will be generated.
func TestE2ESensitiveRequestCountsAsCreation(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	writeSpec(t, dir, sensitivePromptSpec)
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_VAR_secret_word=" + e2eSensitive}
	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 1, "apply without a key")
	if !strings.Contains(r.Stderr, "creating a task needs an API key") || srv.Emulator.Stats().Requests[mynthtest.EndpointGenerate] != 0 {
		t.Errorf("apply without a key did not refuse up front:\n%s%s", r.Stdout, r.Stderr)
	}

	var out bytes.Buffer
	genv := map[string]string{"MYNTH_BASE_URL": srv.URL, "MYNTH_API_KEY": applyKey, "MYNTH_VAR_secret_word": e2eSensitive}
	g := &globals{ctx: t.Context(), stdin: strings.NewReader("no\n"), stdout: &out, stderr: &out,
		getenv: func(k string) string { return genv[k] }, dir: dir, interactive: true}
	if code := runApply(g, nil); code != exitError {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "mynthform will generate 1 task (2 images)") {
		t.Errorf("the confirmation does not say what will be generated:\n%s", out.String())
	}
	planNoCanary(t, "sensitive", r.Stdout, r.Stderr, out.String())
}

// Without an API key, apply --refresh=false waits for a recorded pending
// task through its access token.
func TestE2ENoRefreshPendingPATOnly(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: 300 * time.Millisecond})
	raw := `{"id":"tsk_PENDPAT","status":"pending","type":"image.generate","createdAt":"` + time.Now().UTC().Format(time.RFC3339Nano) +
		`","request":{"prompt":"a lamp","size":"square","output":{"format":"png"},"access":{"pat":{"enabled":true}}},"emulate":true}`
	if err := srv.Emulator.AddTask(e2eKey, mynth.Task{ID: "tsk_PENDPAT", Raw: []byte(raw)}, e2ePAT); err != nil {
		t.Fatal(err)
	}
	var task mynth.Task
	if err := json.Unmarshal([]byte(raw), &task); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	planWriteState(t, dir, map[string]mynth.Task{"task.lamp": task})
	writeSpec(t, dir, `
variable "token" {
  sensitive = true
}
task "lamp" {
  prompt       = "a lamp"
  access_token = var.token
  files        = ["lamp.png"]
}
`)
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_VAR_token=" + e2ePAT}
	r := runBin(t, dir, env, "apply", "--auto-approve", "--refresh=false")
	mustCode(t, r, 0, "apply --refresh=false without a key")
	st := loadState(t, dir)
	if st.Tasks["task.lamp"].Status != mynth.StatusCompleted || checkFilesMatchState(t, dir, st) != 1 {
		t.Fatalf("state %+v\n%s", st.Tasks["task.lamp"], r.Stdout)
	}
	planNoCanary(t, "apply", r.Stdout, r.Stderr)
}
