package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/state"
)

// signSpec is a spec whose prompt and metadata read like tokens but are
// the user's own text.
const signSpec = `task "sign" {
  prompt   = "A shop sign that reads pat_sullivan_bakery"
  model    = "google/gemini-3.1-flash-image"
  size     = "square"
  metadata = { shop = "mak_0123456789abcdef" }
}
`

// Text from the spec never blocks the state: apply saves a task whose
// prompt looks like a Public Access Token, and import records one.
func TestMoneyE2EUserTextLikeATokenIsSaved(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, signSpec)

	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply")
	if !strings.Contains(r.Stdout, "Apply complete: 1 generated") {
		t.Errorf("apply output:\n%s", r.Stdout)
	}
	st := loadState(t, dir)
	if len(st.Tasks) != 1 || srv.Emulator.Stats().Created != 1 || !strings.Contains(string(st.Tasks["task.sign"].Request), "pat_sullivan_bakery") ||
		!strings.Contains(string(st.Tasks["task.sign"].Request), "mak_0123456789abcdef") {
		t.Fatalf("state %v after %d creations", st.Tasks, srv.Emulator.Stats().Created)
	}
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after apply")

	// import the same kind of task, made outside mynthform.
	client := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: applyKey})
	created, err := client.Generate(context.Background(), mynth.Request{Prompt: &mynth.Prompt{Positive: "A shop sign that reads pat_sullivan_bakery"},
		Model: "google/gemini-3.1-flash-image", Size: &mynth.Size{Preset: "square"}, Metadata: []byte(`{"shop":"mak_0123456789abcdef"}`)})
	if err != nil {
		t.Fatal(err)
	}
	writeSpec(t, dir, signSpec+strings.Replace(signSpec, `task "sign"`, `task "other"`, 1))
	imp := runBin(t, dir, env, "import", "task.other", created.TaskID)
	mustCode(t, imp, 0, "import")
	if got := loadState(t, dir).Tasks["task.other"]; got == nil || got.ID != created.TaskID {
		t.Fatalf("import recorded %v", got)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "mynth.state.json"))
	if strings.Contains(string(b), applyKey) || strings.Contains(r.Stdout+r.Stderr+imp.Stdout+imp.Stderr, applyKey) {
		t.Fatal("the API key was written")
	}
}

// oneTaskSpec is a spec of one task, a.png.
const oneTaskSpec = `task "a" {
  prompt = "a lighthouse at dusk"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
  output {
    format = "png"
  }
  files = ["a.png"]
}
`

// A creation whose answer never came stays in the state as a write-ahead
// record: plan reports it as an unknown outcome (never as a generate) and
// fails, no apply creates it again, and the record is cleared by the
// documented route (state rm), after which apply creates it knowingly.
func TestMoneyE2EUnknownOutcomeIsRecordedAndNeverRepeated(t *testing.T) {
	for _, fault := range []mynthtest.FaultKind{mynthtest.FaultDropAfterCreate, mynthtest.Fault500, mynthtest.Fault502, mynthtest.FaultTruncate, mynthtest.FaultMalformed} {
		t.Run(string(fault), func(t *testing.T) {
			srv := mynthtest.NewServer(t, mynthtest.Options{})
			srv.Emulator.SetFaults(mynthtest.Faults{Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{
				mynthtest.EndpointGenerate: {Next: []mynthtest.FaultKind{fault}},
			}})
			dir := t.TempDir()
			env := applyEnv(srv)
			writeSpec(t, dir, oneTaskSpec)
			r := runBin(t, dir, env, "apply", "--auto-approve")
			mustCode(t, r, 1, "apply with a lost answer")
			if strings.Contains(r.Stdout, "Apply complete") || !strings.Contains(r.Stdout, "task.a: unknown outcome.") {
				t.Fatalf("apply output:\n%s", r.Stdout)
			}
			st := loadState(t, dir)
			at := st.Attempts["task.a"]
			if len(st.Tasks) != 0 || at == nil || !strings.Contains(string(at.Request), "a lighthouse at dusk") || at.Error == "" || at.StartedAt == "" {
				t.Fatalf("state after the lost answer: tasks %v, attempts %+v", st.Tasks, st.Attempts)
			}
			created := srv.Emulator.Stats().Created

			for _, args := range [][]string{{"plan"}, {"plan", "--json"}} {
				p := runBin(t, dir, env, args...)
				mustCode(t, p, 1, "plan with an unknown outcome")
				for _, bad := range []string{"+ task.a", "1 to generate", `"action": "generate"`} {
					if strings.Contains(p.Stdout, bad) {
						t.Errorf("%v shows the task as a generate (%q):\n%s", args, bad, p.Stdout)
					}
				}
			}
			p := runBin(t, dir, env, "plan")
			for _, want := range []string{"unknown outcome", at.ID, "mynthform import 'task.a' tsk_...", "mynthform state rm 'task.a'", "may have been charged for"} {
				if !strings.Contains(p.Stdout, want) {
					t.Errorf("plan lacks %q:\n%s", want, p.Stdout)
				}
			}
			pj := runBin(t, dir, env, "plan", "--json")
			if !strings.Contains(pj.Stdout, `"status": "unknown_outcome"`) {
				t.Errorf("plan --json:\n%s", pj.Stdout)
			}

			// apply never creates it again by itself.
			again := runBin(t, dir, env, "apply", "--auto-approve")
			mustCode(t, again, 1, "apply over an unknown outcome")
			if n := srv.Emulator.Stats().Created; n != created {
				t.Fatalf("a second apply created %d more tasks", n-created)
			}
			if st := loadState(t, dir); st.Attempts["task.a"] == nil || st.Attempts["task.a"].ID != at.ID {
				t.Fatalf("the record changed: %+v", st.Attempts)
			}

			// --replace is the user's decision to pay again, as is clearing
			// the record; the first is tried on a copy of the directory.
			if fault == mynthtest.FaultDropAfterCreate {
				replaceOverUnknownOutcome(t, srv, dir, env, at)
			}
			rm := runBin(t, dir, env, "state", "rm", "task.a")
			mustCode(t, rm, 0, "state rm")
			if !strings.Contains(rm.Stdout, "the creation of unknown outcome "+at.ID) {
				t.Errorf("state rm output:\n%s", rm.Stdout)
			}
			fix := runBin(t, dir, env, "apply", "--auto-approve")
			mustCode(t, fix, 0, "apply after state rm")
			if st := loadState(t, dir); len(st.Attempts) != 0 || st.Tasks["task.a"] == nil {
				t.Fatalf("state after the new apply: %+v %+v", st.Tasks, st.Attempts)
			}
			mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan at the end")
			noSecrets(t, dir, r, p, again, rm, fix)
		})
	}
}

// replaceOverUnknownOutcome copies dir and shows that --replace over the
// record at task.a plans a generate, and that apply --replace creates one
// task, records it and clears the record.
func replaceOverUnknownOutcome(t *testing.T, srv *mynthtest.Server, dir string, env []string, at *state.Attempt) {
	t.Helper()
	cp := t.TempDir()
	for _, name := range []string{"main.mynth.hcl", "mynth.state.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cp, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := runBin(t, cp, env, "plan", "--detailed-exitcode", "--replace", "task.a")
	mustCode(t, p, 2, "plan --replace over an unknown outcome")
	if !strings.Contains(p.Stdout, "+ task.a") || !strings.Contains(p.Stdout, "unknown outcome") {
		t.Errorf("plan --replace:\n%s", p.Stdout)
	}
	before := srv.Emulator.Stats().Created
	a := runBin(t, cp, env, "apply", "--auto-approve", "--replace", "task.a")
	mustCode(t, a, 0, "apply --replace over an unknown outcome")
	if n := srv.Emulator.Stats().Created - before; n != 1 {
		t.Fatalf("apply --replace created %d tasks, want 1", n)
	}
	st := loadState(t, cp)
	if len(st.Attempts) != 0 || st.Tasks["task.a"] == nil {
		t.Fatalf("state after apply --replace: %+v, attempts %+v", st.Tasks, st.Attempts)
	}
	if st.Attempts["task.a"] != nil && st.Attempts["task.a"].ID == at.ID {
		t.Fatal("the old record stayed")
	}
	mustCode(t, runBin(t, cp, env, "plan", "--detailed-exitcode"), 0, "plan after apply --replace")
}

// A kill -9 while the creation request is in flight leaves its record:
// the next plan says apply was stopped while it waited, and import of the
// task Mynth made resolves it.
func TestMoneyE2EKilledDuringCreationLeavesTheRecord(t *testing.T) {
	store := filepath.Join(t.TempDir(), "emulator.json")
	srv := mynthtest.NewServer(t, mynthtest.Options{StorePath: store})
	srv.Emulator.SetFaults(mynthtest.Faults{SlowLatency: 3 * time.Second, Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{
		mynthtest.EndpointGenerate: {Next: []mynthtest.FaultKind{mynthtest.FaultLatency}},
	}})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, oneTaskSpec)
	cmd := exec.Command(binPath, "apply", "--auto-approve")
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for srv.Emulator.Stats().Requests[mynthtest.EndpointGenerate] < 1 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("apply sent no creation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()

	st := loadState(t, dir)
	at := st.Attempts["task.a"]
	if at == nil || at.Error != "" || len(st.Tasks) != 0 {
		t.Fatalf("state after the kill: %+v %+v", st.Tasks, st.Attempts)
	}
	p := runBin(t, dir, env, "plan")
	mustCode(t, p, 1, "plan after the kill")
	if !strings.Contains(p.Stdout, "apply was stopped while it waited for it") {
		t.Errorf("plan:\n%s", p.Stdout)
	}
	// The emulator finishes the creation it was given.
	deadline = time.Now().Add(10 * time.Second)
	var ids []string
	for len(ids) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if _, err := os.Stat(store); err == nil {
			ids = storedTaskIDs(t, store)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("emulator tasks: %v", ids)
	}
	imp := runBin(t, dir, env, "import", "task.a", ids[0])
	mustCode(t, imp, 0, "import")
	if !strings.Contains(imp.Stdout, "resolves the creation of unknown outcome recorded there (attempt "+at.ID+")") {
		t.Errorf("import output:\n%s", imp.Stdout)
	}
	fix := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, fix, 0, "apply after import")
	if srv.Emulator.Stats().Created != 1 || len(loadState(t, dir).Attempts) != 0 {
		t.Fatalf("after import and apply: %d created, attempts %v", srv.Emulator.Stats().Created, loadState(t, dir).Attempts)
	}
}

// The held API key in a prompt is refused before anything is sent: the
// write-ahead record cannot be saved, so nothing is paid for.
func TestMoneyE2EHeldKeyInAPromptIsRefusedBeforePaying(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	writeSpec(t, dir, strings.Replace(oneTaskSpec, "a lighthouse at dusk", "a lighthouse, key "+applyKey, 1))
	r := runBin(t, dir, applyEnv(srv), "apply", "--auto-approve")
	mustCode(t, r, 1, "apply with the key in a prompt")
	if n := srv.Emulator.Stats().Created; n != 0 {
		t.Fatalf("%d tasks created and paid for", n)
	}
	if !strings.Contains(r.Stdout+r.Stderr, "nothing was sent and nothing was paid") {
		t.Errorf("output:\n%s\n%s", r.Stdout, r.Stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "mynth.state.json")); err == nil && strings.Contains(string(b), applyKey) {
		t.Fatal("the key was written to the state")
	}
	if strings.Contains(r.Stderr, applyKey) {
		t.Fatal("the key was printed in an error")
	}
}

// A redirect of the creation is an unknown outcome end to end: not
// followed, not "creation failed", its record kept.
func TestMoneyE2ECreationRedirectIsAnUnknownOutcome(t *testing.T) {
	var followed atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"taskId":"tsk_elsewhere"}`)
	}))
	defer other.Close()
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer hostile.Close()
	dir := t.TempDir()
	writeSpec(t, dir, oneTaskSpec)
	r := runBin(t, dir, []string{"MYNTH_BASE_URL=" + hostile.URL, "MYNTH_API_KEY=" + applyKey}, "apply", "--auto-approve")
	mustCode(t, r, 1, "apply against a redirect")
	if followed.Load() != 0 || strings.Contains(r.Stdout, "Creating the task failed") || !strings.Contains(r.Stdout, "task.a: unknown outcome.") ||
		!strings.Contains(r.Stdout, "307, a redirect") {
		t.Fatalf("followed %d; output:\n%s", followed.Load(), r.Stdout)
	}
	if st := loadState(t, dir); st.Attempts["task.a"] == nil || len(st.Tasks) != 0 {
		t.Fatalf("state: %+v %+v", st.Tasks, st.Attempts)
	}
	noSecrets(t, dir, r)
}

// "Apply complete" only when every record was written: when the state
// cannot be saved (here another writer moved the serial on), apply says
// so, and lists what exists at Mynth and is not recorded, with the ids:
// once while the creation is in flight (its task is never recorded), once
// after its task was recorded (its result and file are not).
func TestMoneyE2ENoSuccessLineWhenTheStateWasNotSaved(t *testing.T) {
	for _, when := range []string{"sent", "recorded"} {
		t.Run(when, func(t *testing.T) { testNoSuccessLine(t, when) })
	}
}

func testNoSuccessLine(t *testing.T, when string) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: time.Second})
	srv.Emulator.SetFaults(mynthtest.Faults{SlowLatency: 1500 * time.Millisecond, Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{
		mynthtest.EndpointGenerate: {Next: []mynthtest.FaultKind{mynthtest.FaultLatency}},
	}})
	dir := t.TempDir()
	writeSpec(t, dir, oneTaskSpec)
	cmd := exec.Command(binPath, "apply", "--auto-approve")
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, applyEnv(srv)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once the creation is sent (its record is on disk), or once its task
	// is recorded, another writer moves the state on: every later save of
	// this apply is refused.
	path := filepath.Join(dir, "mynth.state.json")
	ready := func() bool {
		if when == "sent" {
			return srv.Emulator.Stats().Requests[mynthtest.EndpointGenerate] >= 1
		}
		f, err := state.Open(path).Load()
		return err == nil && f.Tasks["task.a"] != nil
	}
	deadline := time.Now().Add(20 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("apply got nowhere")
		}
		time.Sleep(5 * time.Millisecond)
	}
	st := loadState(t, dir)
	st.Serial += 10
	b, err := state.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitError {
		t.Fatalf("apply: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if strings.Contains(out, "Apply complete") || !strings.Contains(out, "Apply failed: the state could not be saved") {
		t.Fatalf("the closing line does not say the state was not saved:\n%s", out)
	}
	if !strings.Contains(stderr.String(), "another process wrote serial") {
		t.Errorf("stderr: %s", stderr.String())
	}
	if when == "recorded" {
		if !strings.Contains(out, "Not saved: the last observations and saved files of this apply are not in mynth.state.json (every task id is)") {
			t.Errorf("output:\n%s", out)
		}
		return
	}
	var id string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "task.a" && strings.HasPrefix(f[1], "tsk_") {
			id = f[1]
		}
	}
	if !strings.Contains(out, "Not recorded: 1 task exists at Mynth") || id == "" {
		t.Fatalf("output:\n%s", out)
	}
	if _, ok := srv.Emulator.Task(id); !ok {
		t.Fatalf("%s is not the emulator's task", id)
	}
}

// TestE2ENoWaitSpentSaysPending: apply --wait=false creates tasks that are
// still pending when it ends, so what they cost is not known yet; its
// closing line must not pass "$0.00" off as the whole of what was spent,
// and says how many created tasks it leaves out.
func TestE2ENoWaitSpentSaysPending(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: 30 * time.Second})
	dir := t.TempDir()
	writeSpec(t, dir, "task \"a\" {\n  prompt = \"a chair\"\n}\ntask \"b\" {\n  prompt = \"a table\"\n}\n")
	r := runBin(t, dir, applyEnv(srv), "apply", "--auto-approve", "--wait=false")
	mustCode(t, r, 0, "apply --wait=false")
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	want := "Apply complete: 2 generated, 0 updated, 0 forgotten. Spent $0.00 (not counting 2 created tasks not finished yet: their cost is known once they complete). State: mynth.state.json (serial "
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, want) {
		t.Errorf("closing line:\n%s\nwant it to begin:\n%s", last, want)
	}
}
