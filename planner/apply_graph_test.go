package planner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// inputFile writes a real image at rel inside the case's directory and
// returns the spec's file input for it.
func (c *applyCase) inputFile(rel string, seed uint64) spec.Input {
	c.t.Helper()
	data, err := mynthtest.SampleImage("png", seed)
	if err != nil {
		c.t.Fatal(err)
	}
	p := filepath.Join(c.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		c.t.Fatal(err)
	}
	return spec.Input{Role: "reference", File: &spec.FileInput{Path: rel, SHA256: sha(data), Size: int64(len(data)), ContentType: "image/png"}}
}

// withInputs gives the spec task of tp its inputs.
func (c *applyCase) withInputs(tp *TaskPlan, inputs ...spec.Input) {
	for _, st := range c.spec.Tasks {
		if st.Address == tp.Address {
			st.Inputs = inputs
		}
	}
}

func refInput(addr string, image int) spec.Input {
	return spec.Input{Role: "init", Ref: &spec.Ref{Address: addr, Attr: spec.RefImageURL, Index: image}}
}

// generated records every request the fake is asked to create, in order.
type generated struct {
	mu   sync.Mutex
	reqs []mynth.Request
}

func (g *generated) hook(req mynth.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = append(g.reqs, req)
}

func (g *generated) byPrompt(p string) (mynth.Request, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, r := range g.reqs {
		if r.Prompt != nil && r.Prompt.Positive == p {
			return r, i
		}
	}
	return mynth.Request{}, -1
}

func TestApplyUploadsEachContentOnceInBatches(t *testing.T) {
	c := newApplyCase(t)
	var all []spec.Input
	for i := range 12 {
		all = append(all, c.inputFile(fmt.Sprintf("refs/r%02d.png", i), uint64(i)))
	}
	// The same content at another path is not sent again.
	dup := c.inputFile("refs/copy-of-r03.png", 3)
	// One content the state already holds an upload of, at another path.
	c.state.Uploads = map[string]*state.Upload{"old/r00.png": {SHA256: all[0].File.SHA256, Size: all[0].File.Size, URL: "https://uploads.test/kept.png"}}
	var gen generated
	c.api.OnGenerate = gen.hook
	a := c.task("task.a", "a", 1, ActionGenerate)
	c.withInputs(a, all[:11]...)
	b := c.task("task.b", "b", 1, ActionGenerate)
	c.withInputs(b, all[5], all[11], dup)
	progress := &captureProgress{}
	opts := c.options()
	opts.Progress = progress
	res := c.apply(context.Background(), opts)
	if res.Failed() {
		t.Fatalf("apply failed: %+v", res.Tasks[0])
	}
	// 11 contents to send (r00 is kept): one request of 10, one of 1.
	if len(c.api.uploads) != 2 || len(c.api.uploads[0]) != 10 || len(c.api.uploads[1]) != 1 || res.Uploaded != 11 {
		t.Fatalf("uploads %v (%d), want requests of 10 and 1", c.api.uploads, res.Uploaded)
	}
	// The progress hears of each request, by the paths sent.
	if diff := cmp.Diff(c.api.uploads, progress.uploaded); diff != "" {
		t.Errorf("uploads reported to the progress (-sent +reported):\n%s", diff)
	}
	r03 := 0
	for _, batch := range c.api.uploads {
		if slices.Contains(batch, "refs/r00.png") {
			t.Errorf("uploaded again: %v", batch)
		}
		for _, name := range batch {
			if name == "refs/r03.png" || name == "refs/copy-of-r03.png" {
				r03++
			}
		}
	}
	if r03 != 1 {
		t.Errorf("the content of r03.png was sent %d times, want once", r03)
	}
	for _, in := range append(all, dup) {
		u := c.state.Uploads[in.File.Path]
		if u == nil || u.SHA256 != in.File.SHA256 || u.Size != in.File.Size || u.URL == "" {
			t.Errorf("%s recorded as %+v", in.File.Path, u)
		}
	}
	if c.state.Uploads["refs/r00.png"].URL != "https://uploads.test/kept.png" || c.state.Uploads["refs/copy-of-r03.png"].URL != c.state.Uploads["refs/r03.png"].URL {
		t.Errorf("a known content got a new URL: %+v", c.state.Uploads)
	}
	reqB, _ := gen.byPrompt("b")
	want := []mynth.Input{
		{URL: c.state.Uploads["refs/r05.png"].URL, Role: "reference"},
		{URL: c.state.Uploads["refs/r11.png"].URL, Role: "reference"},
		{URL: c.state.Uploads["refs/r03.png"].URL, Role: "reference"},
	}
	if diff := cmp.Diff(want, reqB.Inputs); diff != "" {
		t.Errorf("task.b's request inputs (-want +got):\n%s", diff)
	}
	// The recorded request is the one sent, with the URLs.
	if !strings.Contains(string(c.state.Tasks["task.b"].Request), c.state.Uploads["refs/r11.png"].URL) {
		t.Errorf("recorded request %s lacks the uploaded URL", c.state.Tasks["task.b"].Request)
	}

	// A second apply that creates another task from the same files
	// uploads nothing.
	c.plan.Tasks = nil
	d := c.task("task.d", "d", 1, ActionGenerate)
	c.withInputs(d, all...)
	before := len(c.api.uploads)
	res = c.apply(context.Background(), c.options())
	if res.Failed() || len(c.api.uploads) != before || res.Uploaded != 0 {
		t.Errorf("second apply: failed %v, %d more upload requests", res.Failed(), len(c.api.uploads)-before)
	}
}

func TestApplyUploadFailureStopsOnlyItsTasks(t *testing.T) {
	c := newApplyCase(t)
	good := c.inputFile("refs/good.png", 1)
	bad := c.inputFile("refs/bad.png", 2)
	// The file changes between plan and apply: apply refuses to send it.
	if err := os.WriteFile(filepath.Join(c.dir, "refs", "bad.png"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok := c.task("task.ok", "ok", 1, ActionGenerate)
	c.withInputs(ok, good)
	broken := c.task("task.broken", "broken", 1, ActionGenerate)
	c.withInputs(broken, good, bad)
	down := c.task("task.down", "down", 1, ActionGenerate)
	c.withInputs(down, refInput("task.broken", 0))
	res := c.apply(context.Background(), c.options())
	got := outcomes(res)
	want := map[string]TaskOutcome{"task.ok": AppliedCompleted, "task.broken": AppliedError, "task.down": AppliedNotCreated}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	msgs := map[string]string{}
	for _, tr := range res.Tasks {
		msgs[tr.Address] = tr.Message
	}
	if m := msgs["task.broken"]; !strings.Contains(m, "refs/bad.png: it changed since the plan was made") {
		t.Errorf("task.broken: %s", m)
	}
	if m := msgs["task.down"]; !strings.Contains(m, "its input task.broken was not created") {
		t.Errorf("task.down: %s", m)
	}
	if c.state.Uploads["refs/bad.png"] != nil || c.state.Uploads["refs/good.png"] == nil {
		t.Errorf("uploads recorded: %v", c.state.Uploads)
	}
}

func TestApplyUploadRefusedByMynth(t *testing.T) {
	c := newApplyCase(t)
	a1, a2 := c.inputFile("refs/a1.png", 1), c.inputFile("refs/a2.png", 2)
	api := &refusingUploads{applyFake: c.api, refuse: "refs/a2.png"}
	tpA := c.task("task.a", "a", 1, ActionGenerate)
	c.withInputs(tpA, a1)
	tpB := c.task("task.b", "b", 1, ActionGenerate)
	c.withInputs(tpB, a2)
	opts := c.options()
	opts.API = api
	res := c.apply(context.Background(), opts)
	if diff := cmp.Diff(map[string]TaskOutcome{"task.a": AppliedCompleted, "task.b": AppliedError}, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	// The batch went out whole, then again without the refused file.
	if diff := cmp.Diff([][]string{{"refs/a1.png"}}, c.api.uploads); diff != "" || api.calls != 2 {
		t.Errorf("accepted uploads (-want +got):\n%s (calls %d)", diff, api.calls)
	}
	for _, tr := range res.Tasks {
		if tr.Address == "task.b" && !strings.Contains(tr.Message, "refs/a2.png: uploading it failed: POST /image/upload: 400") {
			t.Errorf("task.b: %s", tr.Message)
		}
	}
}

// refusingUploads answers 400 on images[N] for the file named refuse.
type refusingUploads struct {
	*applyFake
	refuse string
	calls  int
}

func (r *refusingUploads) Upload(ctx context.Context, files []mynth.UploadFile) ([]string, error) {
	r.calls++
	for i, f := range files {
		if f.Name == r.refuse {
			return nil, &mynth.APIError{Method: "POST", Path: "/image/upload", StatusCode: 400, Code: "validation_error", Message: "not an image", Field: fmt.Sprintf("images[%d]", i)}
		}
	}
	return r.applyFake.Upload(ctx, files)
}

// TestApplyChain: final takes the sketch's image; it is created only
// once the sketch completed, with the sketch's URL in its request, while
// an independent task goes on at once.
func TestApplyChain(t *testing.T) {
	c := newApplyCase(t)
	c.api.PollsToDone = 3
	var gen generated
	var sketchDoneAtFinal, otherBeforeSketchDone bool
	c.api.OnGenerate = func(req mynth.Request) {
		gen.hook(req)
		c.api.mu.Lock()
		defer c.api.mu.Unlock()
		sketchDone := false
		for _, tk := range c.api.tasks {
			if tk.Request.Prompt.Positive == "sketch" && tk.Status == mynth.StatusCompleted {
				sketchDone = true
			}
		}
		switch req.Prompt.Positive {
		case "final":
			sketchDoneAtFinal = sketchDone
		case "other":
			otherBeforeSketchDone = !sketchDone
		}
	}
	final := c.task("task.final", "final", 1, ActionGenerate)
	c.withInputs(final, refInput("task.sketch", 0))
	c.task("task.sketch", "sketch", 1, ActionGenerate)
	c.task("task.other", "other", 1, ActionGenerate)
	res := c.apply(context.Background(), c.options())
	if res.Failed() || res.Generated != 3 {
		t.Fatalf("apply: %+v", outcomes(res))
	}
	if !sketchDoneAtFinal || !otherBeforeSketchDone {
		t.Errorf("order: sketch done when final was created %v; other created before the sketch finished %v", sketchDoneAtFinal, otherBeforeSketchDone)
	}
	res1 := applyParseResult(c.state.Tasks["task.sketch"].Result)
	reqFinal, _ := gen.byPrompt("final")
	if diff := cmp.Diff([]mynth.Input{{URL: res1.Images[0].URL, Role: "init"}}, reqFinal.Inputs); diff != "" {
		t.Errorf("final's inputs (-want +got):\n%s", diff)
	}
}

// TestApplyFailedUpstreamStopsOnlyDescendants: a sketch fails; the two
// tasks below it are not created, each message naming its own input; the
// independent branch and a task of the same upstream's sibling go on.
func TestApplyFailedUpstreamStopsOnlyDescendants(t *testing.T) {
	c := newApplyCase(t)
	c.api.PollsToDone = 1
	c.task("task.sketch", "sketch [[fail]]", 1, ActionGenerate)
	mid := c.task("task.mid", "mid", 1, ActionGenerate)
	c.withInputs(mid, refInput("task.sketch", 0))
	leaf := c.task("task.leaf", "leaf", 1, ActionGenerate)
	c.withInputs(leaf, refInput("task.mid", 0))
	c.task("task.base", "base", 1, ActionGenerate)
	side := c.task("task.side", "side", 1, ActionGenerate)
	c.withInputs(side, refInput("task.base", 0))
	res := c.apply(context.Background(), c.options())
	want := map[string]TaskOutcome{
		"task.sketch": AppliedFailed, "task.mid": AppliedNotCreated, "task.leaf": AppliedNotCreated,
		"task.base": AppliedCompleted, "task.side": AppliedCompleted,
	}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	for _, tr := range res.Tasks {
		switch tr.Address {
		case "task.mid":
			if !strings.Contains(tr.Message, "its input task.sketch failed (task tsk_") {
				t.Errorf("mid: %s", tr.Message)
			}
		case "task.leaf":
			if want := "Not created: its input task.mid was not created. The tasks that do not depend on it went on; fix task.mid and run apply again."; tr.Message != want {
				t.Errorf("leaf: %s", tr.Message)
			}
		}
	}
	if n := c.api.generates.Load(); n != 3 {
		t.Errorf("%d creations, want 3 (sketch, base, side)", n)
	}
	if _, ok := c.state.Tasks["task.mid"]; ok {
		t.Error("task.mid is recorded")
	}
}

// TestApplyUpstreamAlreadyRecorded: the upstream is not acted on (it is
// recorded and completed): its recorded image URL goes into the request.
// A recorded failed upstream stops the downstream.
func TestApplyUpstreamAlreadyRecorded(t *testing.T) {
	c := newApplyCase(t)
	c.state.Tasks["task.sketch"] = &state.Task{ID: "tsk_old", Status: mynth.StatusCompleted,
		Result: []byte(`{"images":[{"status":"succeeded","id":"img_1","url":"https://cdn.example/sketch.png","cost":"0.01"}],"cost":{"images":"0.01","total":"0.01"}}`)}
	c.state.Tasks["task.broken"] = &state.Task{ID: "tsk_bad", Status: mynth.StatusFailed}
	var gen generated
	c.api.OnGenerate = gen.hook
	fin := c.task("task.final", "final", 1, ActionGenerate)
	c.withInputs(fin, refInput("task.sketch", 0))
	other := c.task("task.other", "other", 1, ActionGenerate)
	c.withInputs(other, refInput("task.broken", 0))
	res := c.apply(context.Background(), c.options())
	if diff := cmp.Diff(map[string]TaskOutcome{"task.final": AppliedCompleted, "task.other": AppliedNotCreated}, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	req, _ := gen.byPrompt("final")
	if len(req.Inputs) != 1 || req.Inputs[0].URL != "https://cdn.example/sketch.png" {
		t.Errorf("final's inputs %+v", req.Inputs)
	}
	for _, tr := range res.Tasks {
		if tr.Address == "task.other" && !strings.Contains(tr.Message, "its input task.broken failed (task tsk_bad)") {
			t.Errorf("other: %s", tr.Message)
		}
	}
}

// TestApplyChainInterrupted: Ctrl-C while the upstream is being waited
// for leaves the downstream not created, and apply returns.
func TestApplyChainInterrupted(t *testing.T) {
	c := newApplyCase(t)
	c.api.PollsToDone = 1 << 30
	c.task("task.sketch", "sketch", 1, ActionGenerate)
	fin := c.task("task.final", "final", 1, ActionGenerate)
	c.withInputs(fin, refInput("task.sketch", 0))
	ctx, cancel := context.WithCancel(context.Background())
	c.api.OnGenerate = func(mynth.Request) { go cancel() }
	res := c.apply(ctx, c.options())
	if !res.Interrupted || outcomes(res)["task.final"] != AppliedNotCreated || c.api.generates.Load() != 1 {
		t.Errorf("interrupted %v, outcomes %v, %d creations", res.Interrupted, outcomes(res), c.api.generates.Load())
	}
	if errors.Is(ctx.Err(), context.Canceled) && c.state.Tasks["task.sketch"] == nil {
		t.Error("the created sketch is not recorded")
	}
}

// TestApplyUpstreamFileInput: file = task.sketch.files[0] is read once the
// sketch saved it; a file Mynth would not take (the fake's images are
// under 1 KB) fails the downstream task with the file named, before
// anything is sent.
func TestApplyUpstreamFileInput(t *testing.T) {
	c := newApplyCase(t)
	c.task("task.sketch", "sketch", 1, ActionGenerate, "out/s.png")
	fin := c.task("task.final", "final", 1, ActionGenerate)
	c.withInputs(fin, spec.Input{Role: "init", File: &spec.FileInput{Path: "out/s.png",
		From: &spec.Ref{Address: "task.sketch", Attr: spec.RefFile, Index: 0}}})
	res := c.apply(context.Background(), c.options())
	if diff := cmp.Diff(map[string]TaskOutcome{"task.sketch": AppliedCompleted, "task.final": AppliedError}, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	for _, tr := range res.Tasks {
		if tr.Address == "task.final" && !strings.Contains(tr.Message, "out/s.png: ") || tr.Address == "task.final" && !strings.Contains(tr.Message, "at least 1024 (1 KB) required") {
			t.Errorf("final: %s", tr.Message)
		}
	}
	if len(c.api.uploads) != 0 || c.api.generates.Load() != 1 {
		t.Errorf("%d uploads, %d creations, want 0 and 1", len(c.api.uploads), c.api.generates.Load())
	}
}
