package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/spec"
)

// TestLocateChanges: a request change points at the longest spec
// attribute its path starts with, a plain prompt at the prompt block's one
// attribute, a path the spec sets nothing for (or a result) at nothing,
// and a Range already set is kept.
func TestLocateChanges(t *testing.T) {
	at := func(line int) hcl.Range {
		return hcl.Range{Filename: "/spec/main.mynth.hcl", Start: hcl.Pos{Line: line, Column: 3}, End: hcl.Pos{Line: line, Column: 20}}
	}
	task := &spec.Task{Ranges: spec.NewRanges(map[string]hcl.Range{
		"prompt": at(4), "prompt.positive": at(5), "size": at(8), "inputs": at(9), "expect.size": at(12),
	})}
	twoAttrs := &spec.Task{Ranges: spec.NewRanges(map[string]hcl.Range{"prompt": at(4), "prompt.positive": at(5), "prompt.negative": at(6)})}
	kept := &Range{Filename: "other.mynth.hcl", Start: Pos{Line: 1, Column: 1}, End: Pos{Line: 1, Column: 2}}
	tests := map[string]struct {
		task *spec.Task
		c    Change
		want int // the line, 0 for no range
	}{
		"attribute":                 {task, Change{Path: "request.prompt.positive"}, 5},
		"plain prompt":              {task, Change{Path: "request.prompt"}, 5},
		"prompt block of two":       {twoAttrs, Change{Path: "request.prompt"}, 4},
		"under an attribute":        {task, Change{Path: "request.size.width"}, 8},
		"an index":                  {task, Change{Path: "request.inputs[1].source.url"}, 9},
		"not in the spec":           {task, Change{Path: "request.model"}, 0},
		"a result":                  {task, Change{Path: "result.images[0].url"}, 0},
		"no request prefix":         {task, Change{Path: "size"}, 0},
		"a longer name is no match": {task, Change{Path: "request.sizes"}, 0},
		"kept":                      {task, Change{Path: "request.size", Range: kept}, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			changes := []Change{tc.c}
			locateChanges(changes, tc.task, "/spec")
			got := 0
			if r := changes[0].Range; r != nil {
				got = r.Start.Line
				if tc.c.Range == nil && r.Filename != "main.mynth.hcl" {
					t.Errorf("file %q, want main.mynth.hcl (relative to the spec directory)", r.Filename)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("line (-want +got):\n%s", diff)
			}
		})
	}
}
