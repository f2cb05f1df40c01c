package graph

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func build(edges ...[2]string) *Graph {
	g := New()
	for _, e := range edges {
		g.Connect(e[0], e[1])
	}
	return g
}

func TestOrder(t *testing.T) {
	tests := map[string]struct {
		g      *Graph
		order  []string
		levels [][]string
		cycles [][]string
	}{
		"empty": {g: New(), order: []string{}},
		"chain": {
			g:      build([2]string{"final", "sketch"}, [2]string{"sketch", "ref"}),
			order:  []string{"ref", "sketch", "final"},
			levels: [][]string{{"ref"}, {"sketch"}, {"final"}},
		},
		"ties by name": {
			g: func() *Graph {
				g := build([2]string{"b", "z"}, [2]string{"a", "z"})
				g.Add("c")
				return g
			}(),
			order:  []string{"c", "z", "a", "b"},
			levels: [][]string{{"c", "z"}, {"a", "b"}},
		},
		"diamond": {
			g:      build([2]string{"d", "b"}, [2]string{"d", "c"}, [2]string{"b", "a"}, [2]string{"c", "a"}),
			order:  []string{"a", "b", "c", "d"},
			levels: [][]string{{"a"}, {"b", "c"}, {"d"}},
		},
		"three-cycle and what hangs below it": {
			g:      build([2]string{"a", "b"}, [2]string{"b", "c"}, [2]string{"c", "a"}, [2]string{"x", "a"}, [2]string{"y", "free"}),
			order:  []string{"free", "y"},
			levels: [][]string{{"free"}, {"y"}},
			cycles: [][]string{{"a", "b", "c"}},
		},
		"self and two": {
			g:      build([2]string{"s", "s"}, [2]string{"p", "q"}, [2]string{"q", "p"}),
			order:  []string{},
			cycles: [][]string{{"p", "q"}, {"s"}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tt.order, tt.g.Order()); diff != "" {
				t.Errorf("Order (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.levels, tt.g.Levels()); diff != "" {
				t.Errorf("Levels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.cycles, tt.g.Cycles()); diff != "" {
				t.Errorf("Cycles (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCyclePathFollowsEdges(t *testing.T) {
	// a takes from c, c from b, b from a: the walk is a → c → b.
	g := build([2]string{"a", "c"}, [2]string{"c", "b"}, [2]string{"b", "a"})
	cycles := g.Cycles()
	if len(cycles) != 1 {
		t.Fatalf("Cycles = %v, want one", cycles)
	}
	if diff := cmp.Diff([]string{"a", "c", "b"}, g.CyclePath(cycles[0])); diff != "" {
		t.Errorf("CyclePath (-want +got):\n%s", diff)
	}
}

func TestReach(t *testing.T) {
	g := build([2]string{"final", "sketch"}, [2]string{"sketch", "ref"}, [2]string{"other", "ref"})
	if diff := cmp.Diff([]string{"final", "other", "sketch"}, g.Descendants("ref")); diff != "" {
		t.Errorf("Descendants (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ref", "sketch"}, g.Ancestors("final")); diff != "" {
		t.Errorf("Ancestors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Edge{{"final", "sketch"}, {"other", "ref"}, {"sketch", "ref"}}, g.Edges()); diff != "" {
		t.Errorf("Edges (-want +got):\n%s", diff)
	}
}

// TestOrderRandom builds random acyclic graphs, inserted in random order,
// and checks that Order puts every node after its upstream nodes, leaves
// none out, and is the same whatever the insertion order.
func TestOrderRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	for round := 0; round < 200; round++ {
		n := 1 + rng.Intn(30)
		var edges [][2]string
		for i := 0; i < n; i++ {
			for j := 0; j < i; j++ {
				if rng.Intn(4) == 0 {
					edges = append(edges, [2]string{fmt.Sprintf("n%02d", i), fmt.Sprintf("n%02d", j)})
				}
			}
		}
		g1, g2 := New(), New()
		for i := 0; i < n; i++ {
			g1.Add(fmt.Sprintf("n%02d", i))
		}
		for _, e := range edges {
			g1.Connect(e[0], e[1])
		}
		for _, i := range rng.Perm(len(edges)) {
			g2.Connect(edges[i][0], edges[i][1])
		}
		for i := 0; i < n; i++ {
			g2.Add(fmt.Sprintf("n%02d", i))
		}
		order := g1.Order()
		if len(order) != n || len(g1.Cycles()) != 0 {
			t.Fatalf("round %d: Order has %d of %d nodes, cycles %v", round, len(order), n, g1.Cycles())
		}
		pos := map[string]int{}
		for i, v := range order {
			pos[v] = i
		}
		for _, e := range edges {
			if pos[e[0]] <= pos[e[1]] {
				t.Fatalf("round %d: %s placed before its upstream %s: %v", round, e[0], e[1], order)
			}
		}
		if diff := cmp.Diff(order, g2.Order()); diff != "" {
			t.Fatalf("round %d: order depends on insertion (-first +second):\n%s", round, diff)
		}
	}
}
