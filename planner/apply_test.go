package planner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// fastPoll makes apply tests poll without delay.
var fastPoll = mynth.PollSchedule{Fast: time.Millisecond, FastFor: time.Second, Slow: time.Millisecond}

// applyCase builds a spec, a plan and a state for Apply.
type applyCase struct {
	t     *testing.T
	dir   string
	spec  *spec.Spec
	plan  *Plan
	state *state.File
	store *memStore
	api   *applyFake
	prog  *captureProgress
}

func newApplyCase(t *testing.T) *applyCase {
	return &applyCase{
		t:     t,
		dir:   t.TempDir(),
		spec:  &spec.Spec{},
		plan:  &Plan{FormatVersion: PlanFormatVersion},
		state: &state.File{Version: state.FormatVersion, Lineage: "lin", Tasks: map[string]*state.Task{}},
		store: &memStore{},
		api:   newApplyFake(),
		prog:  &captureProgress{},
	}
}

// task declares a task in the spec and plans action for it.
func (c *applyCase) task(addr, prompt string, count int, action Action, files ...string) *TaskPlan {
	req := mynth.Request{Prompt: &mynth.Prompt{Positive: prompt}, Model: "m1", Count: count}
	c.spec.Tasks = append(c.spec.Tasks, &spec.Task{Address: addr, Request: req, Files: files, Expect: &spec.Expect{}})
	tp := &TaskPlan{Address: addr, Action: action, Request: &req, RequestVerifiable: true}
	c.plan.Tasks = append(c.plan.Tasks, tp)
	return tp
}

func (c *applyCase) options() ApplyOptions {
	return ApplyOptions{
		Plan: c.plan, Spec: c.spec, Store: c.store, State: c.state, API: c.api,
		Parallelism: 4, Wait: true, WaitTimeout: 10 * time.Second, Poll: fastPoll,
		Dir: c.dir, ToolVersion: "test", Progress: c.prog,
	}
}

func (c *applyCase) apply(ctx context.Context, opts ApplyOptions) *ApplyResult {
	c.t.Helper()
	res, err := Apply(ctx, opts)
	if err != nil {
		c.t.Fatalf("Apply: %v", err)
	}
	checkNoSecret(c.t, c.store.snapshots())
	return res
}

// outcomes maps each address to its outcome.
func outcomes(res *ApplyResult) map[string]TaskOutcome {
	out := map[string]TaskOutcome{}
	for _, t := range res.Tasks {
		out[t.Address] = t.Outcome
	}
	return out
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestApplyGeneratesWaitsAndSaves(t *testing.T) {
	c := newApplyCase(t)
	c.api.PollsToDone = 2
	c.task(`task.p["a"]`, "a mug", 1, ActionGenerate, "assets/a.png")
	c.task(`task.p["b"]`, "a bowl", 2, ActionGenerate, "assets/b1.png", "assets/b2.png")
	c.task(`task.p["c"]`, "a cup", 1, ActionGenerate)
	res := c.apply(context.Background(), c.options())

	want := map[string]TaskOutcome{`task.p["a"]`: AppliedCompleted, `task.p["b"]`: AppliedCompleted, `task.p["c"]`: AppliedCompleted}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if res.Failed() || res.Generated != 3 || res.FilesSaved != 3 || !res.Written {
		t.Fatalf("result: %+v", res)
	}
	if got, want := res.Spent.String(), "0.05000000"; got != want {
		t.Errorf("spent %s, want %s", got, want)
	}
	for addr, rec := range c.state.Tasks {
		if rec.Status != mynth.StatusCompleted || len(rec.Result) == 0 || len(rec.Request) == 0 {
			t.Errorf("%s recorded as %+v", addr, rec)
		}
		for _, f := range rec.Files {
			b, err := os.ReadFile(filepath.Join(c.dir, f.Path))
			if err != nil {
				t.Fatal(err)
			}
			if sha(b) != f.SHA256 || int64(len(b)) != f.Size || f.ImageID == "" || f.URL == "" {
				t.Errorf("%s: saved file %+v does not match disk (sha %s, %d bytes)", addr, f, sha(b), len(b))
			}
		}
	}
	if n := len(c.state.Tasks[`task.p["b"]`].Files); n != 2 {
		t.Errorf("task b has %d saved files, want 2", n)
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(filepath.Join(c.dir, "assets"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"a.png", "b1.png", "b2.png"}, names); diff != "" {
		t.Errorf("assets (-want +got):\n%s", diff)
	}
	if c.prog.started != 3 || len(c.prog.created) != 3 || len(c.prog.finished) != 3 {
		t.Errorf("progress: started %d, created %v, finished %d", c.prog.started, c.prog.created, len(c.prog.finished))
	}

	// Every created task was saved as pending before it was waited for.
	snaps := c.store.snapshots()
	for _, addr := range []string{`task.p["a"]`, `task.p["b"]`, `task.p["c"]`} {
		var first *state.Task
		for _, s := range snaps {
			var f state.File
			if err := json.Unmarshal(s, &f); err != nil {
				t.Fatal(err)
			}
			if rec := f.Tasks[addr]; rec != nil {
				first = rec
				break
			}
		}
		if first == nil || first.Status != mynth.StatusPending || first.ID == "" || len(first.Request) == 0 {
			t.Errorf("%s first saved as %+v, want pending with id and request", addr, first)
		}
	}

	// A second apply of an empty plan changes nothing and writes nothing.
	writes := len(c.store.snapshots())
	empty := &Plan{}
	for _, tp := range c.plan.Tasks {
		empty.Tasks = append(empty.Tasks, &TaskPlan{Address: tp.Address, Action: ActionNone, ID: c.state.Tasks[tp.Address].ID})
	}
	opts := c.options()
	opts.Plan = empty
	opts.ToolVersion = "other"
	res = c.apply(context.Background(), opts)
	if res.Written || len(c.store.snapshots()) != writes || len(res.Tasks) != 0 || res.Failed() {
		t.Errorf("no-op apply: written %v, %d writes (was %d), tasks %+v", res.Written, len(c.store.snapshots()), writes, res.Tasks)
	}
}

func TestApplyFailures(t *testing.T) {
	c := newApplyCase(t)
	c.task("task.ok", "fine", 1, ActionGenerate, "ok.png")
	c.task("task.failed", "bad [[fail]]", 1, ActionGenerate, "failed.png")
	c.task("task.img", "half [[fail-image]]", 2, ActionGenerate, "img1.png", "img2.png")
	c.task("task.unknown", "lost [[unknown]]", 1, ActionGenerate)
	res := c.apply(context.Background(), c.options())

	want := map[string]TaskOutcome{
		"task.ok": AppliedCompleted, "task.failed": AppliedFailed,
		"task.img": AppliedCompleted, "task.unknown": AppliedUnknownOutcome,
	}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if !res.Failed() {
		t.Error("the apply should fail")
	}
	// The unknown outcome was not retried: one creation per task.
	if n := c.api.generates.Load(); n != 4 {
		t.Errorf("%d creations, want 4", n)
	}
	if _, ok := c.state.Tasks["task.unknown"]; ok {
		t.Error("a task of unknown outcome was recorded")
	}
	// Its write-ahead record stays, saying why; the others' are gone.
	if at := c.state.Attempts["task.unknown"]; len(c.state.Attempts) != 1 || at == nil || !strings.Contains(at.Error, "connection reset") ||
		!strings.Contains(string(at.Request), "lost [[unknown]]") || !strings.HasPrefix(at.ID, "att_") {
		t.Errorf("attempts after apply: %+v", c.state.Attempts)
	}
	for _, tr := range res.Tasks {
		switch tr.Address {
		case "task.unknown":
			if !strings.Contains(tr.Message, "mynthform import 'task.unknown' ID") || !strings.Contains(tr.Message, "cost money") {
				t.Errorf("unknown outcome message: %s", tr.Message)
			}
		case "task.img":
			got := map[string]string{}
			for _, f := range tr.Files {
				got[f.Path] = f.State
			}
			if diff := cmp.Diff(map[string]string{"img1.png": FileResultSaved, "img2.png": FileResultNotSaved}, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			// A failed image is the task's result, not apply's failure:
			// its file check after apply fails the run, with the
			// severity of the task's expect block.
			if tr.Failed() {
				t.Error("a failed image's file failed the apply itself")
			}
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "img2.png")); !os.IsNotExist(err) {
		t.Errorf("the failed image's file exists: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "failed.png")); !os.IsNotExist(err) {
		t.Errorf("the failed task's file exists: %v", err)
	}
}

func TestApplyRecordsAdoptUpdateForget(t *testing.T) {
	c := newApplyCase(t)
	done := &mynth.Task{ID: "tsk_adopt", Status: mynth.StatusCompleted, Request: &mynth.Request{Prompt: &mynth.Prompt{Positive: "x"}},
		Result: &mynth.Result{Images: []mynth.Image{{Status: mynth.ImageSucceeded, ID: "img_1", URL: "https://cdn.example/img_1.png"}},
			Cost: &mynth.Cost{Images: mynth.MustParseAmount("0.0125"), Total: mynth.MustParseAmount("0.0125")}}}
	c.api.add(done)
	c.state.Tasks["task.gone"] = &state.Task{ID: "tsk_gone", Status: mynth.StatusCompleted}
	c.state.Tasks["task.upd"] = &state.Task{ID: "tsk_upd", Status: mynth.StatusPending}
	upd := &mynth.Task{ID: "tsk_upd", Status: mynth.StatusCompleted, Result: &mynth.Result{Images: []mynth.Image{}}}
	c.api.add(upd)

	adopt := c.task("task.adopt", "x", 1, ActionAdopt, "adopt.png")
	adopt.ID, adopt.Observed = "tsk_adopt", done
	u := c.task("task.upd", "y", 1, ActionUpdate)
	u.ID, u.Observed = "tsk_upd", upd
	c.plan.Tasks = append(c.plan.Tasks, &TaskPlan{Address: "task.gone", ID: "tsk_gone", Action: ActionForget})

	res := c.apply(context.Background(), c.options())
	if res.Adopted != 1 || res.Updated != 1 || res.Forgotten != 1 || res.Generated != 0 {
		t.Errorf("counts: %+v", res)
	}
	if c.api.generates.Load() != 0 {
		t.Error("apply created a task")
	}
	var addrs []string
	for a := range c.state.Tasks {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	if diff := cmp.Diff([]string{"task.adopt", "task.upd"}, addrs); diff != "" {
		t.Errorf("state addresses (-want +got):\n%s", diff)
	}
	if got := c.state.Tasks["task.upd"].Status; got != mynth.StatusCompleted {
		t.Errorf("updated status %s", got)
	}
	if f := c.state.Tasks["task.adopt"].Files; len(f) != 1 || f[0].ImageID != "img_1" {
		t.Errorf("adopted task's files: %+v", f)
	}
}

func TestApplyBudgetGuard(t *testing.T) {
	c := newApplyCase(t)
	// One recorded task teaches the guard the price of model m1.
	c.state.Tasks["task.old"] = &state.Task{ID: "tsk_old", Status: mynth.StatusCompleted,
		Request: json.RawMessage(`{"model":"m1","prompt":"old"}`),
		Result:  json.RawMessage(`{"cost":{"images":"0.01250000","total":"0.01250000"},"images":[{"cost":"0.01250000","id":"i","status":"succeeded","url":"u"}]}`)}
	max := mynth.MustParseAmount("0.05")
	c.spec.Budget = &spec.Budget{MaxTotal: &max}
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		c.task("task."+k, "p "+k, 1, ActionGenerate)
	}
	res := c.apply(context.Background(), c.options())
	want := map[string]TaskOutcome{"task.a": AppliedCompleted, "task.b": AppliedCompleted, "task.c": AppliedCompleted,
		"task.d": AppliedNotCreated, "task.e": AppliedNotCreated}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"task.d", "task.e"}, res.NotCreated); diff != "" {
		t.Errorf("not created (-want +got):\n%s", diff)
	}
	if !strings.Contains(res.BudgetMessage, "budget.max_total $0.05") || !res.Failed() {
		t.Errorf("budget message %q, failed %v", res.BudgetMessage, res.Failed())
	}
}

func TestApplyBudgetUnknownPriceLearnsFirst(t *testing.T) {
	c := newApplyCase(t)
	c.api.PollsToDone = 1
	c.spec.Budget = &spec.Budget{MaxTotal: amountPtr("0.03")}
	for _, k := range []string{"a", "b", "c", "d"} {
		c.task("task."+k, "p "+k, 1, ActionGenerate)
	}
	opts := c.options()
	opts.Parallelism = 8
	res := c.apply(context.Background(), opts)
	want := map[string]TaskOutcome{"task.a": AppliedCompleted, "task.b": AppliedCompleted,
		"task.c": AppliedNotCreated, "task.d": AppliedNotCreated}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if res.Spent.Cmp(mynth.MustParseAmount("0.03")) > 0 {
		t.Errorf("spent %s over the budget", res.Spent)
	}
}

func TestApplyNoWaitRecordsPending(t *testing.T) {
	c := newApplyCase(t)
	c.task("task.a", "a", 1, ActionGenerate, "a.png")
	opts := c.options()
	opts.Wait = false
	res := c.apply(context.Background(), opts)
	if res.Failed() || outcomes(res)["task.a"] != AppliedPending {
		t.Fatalf("result %+v", res.Tasks[0])
	}
	if rec := c.state.Tasks["task.a"]; rec == nil || rec.Status != mynth.StatusPending {
		t.Fatalf("recorded %+v", rec)
	}

	// The next apply waits for the recorded pending task and saves its file.
	next := newApplyCase(t)
	next.dir, next.state, next.store, next.api, next.spec = c.dir, c.state, c.store, c.api, c.spec
	next.plan.Tasks = []*TaskPlan{{Address: "task.a", ID: c.state.Tasks["task.a"].ID, Action: ActionNone, RequestVerifiable: true}}
	res = next.apply(context.Background(), next.options())
	if res.Failed() || outcomes(res)["task.a"] != AppliedCompleted || res.Generated != 0 {
		t.Fatalf("second apply: %+v", res.Tasks[0])
	}
	if _, err := os.Stat(filepath.Join(c.dir, "a.png")); err != nil {
		t.Error(err)
	}
}

func TestApplyWaitTimeout(t *testing.T) {
	c := newApplyCase(t)
	c.api.PollsToDone = 1 << 30
	c.task("task.slow", "slow", 1, ActionGenerate)
	opts := c.options()
	opts.WaitTimeout = 30 * time.Millisecond
	res := c.apply(context.Background(), opts)
	tr := res.Tasks[0]
	if tr.Outcome != AppliedPending || !tr.TimedOut || !res.Failed() || !strings.Contains(tr.Message, "--wait-timeout") {
		t.Fatalf("result %+v", tr)
	}
	if c.state.Tasks["task.slow"].Status != mynth.StatusPending {
		t.Error("the slow task is not recorded as pending")
	}
}

func TestApplyInterrupted(t *testing.T) {
	c := newApplyCase(t)
	c.api.PollsToDone = 1 << 30
	ctx, cancel := context.WithCancel(context.Background())
	var created int
	c.api.OnGenerate = func(mynth.Request) {
		created++
		if created == 2 {
			// Ctrl-C once the second creation is on its way.
			cancel()
		}
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		c.task("task."+k, "p "+k, 1, ActionGenerate)
	}
	opts := c.options()
	opts.Parallelism = 1
	res := c.apply(ctx, opts)
	if !res.Interrupted {
		t.Error("not marked interrupted")
	}
	// Every task Mynth holds is in the state.
	recorded := map[string]bool{}
	for _, rec := range c.state.Tasks {
		recorded[rec.ID] = true
	}
	for _, id := range c.api.taskIDs() {
		if !recorded[id] {
			t.Errorf("task %s exists in Mynth but not in the state", id)
		}
	}
	if n := c.api.generates.Load(); n > 2 {
		t.Errorf("%d creations after Ctrl-C, want at most 2", n)
	}
	if got := outcomes(res)["task.d"]; got != AppliedNotCreated {
		t.Errorf("task.d: %s", got)
	}
}

func TestApplyHostileFiles(t *testing.T) {
	c := newApplyCase(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(c.dir, "escape")); err != nil {
		t.Skip("no symlinks:", err)
	}
	if err := os.WriteFile(filepath.Join(outside, "target.png"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "target.png"), filepath.Join(c.dir, "link.png")); err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join(outside, "abs.png"), "../up.png", "a/../../up2.png", "escape/x.png", "escape/deep/y.png", "link.png"}
	for i, p := range paths {
		c.task(fmt.Sprintf("task.h%d", i), "hostile", 1, ActionGenerate, "ok.png", p)
	}
	// A symlink that appears after the task is created is refused when
	// apply writes.
	c.task("task.late", "late", 2, ActionGenerate, "fine/a.png", "late/b.png")
	c.api.OnGenerate = func(req mynth.Request) {
		if req.Prompt.Positive == "late" {
			if err := os.Symlink(outside, filepath.Join(c.dir, "late")); err != nil {
				t.Error(err)
			}
		}
	}
	opts := c.options()
	opts.Parallelism = 1
	res := c.apply(context.Background(), opts)
	for _, tr := range res.Tasks {
		if tr.Address == "task.late" {
			got := map[string]string{}
			for _, f := range tr.Files {
				got[f.Path] = f.State
			}
			if diff := cmp.Diff(map[string]string{"fine/a.png": FileResultSaved, "late/b.png": FileResultFailed}, got); diff != "" {
				t.Errorf("task.late files (-want +got):\n%s", diff)
			}
			continue
		}
		if tr.Outcome != AppliedError || !strings.HasPrefix(tr.Message, "Not created: ") {
			t.Errorf("%s: %s: %s", tr.Address, tr.Outcome, tr.Message)
		}
	}
	if n := c.api.generates.Load(); n != 1 {
		t.Errorf("%d tasks created, want only task.late", n)
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		t.Errorf("something was written outside the spec directory: %v", entries)
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "target.png")); string(b) != "keep" {
		t.Error("a symlink was written through")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(c.dir), "up.png")); err == nil {
		t.Error("../up.png was written")
	}
	if _, err := os.Stat(filepath.Join(c.dir, "ok.png")); err == nil {
		t.Error("a refused task's other file was written")
	}
}

func TestApplyRestoresModifiedFile(t *testing.T) {
	c := newApplyCase(t)
	c.task("task.a", "a", 1, ActionGenerate, "a.png")
	c.apply(context.Background(), c.options())
	rec := c.state.Tasks["task.a"]
	want := rec.Files[0].SHA256
	path := filepath.Join(c.dir, "a.png")

	for _, damage := range []func() error{
		func() error { return os.WriteFile(path, []byte("scribbled over"), 0o644) },
		func() error { return os.Remove(path) },
	} {
		if err := damage(); err != nil {
			t.Fatal(err)
		}
		next := newApplyCase(t)
		next.dir, next.state, next.store, next.api, next.spec = c.dir, c.state, c.store, c.api, c.spec
		next.plan.Tasks = []*TaskPlan{{Address: "task.a", ID: rec.ID, Action: ActionUpdate, RequestVerifiable: true, Observed: mustTask(t, c.api, rec.ID)}}
		writes := len(c.store.snapshots())
		res := next.apply(context.Background(), next.options())
		if res.Failed() || res.FilesRestored != 1 {
			t.Fatalf("restore: %+v", res.Tasks)
		}
		b, err := os.ReadFile(path)
		if err != nil || sha(b) != want {
			t.Fatalf("restored file sha %s, want %s (%v)", sha(b), want, err)
		}
		if len(c.store.snapshots()) != writes {
			t.Error("restoring the same bytes changed the state")
		}
	}
}

func mustTask(t *testing.T, api *applyFake, id string) *mynth.Task {
	t.Helper()
	task, err := api.Task(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestCheckImagePath(t *testing.T) {
	root, err := applyRealDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := &applier{root: root}
	files, err := a.openFiles()
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	tests := []struct {
		rel  string
		want string // "" when refused
	}{
		{"a.png", "a.png"},
		{"dir/sub/b.png", "dir/sub/b.png"},
		{"./c.png", "c.png"},
		{"dir/../y.png", "y.png"},
		{"/etc/passwd", ""},
		{"..", ""},
		{"../x.png", ""},
		{"dir/../../x.png", ""},
		{"", ""},
		{".", ""},
		{".git/HEAD", ""},
		{"main.mynth.hcl", ""},
		{".mynthform/emulator.json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			got, err := a.checkImagePath(files, tt.rel, a.stateFiles(files))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("accepted %q as %s", tt.rel, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, filepath.ToSlash(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyRestoresFromCurrentURL(t *testing.T) {
	c := newApplyCase(t)
	c.task("task.a", "a", 1, ActionGenerate, "a.png")
	c.apply(context.Background(), c.options())
	rec := c.state.Tasks["task.a"]
	// The recorded URL no longer answers; the task now gives another URL
	// for the same image.
	c.api.mu.Lock()
	old := rec.Files[0].URL
	c.api.images["https://cdn2.example/a.png"] = c.api.images[old]
	delete(c.api.images, old)
	c.api.tasks[rec.ID].Result.Images[0].URL = "https://cdn2.example/a.png"
	c.api.mu.Unlock()
	if err := os.Remove(filepath.Join(c.dir, "a.png")); err != nil {
		t.Fatal(err)
	}
	next := newApplyCase(t)
	next.dir, next.state, next.store, next.api, next.spec = c.dir, c.state, c.store, c.api, c.spec
	next.plan.Tasks = []*TaskPlan{{Address: "task.a", ID: rec.ID, Action: ActionUpdate, RequestVerifiable: true, Observed: mustTask(t, c.api, rec.ID)}}
	res := next.apply(context.Background(), next.options())
	if res.Failed() || res.FilesRestored != 1 {
		t.Fatalf("restore: %+v", res.Tasks[0])
	}
	if got := c.state.Tasks["task.a"].Files[0].URL; got != "https://cdn2.example/a.png" {
		t.Errorf("recorded URL %s", got)
	}
}

// A task pending in the state when apply starts costs money once it
// finishes: the budget guard counts its worst case before creating more.
func TestApplyBudgetCountsRecordedPending(t *testing.T) {
	c := newApplyCase(t)
	// A finished task teaches the guard the price of m1 ($0.0125 an image).
	c.state.Tasks["task.old"] = &state.Task{ID: "tsk_old", Status: mynth.StatusCompleted,
		Request: json.RawMessage(`{"model":"m1","prompt":"old"}`),
		Result:  json.RawMessage(`{"cost":{"images":"0.01250000","total":"0.01250000"},"images":[{"cost":"0.01250000","id":"i","status":"succeeded","url":"u"}]}`)}
	// Two tasks of two images each, created by an earlier apply with
	// --wait=false: $0.05 once they finish.
	for _, k := range []string{"p1", "p2"} {
		tp := c.task("task."+k, k, 2, ActionNone)
		c.api.add(&mynth.Task{ID: "tsk_" + k, Status: mynth.StatusPending, Request: tp.Request})
		req, _ := json.Marshal(tp.Request)
		c.state.Tasks[tp.Address] = &state.Task{ID: "tsk_" + k, Status: mynth.StatusPending, Request: req}
	}
	c.api.PollsToDone = 3
	c.spec.Budget = &spec.Budget{MaxTotal: amountPtr("0.06")}
	c.task("task.new", "new", 1, ActionGenerate)

	res := c.apply(context.Background(), c.options())
	want := map[string]TaskOutcome{"task.p1": AppliedCompleted, "task.p2": AppliedCompleted, "task.new": AppliedNotCreated}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
}

// echoFake answers reads with the request in another shape than the one
// sent: the prompt as an object, the size as a resolution object, count
// and model defaults added, output with its default quality.
type echoFake struct{ *applyFake }

func (f echoFake) Task(ctx context.Context, id string) (*mynth.Task, error) {
	t, err := f.applyFake.Task(ctx, id)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(t.Raw, &doc); err != nil {
		return nil, err
	}
	req := doc["request"].(map[string]any)
	if p, ok := req["prompt"].(string); ok {
		req["prompt"] = map[string]any{"positive": p}
	}
	if s, ok := req["size"].(string); ok && s == "1024x1024" {
		req["size"] = map[string]any{"type": "resolution", "width": 1024, "height": 1024}
	}
	if _, ok := req["count"]; !ok {
		req["count"] = 1
	}
	if _, ok := req["model"]; !ok {
		req["model"] = "auto"
	}
	if o, ok := req["output"].(map[string]any); ok {
		o["quality"] = 90
	}
	req["inputs"] = []any{map[string]any{"type": "image", "source": map[string]any{"type": "url", "url": "https://x/in.png"}}}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var out mynth.Task
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	out.Raw = raw
	return &out, nil
}

// A task generated by apply plans clean afterwards, whatever shape the API
// echoes its request in.
func TestApplyThenPlanCleanWithEchoedRequest(t *testing.T) {
	c := newApplyCase(t)
	req := mynth.Request{Prompt: &mynth.Prompt{Positive: "a mug"}, Size: &mynth.Size{Preset: "1024x1024"},
		Count: 1, Output: &mynth.Output{Format: "png"}, Inputs: []mynth.Input{{URL: "https://x/in.png"}}}
	st := &spec.Task{Address: "task.a", Request: req, Files: []string{"a.png"},
		Expect: &spec.Expect{Status: mynth.StatusCompleted, Images: 1, Severity: spec.SeverityError}}
	c.spec.Tasks = []*spec.Task{st}
	api := echoFake{c.api}
	p, err := MakePlan(context.Background(), Options{Spec: c.spec, State: c.state, API: api, Refresh: true, HasAPIKey: true, Dir: c.dir})
	if err != nil {
		t.Fatal(err)
	}
	opts := c.options()
	opts.Plan, opts.API = p, api
	if res := c.apply(context.Background(), opts); res.Failed() {
		t.Fatalf("apply: %+v", res.Tasks[0])
	}
	p, err = MakePlan(context.Background(), Options{Spec: c.spec, State: c.state, API: api, Refresh: true, HasAPIKey: true, Dir: c.dir})
	if err != nil {
		t.Fatal(err)
	}
	if tp := p.Tasks[0]; tp.Action != ActionNone || p.Failed() {
		t.Fatalf("replan: %s (%s), changes %+v", tp.Action, tp.Reason, tp.Changes)
	}
}

// TestApplyLateLinkOntoTheState: a link that appears after the plan (so
// after validate) and would lead an image onto the state file, its lock
// or into .git is refused when apply writes, and those files keep their
// bytes.
func TestApplyLateLinkOntoTheState(t *testing.T) {
	c := newApplyCase(t)
	for name, content := range map[string]string{"mynth.state.json": "STATE", "mynth.state.json.lock": "", ".git/HEAD": "ref: refs/heads/main\n"} {
		p := filepath.Join(c.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c.task("task.late", "late", 4, ActionGenerate, "fine.png", "late/mynth.state.json", "late/mynth.state.json.lock", "git/HEAD")
	c.api.OnGenerate = func(mynth.Request) {
		if err := os.Symlink(".", filepath.Join(c.dir, "late")); err != nil {
			t.Error(err)
		}
		if err := os.Symlink(".git", filepath.Join(c.dir, "git")); err != nil {
			t.Error(err)
		}
	}
	opts := c.options()
	opts.Protected = []ProtectedFile{
		{Path: filepath.Join(c.dir, "mynth.state.json"), What: "the state file"},
		{Path: filepath.Join(c.dir, "mynth.state.json.backup"), What: "the state file's backup"},
		{Path: filepath.Join(c.dir, "mynth.state.json.lock"), What: "the state file's lock"},
	}
	res := c.apply(context.Background(), opts)
	got := map[string]string{}
	for _, f := range res.Tasks[0].Files {
		got[f.Path] = f.State + ": " + f.Message
	}
	for path, want := range map[string]string{
		"late/mynth.state.json":      "is the state file",
		"late/mynth.state.json.lock": "is the state file's lock",
		"git/HEAD":                   "lies in .git/",
	} {
		if !strings.HasPrefix(got[path], FileResultFailed) || !strings.Contains(got[path], want) {
			t.Errorf("%s: %q, want a failure saying %q", path, got[path], want)
		}
	}
	if got["fine.png"] != FileResultSaved+": " {
		t.Errorf("fine.png: %s", got["fine.png"])
	}
	for name, want := range map[string]string{"mynth.state.json": "STATE", "mynth.state.json.lock": "", ".git/HEAD": "ref: refs/heads/main\n"} {
		if b, _ := os.ReadFile(filepath.Join(c.dir, name)); string(b) != want {
			t.Errorf("%s now holds %.40q", name, b)
		}
	}
}

// TestStrayDownloadOf tells a killed download's temporary file from the
// user's files.
func TestStrayDownloadOf(t *testing.T) {
	names := map[string]bool{"mug.png": true, "img1": true}
	for name, want := range map[string]bool{
		".mug.png123.tmp":   true,
		".mug.png.123.tmp":  true,
		".img11234.tmp":     true,
		".mug.png.tmp":      false,
		".mug.png123":       false,
		"mug.png123.tmp":    false,
		".bowl.png123.tmp":  false,
		".mug.pngx123.tmp":  false,
		".mug.png..123.tmp": false,
	} {
		if got := strayDownloadOf(name, names); got != want {
			t.Errorf("strayDownloadOf(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestStateFilesThroughALink: a state file that is a symbolic link is
// reserved both as the link and as the file it leads to, and one that is
// not (or does not exist yet) as itself, once.
func TestStateFilesThroughALink(t *testing.T) {
	root, err := applyRealDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "data", "real.json"), []byte("STATE"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("data", "real.json"), filepath.Join(root, "mynth.state.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "mynth.state.json.lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a := &applier{root: root, opts: ApplyOptions{Protected: []ProtectedFile{
		{Path: filepath.Join(root, "mynth.state.json"), What: "the state file"},
		{Path: filepath.Join(root, "mynth.state.json.backup"), What: "the state file's backup"},
		{Path: filepath.Join(root, "mynth.state.json.lock"), What: "the state file's lock"},
	}}}
	files, err := a.openFiles()
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	var got []string
	for _, rf := range a.stateFiles(files) {
		got = append(got, fmt.Sprintf("%s %s %v", rf.what, rf.rel, rf.info != nil))
	}
	want := []string{
		"the state file mynth.state.json true",
		"the state file data/real.json true",
		"the state file's backup mynth.state.json.backup false",
		"the state file's lock mynth.state.json.lock true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("reserved:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := a.checkImagePath(files, "data/real.json", a.stateFiles(files)); err == nil || !strings.Contains(err.Error(), "is the state file") {
		t.Errorf("an image at the state file the link leads to: %v", err)
	}
}
