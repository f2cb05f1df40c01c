// Package graph is the dependency graph of a spec's tasks: nodes are task
// addresses, and an edge runs from a task to each task whose result it
// takes as an input. It owns ordering (upstream first, ties broken by
// address, so that every walk is the same from run to run) and cycle
// detection; the spec package builds the graph from the references it
// decodes, the planner and apply walk it.
package graph

import (
	"slices"
	"sort"
)

// Graph is a directed graph of task addresses. The zero value is not
// usable; call New. A Graph is not safe for concurrent mutation, but its
// read methods may be called concurrently once it is built.
type Graph struct {
	nodes map[string]bool
	// up[n] are the nodes n depends on; down[n] the nodes that depend on n.
	up, down map[string]map[string]bool
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{nodes: map[string]bool{}, up: map[string]map[string]bool{}, down: map[string]map[string]bool{}}
}

// Add adds a node; adding it again does nothing.
func (g *Graph) Add(node string) { g.nodes[node] = true }

// Has reports whether node is in the graph.
func (g *Graph) Has(node string) bool { return g.nodes[node] }

// Connect records that down depends on up (up must come first), adding
// both nodes. An edge from a node to itself is a cycle of one.
func (g *Graph) Connect(down, up string) {
	g.Add(down)
	g.Add(up)
	if g.up[down] == nil {
		g.up[down] = map[string]bool{}
	}
	if g.down[up] == nil {
		g.down[up] = map[string]bool{}
	}
	g.up[down][up] = true
	g.down[up][down] = true
}

// Nodes returns every node, sorted.
func (g *Graph) Nodes() []string { return sortedKeys(g.nodes) }

// Upstream returns the nodes that node depends on directly, sorted.
func (g *Graph) Upstream(node string) []string { return sortedKeys(g.up[node]) }

// Downstream returns the nodes that depend on node directly, sorted.
func (g *Graph) Downstream(node string) []string { return sortedKeys(g.down[node]) }

// Edge is one dependency: Down takes an input from Up.
type Edge struct{ Down, Up string }

// Edges returns every edge, sorted by Down then Up.
func (g *Graph) Edges() []Edge {
	var out []Edge
	for _, d := range g.Nodes() {
		for _, u := range g.Upstream(d) {
			out = append(out, Edge{Down: d, Up: u})
		}
	}
	return out
}

// Ancestors returns every node that node depends on, directly or not,
// sorted; node itself only when it lies on a cycle.
func (g *Graph) Ancestors(node string) []string { return g.reach(node, g.up) }

// Descendants returns every node that depends on node, directly or not,
// sorted; node itself only when it lies on a cycle.
func (g *Graph) Descendants(node string) []string { return g.reach(node, g.down) }

func (g *Graph) reach(node string, next map[string]map[string]bool) []string {
	seen := map[string]bool{}
	stack := sortedKeys(next[node])
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, sortedKeys(next[n])...)
	}
	return sortedKeys(seen)
}

// Order returns the nodes upstream first: every node comes after all the
// nodes it depends on, and among the nodes whose dependencies are all
// placed the smallest address comes first. Nodes on a cycle, and the nodes
// that depend on them, are left out; Cycles names the cycles.
func (g *Graph) Order() []string {
	pending := make(map[string]int, len(g.nodes))
	var ready []string
	for n := range g.nodes {
		pending[n] = len(g.up[n])
		if pending[n] == 0 {
			ready = append(ready, n)
		}
	}
	sort.Strings(ready)
	out := make([]string, 0, len(g.nodes))
	for len(ready) > 0 {
		n := ready[0]
		ready = ready[1:]
		out = append(out, n)
		var freed []string
		for d := range g.down[n] {
			pending[d]--
			if pending[d] == 0 {
				freed = append(freed, d)
			}
		}
		if len(freed) > 0 {
			ready = append(ready, freed...)
			sort.Strings(ready)
		}
	}
	return out
}

// Levels groups Order into waves: the first holds the nodes with no
// dependency, each next one the nodes whose dependencies all lie in
// earlier waves. Each wave is sorted. Nodes on or below a cycle are left
// out, as in Order.
func (g *Graph) Levels() [][]string {
	level := map[string]int{}
	var out [][]string
	for _, n := range g.Order() {
		l := 0
		for u := range g.up[n] {
			if level[u]+1 > l {
				l = level[u] + 1
			}
		}
		level[n] = l
		for len(out) <= l {
			out = append(out, nil)
		}
		out[l] = append(out[l], n)
	}
	for _, w := range out {
		sort.Strings(w)
	}
	return out
}

// Cycles returns every cycle of the graph, each as the nodes of one
// strongly connected component that holds a cycle, sorted, and the
// cycles sorted by their first node. A node with an edge to itself is a
// cycle of one.
func (g *Graph) Cycles() [][]string {
	// Tarjan's algorithm, iterating nodes and edges in sorted order.
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	next := 0
	var strong func(v string)
	strong = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g.Upstream(v) {
			if _, seen := index[w]; !seen {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var comp []string
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			comp = append(comp, w)
			if w == v {
				break
			}
		}
		if len(comp) > 1 || g.up[v][v] {
			sort.Strings(comp)
			out = append(out, comp)
		}
	}
	for _, n := range g.Nodes() {
		if _, seen := index[n]; !seen {
			strong(n)
		}
	}
	slices.SortFunc(out, func(a, b []string) int { return slices.Compare(a, b) })
	return out
}

// CyclePath returns the nodes of cycle (as Cycles returns it) in the order
// the edges run, starting at its first node and following, at each step,
// the smallest upstream node of the cycle not yet visited: a → b → c → a is
// returned as [a b c]. For a cycle whose component holds several loops, it
// is one loop through as many of its nodes as that walk reaches, followed
// by the nodes left over.
func (g *Graph) CyclePath(cycle []string) []string {
	if len(cycle) == 0 {
		return nil
	}
	in := map[string]bool{}
	for _, n := range cycle {
		in[n] = true
	}
	path := []string{cycle[0]}
	seen := map[string]bool{cycle[0]: true}
	cur := cycle[0]
	for {
		found := ""
		for _, u := range g.Upstream(cur) {
			if in[u] && !seen[u] {
				found = u
				break
			}
		}
		if found == "" {
			break
		}
		path = append(path, found)
		seen[found] = true
		cur = found
	}
	for _, n := range cycle {
		if !seen[n] {
			path = append(path, n)
		}
	}
	return path
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
