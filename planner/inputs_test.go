package planner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// loadChain writes a sketch → final → poster chain (final also takes
// refs/mug.png) with the sketch's prompt given, and loads it.
func loadChain(t *testing.T, sketchPrompt string, mug []byte) *spec.Spec {
	t.Helper()
	dir := t.TempDir()
	src := `
task "sketch" {
  prompt = "` + sketchPrompt + `"
  model  = "m1"
  size   = "square"
}
task "final" {
  prompt = "final"
  model  = "m1"
  size   = "square"
  inputs = [
    { url = task.sketch.images[0].url, role = "init" },
    { file = "refs/mug.png", role = "reference" },
  ]
}
task "poster" {
  prompt = "poster"
  model  = "m1"
  size   = "square"
  inputs = [task.final.images[0].url]
}
task "alone" {
  prompt = "alone"
  model  = "m1"
  size   = "square"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "refs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "refs", "mug.png"), mug, 0o644); err != nil {
		t.Fatal(err)
	}
	sp, diags := spec.Load(dir, spec.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return sp
}

func pngOf(t *testing.T, seed int64) []byte {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Intn(256))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// appliedChain is the state after the chain was applied with mug: every
// task recorded, final's request carrying the sketch's image and the
// upload's URL, poster's carrying final's image.
func appliedChain(t *testing.T, mug []byte) *state.File {
	t.Helper()
	sketch := remoteTask("tsk_sketch", "a sketch", 1)
	final := remoteTask("tsk_final", "final", 1)
	final.Request.Inputs = []mynth.Input{{URL: sketch.Result.Images[0].URL, Role: "init"}, {URL: "https://up/mug-v1.png", Role: "reference"}}
	poster := remoteTask("tsk_poster", "poster", 1)
	poster.Request.Inputs = []mynth.Input{{URL: final.Result.Images[0].URL}}
	return &state.File{
		Tasks: map[string]*state.Task{
			"task.sketch": recordOf(t, sketch), "task.final": recordOf(t, final), "task.poster": recordOf(t, poster),
			"task.alone": recordOf(t, remoteTask("tsk_alone", "alone", 1)),
		},
		Uploads: map[string]*state.Upload{"refs/mug.png": {SHA256: hexSum(mug), Size: int64(len(mug)), URL: "https://up/mug-v1.png"}},
	}
}

type inputSummary struct {
	Address string
	Action  Action
	Reason  string
	Changes []string
	Unknown []int
	Inputs  []string
}

func inputSummaries(p *Plan) []inputSummary {
	var out []inputSummary
	for _, tp := range p.Tasks {
		s := inputSummary{Address: tp.Address, Action: tp.Action, Reason: tp.Reason, Unknown: tp.UnknownInputs}
		for _, c := range tp.Changes {
			line := c.Path + ": " + formatAny(c.Before) + " → " + formatAny(c.After)
			if c.AfterUnknown {
				line += " [after_unknown]"
			}
			s.Changes = append(s.Changes, line)
		}
		if tp.Request != nil {
			for _, in := range tp.Request.Inputs {
				s.Inputs = append(s.Inputs, in.URL)
			}
		}
		out = append(out, s)
	}
	return out
}

func formatAny(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return strings.TrimSpace(strings.ReplaceAll(cmp.Diff(nil, v), "\n", ""))
}

func TestPlanInputsUnchangedChainIsClean(t *testing.T) {
	mug := pngOf(t, 1)
	sp := loadChain(t, "a sketch", mug)
	p, err := MakePlan(context.Background(), Options{Spec: sp, State: appliedChain(t, mug)})
	if err != nil {
		t.Fatal(err)
	}
	want := []inputSummary{
		{Address: "task.alone", Action: ActionNone},
		{Address: "task.sketch", Action: ActionNone},
		{Address: "task.final", Action: ActionNone, Inputs: []string{"https://cdn/tsk_sketch/0.png", "https://up/mug-v1.png"}},
		{Address: "task.poster", Action: ActionNone, Inputs: []string{"https://cdn/tsk_final/0.png"}},
	}
	if diff := cmp.Diff(want, inputSummaries(p)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

// TestPlanInputsUpstreamReplaced: an edited sketch replaces the sketch,
// and so final and poster, which derive from it, each saying why; the
// URLs they will take are known only after apply.
func TestPlanInputsUpstreamReplaced(t *testing.T) {
	mug := pngOf(t, 1)
	sp := loadChain(t, "a better sketch", mug)
	p, err := MakePlan(context.Background(), Options{Spec: sp, State: appliedChain(t, mug)})
	if err != nil {
		t.Fatal(err)
	}
	want := []inputSummary{
		{Address: "task.alone", Action: ActionNone},
		{Address: "task.sketch", Action: ActionReplace, Reason: "the request differs from the spec", Changes: []string{"request.prompt: a sketch → a better sketch"}},
		{Address: "task.final", Action: ActionReplace, Reason: "its input task.sketch will be replaced",
			Changes: []string{"request.inputs[0].url: https://cdn/tsk_sketch/0.png → (known after apply) [after_unknown]"},
			Unknown: []int{0}, Inputs: []string{"", "https://up/mug-v1.png"}},
		{Address: "task.poster", Action: ActionReplace, Reason: "its input task.final will be replaced",
			Changes: []string{"request.inputs[0].url: https://cdn/tsk_final/0.png → (known after apply) [after_unknown]"},
			Unknown: []int{0}, Inputs: []string{""}},
	}
	if diff := cmp.Diff(want, inputSummaries(p)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if p.Summary.Replace != 3 {
		t.Errorf("summary counts %d replacements, want 3", p.Summary.Replace)
	}
}

// TestPlanInputsFileChanged: a changed input file is a change of the
// request, shown by its sha256, and replaces the task and what derives
// from it; the sketch is left alone.
func TestPlanInputsFileChanged(t *testing.T) {
	mug, mug2 := pngOf(t, 1), pngOf(t, 2)
	sp := loadChain(t, "a sketch", mug2)
	p, err := MakePlan(context.Background(), Options{Spec: sp, State: appliedChain(t, mug)})
	if err != nil {
		t.Fatal(err)
	}
	want := []inputSummary{
		{Address: "task.alone", Action: ActionNone},
		{Address: "task.sketch", Action: ActionNone},
		{Address: "task.final", Action: ActionReplace, Reason: "its input file refs/mug.png changed",
			Changes: []string{"request.inputs[1]: refs/mug.png sha256 " + hexSum(mug)[:4] + "… → refs/mug.png sha256 " + hexSum(mug2)[:4] + "…"},
			Unknown: []int{1}, Inputs: []string{"https://cdn/tsk_sketch/0.png", ""}},
		{Address: "task.poster", Action: ActionReplace, Reason: "its input task.final will be replaced",
			Changes: []string{"request.inputs[0].url: https://cdn/tsk_final/0.png → (known after apply) [after_unknown]"},
			Unknown: []int{0}, Inputs: []string{""}},
	}
	if diff := cmp.Diff(want, inputSummaries(p)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

// TestPlanInputsNothingApplied: on an empty state everything is
// generated, in graph order, and every reference and file is known after
// apply.
func TestPlanInputsNothingApplied(t *testing.T) {
	sp := loadChain(t, "a sketch", pngOf(t, 1))
	p, err := MakePlan(context.Background(), Options{Spec: sp, State: &state.File{}})
	if err != nil {
		t.Fatal(err)
	}
	want := []inputSummary{
		{Address: "task.alone", Action: ActionGenerate, Reason: "not created yet"},
		{Address: "task.sketch", Action: ActionGenerate, Reason: "not created yet"},
		{Address: "task.final", Action: ActionGenerate, Reason: "not created yet; its input task.sketch will be generated", Unknown: []int{0, 1}, Inputs: []string{"", ""}},
		{Address: "task.poster", Action: ActionGenerate, Reason: "not created yet; its input task.final will be generated", Unknown: []int{0}, Inputs: []string{""}},
	}
	if diff := cmp.Diff(want, inputSummaries(p)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

// TestPlanInputsFileChangedPinned: a changed input file of a task pinned
// by its id is drift, not a replacement: the plan shows the change and
// replaces nothing, and nothing below the pinned task.
func TestPlanInputsFileChangedPinned(t *testing.T) {
	mug, mug2 := pngOf(t, 1), pngOf(t, 2)
	sp := loadChain(t, "a sketch", mug2)
	sp.Task("task.final").ID = "tsk_final"
	p, err := MakePlan(context.Background(), Options{Spec: sp, State: appliedChain(t, mug)})
	if err != nil {
		t.Fatal(err)
	}
	byAddr := map[string]*TaskPlan{}
	for _, tp := range p.Tasks {
		byAddr[tp.Address] = tp
	}
	final := byAddr["task.final"]
	if final == nil || !final.Drift || final.Action == ActionReplace {
		t.Fatalf("task.final: %+v, want drift and no replacement", final)
	}
	want := []string{"request.inputs[1]: refs/mug.png sha256 " + hexSum(mug)[:4] + "… → refs/mug.png sha256 " + hexSum(mug2)[:4] + "…"}
	if diff := cmp.Diff(want, inputSummaries(p)[2].Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if poster := byAddr["task.poster"]; poster.Action != ActionNone {
		t.Errorf("task.poster: %s (%s), want none below a pinned task", poster.Action, poster.Reason)
	}
	if len(p.Failures()) == 0 {
		t.Error("the drift does not fail the plan")
	}
}
