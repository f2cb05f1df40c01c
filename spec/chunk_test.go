package spec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/mynthform/mynthform/mynth"
)

// trickySpec holds what a cheap block scanner could take for the start of a
// top-level block: lines opening with "task" inside a heredoc, an indented
// heredoc, a block comment, a string with a brace and an interpolation of
// an object, and comments with brackets in them.
const trickySpec = `# a comment with { an open brace
variable "style" {
  default = <<EOT
task "not_a_block" {
  prompt = "inside a heredoc"
}
EOT
}

/*
task "commented_out" {
}
*/

locals {
  label = "a } brace and a ${jsonencode({a = "}"})} object"
  tail  = <<-EOT
    task "also_not_a_block" {
    EOT
}

// a comment with ) and ]
task "one" {
  prompt = "Studio photo, ${var.style} ${local.label}"
  model  = "m"
  size   = "square"
}

task "two" {
  prompt = "literal $${not_interpolated} and %%{ too"
  model  = "m"
  size   = { width = 512, height = 512 }
}

task "three" {
  prompt = local.tail
  model  = "m"
  size   = "portrait"
}
`

// TestChunkedParseMatchesWhole loads every fixture spec and example twice,
// parsed whole and cut before every top-level block, and requires the same
// Spec and the same printed diagnostics.
func TestChunkedParseMatchesWhole(t *testing.T) {
	var dirs []string
	for _, pattern := range []string{filepath.Join(fixtureDir, "*"), filepath.Join("..", "examples", "*")} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, m...)
	}
	tricky := t.TempDir()
	if err := os.WriteFile(filepath.Join(tricky, "main.mynth.hcl"), []byte(trickySpec), 0o644); err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, tricky)
	cut := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			opts := LoadOptions{Vars: []string{"model=m"}}
			whole, wd := Load(dir, opts)
			opts.chunkBytes = 1
			chunked, cd := Load(dir, opts)
			amounts := cmp.Comparer(func(a, b mynth.Amount) bool { return a.String() == b.String() })
			if diff := cmp.Diff(whole.Tasks, chunked.Tasks, amounts); diff != "" {
				t.Errorf("tasks differ (-whole +chunked):\n%s", diff)
			}
			if diff := cmp.Diff(whole.Settings, chunked.Settings); diff != "" {
				t.Errorf("settings differ (-whole +chunked):\n%s", diff)
			}
			if diff := cmp.Diff(printed(t, whole.Files, wd), printed(t, chunked.Files, cd)); diff != "" {
				t.Errorf("diagnostics differ (-whole +chunked):\n%s", diff)
			}
		})
		names, _ := filepath.Glob(filepath.Join(dir, "*"+SpecSuffix))
		for _, name := range names {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if len(blockStarts(src, 1)) > 1 {
				cut++
			}
		}
	}
	if cut < 10 {
		t.Fatalf("only %d of the files were cut into pieces: the test compares nothing", cut)
	}
	if n := len(blockStarts([]byte(trickySpec), 1)); n != 6 {
		t.Errorf("the tricky spec was cut into %d pieces, want 6 (one per real top-level block)", n)
	}
}

func printed(t *testing.T, files map[string]*hcl.File, diags hcl.Diagnostics) string {
	t.Helper()
	var b bytes.Buffer
	if err := hcl.NewDiagnosticTextWriter(&b, files, 100, false).WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// FuzzChunkedParse parses arbitrary text whole and in pieces: the syntax
// trees (every block, attribute and range, every expression's value) and
// the diagnostics must be the same.
func FuzzChunkedParse(f *testing.F) {
	f.Add(trickySpec)
	f.Add("task \"a\" {\n}\ntask \"b\" {\n  x = <<EOT\ny\nEOT\n}\n")
	f.Add("a = 1\ntask \"b\" {}\n")
	f.Add("task \"a\" {\n  x = \"${\"\n}\ntask \"b\" {}\n")
	f.Fuzz(func(t *testing.T, src string) {
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("parsing hangs on %q", src)) })
		defer watchdog.Stop()
		whole, wd := hclparse.NewParser().ParseHCL([]byte(src), "f.hcl")
		l := &loader{parser: hclparse.NewParser()}
		chunked, cd := l.parseNative([]byte(src), "f.hcl", 1)
		if got, want := diagText(cd), diagText(wd); got != want {
			t.Fatalf("diagnostics differ:\nwhole:\n%s\nchunked:\n%s", want, got)
		}
		if diff := cmp.Diff(dumpBody(whole.Body), dumpBody(chunked.Body)); diff != "" {
			t.Fatalf("syntax trees differ (-whole +chunked):\n%s", diff)
		}
		if l.parser.Files()["f.hcl"] != chunked {
			t.Fatal("the parsed file is not in the parser's cache")
		}
	})
}

func diagText(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%v %s %s %v\n", d.Severity, d.Summary, d.Detail, d.Subject)
	}
	return b.String()
}

// dumpBody writes out a native body: its blocks, attributes, ranges and
// the values of expressions that need no variables.
func dumpBody(body hcl.Body) []string {
	b, ok := body.(*hclsyntax.Body)
	if !ok || b == nil {
		return []string{fmt.Sprintf("%T", body)}
	}
	out := []string{fmt.Sprintf("body %v %v", b.SrcRange, b.EndRange)}
	names := make([]string, 0, len(b.Attributes))
	for name := range b.Attributes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a := b.Attributes[name]
		v, d := a.Expr.Value(nil)
		out = append(out, fmt.Sprintf("attr %s %v %v %v %d", name, a.SrcRange, a.Expr.Range(), v.GoString(), len(d)))
	}
	for _, blk := range b.Blocks {
		out = append(out, fmt.Sprintf("block %s %q %v %v", blk.Type, blk.Labels, blk.TypeRange, blk.Range()))
		out = append(out, dumpBody(blk.Body)...)
	}
	return out
}
