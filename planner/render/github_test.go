package render

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/planner"
)

// TestGitHubDriftAtAttribute: a drifted task is annotated once per
// attribute that drifted (two changes of one attribute together), with
// the pinned and the spec's value, sensitive ones hidden; the changes with
// no attribute are annotated together at the task's block.
func TestGitHubDriftAtAttribute(t *testing.T) {
	prompt := rng("main.mynth.hcl", 4, 4)
	p := summarize(&planner.Plan{Tasks: []*planner.TaskPlan{{
		Address: "task.mug", ID: "tsk_1", Action: planner.ActionNone, Status: planner.StatusCompleted, Drift: true,
		Range: rng("main.mynth.hcl", 1, 12),
		Changes: []planner.Change{
			{Path: "request.prompt.positive", Before: "a mug", After: "a cup", Range: prompt},
			{Path: "request.metadata", Before: map[string]any{"k": "secret"}, After: map[string]any{"k": "other"}, Sensitive: true},
			{Path: "request.prompt.negative", Before: nil, After: "text", Range: rng("main.mynth.hcl", 4, 4)},
			{Path: "request.size", Before: "square", After: "landscape", Range: rng("main.mynth.hcl", 9, 9)},
		},
	}}})
	var buf bytes.Buffer
	if err := (&GitHubAnnotations{}).Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	const fix = " Change the spec back, or remove the id to generate a new task.\n"
	want := "::error file=main.mynth.hcl,line=4,endLine=4,title=mynthform%3A task.mug drifted::The request of the pinned task tsk_1 differs from the spec: " +
		`request.prompt.positive is "a mug" in the pinned task, "a cup" in the spec; request.prompt.negative is (none) in the pinned task, "text" in the spec.` + fix +
		"::error file=main.mynth.hcl,line=1,endLine=12,title=mynthform%3A task.mug drifted::The request of the pinned task tsk_1 differs from the spec: " +
		`request.metadata is (sensitive) in the pinned task, (sensitive) in the spec.` + fix +
		"::error file=main.mynth.hcl,line=9,endLine=9,title=mynthform%3A task.mug drifted::The request of the pinned task tsk_1 differs from the spec: " +
		`request.size is "square" in the pinned task, "landscape" in the spec.` + fix
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Error(diff)
	}
}
