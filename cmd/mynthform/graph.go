package main

import (
	"fmt"

	"github.com/mynthform/mynthform/planner/render"
)

const graphUsage = "graph [--format dot|mermaid] [--refresh] [--target ADDR]... [--exclude ADDR]... [--var NAME=VALUE]... [--var-file FILE]..."

// runGraph prints the task graph with the planned action of each task,
// as terraform graph does. It plans from the state alone unless
// --refresh is given, so that it works offline.
func runGraph(g *globals, args []string) int {
	var a planArgs
	format := render.GraphDOT
	fs := newFlagSet("graph")
	fs.StringVar(&format, "format", render.GraphDOT, "print the graph as `FORMAT`: dot (Graphviz) or mermaid")
	a.register(fs)
	if f := fs.Lookup("refresh"); f != nil {
		f.Usage = "read every task from Mynth first; by default the actions are planned from the state alone"
		f.DefValue = "false"
		a.refresh = false
	}
	if code, done := parseFlags(g, fs, graphUsage, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(g.stderr, "mynthform graph: unexpected argument %q\nUsage: mynthform %s\n", fs.Arg(0), graphUsage)
		return exitError
	}
	if format != render.GraphDOT && format != render.GraphMermaid {
		return unknownName(g.stderr, "mynthform graph", "--format", format, []string{render.GraphDOT, render.GraphMermaid}, "mynthform graph --help")
	}
	// stdout is the graph alone: whatever planning prints goes to stderr.
	pg := *g
	pg.stdout = g.stderr
	p, sp, _, _, code := computePlan(&pg, a)
	if pg.conn != nil {
		defer pg.conn.close()
	}
	if p == nil {
		return code
	}
	if err := render.Graph(g.stdout, format, p, sp.TaskGraph().Edges()); err != nil {
		fmt.Fprintf(g.stderr, "mynthform graph: %v\n", err)
		return exitError
	}
	return exitOK
}
