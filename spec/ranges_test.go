package spec

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestRanges holds Ranges to a map[string]hcl.Range: whatever is set (by
// Set or add), in whatever order, Get, Len, All and Map give what the map
// would, ranges in another file and positions past 32 bits included.
func TestRanges(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	names := []string{"id", "prompt", "prompt.positive", "model", "size", "files", "expect", "expect.max_cost", "inputs", "for_each"}
	for round := range 200 {
		var r Ranges
		want := map[string]hcl.Range{}
		for range rnd.IntN(30) {
			name := names[rnd.IntN(len(names))]
			file := "main.mynth.hcl"
			if rnd.IntN(10) == 0 {
				file = "other.mynth.hcl"
			}
			line := rnd.IntN(1 << 20)
			if rnd.IntN(10) == 0 {
				line = 1<<33 + rnd.IntN(10)
			}
			rng := hcl.Range{Filename: file,
				Start: hcl.Pos{Line: line, Column: rnd.IntN(200) + 1, Byte: rnd.IntN(1 << 30)},
				End:   hcl.Pos{Line: line + 1, Column: rnd.IntN(200) + 1, Byte: rnd.IntN(1<<31 - 1)}}
			if rnd.IntN(2) == 0 {
				r.add(name, rng)
			} else {
				r.Set(name, rng)
			}
			want[name] = rng
		}
		if round%2 == 0 {
			r.trim()
		}
		if r.Len() != len(want) {
			t.Fatalf("round %d: Len %d, want %d", round, r.Len(), len(want))
		}
		for _, name := range names {
			got, ok := r.Get(name)
			w, wok := want[name]
			if ok != wok || got != w {
				t.Fatalf("round %d: Get(%q) = %v %v, want %v %v", round, name, got, ok, w, wok)
			}
		}
		m := r.Map()
		if len(m) != len(want) {
			t.Fatalf("round %d: Map has %d, want %d", round, len(m), len(want))
		}
		for k, v := range want {
			if m[k] != v {
				t.Fatalf("round %d: Map[%q] = %v, want %v", round, k, m[k], v)
			}
		}
		if !r.Equal(NewRanges(want)) {
			t.Fatalf("round %d: not Equal to NewRanges of the same map", round)
		}
		if len(want) > 0 && r.Equal(Ranges{}) {
			t.Fatalf("round %d: Equal to empty Ranges", round)
		}
	}
}

// TestRangesLargeFile loads a file of 20,000 task blocks (about 2 MB) and
// checks the ranges of the last attribute of the last block, and a
// diagnostic there, against the positions counted in the file itself.
func TestRangesLargeFile(t *testing.T) {
	var b strings.Builder
	n := 20000
	if raceEnabled {
		n = 3000
	}
	for i := range n {
		files := fmt.Sprintf("\"assets/p%05d.webp\"", i)
		if i == n-1 {
			files = "\"/abs/last.webp\""
		}
		fmt.Fprintf(&b, "task \"p%05d\" {\n  prompt = \"Studio photo of product p%05d\"\n  model  = \"m\"\n  files  = [%s]\n}\n\n", i, i, files)
	}
	src := b.String()
	dir := t.TempDir()
	path := filepath.Join(dir, "main.mynth.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, diags := Load(dir, LoadOptions{})
	if len(diags) != 1 || diags[0].Summary != "Invalid file path" {
		t.Fatalf("diagnostics: %v", diags)
	}
	off := strings.LastIndex(src, "[\"/abs/last.webp\"]")
	line := strings.Count(src[:off], "\n") + 1
	col := off - strings.LastIndex(src[:off], "\n")
	want := hcl.Range{Filename: path,
		Start: hcl.Pos{Line: line, Column: col, Byte: off},
		End:   hcl.Pos{Line: line, Column: col + len("[\"/abs/last.webp\"]"), Byte: off + len("[\"/abs/last.webp\"]")}}
	if got := *diags[0].Subject; got != want {
		t.Errorf("diagnostic at %#v, want %#v", got, want)
	}
	last := sp.Tasks[len(sp.Tasks)-1]
	if last.Address != fmt.Sprintf("task.p%05d", n-1) {
		t.Fatalf("last task %s", last.Address)
	}
	prompt, ok := last.Ranges.Get("prompt")
	if !ok || prompt.Filename != path || prompt.Start.Line != line-2 || prompt.Start.Column != 12 {
		t.Errorf("prompt at %#v, want line %d column 12", prompt, line-2)
	}
	if got, _ := last.Ranges.Get("files"); got != want {
		t.Errorf("files at %#v, want %#v", got, want)
	}
}
