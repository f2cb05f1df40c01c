package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/internal/graph"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

func TestGraphFormats(t *testing.T) {
	p := &planner.Plan{Tasks: []*planner.TaskPlan{
		{Address: "task.sketch", Action: planner.ActionReplace},
		{Address: `task.final["a\"b"]`, Action: planner.ActionNone},
		{Address: "task.gone", Action: planner.ActionForget},
	}}
	edges := []graph.Edge{{Down: `task.final["a\"b"]`, Up: "task.sketch"}, {Down: "task.x", Up: "task.sketch"}}
	var b bytes.Buffer
	if err := Graph(&b, GraphDOT, p, edges); err != nil {
		t.Fatal(err)
	}
	want := "digraph mynthform {\n  rankdir = \"LR\";\n  node [shape = box];\n" +
		"  \"task.sketch\" [label = \"task.sketch\\n-/+ replace\"];\n" +
		"  \"task.final[\\\"a\\\\\\\"b\\\"]\" [label = \"task.final[\\\"a\\\\\\\"b\\\"]\\nnone\"];\n" +
		"  \"task.gone\" [label = \"task.gone\\n- forget\"];\n" +
		"  \"task.sketch\" -> \"task.final[\\\"a\\\\\\\"b\\\"]\";\n}\n"
	if b.String() != want {
		t.Errorf("DOT:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := Graph(&b, GraphMermaid, p, edges); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, `n1["task.final[#quot;a\#quot;b#quot;]<br/>none"]`) || !strings.Contains(got, "  n0 --> n1\n") || strings.Contains(got, "task.x") {
		t.Errorf("mermaid:\n%s", got)
	}
	if err := Graph(&b, "svg", p, edges); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestRequestKnownAfterApply: an input whose URL apply learns shows as
// (known after apply) in the planned request, in both shapes of input.
func TestRequestKnownAfterApply(t *testing.T) {
	tp := &planner.TaskPlan{Address: "task.final", Action: planner.ActionReplace, UnknownInputs: []int{0, 2},
		Request: &mynth.Request{Inputs: []mynth.Input{{Role: "init"}, {URL: "https://a/b.png"}, {}}}}
	doc, err := jsonRequest(tp)
	if err != nil {
		t.Fatal(err)
	}
	inputs := doc["inputs"].([]any)
	if src := inputs[0].(map[string]any)["source"].(map[string]any); src["url"] != planner.KnownAfterApply {
		t.Errorf("inputs[0] = %v", inputs[0])
	}
	if inputs[1] != "https://a/b.png" || inputs[2] != planner.KnownAfterApply {
		t.Errorf("inputs = %v", inputs)
	}
}
