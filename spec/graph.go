package spec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/internal/graph"
)

// buildGraph fills sp.Graph from the tasks' references and reports each
// cycle once, naming every task on it.
func buildGraph(sp *Spec) hcl.Diagnostics {
	var diags hcl.Diagnostics
	withInputs := false
	for _, t := range sp.Tasks {
		sp.Graph.Add(t.Address)
		withInputs = withInputs || len(t.Inputs) > 0
	}
	if !withInputs {
		return nil // no input, no edge
	}
	// Only tasks with inputs have edges: the others need no lookup.
	byAddr := make(map[string]*Task, len(sp.Tasks))
	for _, t := range sp.Tasks {
		byAddr[t.Address] = t
	}
	edges := false
	for _, t := range sp.Tasks {
		for _, up := range t.Upstream() {
			if byAddr[up] != nil {
				sp.Graph.Connect(t.Address, up)
				edges = true
			}
		}
	}
	if !edges {
		return nil // no edge, no cycle
	}
	for _, cycle := range sp.Graph.Cycles() {
		path := sp.Graph.CyclePath(cycle)
		first := byAddr[path[0]]
		rng := first.DeclRange
		if r, ok := first.Ranges.Get("inputs"); ok {
			rng = r
		}
		loop := strings.Join(append(append([]string{}, path...), path[0]), " → ")
		detail := "The inputs of " + path[0] + " depend on itself: " + loop + ". A task can only take an input from a task that is created before it. Remove one of these references."
		if len(path) > 1 {
			detail = "These tasks take their inputs from one another in a cycle: " + loop + " (each takes an input from the next). A task can only take an input from a task that is created before it, so none of them could be created. Remove one of these references."
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cycle between tasks",
			Detail:   detail,
			Subject:  rng.Ptr(),
		})
	}
	return diags
}

// TaskGraph returns s.Graph, or, for a Spec built by hand without one, the
// graph of its tasks' references.
func (s *Spec) TaskGraph() *graph.Graph {
	if s.Graph != nil {
		return s.Graph
	}
	g := graph.New()
	for _, t := range s.Tasks {
		g.Add(t.Address)
		for _, up := range t.Upstream() {
			g.Connect(t.Address, up)
		}
	}
	return g
}
