package main

import (
	"strings"
	"testing"
)

const graphSpec = `
locals {
  keys = { plain = "p", "q\"uote" = "q" }
}
task "sketch" {
  prompt = "a sketch"
}
task "final" {
  prompt = "final"
  inputs = [{ url = task.sketch.images[0].url, role = "init" }]
}
task "variant" {
  for_each = local.keys
  prompt   = each.value
  inputs   = [task.final.images[0].url]
}
`

// TestGraphEndToEnd runs the real binary: graph prints DOT (and mermaid)
// on stdout alone, with one node per task and its action, edges the way
// images flow, a for_each key with a quote escaped, and no API call.
func TestGraphEndToEnd(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.mynth.hcl": graphSpec})
	r := runBin(t, dir, nil, "graph")
	mustCode(t, r, exitOK, "graph")
	for _, want := range []string{
		"digraph mynthform {\n",
		`  "task.sketch" [label = "task.sketch\n+ generate"];`,
		`  "task.sketch" -> "task.final";`,
		`  "task.final" -> "task.variant[\"plain\"]";`,
		`  "task.final" -> "task.variant[\"q\\\"uote\"]";`,
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("DOT lacks %q:\n%s", want, r.Stdout)
		}
	}
	if i, j := strings.Index(r.Stdout, `"task.sketch" [`), strings.Index(r.Stdout, `"task.final" [`); i < 0 || j < i {
		t.Errorf("nodes not in graph order:\n%s", r.Stdout)
	}
	if strings.Count(r.Stdout, "[label") != 4 || strings.Count(r.Stdout, " -> ") != 3 {
		t.Errorf("want 4 nodes and 3 edges:\n%s", r.Stdout)
	}

	m := runBin(t, dir, nil, "graph", "--format", "mermaid")
	mustCode(t, m, exitOK, "graph --format mermaid")
	for _, want := range []string{"flowchart LR\n", `  n0["task.sketch<br/>+ generate"]`, "  n0 --> n1\n", `#quot;`} {
		if !strings.Contains(m.Stdout, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, m.Stdout)
		}
	}
	if strings.Contains(m.Stdout, `q"uote`) {
		t.Errorf("mermaid label keeps a raw quote:\n%s", m.Stdout)
	}

	bad := runBin(t, dir, nil, "graph", "--format", "svg")
	mustCode(t, bad, exitError, "graph --format svg")
	if !strings.Contains(bad.Stderr, `unknown --format "svg"`) {
		t.Errorf("stderr: %s", bad.Stderr)
	}
}

// TestValidateCycleEndToEnd: validate refuses a cycle of three, naming
// every task, with the file, line and snippet.
func TestValidateCycleEndToEnd(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.mynth.hcl": `
task "a" {
  prompt = "a"
  inputs = [task.c.images[0].url]
}
task "b" {
  prompt = "b"
  inputs = [task.a.images[0].url]
}
task "c" {
  prompt = "c"
  inputs = [task.b.images[0].url]
}
`})
	r := runBin(t, dir, nil, "validate")
	mustCode(t, r, exitError, "validate")
	for _, want := range []string{"Cycle between tasks", "task.a → task.c → task.b → task.a", "main.mynth.hcl line 4", "inputs = [task.c.images[0].url]"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	g := runBin(t, dir, nil, "graph")
	mustCode(t, g, exitError, "graph of a cyclic spec")
}
