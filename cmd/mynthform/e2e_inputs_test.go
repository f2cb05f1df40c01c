package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/state"
)

// writeInput writes a real PNG that the upload endpoint takes at rel.
func writeInput(t *testing.T, dir, rel string, seed uint64) {
	t.Helper()
	b, err := mynthtest.SampleImage("png", seed)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// chainSpec: a sketch from a reference file, a final from the sketch's
// image, a variant from the final, and an independent task.
func chainSpec(sketchPrompt string) string {
	return `task "sketch" {
  prompt = "` + sketchPrompt + `"
  inputs = [{ file = "refs/mug.png", role = "reference" }]
  files  = ["out/sketch.png"]
}

task "final" {
  prompt = "A studio photo of the mug in the sketch"
  inputs = [{ url = task.sketch.images[0].url, role = "init" }, { file = "refs/mug.png", role = "reference" }]
  files  = ["out/final.png"]
}

task "variant" {
  prompt = "The final photo, in blue"
  inputs = [{ url = task.final.images[0].url, role = "init" }]
}

task "other" {
  prompt = "A bowl on its own"
}
`
}

// inputsOf returns the input URLs recorded in the request of the task at addr.
func inputsOf(t *testing.T, st *state.File, addr string) []string {
	t.Helper()
	rec := st.Tasks[addr]
	if rec == nil {
		t.Fatalf("%s is not recorded", addr)
	}
	req, err := mynth.DecodeTask([]byte(`{"id":"x","status":"pending","request":` + string(rec.Request) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, in := range req.Request.Inputs {
		urls = append(urls, in.URL)
	}
	return urls
}

func imageURL(t *testing.T, st *state.File, addr string) string {
	t.Helper()
	task, err := mynth.DecodeTask([]byte(`{"id":"x","status":"completed","result":` + string(st.Tasks[addr].Result) + `}`))
	if err != nil || task.Result == nil || len(task.Result.Images) == 0 {
		t.Fatalf("%s has no image: %v", addr, err)
	}
	return task.Result.Images[0].URL
}

// TestApplyE2EInputsAndChain runs the real binary against the emulator:
// the reference file is uploaded once, a re-plan is clean, the chain is
// created in order with each upstream's URL in its downstream's request;
// a changed file replaces everything below it; an edited sketch replaces
// its descendants and not the independent task; a failed sketch stops
// only its descendants.
func TestApplyE2EInputsAndChain(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: 100 * time.Millisecond})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeInput(t, dir, "refs/mug.png", 1)
	writeSpec(t, dir, chainSpec("A pencil sketch of a mug"))

	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "first apply")
	st := loadState(t, dir)
	if got := srv.Emulator.Stats().Uploaded; got != 1 {
		t.Errorf("%d files uploaded, want 1 (one file used twice)", got)
	}
	up := st.Uploads["refs/mug.png"]
	if up == nil || !strings.HasPrefix(up.URL, srv.URL+"/uploads/") {
		t.Fatalf("the upload is recorded as %+v", up)
	}
	if got := inputsOf(t, st, "task.sketch"); len(got) != 1 || got[0] != up.URL {
		t.Errorf("sketch inputs %v, want the uploaded URL %s", got, up.URL)
	}
	if got := inputsOf(t, st, "task.final"); len(got) != 2 || got[0] != imageURL(t, st, "task.sketch") || got[1] != up.URL {
		t.Errorf("final inputs %v, want the sketch's image and the upload", got)
	}
	if got := inputsOf(t, st, "task.variant"); len(got) != 1 || got[0] != imageURL(t, st, "task.final") {
		t.Errorf("variant inputs %v, want the final's image", got)
	}
	// Created in order: the sketch's creation line before the final's, the final's before the variant's.
	iSketch, iFinal, iVariant := strings.Index(r.Stdout, "task.sketch: created"), strings.Index(r.Stdout, "task.final: created"), strings.Index(r.Stdout, "task.variant: created")
	if iSketch < 0 || iFinal < iSketch || iVariant < iFinal || strings.Index(r.Stdout, "task.sketch: completed") > iFinal {
		t.Errorf("not created in graph order:\n%s", r.Stdout)
	}
	// The upload is a progress line before the first creation, and a count in the closing line.
	if i := strings.Index(r.Stdout, "Uploaded 1 input file: refs/mug.png\n"); i < 0 || i > iSketch {
		t.Errorf("no upload line before the first creation:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Stdout, "Apply complete: 4 generated, 0 updated, 0 forgotten. 1 input file uploaded. Spent ") {
		t.Errorf("the closing line does not count the upload:\n%s", r.Stdout)
	}
	checkFilesMatchState(t, dir, st)

	// Re-plan: clean, and nothing uploaded again.
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after apply")
	r = runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply with nothing to do")
	if strings.Contains(r.Stdout, "pload") {
		t.Errorf("a clean apply speaks of uploads:\n%s", r.Stdout)
	}
	if got, c := srv.Emulator.Stats().Uploaded, srv.Emulator.Stats().Created; got != 1 || c != 4 {
		t.Errorf("after a clean apply: %d uploads, %d creations, want 1 and 4", got, c)
	}

	// A changed file: sketch and final replaced (they use it), variant
	// replaced (below final), other untouched.
	writeInput(t, dir, "refs/mug.png", 2)
	r = runBin(t, dir, env, "plan", "--detailed-exitcode")
	mustCode(t, r, 2, "plan with a changed file")
	for _, want := range []string{"-/+ task.sketch", "-/+ task.final", "-/+ task.variant", "refs/mug.png sha256"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.Stdout)
		}
	}
	before := st
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply with a changed file")
	st = loadState(t, dir)
	if got := srv.Emulator.Stats().Uploaded; got != 2 {
		t.Errorf("%d uploads, want 2 (the changed file once more)", got)
	}
	for _, addr := range []string{"task.sketch", "task.final", "task.variant"} {
		if st.Tasks[addr].ID == before.Tasks[addr].ID {
			t.Errorf("%s was not replaced", addr)
		}
	}
	if st.Tasks["task.other"].ID != before.Tasks["task.other"].ID {
		t.Error("task.other was replaced")
	}
	if got := inputsOf(t, st, "task.final"); got[0] != imageURL(t, st, "task.sketch") || got[1] != st.Uploads["refs/mug.png"].URL {
		t.Errorf("final inputs %v after the replacement", got)
	}
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after the replacement")

	// An edited sketch replaces it and everything below it.
	before = st
	writeSpec(t, dir, chainSpec("A charcoal sketch of a mug"))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply with an edited sketch")
	st = loadState(t, dir)
	for _, addr := range []string{"task.sketch", "task.final", "task.variant"} {
		if st.Tasks[addr].ID == before.Tasks[addr].ID {
			t.Errorf("%s was not replaced after the sketch changed", addr)
		}
	}
	if st.Tasks["task.other"].ID != before.Tasks["task.other"].ID || srv.Emulator.Stats().Uploaded != 2 {
		t.Errorf("the independent task was replaced, or the unchanged file uploaded again")
	}

	// A failed sketch: its descendants are not created, the rest goes on.
	before = st
	writeSpec(t, dir, chainSpec("A sketch that fails [[fail]]")+`
task "more" {
  prompt = "Another bowl"
}
`)
	r = runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 1, "apply with a failing sketch")
	st = loadState(t, dir)
	out := r.Stdout + r.Stderr
	for _, want := range []string{"its input task.sketch failed (task tsk_", "its input task.final was not created"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if st.Tasks["task.sketch"].Status != mynth.StatusFailed || st.Tasks["task.more"] == nil || st.Tasks["task.more"].Status != mynth.StatusCompleted {
		t.Errorf("sketch %s, more %+v", st.Tasks["task.sketch"].Status, st.Tasks["task.more"])
	}
	if st.Tasks["task.final"].ID != before.Tasks["task.final"].ID || st.Tasks["task.variant"].ID != before.Tasks["task.variant"].ID {
		t.Error("a descendant of the failed sketch was replaced")
	}
	noSecrets(t, dir, r)
}
