package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/state"
)

// applyKey is the API key of the apply tests: a canary that must never
// appear in any output or state file.
const applyKey = "mak_e2e_apply_canary_7Qx2"

// applyEnv points the binary at srv with the canary key.
func applyEnv(srv *mynthtest.Server) []string {
	return []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=" + applyKey}
}

// productSpec is a spec of for_each products saved as PNG files, with a
// budget.
func productSpec(prompts map[string]string, budget string) string {
	var b strings.Builder
	b.WriteString("locals {\n  products = {\n")
	for _, k := range sortedMapKeys(prompts) {
		fmt.Fprintf(&b, "    %s = %q\n", k, prompts[k])
	}
	b.WriteString("  }\n}\n\n")
	if budget != "" {
		fmt.Fprintf(&b, "budget {\n  max_total = %q\n}\n\n", budget)
	}
	b.WriteString(`task "product" {
  for_each = local.products
  prompt   = "Studio photo of ${each.value}"
  model    = "google/gemini-3.1-flash-image"
  size     = "square"
  output {
    format = "png"
  }
  files = ["assets/${each.key}.png"]
  expect {
    size = "1024x1024"
  }
}
`)
	return b.String()
}

func sortedMapKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func writeSpec(t *testing.T, dir, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadState reads dir's state.
func loadState(t *testing.T, dir string) *state.File {
	t.Helper()
	f, err := state.Open(filepath.Join(dir, "mynth.state.json")).Load()
	if err != nil {
		t.Fatalf("loading the state: %v", err)
	}
	return f
}

// noSecrets fails when the canary key or any PAT shows in r or in dir's
// state files.
func noSecrets(t *testing.T, dir string, results ...binResult) {
	t.Helper()
	for _, r := range results {
		for _, s := range []string{r.Stdout, r.Stderr} {
			if strings.Contains(s, applyKey) || strings.Contains(s, "pat_") {
				t.Fatalf("a secret appears in the output:\n%s", s)
			}
		}
	}
	for _, name := range []string{"mynth.state.json", "mynth.state.json.backup"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(applyKey)) || bytes.Contains(b, []byte("pat_")) || bytes.Contains(b, []byte("mak_")) {
			t.Fatalf("a secret appears in %s", name)
		}
	}
}

// checkFilesMatchState fails unless every saved file of the state is on
// disk with its recorded sha256 and size, and returns how many there are.
func checkFilesMatchState(t *testing.T, dir string, st *state.File) int {
	t.Helper()
	n := 0
	for addr, task := range st.Tasks {
		for _, f := range task.Files {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
			if err != nil {
				t.Fatalf("%s: %v", addr, err)
			}
			sum := sha256.Sum256(b)
			if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(b)) != f.Size {
				t.Fatalf("%s: %s on disk does not match the state", addr, f.Path)
			}
			n++
		}
	}
	return n
}

func mustCode(t *testing.T, r binResult, want int, what string) {
	t.Helper()
	if r.Code != want {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.Code, want, r.Stdout, r.Stderr)
	}
}

func TestApplyE2EGenerateWaitDownloadReplan(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: 300 * time.Millisecond})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug", "bowl": "a bowl", "vase": "a vase"}, "1.00"))

	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply")
	for _, want := range []string{"Apply complete: 3 generated, 0 updated, 0 forgotten. Spent $0.0375. State: mynth.state.json (serial ",
		`task.product["mug"]: completed in `, "1 image, $0.0125, saved assets/mug.png"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("apply output lacks %q:\n%s", want, r.Stdout)
		}
	}
	st := loadState(t, dir)
	if len(st.Tasks) != 3 || srv.Emulator.Stats().Created != 3 {
		t.Fatalf("state holds %d tasks, the emulator created %d", len(st.Tasks), srv.Emulator.Stats().Created)
	}
	if n := checkFilesMatchState(t, dir, st); n != 3 {
		t.Fatalf("%d saved files, want 3", n)
	}

	plan := runBin(t, dir, env, "plan", "--detailed-exitcode")
	mustCode(t, plan, 0, "plan after apply")

	// A second apply changes nothing: the state file is untouched.
	before, _ := os.ReadFile(filepath.Join(dir, "mynth.state.json"))
	info, _ := os.Stat(filepath.Join(dir, "mynth.state.json"))
	again := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, again, 0, "second apply")
	after, _ := os.ReadFile(filepath.Join(dir, "mynth.state.json"))
	info2, _ := os.Stat(filepath.Join(dir, "mynth.state.json"))
	if !bytes.Equal(before, after) || !info.ModTime().Equal(info2.ModTime()) {
		t.Error("an apply with nothing to do rewrote the state")
	}
	if srv.Emulator.Stats().Created != 3 {
		t.Error("the second apply created tasks")
	}
	noSecrets(t, dir, r, plan, again)
}

func TestApplyE2EReplaceOnEditedPrompt(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug", "bowl": "a bowl"}, ""))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "first apply")
	old := loadState(t, dir)

	writeSpec(t, dir, productSpec(map[string]string{"mug": "a blue mug", "bowl": "a bowl"}, ""))
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 2, "plan after the edit")
	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply after the edit")
	if !strings.Contains(r.Stdout, "Apply complete: 0 generated, 1 replaced,") {
		t.Errorf("summary:\n%s", r.Stdout)
	}
	st := loadState(t, dir)
	mug := `task.product["mug"]`
	bowl := `task.product["bowl"]`
	if st.Tasks[mug].ID == old.Tasks[mug].ID || st.Tasks[bowl].ID != old.Tasks[bowl].ID {
		t.Errorf("ids: mug %s -> %s, bowl %s -> %s", old.Tasks[mug].ID, st.Tasks[mug].ID, old.Tasks[bowl].ID, st.Tasks[bowl].ID)
	}
	if !strings.Contains(string(st.Tasks[mug].Request), "a blue mug") {
		t.Errorf("the replaced task's request: %s", st.Tasks[mug].Request)
	}
	if st.Tasks[mug].Files[0].ImageID == old.Tasks[mug].Files[0].ImageID {
		t.Error("the file still records the old image")
	}
	checkFilesMatchState(t, dir, st)
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after the replace")
	noSecrets(t, dir, r)
}

func TestApplyE2EFailedTaskAndImage(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"bad": "a broken kiln [[fail]]", "half": "a cracked cup [[fail-image]]", "good": "a good cup"}, ""))
	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 1, "apply with failures")
	for _, want := range []string{`task.product["bad"]: failed in`, `assets/half.png: Not saved: image 1 failed`, "saved assets/good.png"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Stdout)
		}
	}
	st := loadState(t, dir)
	if st.Tasks[`task.product["bad"]`].Status != "failed" || st.Tasks[`task.product["half"]`].Status != "completed" {
		t.Errorf("recorded statuses: %+v", st.Tasks)
	}
	for _, name := range []string{"bad.png", "half.png"} {
		if _, err := os.Stat(filepath.Join(dir, "assets", name)); !os.IsNotExist(err) {
			t.Errorf("assets/%s exists", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "assets", "good.png")); err != nil {
		t.Error(err)
	}
	// The failures are recorded, not retried: a second apply creates nothing.
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 1, "second apply")
	if n := srv.Emulator.Stats().Created; n != 3 {
		t.Errorf("the emulator created %d tasks, want 3", n)
	}
	noSecrets(t, dir, r)
}

func TestApplyE2EBudgetGuard(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	// $0.0125 a task: the first teaches the price, the second fits, the
	// third would pass $0.03.
	writeSpec(t, dir, productSpec(map[string]string{"a": "a", "b": "b", "c": "c", "d": "d", "e": "e"}, "0.03"))
	r := runBin(t, dir, env, "apply", "--auto-approve", "--parallelism", "4")
	mustCode(t, r, 1, "apply over budget")
	if n := srv.Emulator.Stats().Created; n != 2 {
		t.Fatalf("the emulator created %d tasks, want 2\n%s", n, r.Stdout)
	}
	for _, want := range []string{"Budget: The budget guard stopped creating tasks", "would pass budget.max_total $0.03",
		`Not created: task.product["c"], task.product["d"], task.product["e"]`, "Apply finished with errors: 2 generated"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if n := len(loadState(t, dir).Tasks); n != 2 {
		t.Errorf("the state holds %d tasks, want 2", n)
	}
	noSecrets(t, dir, r)
}

func TestApplyE2EUnknownCreationOutcome(t *testing.T) {
	store := filepath.Join(t.TempDir(), "emulator.json")
	srv := mynthtest.NewServer(t, mynthtest.Options{StorePath: store})
	srv.Emulator.SetFaults(mynthtest.Faults{Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{
		mynthtest.EndpointGenerate: {Next: []mynthtest.FaultKind{mynthtest.FaultDropAfterCreate}},
	}})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"a": "first", "b": "second"}, ""))
	r := runBin(t, dir, env, "apply", "--auto-approve", "--parallelism", "1")
	mustCode(t, r, 1, "apply with a dropped creation")
	// Exactly one creation per task: the dropped one was not repeated.
	if n := srv.Emulator.Stats().Created; n != 2 {
		t.Fatalf("the emulator created %d tasks, want 2", n)
	}
	st := loadState(t, dir)
	if len(st.Tasks) != 1 || st.Tasks[`task.product["b"]`] == nil {
		t.Fatalf("state tasks: %v", st.Addresses())
	}
	for _, want := range []string{`task.product["a"]: unknown outcome.`, "the task may exist and cost money",
		"mynthform import 'task.product[\"a\"]' ID", "saved assets/b.png"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Stdout)
		}
	}

	// The recovery the message describes: find the task, import it, apply.
	lost := ""
	for _, id := range storedTaskIDs(t, store) {
		if id != st.Tasks[`task.product["b"]`].ID {
			lost = id
		}
	}
	imp := runBin(t, dir, env, "import", `task.product["a"]`, lost)
	mustCode(t, imp, 0, "import")
	fix := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, fix, 0, "apply after import")
	if !strings.Contains(fix.Stdout, "saved assets/a.png") || srv.Emulator.Stats().Created != 2 {
		t.Errorf("apply after import:\n%s", fix.Stdout)
	}
	checkFilesMatchState(t, dir, loadState(t, dir))
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after the recovery")
	noSecrets(t, dir, r, imp, fix)
}

// storedTaskIDs lists the task ids of an emulator store file.
func storedTaskIDs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var store struct {
		Accounts []struct {
			Tasks []struct {
				ID string `json:"id"`
			} `json:"tasks"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(b, &store); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range store.Accounts {
		for _, task := range a.Tasks {
			ids = append(ids, task.ID)
		}
	}
	return ids
}

func TestApplyE2EKilledApplyKeepsEveryCreatedTask(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: time.Hour})
	dir := t.TempDir()
	writeSpec(t, dir, productSpec(map[string]string{"a": "a", "b": "b", "c": "c", "d": "d", "e": "e", "f": "f"}, ""))
	cmd := exec.Command(binPath, "apply", "--auto-approve", "--parallelism", "3")
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, applyEnv(srv)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until every task is created and apply is waiting, then kill -9.
	deadline := time.Now().Add(20 * time.Second)
	for srv.Emulator.Stats().Created < 6 || srv.Emulator.Stats().Requests[mynthtest.EndpointStatus] < 6 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("apply did not create its tasks in time:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	st := loadState(t, dir)
	if got := len(st.Tasks); got != srv.Emulator.Stats().Created {
		t.Fatalf("the state holds %d tasks, the emulator created %d", got, srv.Emulator.Stats().Created)
	}
	for addr, task := range st.Tasks {
		if _, ok := srv.Emulator.Task(task.ID); !ok || task.Status != "pending" {
			t.Errorf("%s: task %s (%s) is not the emulator's", addr, task.ID, task.Status)
		}
	}
	// The lock died with the process: the next apply waits for the
	// recorded tasks without creating new ones.
	r := runBin(t, dir, applyEnv(srv), "apply", "--auto-approve", "--wait=false")
	mustCode(t, r, 0, "apply after the kill")
	if n := srv.Emulator.Stats().Created; n != 6 {
		t.Errorf("the emulator created %d tasks after the kill, want 6", n)
	}
	noSecrets(t, dir, r)
}

func TestApplyE2EHostileFiles(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	outside := t.TempDir()
	tests := []struct {
		name, path string
	}{
		{"absolute", filepath.Join(outside, "abs.png")},
		{"dotdot", "../escaped.png"},
		{"symlinked dir", "linked/x.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Symlink(outside, filepath.Join(dir, "linked")); err != nil {
				t.Skip(err)
			}
			writeSpec(t, dir, fmt.Sprintf(`task "x" {
  prompt = "hostile"
  files  = [%q]
}
`, tt.path))
			r := runBin(t, dir, applyEnv(srv), "apply", "--auto-approve")
			if r.Code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", r.Code, r.Stdout, r.Stderr)
			}
			var written []string
			_ = filepath.WalkDir(outside, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					written = append(written, p)
				}
				return nil
			})
			if len(written) > 0 {
				t.Fatalf("written outside the spec directory: %v", written)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escaped.png")); err == nil {
				t.Fatal("../escaped.png was written")
			}
			// Refused before creation: no money spent on an image that
			// could not be saved.
			if n := srv.Emulator.Stats().Created; n != 0 {
				t.Fatalf("%d tasks created", n)
			}
			noSecrets(t, dir, r)
		})
	}
}

func TestApplyE2EModifiedFileRestored(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug"}, ""))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	path := filepath.Join(dir, "assets", "mug.png")
	if err := os.WriteFile(path, []byte("not the image"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := runBin(t, dir, env, "plan", "--detailed-exitcode")
	if plan.Code == 0 || !strings.Contains(plan.Stdout, "modified") {
		t.Fatalf("plan did not report the modified file (exit %d):\n%s", plan.Code, plan.Stdout)
	}
	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "restoring apply")
	if !strings.Contains(r.Stdout, "restored assets/mug.png") {
		t.Errorf("output:\n%s", r.Stdout)
	}
	checkFilesMatchState(t, dir, loadState(t, dir))
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after the restore")
	if srv.Emulator.Stats().Created != 1 {
		t.Error("restoring created a task")
	}

	// A missing file too.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply restoring a missing file")
	checkFilesMatchState(t, dir, loadState(t, dir))

	// And from the state alone, without reading the task again.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	r = runBin(t, dir, env, "apply", "--auto-approve", "--refresh=false")
	mustCode(t, r, 0, "apply --refresh=false restoring a missing file")
	if !strings.Contains(r.Stdout, "restored assets/mug.png") {
		t.Errorf("output:\n%s", r.Stdout)
	}
	checkFilesMatchState(t, dir, loadState(t, dir))
}

func TestApplyE2ETwoAppliesAtOnce(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: 3 * time.Second})
	dir := t.TempDir()
	writeSpec(t, dir, productSpec(map[string]string{"a": "a"}, ""))
	first := exec.Command(binPath, "apply", "--auto-approve")
	first.Dir = dir
	first.Env = append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, applyEnv(srv)...)
	var out bytes.Buffer
	first.Stdout, first.Stderr = &out, &out
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for srv.Emulator.Stats().Created < 1 {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("the first apply did not start:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	second := runBin(t, dir, applyEnv(srv), "apply", "--auto-approve", "--lock-timeout", "700ms")
	waited := time.Since(start)
	mustCode(t, second, 1, "second apply")
	if !strings.Contains(second.Stderr, "locked by apply (pid ") || waited < 700*time.Millisecond {
		t.Errorf("after %s the second apply said:\n%s", waited, second.Stderr)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first apply: %v\n%s", err, out.String())
	}
	if srv.Emulator.Stats().Created != 1 {
		t.Error("the second apply created a task")
	}
}

func TestApplyE2ENeedsApproval(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	writeSpec(t, dir, productSpec(map[string]string{"a": "a"}, ""))
	r := runBin(t, dir, applyEnv(srv), "apply")
	mustCode(t, r, 1, "apply without approval")
	if !strings.Contains(r.Stderr, "--auto-approve") {
		t.Errorf("no hint:\n%s", r.Stderr)
	}
	if srv.Emulator.Stats().Created != 0 {
		t.Error("a task was created without approval")
	}
	if _, err := os.Stat(filepath.Join(dir, "mynth.state.json")); err == nil {
		t.Error("a state file was written")
	}
}

func TestApplyE2ESavedPlan(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"a": "a"}, ""))
	mustCode(t, runBin(t, dir, env, "plan", "--out", "tfplan.json"), 0, "plan --out")
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve", "tfplan.json"), 0, "apply the saved plan")
	if srv.Emulator.Stats().Created != 1 {
		t.Fatal("the saved plan was not applied")
	}
	r := runBin(t, dir, env, "apply", "--auto-approve", "tfplan.json")
	mustCode(t, r, 1, "apply a stale plan")
	if !strings.Contains(r.Stderr, "plan --out tfplan.json") || srv.Emulator.Stats().Created != 1 {
		t.Errorf("stale plan:\n%s", r.Stderr)
	}
}

func TestApplyE2EQuickstart(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "examples", "quickstart")
	for _, name := range []string{"main.mynth.hcl", "README.md", ".gitignore"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// No API key, no base URL: only the in-process emulator.
	r := runBin(t, t.TempDir(), nil, "-C", dir, "--emulator", "apply", "--auto-approve")
	mustCode(t, r, 0, "quickstart apply")
	first, _, _ := strings.Cut(r.Stdout, "\n")
	if !strings.HasPrefix(first, "Using the local Mynth emulator at ") {
		t.Errorf("first line: %q", first)
	}
	if !strings.Contains(r.Stdout, "Apply complete: 3 generated") {
		t.Errorf("output:\n%s", r.Stdout)
	}
	for _, name := range []string{"mug", "bowl", "teapot"} {
		if _, err := os.Stat(filepath.Join(dir, "assets", name+".png")); err != nil {
			t.Error(err)
		}
	}
	checkFilesMatchState(t, dir, loadState(t, dir))
	plan := runBin(t, t.TempDir(), nil, "-C", dir, "--emulator", "plan", "--detailed-exitcode")
	mustCode(t, plan, 0, "quickstart plan")
}

func TestApplyE2ECtrlC(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: time.Hour})
	dir := t.TempDir()
	writeSpec(t, dir, productSpec(map[string]string{"a": "a", "b": "b", "c": "c"}, ""))
	cmd := exec.Command(binPath, "apply", "--auto-approve")
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, applyEnv(srv)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for srv.Emulator.Stats().Requests[mynthtest.EndpointStatus] < 3 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("apply did not start waiting:\n%s", stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitSignal {
		t.Fatalf("after Ctrl-C: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("apply took %s to stop", took)
	}
	if !strings.Contains(stdout.String(), "Apply interrupted: 3 generated") || !strings.Contains(stderr.String(), "every task created so far is recorded") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if n := len(loadState(t, dir).Tasks); n != 3 {
		t.Errorf("the state holds %d tasks, want 3", n)
	}
	// The lock was released: an apply that does not wait gets it at once.
	r := runBin(t, dir, applyEnv(srv), "apply", "--auto-approve", "--wait=false", "--lock-timeout", "0s")
	mustCode(t, r, 0, "apply after Ctrl-C")
	if srv.Emulator.Stats().Created != 3 {
		t.Error("tasks were created again")
	}
}

// TestApplyConfirmation runs apply in-process as if on a terminal: only
// "yes" creates anything, and the prompt says what will be created.
func TestApplyConfirmation(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	env := map[string]string{"MYNTH_BASE_URL": srv.URL, "MYNTH_API_KEY": applyKey}
	for _, tt := range []struct {
		answer  string
		code    int
		created int
	}{
		{"no\n", exitError, 0},
		{"y\n", exitError, 0},
		{"", exitError, 0},
		{"yes\n", exitOK, 2},
	} {
		t.Run(strings.TrimSpace(tt.answer), func(t *testing.T) {
			before := srv.Emulator.Stats().Created
			dir := t.TempDir()
			writeSpec(t, dir, productSpec(map[string]string{"a": "a", "b": "b"}, "0.10"))
			var out bytes.Buffer
			g := &globals{ctx: t.Context(), stdin: strings.NewReader(tt.answer), stdout: &out, stderr: &out,
				getenv: func(k string) string { return env[k] }, dir: dir, interactive: true}
			code := runApply(g, nil)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, out.String())
			}
			if got := srv.Emulator.Stats().Created - before; got != tt.created {
				t.Errorf("%d tasks created, want %d", got, tt.created)
			}
			for _, want := range []string{"mynthform will generate 2 tasks (2 images)", "budget.max_total $0.10", "Only 'yes' will be accepted"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("the prompt lacks %q:\n%s", want, out.String())
				}
			}
			if strings.Contains(out.String(), applyKey) {
				t.Error("the key was printed")
			}
		})
	}
}

func TestApplyE2ENoKeyCreatesNothing(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	writeSpec(t, dir, productSpec(map[string]string{"a": "a"}, ""))
	r := runBin(t, dir, []string{"MYNTH_BASE_URL=" + srv.URL}, "apply", "--auto-approve")
	mustCode(t, r, 1, "apply without a key")
	if !strings.Contains(r.Stderr, "MYNTH_API_KEY") || srv.Emulator.Stats().Created != 0 {
		t.Errorf("stderr:\n%s", r.Stderr)
	}
}

func TestApplyE2EAdoptUpdateForget(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	// A task made elsewhere, still pending: adopted, then waited for.
	raw := `{"id":"tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP","status":"pending","type":"image.generate",
		"createdAt":"2025-01-15T10:30:00.000Z","updatedAt":"2025-01-15T10:30:00.000Z",
		"request":{"prompt":"Editorial product photo of a ceramic mug","size":"landscape","count":1}}`
	var task mynth.Task
	if err := json.Unmarshal([]byte(raw), &task); err != nil {
		t.Fatal(err)
	}
	task.Raw = json.RawMessage(raw)
	if err := srv.Emulator.AddTask(applyKey, task, ""); err != nil {
		t.Fatal(err)
	}
	if err := srv.Emulator.EmulateTask(task.ID); err != nil {
		t.Fatal(err)
	}
	pinned := `task "hero" {
  id     = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
  prompt = "Editorial product photo of a ceramic mug"
  size   = "landscape"
  files  = ["hero.png"]
  expect {
    size = "1536x1024"
  }
}
`
	writeSpec(t, dir, pinned)
	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "adopting apply")
	if !strings.Contains(r.Stdout, "Apply complete: 0 generated, 1 adopted, 0 updated, 0 forgotten.") {
		t.Errorf("output:\n%s", r.Stdout)
	}
	st := loadState(t, dir)
	if rec := st.Tasks["task.hero"]; rec == nil || rec.Status != "completed" || len(rec.Files) != 1 {
		t.Fatalf("recorded %+v", rec)
	}
	checkFilesMatchState(t, dir, st)
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after adopting")

	// No longer declared: forgotten (and nothing is deleted in Mynth).
	writeSpec(t, dir, pinned+`
task "other" {
  prompt = "something else"
}
`)
	r = runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply adding a task")
	writeSpec(t, dir, pinned)
	r = runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "forgetting apply")
	if !strings.Contains(r.Stdout, "0 generated, 0 updated, 1 forgotten.") {
		t.Errorf("output:\n%s", r.Stdout)
	}
	if got := loadState(t, dir).Addresses(); len(got) != 1 || got[0] != "task.hero" {
		t.Errorf("state addresses %v", got)
	}
	if srv.Emulator.Tasks() != 2 {
		t.Errorf("the emulator holds %d tasks", srv.Emulator.Tasks())
	}
	noSecrets(t, dir, r)
}

// TestApplyE2EReadFaults injects faults into 20% of reads and image
// downloads: apply still ends with every task recorded and every file
// saved, and never creates a task twice.
func TestApplyE2EReadFaults(t *testing.T) {
	kinds := []mynthtest.FaultKind{mynthtest.Fault500, mynthtest.Fault502, mynthtest.Fault503, mynthtest.Fault429,
		mynthtest.FaultDrop, mynthtest.FaultTruncate, mynthtest.FaultMalformed}
	rule := mynthtest.FaultRule{Rate: 0.2, Kinds: kinds}
	srv := mynthtest.NewServer(t, mynthtest.Options{RandSeed: 7, Faults: mynthtest.Faults{
		RetryAfter: time.Millisecond,
		Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{
			mynthtest.EndpointStatus: rule, mynthtest.EndpointTask: rule, mynthtest.EndpointImage: rule,
		}}})
	dir := t.TempDir()
	env := applyEnv(srv)
	products := map[string]string{}
	for i := range 12 {
		products[fmt.Sprintf("p%02d", i)] = fmt.Sprintf("product %d", i)
	}
	writeSpec(t, dir, productSpec(products, ""))
	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply under read faults")
	st := loadState(t, dir)
	if len(st.Tasks) != 12 || srv.Emulator.Stats().Created != 12 {
		t.Fatalf("state holds %d tasks, the emulator created %d", len(st.Tasks), srv.Emulator.Stats().Created)
	}
	if n := checkFilesMatchState(t, dir, st); n != 12 {
		t.Fatalf("%d files saved, want 12", n)
	}
	if srv.Emulator.Stats().Faults == nil || len(srv.Emulator.Stats().Faults) == 0 {
		t.Error("no fault was injected")
	}
	noSecrets(t, dir, r)
}
