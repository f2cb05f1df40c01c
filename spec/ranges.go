package spec

import (
	"iter"
	"math"
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// Ranges holds the source range of each attribute or block set in a task,
// by name ("prompt", "expect.max_cost", ...). It is a compact form of a
// map[string]hcl.Range: every range of a task lies in the task's file,
// so the file name is kept once, and each position in 32-bit numbers.
// A loaded spec holds one per task for as long as a plan runs; as a map
// it cost about 700 bytes a task, as Ranges a third of that. The zero
// Ranges is empty and ready to use.
type Ranges struct {
	file  string
	items []rangeItem // sorted by name
	// other holds what the compact form cannot: a range in another file
	// than the first one set, or past 2 GiB. Nil in practice.
	other map[string]hcl.Range
}

// rangeItem is one named range, in the file of its Ranges.
type rangeItem struct {
	name       string
	start, end pos32
}

// pos32 is an hcl.Pos whose numbers fit in 32 bits.
type pos32 struct{ line, column, byte int32 }

func toPos32(p hcl.Pos) (pos32, bool) {
	ok := p.Line >= math.MinInt32 && p.Line <= math.MaxInt32 &&
		p.Column >= math.MinInt32 && p.Column <= math.MaxInt32 &&
		p.Byte >= math.MinInt32 && p.Byte <= math.MaxInt32
	return pos32{int32(p.Line), int32(p.Column), int32(p.Byte)}, ok
}

func (p pos32) pos() hcl.Pos {
	return hcl.Pos{Line: int(p.line), Column: int(p.column), Byte: int(p.byte)}
}

// NewRanges returns the Ranges that hold the ranges of m.
func NewRanges(m map[string]hcl.Range) Ranges {
	var r Ranges
	for name, rng := range m {
		r.Set(name, rng)
	}
	return r
}

// Get returns the range set under name, and whether there is one.
func (r Ranges) Get(name string) (hcl.Range, bool) {
	if rng, ok := r.other[name]; ok {
		return rng, true
	}
	i := sort.Search(len(r.items), func(i int) bool { return r.items[i].name >= name })
	if i < len(r.items) && r.items[i].name == name {
		it := r.items[i]
		return hcl.Range{Filename: r.file, Start: it.start.pos(), End: it.end.pos()}, true
	}
	return hcl.Range{}, false
}

// Set sets the range under name, replacing any range set before.
func (r *Ranges) Set(name string, rng hcl.Range) {
	r.remove(name)
	start, ok1 := toPos32(rng.Start)
	end, ok2 := toPos32(rng.End)
	if len(r.items) == 0 && r.other == nil {
		r.file = rng.Filename
	}
	if !ok1 || !ok2 || rng.Filename != r.file {
		if r.other == nil {
			r.other = map[string]hcl.Range{}
		}
		r.other[name] = rng
		return
	}
	i := sort.Search(len(r.items), func(i int) bool { return r.items[i].name >= name })
	r.items = append(r.items, rangeItem{})
	copy(r.items[i+1:], r.items[i:])
	r.items[i] = rangeItem{name: name, start: start, end: end}
}

// add sets the range under name as Set does, more cheaply when name sorts
// after every name set before.
func (r *Ranges) add(name string, rng hcl.Range) {
	if len(r.items) == 0 && r.other == nil {
		r.file = rng.Filename
	}
	start, ok1 := toPos32(rng.Start)
	end, ok2 := toPos32(rng.End)
	if !ok1 || !ok2 || rng.Filename != r.file || r.other != nil || len(r.items) > 0 && r.items[len(r.items)-1].name >= name {
		r.Set(name, rng)
		return
	}
	r.items = append(r.items, rangeItem{name: name, start: start, end: end})
}

func (r *Ranges) remove(name string) {
	delete(r.other, name)
	i := sort.Search(len(r.items), func(i int) bool { return r.items[i].name >= name })
	if i < len(r.items) && r.items[i].name == name {
		r.items = append(r.items[:i], r.items[i+1:]...)
	}
}

// Len is the number of ranges set.
func (r Ranges) Len() int { return len(r.items) + len(r.other) }

// All yields every name and its range, the compact ones sorted by name.
func (r Ranges) All() iter.Seq2[string, hcl.Range] {
	return func(yield func(string, hcl.Range) bool) {
		for _, it := range r.items {
			if !yield(it.name, hcl.Range{Filename: r.file, Start: it.start.pos(), End: it.end.pos()}) {
				return
			}
		}
		for name, rng := range r.other {
			if !yield(name, rng) {
				return
			}
		}
	}
}

// Map returns the ranges as a map.
func (r Ranges) Map() map[string]hcl.Range {
	m := make(map[string]hcl.Range, r.Len())
	for name, rng := range r.All() {
		m[name] = rng
	}
	return m
}

// Equal reports whether r and o hold the same names at the same ranges.
func (r Ranges) Equal(o Ranges) bool {
	if r.Len() != o.Len() {
		return false
	}
	for name, rng := range r.All() {
		if got, ok := o.Get(name); !ok || got != rng {
			return false
		}
	}
	return true
}

// grow makes room for n ranges in all, so that setting them allocates
// once.
func (r *Ranges) grow(n int) {
	if n > cap(r.items) {
		r.items = append(make([]rangeItem, 0, n), r.items...)
	}
}

// trim gives the ranges a backing array of their exact size: a task's
// Ranges are set while it is decoded and kept unchanged after.
func (r *Ranges) trim() {
	if cap(r.items) > len(r.items) {
		r.items = append([]rangeItem(nil), r.items...)
	}
}
