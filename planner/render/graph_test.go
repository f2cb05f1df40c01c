package render

import (
	"bytes"
	"encoding/json"
	"slices"
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
// (known after apply) in the planned request, in both shapes of input: a
// JSON string in --json, a bare word in the human plan (a URL that is
// known stays quoted).
func TestRequestKnownAfterApply(t *testing.T) {
	tp := &planner.TaskPlan{Address: "task.final", Action: planner.ActionReplace, UnknownInputs: []int{0, 2},
		Request: &mynth.Request{Inputs: []mynth.Input{{Role: "init"}, {URL: "https://a/b.png"}, {}}}}
	doc, err := jsonRequest(tp)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(doc["inputs"])
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"role":"init","source":{"type":"url","url":"(known after apply)"},"type":"image"},"https://a/b.png","(known after apply)"]`; string(b) != want {
		t.Errorf("JSON inputs\n%s\nwant\n%s", b, want)
	}
	// The structural marker says where, for a machine reader.
	if got, want := unknownPaths("request", doc), []string{"request.inputs[0].source.url", "request.inputs[2]"}; !slices.Equal(got, want) {
		t.Errorf("request_unknown %q, want %q", got, want)
	}
	var out bytes.Buffer
	p := &planner.Plan{FormatVersion: planner.PlanFormatVersion, Tasks: []*planner.TaskPlan{tp}}
	tp.Changes = []planner.Change{{Path: "request.inputs[0].url", Before: "https://cdn/0.png", After: planner.KnownAfterApply, Text: true, AfterUnknown: true}}
	if err := (JSON{}).Render(&out, p); err != nil {
		t.Fatal(err)
	}
	var doc2 struct {
		Tasks []struct {
			RequestUnknown []string `json:"request_unknown"`
			Changes        []struct {
				After        string `json:"after"`
				AfterUnknown bool   `json:"after_unknown"`
			} `json:"changes"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc2); err != nil {
		t.Fatal(err)
	}
	if len(doc2.Tasks) != 1 || len(doc2.Tasks[0].RequestUnknown) != 2 || len(doc2.Tasks[0].Changes) != 1 ||
		!doc2.Tasks[0].Changes[0].AfterUnknown || doc2.Tasks[0].Changes[0].After != planner.KnownAfterApply {
		t.Errorf("plan --json:\n%s", out.String())
	}
	lines, err := requestLines(tp)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range lines {
		got[l.path] = l.value
	}
	if got["inputs[0].source.url"] != "(known after apply)" || got["inputs[1]"] != `"https://a/b.png"` || got["inputs[2]"] != "(known after apply)" {
		t.Errorf("human request lines %v", got)
	}
}

// TestTextChangeLines: a changed input file reads as the path, the old
// sha256 and the new one, and a URL known only after apply as those
// words, all unquoted; a change of a request value stays a JSON value.
func TestTextChangeLines(t *testing.T) {
	for _, tc := range []struct {
		c          planner.Change
		human, web string
	}{
		{planner.Change{Path: "request.inputs[0]", Before: "refs/mug.png sha256 ab12…", After: "refs/mug.png sha256 9f3c…", Text: true},
			"~ request.inputs[0]: refs/mug.png sha256 ab12… → 9f3c…", "refs/mug.png sha256 ab12…|9f3c…"},
		{planner.Change{Path: "request.inputs[0]", Before: "refs/mug.png sha256 (none)", After: "refs/new.png sha256 9f3c…", Text: true},
			"~ request.inputs[0]: refs/mug.png sha256 (none) → refs/new.png sha256 9f3c…", "refs/mug.png sha256 (none)|refs/new.png sha256 9f3c…"},
		{planner.Change{Path: "request.inputs[0].url", Before: "https://cdn/a.png", After: planner.KnownAfterApply, Text: true},
			"~ request.inputs[0].url: https://cdn/a.png → (known after apply)", "https://cdn/a.png|(known after apply)"},
		{planner.Change{Path: "request.prompt", Before: "a b", After: "a c"},
			`~ request.prompt: "a b" → "a c"`, `"a b"|"a c"`},
		{planner.Change{Path: "request.inputs[0]", Before: "x sha256 ab12…", After: "x sha256 9f3c…", Text: true, Sensitive: true},
			"~ request.inputs[0]: (sensitive) → (sensitive)", "(sensitive)|(sensitive)"},
	} {
		if got := (Human{}).changeLine(tc.c); got != tc.human {
			t.Errorf("human %q, want %q", got, tc.human)
		}
		card := cardChange(tc.c)
		if got := card.Before + "|" + card.After; got != tc.web {
			t.Errorf("HTML %q, want %q", got, tc.web)
		}
	}
}
