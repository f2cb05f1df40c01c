package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/state"
)

// stateFixture writes a state with three tasks into a fresh directory and
// returns the directory and the state's path.
func stateFixture(t *testing.T, name string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	f := state.New("test")
	f.Tasks = map[string]*state.Task{
		"task.hero": {
			ID: "tsk_hero", Status: mynth.StatusCompleted, CreatedAt: "2026-01-02T10:00:00Z",
			Request: json.RawMessage(`{"model":"m","prompt":"a mug"}`),
			Result:  json.RawMessage(`{"cost":{"images":"0.01250000","total":"0.01250000"},"images":[{"cost":"0.01250000","id":"img_1","size":"1536x1024","status":"succeeded","url":"https://cdn.example/img_1.png"},{"error":"blocked","status":"failed"}],"model":"m"}`),
			Files:   []state.SavedFile{{Path: "assets/hero.webp", ImageID: "img_1", URL: "https://cdn.example/img_1.png", SHA256: "abc123", Size: 42}},
		},
		`task.product["mug"]`:  {ID: "tsk_mug", Status: mynth.StatusPending},
		`task.product["bowl"]`: {ID: "tsk_bowl", Status: mynth.StatusFailed},
	}
	if _, err := state.Open(path).Save(f); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

type stateCLIResult struct {
	stdout, stderr string
	code           int
}

func runStateCLI(t *testing.T, dir string, args ...string) stateCLIResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runWithEnv(context.Background(), append([]string{"-C", dir}, args...), strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	return stateCLIResult{stdout.String(), stderr.String(), code}
}

// fakeStateListView records the entries state list asks it to print.
type fakeStateListView struct {
	lists [][]render.StateEntry
}

func (f *fakeStateListView) List(entries []render.StateEntry) error {
	f.lists = append(f.lists, entries)
	return nil
}

// TestStateList drives state list with a fake view: which entries it
// picks for the addresses given, in which order, and a creation of
// unknown outcome listed without an id. planner/render's tests hold the
// text.
func TestStateList(t *testing.T) {
	dir, path := stateFixture(t, "mynth.state.json")
	st, err := state.Open(path).Load()
	if err != nil {
		t.Fatal(err)
	}
	req := json.RawMessage(`{"model":"m","prompt":"p"}`)
	st.Attempts = map[string]*state.Attempt{"task.lost": {ID: "att_1", Request: req, StartedAt: "2026-01-02T10:00:00Z"}, "task.hero": {ID: "att_2", Request: req, StartedAt: "2026-01-02T10:00:00Z"}}
	if _, err := state.Open(path).Save(st); err != nil {
		t.Fatal(err)
	}
	hero := render.StateEntry{Address: "task.hero", ID: "tsk_hero", Status: mynth.StatusCompleted}
	bowl := render.StateEntry{Address: `task.product["bowl"]`, ID: "tsk_bowl", Status: mynth.StatusFailed}
	mug := render.StateEntry{Address: `task.product["mug"]`, ID: "tsk_mug", Status: mynth.StatusPending}
	lost := render.StateEntry{Address: "task.lost", Status: "unknown_outcome"}
	tests := []struct {
		name string
		args []string
		want []render.StateEntry
	}{
		{"all, sorted, a recorded task's attempt not twice", nil, []render.StateEntry{hero, lost, bowl, mug}},
		{"block", []string{"task.product"}, []render.StateEntry{bowl, mug}},
		{"one, unquoted key", []string{"task.product[mug]"}, []render.StateEntry{mug}},
		{"only a creation of unknown outcome", []string{"task.lost"}, []render.StateEntry{lost}},
		{"json is the view's business", []string{"--json", "task.hero"}, []render.StateEntry{hero}},
		{"nothing matches", []string{"task.nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &fakeStateListView{}
			var stdout, stderr bytes.Buffer
			g := &globals{ctx: context.Background(), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, dir: dir, stateListView: v}
			if code := runStateList(g, tt.args); code != exitOK {
				t.Errorf("exit code %d; stderr: %s", code, stderr.String())
			}
			if diff := cmp.Diff([][]render.StateEntry{tt.want}, v.lists); diff != "" {
				t.Errorf("view calls (-want +got):\n%s", diff)
			}
			if stdout.Len() > 0 || stderr.Len() > 0 {
				t.Errorf("state list wrote around its view:\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
			}
		})
	}
}

// TestStateListPrints runs state list whole, views included, to hold the
// wiring: --json picks the JSON view; no state lists nothing and creates
// no file.
func TestStateListPrints(t *testing.T) {
	dir, _ := stateFixture(t, "mynth.state.json")
	if r := runStateCLI(t, dir, "state", "list", "task.product"); r.code != exitOK || r.stderr != "" || r.stdout != "task.product[\"bowl\"]\ntask.product[\"mug\"]\n" {
		t.Errorf("list: %+v", r)
	}
	want := "[\n  {\n    \"address\": \"task.hero\",\n    \"id\": \"tsk_hero\",\n    \"status\": \"completed\"\n  }\n]\n"
	if r := runStateCLI(t, dir, "state", "list", "--json", "task.hero"); r.code != exitOK || r.stderr != "" || r.stdout != want {
		t.Errorf("list --json: %+v", r)
	}
	empty := t.TempDir()
	if r := runStateCLI(t, empty, "state", "list"); r.code != exitOK || r.stdout != "" {
		t.Errorf("empty: %+v", r)
	}
	if r := runStateCLI(t, empty, "state", "list", "--json"); r.code != exitOK || r.stdout != "[]\n" {
		t.Errorf("empty --json: %+v", r)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("state list wrote files: %v", entries)
	}
}

// fakeStateShowView records what state show asks its view to print, so
// that the tests read the command's decisions instead of its prose.
type fakeStateShowView struct {
	addr      string
	task      *state.Task
	sensitive map[string]bool
	instances []string
	errs      []string
}

func (f *fakeStateShowView) Task(addr string, t *state.Task, sensitive map[string]bool) error {
	f.addr, f.task, f.sensitive = addr, t, sensitive
	return nil
}
func (f *fakeStateShowView) Instances(addr string, instances []string) {
	f.addr, f.instances = addr, instances
}
func (f *fakeStateShowView) Error(err error) { f.errs = append(f.errs, err.Error()) }

var _ render.StateShowView = (*fakeStateShowView)(nil)

// TestStateShow drives state show with a fake view: which task it finds
// for an address, what it hides, and what it says when there is none.
// planner/render's tests hold the view's text.
func TestStateShow(t *testing.T) {
	dir, _ := stateFixture(t, "mynth.state.json")
	spec := "variable \"v\" {\n  default   = \"m\"\n  sensitive = true\n}\n\ntask \"hero\" {\n  id    = \"tsk_hero\"\n  model = var.v\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want fakeStateShowView
	}{
		{"a task and what the spec marks sensitive", []string{"task.hero"}, exitOK,
			fakeStateShowView{addr: "task.hero", sensitive: map[string]bool{"model": true}}},
		{"an instance, in another spelling", []string{"--json", "task.product[mug]"}, exitOK,
			fakeStateShowView{addr: `task.product["mug"]`}},
		{"a task block lists its instances", []string{"task.product"}, exitError,
			fakeStateShowView{addr: "task.product", instances: []string{`task.product["bowl"]`, `task.product["mug"]`}}},
		{"a near miss is suggested", []string{"task.heor"}, exitError,
			fakeStateShowView{errs: []string{"task.heor is not in the state; did you mean task.hero?"}}},
		{"a mistyped block name", []string{"task.prodct"}, exitError,
			fakeStateShowView{errs: []string{"task.prodct is not in the state; did you mean task.product?"}}},
		{"a mistyped key", []string{`task.product["mgu"]`}, exitError,
			fakeStateShowView{errs: []string{`task.product["mgu"] is not in the state; did you mean task.product["mug"]?`}}},
		{"not an address", []string{"hero"}, exitError,
			fakeStateShowView{errs: []string{`"hero" is not a task address (it does not start with "task."); addresses are task.NAME, or task.NAME["KEY"] under for_each (quote it for the shell: 'task.NAME["KEY"]'); did you mean task.hero?`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &fakeStateShowView{}
			var stdout, stderr bytes.Buffer
			g := &globals{ctx: context.Background(), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, dir: dir, stateShowView: v}
			if code := runStateShow(g, tt.args); code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if v.task != nil {
				if v.task.ID == "" {
					t.Errorf("the task shown has no id: %+v", v.task)
				}
				tt.want.task = v.task
			}
			if diff := cmp.Diff(tt.want, *v, cmp.AllowUnexported(fakeStateShowView{})); diff != "" {
				t.Errorf("view calls (-want +got):\n%s", diff)
			}
			if stdout.Len() > 0 || stderr.Len() > 0 {
				t.Errorf("state show wrote around its view:\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
			}
		})
	}
}

// TestStateShowPrints runs state show whole, views included, to hold the
// wiring: --json picks the JSON view, and stdout is the task alone.
func TestStateShowPrints(t *testing.T) {
	dir, _ := stateFixture(t, "mynth.state.json")
	r := runStateCLI(t, dir, "state", "show", "--json", `task.product["mug"]`)
	if diff := cmp.Diff("{\n  \"id\": \"tsk_mug\",\n  \"status\": \"pending\"\n}\n", r.stdout); diff != "" || r.code != 0 || r.stderr != "" {
		t.Errorf("show --json: %d %s\n%s", r.code, r.stderr, diff)
	}
	r = runStateCLI(t, dir, "state", "show", `task.product["mug"]`)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "task.product[\"mug\"]\n  id:     tsk_mug\n") || r.stderr != "" {
		t.Errorf("show: %+v", r)
	}
}

func TestStateRm(t *testing.T) {
	dir, path := stateFixture(t, "mynth.state.json")
	before, _ := os.ReadFile(path)

	r := runStateCLI(t, dir, "state", "rm", "task.hero", "task.nosuch")
	if r.code != exitError || !strings.Contains(r.stderr, "task.nosuch is not in the state") {
		t.Fatalf("unknown address: %+v", r)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, before) {
		t.Fatal("a refused rm changed the state")
	}
	r = runStateCLI(t, dir, "state", "rm", "--dry-run", "task.hero")
	if r.code != exitOK || r.stdout != "Dry run: Removed task.hero (task tsk_hero)\nNothing was changed (--dry-run).\n" {
		t.Fatalf("dry run: %+v", r)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, before) {
		t.Fatal("a dry run changed the state")
	}

	r = runStateCLI(t, dir, "state", "rm", "task.product[mug]", "task.hero")
	if r.code != exitOK {
		t.Fatalf("rm: %+v", r)
	}
	want := "Removed task.hero (task tsk_hero)\nRemoved task.product[\"mug\"] (task tsk_mug)\nSaved " + path + " (serial 2, 1 task); the previous state is in " + path + ".backup.\n"
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Error(diff)
	}
	st, err := state.Open(path).Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{`task.product["bowl"]`}, st.Addresses()); diff != "" {
		t.Error(diff)
	}
	if backup, _ := os.ReadFile(path + ".backup"); !bytes.Equal(backup, before) {
		t.Error("the backup is not the state before rm")
	}
	// A whole block.
	if r := runStateCLI(t, dir, "state", "rm", "task.product"); r.code != exitOK || !strings.Contains(r.stdout, `Removed task.product["bowl"]`) {
		t.Errorf("rm of a block: %+v", r)
	}
}

func TestStateMv(t *testing.T) {
	dir, path := stateFixture(t, "mynth.state.json")
	before, _ := os.ReadFile(path)
	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"onto an existing address", []string{"task.hero", `task.product["mug"]`}, `task.product["mug"] is already in the state (task tsk_mug); remove it first with ` + "`mynthform state rm 'task.product[\"mug\"]'`"},
		{"unknown", []string{"task.hreo", "task.x"}, "task.hreo is not in the state; did you mean task.hero?"},
		{"same", []string{"task.hero", "task.hero"}, "are the same address"},
		{"bad target", []string{"task.hero", "task.9x"}, `"9x" is not a task name`},
		{"one argument", []string{"task.hero"}, "want two addresses"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			r := runStateCLI(t, dir, append([]string{"state", "mv"}, tt.args...)...)
			if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("got %d %q, want %q", r.code, r.stderr, tt.want)
			}
			if now, _ := os.ReadFile(path); !bytes.Equal(now, before) {
				t.Error("a refused mv changed the state")
			}
		})
	}
	r := runStateCLI(t, dir, "state", "mv", "task.hero", `task.images["hero"]`)
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "Moved task.hero to task.images[\"hero\"] (task tsk_hero)\nSaved ") {
		t.Fatalf("mv: %+v", r)
	}
	r = runStateCLI(t, dir, "state", "mv", "task.product", "task.dish")
	if r.code != exitOK || !strings.Contains(r.stdout, "Moved task.product[\"mug\"] to task.dish[\"mug\"] (task tsk_mug)") {
		t.Fatalf("mv of a block: %+v", r)
	}
	st, _ := state.Open(path).Load()
	if diff := cmp.Diff([]string{`task.dish["bowl"]`, `task.dish["mug"]`, `task.images["hero"]`}, st.Addresses()); diff != "" {
		t.Error(diff)
	}
	if st.Tasks[`task.images["hero"]`].Files[0].Path != "assets/hero.webp" {
		t.Error("the move lost the task's record")
	}
}

func TestStateCommandsWaitForTheLock(t *testing.T) {
	dir, path := stateFixture(t, "mynth.state.json")
	lock, err := state.Open(path).Lock(context.Background(), "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := runStateCLI(t, dir, "state", "rm", "--lock-timeout", "200ms", "task.hero")
	if r.code != exitError || !strings.Contains(r.stderr, "the state is locked by apply (pid ") || time.Since(start) < 200*time.Millisecond {
		t.Errorf("while locked: %+v", r)
	}
	// Reading needs no lock.
	if r := runStateCLI(t, dir, "state", "list"); r.code != exitOK {
		t.Errorf("list while locked: %+v", r)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = lock.Unlock()
	}()
	if r := runStateCLI(t, dir, "state", "rm", "task.hero"); r.code != exitOK {
		t.Errorf("after the lock is released: %+v", r)
	}
}

func TestStatePathFromSpec(t *testing.T) {
	dir, _ := stateFixture(t, "custom.json")
	// The spec names the state file; a mistake elsewhere in it does not
	// keep the state commands from finding it.
	spec := "mynth {\n  state = \"custom.json\"\n}\n\ntask \"x\" {\n  prompt = var.undefined\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runStateCLI(t, dir, "state", "list")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "task.hero\n") {
		t.Errorf("state from the mynth block: %+v", r)
	}
	if !strings.Contains(r.stderr, "Warning: the spec has errors (run mynthform validate); using the state file "+filepath.Join(dir, "custom.json")) {
		t.Errorf("no warning naming the state file used: %q", r.stderr)
	}
	other := t.TempDir()
	r = runStateCLI(t, other, "state", "list", "--state", filepath.Join(dir, "custom.json"))
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "task.hero\n") {
		t.Errorf("--state: %+v", r)
	}
	r = runStateCLI(t, dir, "state", "list", "--state", "custom.json")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "task.hero\n") {
		t.Errorf("--state relative to -C: %+v", r)
	}
}

func TestStateRefusesDamagedFile(t *testing.T) {
	dir, path := stateFixture(t, "mynth.state.json")
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"state", "list"}, {"state", "rm", "task.hero"}} {
		r := runStateCLI(t, dir, args...)
		if r.code != exitError || !strings.Contains(r.stderr, "truncated") || !strings.Contains(r.stderr, path+".backup") {
			t.Errorf("%v: %+v", args, r)
		}
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, data[:len(data)/2]) {
		t.Error("a refusal changed the file")
	}
}

func TestStateUsage(t *testing.T) {
	if r := runStateCLI(t, t.TempDir(), "state"); r.code != exitOK || !strings.Contains(r.stdout, "Subcommands:") {
		t.Errorf("no subcommand: %+v", r)
	}
	if r := runStateCLI(t, t.TempDir(), "state", "lsit"); r.code != exitError || !strings.Contains(r.stderr, `did you mean "list"?`) || strings.Contains(r.stderr, "Subcommands:") {
		t.Errorf("typo: %+v", r)
	}
	if r := runStateCLI(t, t.TempDir(), "state", "rm", "--help"); r.code != exitOK || !strings.Contains(r.stdout, "--lock-timeout") {
		t.Errorf("help: %+v", r)
	}
}

func TestBinaryStateMv(t *testing.T) {
	dir, path := stateFixture(t, "mynth.state.json")
	r := runBin(t, dir, nil, "state", "mv", "task.hero", "task.hero2")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "Moved task.hero to task.hero2 (task tsk_hero)\n") {
		t.Fatalf("%+v", r)
	}
	r = runBin(t, dir, nil, "state", "list")
	if r.Stdout != "task.hero2\ntask.product[\"bowl\"]\ntask.product[\"mug\"]\n" {
		t.Errorf("list after mv: %+v", r)
	}
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("the lock file is left: %v", err)
	}
}

func TestStateShowHidesSensitiveValues(t *testing.T) {
	dir, _ := stateFixture(t, "mynth.state.json")
	spec := `variable "subject" {
  default   = "a mug"
  sensitive = true
}

task "hero" {
  id     = "tsk_hero"
  prompt = "${var.subject}"
  model  = "m"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"state", "show", "task.hero"}, {"state", "show", "--json", "task.hero"}} {
		r := runStateCLI(t, dir, args...)
		if r.code != exitOK || strings.Contains(r.stdout, "a mug") || !strings.Contains(r.stdout, `"prompt": "(sensitive)"`) {
			t.Errorf("%v: %+v", args, r)
		}
		if !strings.Contains(r.stdout, `"model": "m"`) {
			t.Errorf("%v: a value that is not sensitive is hidden: %s", args, r.stdout)
		}
	}
}

func TestBinaryStateRmWhileLocked(t *testing.T) {
	dir, path := stateFixture(t, "mynth.state.json")
	lock, err := state.Open(path).Lock(context.Background(), "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	r := runBin(t, dir, nil, "state", "rm", "--lock-timeout", "0s", "task.hero")
	want := fmt.Sprintf("mynthform state rm: the state is locked by apply (pid %d on host ", os.Getpid())
	if r.Code != exitError || !strings.HasPrefix(r.Stderr, want) {
		t.Errorf("got %d %q, want %q...", r.Code, r.Stderr, want)
	}
	if err := lock.Unlock(); err != nil {
		t.Fatal(err)
	}
	if r := runBin(t, dir, nil, "state", "rm", "task.hero"); r.Code != 0 {
		t.Errorf("after unlock: %+v", r)
	}
}
