package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/mynthform/mynthform/internal/graph"
	"github.com/mynthform/mynthform/planner"
)

// Graph formats of `mynthform graph`.
const (
	GraphDOT     = "dot"
	GraphMermaid = "mermaid"
)

// Graph writes the task graph in format (GraphDOT or GraphMermaid): one
// node per task of p, labelled with its address and planned action, and
// one edge per input taken from another task, drawn the way the image
// flows (from the upstream task to the one that takes its image). Nodes
// come in the plan's order (graph order), edges sorted.
func Graph(w io.Writer, format string, p *planner.Plan, edges []graph.Edge) error {
	ew := newErrWriter(w)
	in := map[string]bool{}
	for _, t := range p.Tasks {
		in[t.Address] = true
	}
	switch format {
	case GraphDOT:
		ew.printf("digraph mynthform {\n  rankdir = \"LR\";\n  node [shape = box];\n")
		for _, t := range p.Tasks {
			ew.printf("  %s [label = %s];\n", dotQuote(t.Address), dotQuote(t.Address+"\n"+actionLabel(t)))
		}
		for _, e := range edges {
			if in[e.Up] && in[e.Down] {
				ew.printf("  %s -> %s;\n", dotQuote(e.Up), dotQuote(e.Down))
			}
		}
		ew.printf("}\n")
	case GraphMermaid:
		ids := map[string]string{}
		ew.printf("flowchart LR\n")
		for i, t := range p.Tasks {
			ids[t.Address] = fmt.Sprintf("n%d", i)
			ew.printf("  %s[\"%s<br/>%s\"]\n", ids[t.Address], mermaidText(t.Address), mermaidText(actionLabel(t)))
		}
		for _, e := range edges {
			if in[e.Up] && in[e.Down] {
				ew.printf("  %s --> %s\n", ids[e.Up], ids[e.Down])
			}
		}
	default:
		return fmt.Errorf("unknown graph format %q (want %s or %s)", format, GraphDOT, GraphMermaid)
	}
	return ew.flush()
}

// actionLabel is a node's second line: the action's symbol and name.
func actionLabel(t *planner.TaskPlan) string {
	sym := strings.TrimSpace(t.Action.Symbol())
	if sym == "" {
		return string(t.Action)
	}
	return sym + " " + string(t.Action)
}

// dotQuote writes s as a DOT quoted string: quotes and backslashes
// escaped, newlines as \n, other control characters dropped.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// mermaidText escapes s for a quoted mermaid label: quotes, angle
// brackets and ampersands as entities, control characters dropped.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString("#quot;")
		case r == '<':
			b.WriteString("#lt;")
		case r == '>':
			b.WriteString("#gt;")
		case r == '&':
			b.WriteString("#amp;")
		case r == '#':
			b.WriteString("#35;")
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
