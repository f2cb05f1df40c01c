package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// scaleBlock is task block i as scripts/scale writes the blocks shape.
func scaleBlock(i int) string {
	return fmt.Sprintf("\ntask \"p%05d\" {\n  id     = \"tsk_SCALE%05d\"\n  prompt = \"Studio photo of product p%05d\"\n  model  = \"google/gemini-3.1-flash-image\"\n  size   = \"square\"\n}\n", i, i, i)
}

// brokenSpec is a file of n scale blocks with block bad replaced by
// broken(bad), and the line of the file that broken's text marks with
// "@" (the "@" is removed), 0 when it marks none.
func brokenSpec(n, bad int, broken func(i int) string) (string, int) {
	var b strings.Builder
	b.WriteString("mynth {\n  parallelism = 32\n}\n")
	line := 0
	for i := range n {
		if i != bad {
			b.WriteString(scaleBlock(i))
			continue
		}
		s := broken(i)
		if at := strings.IndexByte(s, '@'); at >= 0 {
			line = strings.Count(b.String(), "\n") + strings.Count(s[:at], "\n") + 1
			s = s[:at] + s[at+1:]
		}
		b.WriteString(s)
	}
	return b.String(), line
}

// brokenBlocks are the ways TestBrokenLargeFile breaks one block.
var brokenBlocks = map[string]func(i int) string{
	"unterminated string": func(i int) string {
		return strings.Replace(scaleBlock(i), "  prompt = \"Studio photo of product p"+fmt.Sprintf("%05d\"", i), "@  prompt = \"Studio photo of product", 1)
	},
	"unclosed brace":  func(i int) string { return strings.TrimSuffix(scaleBlock(i), "}\n") },
	"unclosed nested": func(i int) string { return strings.Replace(scaleBlock(i), "  size", "  nested {\n  size", 1) },
	"stray brace":     func(i int) string { return scaleBlock(i) + "@}\n" },
	"heredoc":         func(i int) string { return strings.Replace(scaleBlock(i), "\"Studio photo", "<<EOT\nStudio photo", 1) },
	"comment":         func(i int) string { return strings.Replace(scaleBlock(i), "  size", "  /* never closed\n  size", 1) },
	"NUL":             func(i int) string { return strings.Replace(scaleBlock(i), "  size", "@\x00\n  size", 1) },
	"invalid UTF-8":   func(i int) string { return strings.Replace(scaleBlock(i), "  size", "@  label = \"\xff\"\n  size", 1) },
	// The quote missing on the last line before the cut to the next block.
	"string at a cut": func(i int) string {
		return strings.Replace(scaleBlock(i), "  size   = \"square\"", "@  size   = \"square", 1)
	},
	"two broken lines": func(i int) string { return strings.Replace(scaleBlock(i), "\"square\"", "@\"square\n  y = \"a", 1) },
}

// TestBrokenLargeFile breaks one block of a 1,000-block file at its
// start, middle and end, every way brokenBlocks has. The loader must
// report at least one error and no more than hclsyntax parsing the whole
// file does, its first where hclsyntax's first is (and on the marked
// line, where the case marks one), each with its snippet's file. One
// missing quote used to report hclsyntax's cascade: an error on nearly
// every later line of the file (2,999 for the middle block), hence the
// bound of ten.
func TestBrokenLargeFile(t *testing.T) {
	const n = 1000
	for name, broken := range brokenBlocks {
		for _, where := range []struct {
			name string
			bad  int
		}{{"start", 0}, {"middle", n / 2}, {"end", n - 1}} {
			t.Run(name+"/"+where.name, func(t *testing.T) {
				src, line := brokenSpec(n, where.bad, broken)
				_, wd := hclsyntax.ParseConfig([]byte(src), "main.mynth.hcl", hcl.InitialPos)
				if !wd.HasErrors() {
					t.Fatalf("hclsyntax finds no error: the case breaks nothing")
				}
				dir := t.TempDir()
				path := filepath.Join(dir, "main.mynth.hcl")
				if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
				sp, diags := Load(dir, LoadOptions{})
				if len(diags) == 0 || len(diags) > len(wd) || len(diags) > 10 {
					t.Fatalf("%d diagnostics, want 1 to min(10, hclsyntax's %d):\n%s", len(diags), len(wd), diagText(diags[:min(len(diags), 5)]))
				}
				first, wfirst := earliest(diags), earliest(wd)
				if first == nil || first.Subject.Start != wfirst.Subject.Start {
					t.Fatalf("first diagnostic %v, hclsyntax's first at %v", first, wfirst.Subject)
				}
				if line != 0 && first.Subject.Start.Line != line {
					t.Errorf("first diagnostic on line %d, want %d: %s", first.Subject.Start.Line, line, first.Summary)
				}
				for _, d := range diags {
					if d.Subject == nil || d.Subject.Filename != path {
						t.Errorf("diagnostic without this file's range: %v", d)
					}
				}
				if f := sp.Files[path]; f == nil || string(f.Bytes) != src {
					t.Error("the file's source is not there for the snippets")
				}
			})
		}
	}
}

func earliest(diags hcl.Diagnostics) *hcl.Diagnostic {
	var first *hcl.Diagnostic
	for _, d := range diags {
		if d.Subject != nil && (first == nil || d.Subject.Start.Byte < first.Subject.Start.Byte) {
			first = d
		}
	}
	return first
}

// TestBrokenAtChunkThreshold: with a threshold of 4 KiB, a file of
// exactly that size is cut into pieces, one a byte shorter is parsed whole; with one missing quote both
// report the same first error, and the cut one no more than hclsyntax.
func TestBrokenAtChunkThreshold(t *testing.T) {
	const threshold = 4 << 10
	for _, size := range []int{threshold - 1, threshold} {
		src, line := brokenSpec(20, 10, brokenBlocks["unterminated string"])
		if len(src) >= size {
			t.Fatalf("the spec is %d bytes, over %d", len(src), size)
		}
		src += "\n#" + strings.Repeat("x", size-len(src)-3) + "\n"
		if len(src) != size {
			t.Fatalf("padded to %d, want %d", len(src), size)
		}
		if n := len(blockStarts([]byte(src), threshold)); (size == threshold) != (n > 1) {
			t.Fatalf("%d bytes cut into %d pieces", size, n)
		}
		_, wd := hclsyntax.ParseConfig([]byte(src), "main.mynth.hcl", hcl.InitialPos)
		l := &loader{parser: hclparse.NewParser()}
		_, diags := l.parseNative([]byte(src), "main.mynth.hcl", threshold)
		if len(diags) == 0 || len(diags) > len(wd) {
			t.Fatalf("%d bytes: %d diagnostics, hclsyntax %d", size, len(diags), len(wd))
		}
		if first := earliest(diags); first.Subject.Start.Line != line || first.Subject.Start != earliest(wd).Subject.Start {
			t.Fatalf("%d bytes: first diagnostic at %v, want line %d, hclsyntax's %v", size, first.Subject, line, earliest(wd).Subject)
		}
	}
}

// TestBrokenFileTrustsWholeParse: pieces whose diagnostics a parse of the
// whole file does not bear out (a file cut where it should not have
// been) give way to the whole file's parse.
func TestBrokenFileTrustsWholeParse(t *testing.T) {
	src, _ := brokenSpec(10, -1, nil)
	bogus := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bogus", Subject: &hcl.Range{Filename: "f.hcl", Start: hcl.Pos{Line: 5, Column: 1, Byte: 40}}}}
	l := &loader{parser: hclparse.NewParser()}
	f, diags := l.brokenFile([]byte(src), "f.hcl", nil, bogus, hcl.Pos{})
	if len(diags) != 0 {
		t.Fatalf("diagnostics of a file that parses: %v", diags)
	}
	if got := len(f.Body.(*hclsyntax.Body).Blocks); got != 11 {
		t.Fatalf("%d blocks, want 11", got)
	}
	if l.parser.Files()["f.hcl"] != f {
		t.Fatal("the parsed file is not in the parser's cache")
	}

	// A broken file whose pieces report an error hclsyntax's first is not:
	// hclsyntax's stand.
	broken, _ := brokenSpec(10, 5, brokenBlocks["stray brace"])
	_, wd := hclsyntax.ParseConfig([]byte(broken), "f.hcl", hcl.InitialPos)
	if _, diags := l.brokenFile([]byte(broken), "f.hcl", nil, bogus, hcl.Pos{}); diagText(diags) != diagText(wd) {
		t.Fatalf("got %s, want hclsyntax's %s", diagText(diags), diagText(wd))
	}
}

// BenchmarkLoadBrokenFile loads a file of 10,000 scale blocks with one
// missing quote in the middle: hclsyntax alone reports 29,999 errors.
func BenchmarkLoadBrokenFile(b *testing.B) {
	src, _ := brokenSpec(10000, 5000, brokenBlocks["unterminated string"])
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, diags := Load(dir, LoadOptions{}); len(diags) == 0 {
			b.Fatal("no diagnostics")
		}
	}
}
