package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/state"
)

// The canaries: none of them may appear in any output of the binary.
const (
	e2eKey       = "mak_e2e_CANARY_key"
	e2ePAT       = "pat_e2e_CANARY_pat"
	e2eSensitive = "SENSITIVE_CANARY_value"
)

// e2eTask is a completed task with one square image, as the emulator
// serves seeded tasks.
func planTask(srvURL, id, prompt string, status mynth.Status) mynth.Task {
	t := mynth.Task{ID: id, Status: status, Type: "image.generate",
		CreatedAt: "2026-01-15T10:30:00.000Z", UpdatedAt: "2026-01-15T10:30:12.000Z",
		Request: &mynth.Request{Prompt: &mynth.Prompt{Positive: prompt}, Model: "google/gemini-3.1-flash-image", Size: &mynth.Size{Preset: "square"}}}
	if status == mynth.StatusCompleted {
		c := mynth.MustParseAmount("0.0125")
		t.Result = &mynth.Result{Model: "google/gemini-3.1-flash-image", Cost: &mynth.Cost{Images: c, Total: c},
			Images: []mynth.Image{{Status: mynth.ImageSucceeded, ID: "img_" + id, URL: srvURL + "/images/img_" + id + ".png", Cost: &c, Size: "1024x1024"}}}
	}
	return t
}

func planSeedTask(t *testing.T, srv *mynthtest.Server, task mynth.Task, pat string) {
	t.Helper()
	if err := srv.Emulator.AddTask(e2eKey, task, pat); err != nil {
		t.Fatal(err)
	}
}

func planWriteSpec(t *testing.T, dir, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeState records tasks (as the emulator serves them, changed by edit)
// in dir's state file.
func planWriteState(t *testing.T, dir string, tasks map[string]mynth.Task) {
	t.Helper()
	st := state.New("e2e")
	for addr, task := range tasks {
		rec, err := planner.StateTaskFromObserved(&task)
		if err != nil {
			t.Fatal(err)
		}
		st.Tasks[addr] = rec
	}
	if _, err := state.Open(filepath.Join(dir, "mynth.state.json")).Save(st); err != nil {
		t.Fatal(err)
	}
}

// noCanary fails the test when an output holds a secret.
func planNoCanary(t *testing.T, what string, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		if strings.Contains(out, "CANARY") {
			t.Errorf("%s: a secret reached the output:\n%s", what, out)
		}
	}
}

func planAPIEnv(srv *mynthtest.Server) []string {
	return []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=" + e2eKey}
}

const e2eSpec = `
task "adopted" {
  id     = "tsk_E2EADOPT"
  prompt = "a ceramic mug"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
}

task "moved" {
  prompt = "a stoneware bowl"
  model  = "google/gemini-3.1-flash-image"
}
`

// TestE2EPlanApplyPlan: a plan with an adopt and an update, applied, then
// planned again: no changes.
func TestE2EPlanApplyPlan(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	planSeedTask(t, srv, planTask(srv.URL, "tsk_E2EADOPT", "a ceramic mug", mynth.StatusCompleted), "")
	moved := planTask(srv.URL, "tsk_E2EMOVED", "a stoneware bowl", mynth.StatusCompleted)
	planSeedTask(t, srv, moved, "")
	dir := t.TempDir()
	planWriteSpec(t, dir, e2eSpec)
	recorded := moved
	recorded.Status, recorded.Result = mynth.StatusPending, nil
	planWriteState(t, dir, map[string]mynth.Task{"task.moved": recorded})
	env := planAPIEnv(srv)

	r := runBin(t, dir, env, "plan", "--detailed-exitcode")
	planNoCanary(t, "plan", r.Stdout, r.Stderr)
	if r.Code != exitChanges {
		t.Fatalf("plan: exit %d, want %d\n%s%s", r.Code, exitChanges, r.Stdout, r.Stderr)
	}
	for _, want := range []string{"+ task.adopted", "~ task.moved", `status: "pending" → "completed"`,
		"Plan: 0 to generate, 1 to adopt, 0 to replace, 1 to update, 0 to forget."} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, r.Stdout)
		}
	}

	a := runBin(t, dir, env, "apply", "--auto-approve")
	planNoCanary(t, "apply", a.Stdout, a.Stderr)
	if a.Code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", a.Code, a.Stdout, a.Stderr)
	}

	r = runBin(t, dir, env, "plan", "--detailed-exitcode")
	planNoCanary(t, "plan after apply", r.Stdout, r.Stderr)
	if r.Code != exitOK || !strings.Contains(r.Stdout, "No changes.") {
		t.Fatalf("plan after apply: exit %d, want 0 and no changes\n%s%s", r.Code, r.Stdout, r.Stderr)
	}

	// show: the manifest, its JSON, and a saved plan.
	s := runBin(t, dir, env, "show")
	if s.Code != exitOK || !strings.Contains(s.Stdout, "tsk_E2EADOPT") || !strings.Contains(s.Stdout, "Current cost: $0.025 over 2 tasks") {
		t.Errorf("show: exit %d\n%s%s", s.Code, s.Stdout, s.Stderr)
	}
	s = runBin(t, dir, env, "show", "--json")
	var st state.File
	if err := json.Unmarshal([]byte(s.Stdout), &st); err != nil || len(st.Tasks) != 2 {
		t.Errorf("show --json: %v, %d tasks\n%s", err, len(st.Tasks), s.Stdout)
	}
	r = runBin(t, dir, env, "plan", "--out", "saved.plan")
	if r.Code != exitOK {
		t.Fatalf("plan --out: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	s = runBin(t, dir, env, "show", "saved.plan")
	if s.Code != exitOK || !strings.Contains(s.Stdout, "No changes.") {
		t.Errorf("show saved.plan: exit %d\n%s%s", s.Code, s.Stdout, s.Stderr)
	}
	planNoCanary(t, "show", s.Stdout, s.Stderr)
}

// TestE2EPlanDrift: a pinned task whose request differs from the spec fails
// the plan and is shown as drift, never as a replacement.
func TestE2EPlanDrift(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	planSeedTask(t, srv, planTask(srv.URL, "tsk_E2EADOPT", "a glass mug", mynth.StatusCompleted), "")
	dir := t.TempDir()
	planWriteSpec(t, dir, e2eSpec)
	r := runBin(t, dir, planAPIEnv(srv), "plan", "--detailed-exitcode", "--target", "task.adopted")
	planNoCanary(t, "plan", r.Stdout, r.Stderr)
	if r.Code != exitError {
		t.Fatalf("plan: exit %d, want 1\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, want := range []string{`~ request.prompt: "a glass mug" → "a ceramic mug"`, "drift"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "task.moved") || strings.Contains(r.Stdout, "to replace") && !strings.Contains(r.Stdout, "0 to replace") {
		t.Errorf("the plan targets task.adopted only and replaces nothing:\n%s", r.Stdout)
	}
	// Under GitHub Actions: annotations, and the markdown summary appended
	// to $GITHUB_STEP_SUMMARY.
	summary := filepath.Join(t.TempDir(), "summary.md")
	gh := runBin(t, dir, append(planAPIEnv(srv), "GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY="+summary, "GITHUB_WORKSPACE="+dir),
		"plan", "--target", "task.adopted")
	md, err := os.ReadFile(summary)
	if gh.Code != exitError || !strings.Contains(gh.Stdout, "::error") || err != nil || !strings.Contains(string(md), "task.adopted") {
		t.Errorf("plan under GitHub Actions: exit %d, summary %v\n%s\n%s", gh.Code, err, gh.Stdout, md)
	}
	j := runBin(t, dir, planAPIEnv(srv), "plan", "--json", "--target", "task.adopted")
	var doc struct {
		Tasks []struct {
			Address string `json:"address"`
			Action  string `json:"action"`
			Drift   bool   `json:"drift"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(j.Stdout), &doc); err != nil || len(doc.Tasks) != 1 || !doc.Tasks[0].Drift || doc.Tasks[0].Action == "replace" {
		t.Errorf("plan --json: %v %+v\n%s", err, doc, j.Stdout)
	}
}

const patSpec = `
variable "token" {
  sensitive = true
}

variable "secret_word" {
  sensitive = true
}

task "lamp" {
  id           = "tsk_E2ELAMP"
  prompt       = "a lamp"
  access_token = var.token
}

task "hidden" {
  prompt = "a chair, ${var.secret_word}"
  model  = "google/gemini-3.1-flash-image"
}
`

// TestE2EPlanPATOnly plans without MYNTH_API_KEY: the task with an
// access_token is read through it and its request is reported as not
// verifiable. No secret (the PAT, a sensitive variable) reaches the human
// plan, the JSON plan or the saved plan.
func TestE2EPlanPATOnly(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	planSeedTask(t, srv, planTask(srv.URL, "tsk_E2ELAMP", "a lamp", mynth.StatusCompleted), e2ePAT)
	dir := t.TempDir()
	planWriteSpec(t, dir, patSpec)
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_VAR_token=" + e2ePAT}
	args := []string{"--var", "secret_word=" + e2eSensitive}

	r := runBin(t, dir, env, append([]string{"plan", "--detailed-exitcode", "--out", "saved.plan"}, args...)...)
	if r.Code != exitChanges {
		t.Fatalf("plan: exit %d, want 2\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "not verified") || !strings.Contains(r.Stdout, "+ task.lamp") {
		t.Errorf("plan output does not say the request is not verified:\n%s", r.Stdout)
	}
	j := runBin(t, dir, env, append([]string{"plan", "--json"}, args...)...)
	if !strings.Contains(j.Stdout, `"request_verifiable": false`) {
		t.Errorf("plan --json: no request_verifiable false:\n%s", j.Stdout)
	}
	saved, err := os.ReadFile(filepath.Join(dir, "saved.plan"))
	if err != nil {
		t.Fatal(err)
	}
	s := runBin(t, dir, env, "show", "--json", "saved.plan")
	planNoCanary(t, "PAT-only plan", r.Stdout, r.Stderr, j.Stdout, j.Stderr, string(saved), s.Stdout, s.Stderr)
	if strings.Contains(r.Stdout+j.Stdout+string(saved), "SENSITIVE") {
		t.Errorf("a sensitive variable reached the plan")
	}
}

// TestE2EPlanFaults: with 20% of requests failing (5xx, 429, dropped
// connections), the plan is the same as without faults.
func TestE2EPlanFaults(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{RandSeed: 7})
	var spec strings.Builder
	recorded := map[string]mynth.Task{}
	for i, p := range []string{"a mug", "a bowl", "a cup", "a jug", "a vase", "a plate", "a spoon", "a fork"} {
		id := "tsk_E2EF" + string(rune('A'+i))
		task := planTask(srv.URL, id, p, mynth.StatusCompleted)
		planSeedTask(t, srv, task, "")
		name := "t" + string(rune('a'+i))
		spec.WriteString("task \"" + name + "\" {\n  prompt = \"" + p + "\"\n}\n")
		if i%2 == 0 {
			task.Status, task.Result = mynth.StatusPending, nil
		}
		recorded["task."+name] = task
	}
	dir := t.TempDir()
	planWriteSpec(t, dir, spec.String())
	planWriteState(t, dir, recorded)

	clean := runBin(t, dir, planAPIEnv(srv), "plan", "--json")
	if clean.Code != exitOK {
		t.Fatalf("plan: exit %d\n%s%s", clean.Code, clean.Stdout, clean.Stderr)
	}
	srv.Emulator.SetFaults(mynthtest.Faults{Rate: 0.2, Kinds: []mynthtest.FaultKind{
		mynthtest.Fault500, mynthtest.Fault502, mynthtest.Fault503, mynthtest.Fault429, mynthtest.FaultDrop}})
	faulty := runBin(t, dir, planAPIEnv(srv), "plan", "--json")
	if faulty.Code != exitOK || faulty.Stdout != clean.Stdout {
		t.Errorf("plan with faults: exit %d, differs from the plan without: %v\n%s%s", faulty.Code, faulty.Stdout != clean.Stdout, faulty.Stdout, faulty.Stderr)
	}
	if n := srv.Emulator.Stats().Faults; len(n) == 0 {
		t.Errorf("no fault was injected")
	}
	planNoCanary(t, "plan with faults", clean.Stdout, faulty.Stdout, faulty.Stderr)
}

// TestE2EImport records a task under a declared address, refuses an
// undeclared one (with a suggestion) and one already in the state.
func TestE2EImport(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	planSeedTask(t, srv, planTask(srv.URL, "tsk_E2EMOVED", "a stoneware bowl", mynth.StatusCompleted), "")
	dir := t.TempDir()
	planWriteSpec(t, dir, e2eSpec)
	env := planAPIEnv(srv)

	r := runBin(t, dir, env, "import", "task.mvoed", "tsk_E2EMOVED")
	if r.Code != exitError || !strings.Contains(r.Stderr, "did you mean task.moved?") {
		t.Errorf("import of an undeclared address: exit %d\n%s", r.Code, r.Stderr)
	}
	r = runBin(t, dir, env, "import", "task.moved", "tsk_E2EMOVED")
	if r.Code != exitOK || !strings.Contains(r.Stdout, "Imported tsk_E2EMOVED as task.moved: completed, 1 image") {
		t.Fatalf("import: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	r = runBin(t, dir, env, "import", "task.moved", "tsk_E2EMOVED")
	if r.Code != exitError || !strings.Contains(r.Stderr, "state rm task.moved") {
		t.Errorf("import over a recorded address: exit %d\n%s", r.Code, r.Stderr)
	}
	r = runBin(t, dir, env, "plan", "--target", "task.moved", "--detailed-exitcode")
	if r.Code != exitOK {
		t.Errorf("plan after import: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	planNoCanary(t, "import", r.Stdout, r.Stderr)
}

// TestE2EPlanNoRefresh plans from the state alone: no request reaches
// Mynth.
func TestE2EPlanNoRefresh(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	planWriteSpec(t, dir, e2eSpec)
	planWriteState(t, dir, map[string]mynth.Task{"task.moved": planTask(srv.URL, "tsk_E2EMOVED", "a stoneware bowl", mynth.StatusCompleted)})
	r := runBin(t, dir, planAPIEnv(srv), "plan", "--refresh=false", "--exclude", "task.adopted", "--detailed-exitcode")
	if r.Code != exitOK {
		t.Errorf("plan --refresh=false: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if n := srv.Emulator.Stats().Requests; len(n) != 0 {
		t.Errorf("plan --refresh=false sent requests: %v", n)
	}
}

// TestE2EPlanEmulator: --emulator says so on the first line, seeds itself
// from mynth.seed.json on the first run and keeps its store across runs.
func TestE2EPlanEmulator(t *testing.T) {
	dir := t.TempDir()
	planWriteSpec(t, dir, `
task "seeded" {
  id     = "tsk_SEEDED"
  prompt = "a seeded mug"
}
`)
	task := planTask("http://127.0.0.1:1", "tsk_SEEDED", "a seeded mug", mynth.StatusCompleted)
	raw, err := json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	seed := `{"accounts":[{"api_key":"mak_emulator","tasks":[` + string(raw) + `]}]}`
	if err := os.WriteFile(filepath.Join(dir, "mynth.seed.json"), []byte(seed), 0o644); err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		r := runBin(t, dir, nil, "--emulator", "plan", "--detailed-exitcode")
		first, _, _ := strings.Cut(r.Stdout, "\n")
		if !strings.HasPrefix(first, "Using the local Mynth emulator at http://127.0.0.1:") ||
			!strings.HasSuffix(first, " (store .mynthform/emulator.json); no API key needed.") {
			t.Errorf("run %d: first line %q", run, first)
		}
		if r.Code != exitChanges || !strings.Contains(r.Stdout, "+ task.seeded") || !strings.Contains(r.Stdout, "tsk_SEEDED") {
			t.Errorf("run %d: exit %d\n%s%s", run, r.Code, r.Stdout, r.Stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".mynthform", "emulator.json")); err != nil {
		t.Errorf("no emulator store: %v", err)
	}

	// With --json, stdout is one JSON document and the notice leads stderr.
	r := runBin(t, dir, nil, "--emulator", "plan", "--json")
	var doc struct {
		Tasks []struct{ Address, ID string }
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil || len(doc.Tasks) != 1 || doc.Tasks[0].ID != "tsk_SEEDED" {
		t.Errorf("plan --json under --emulator: %v\n%s", err, r.Stdout)
	}
	if !strings.HasPrefix(r.Stderr, "Using the local Mynth emulator at http://127.0.0.1:") {
		t.Errorf("plan --json under --emulator: stderr %q does not start with the notice", r.Stderr)
	}
}
