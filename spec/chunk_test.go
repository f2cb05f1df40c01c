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

// FuzzChunkedParse parses arbitrary text whole and in pieces. When the
// whole parse has no error, the syntax trees (every block, attribute and
// range, every expression's value) and the diagnostics must be the same;
// when it has, the pieces report errors too, no more than it, the first
// where its first is.
func FuzzChunkedParse(f *testing.F) {
	f.Add(trickySpec)
	f.Add("task \"a\" {\n}\ntask \"b\" {\n  x = <<EOT\ny\nEOT\n}\n")
	f.Add("a = 1\ntask \"b\" {}\n")
	f.Add("task \"a\" {\n  x = \"${\"\n}\ntask \"b\" {}\n")
	// Broken files (TestBrokenLargeFile's cases, small).
	for _, broken := range brokenBlocks {
		for _, bad := range []int{0, 2, 4} {
			src, _ := brokenSpec(5, bad, broken)
			f.Add(src)
		}
	}
	f.Add("task \"a\" {\n  x = \"a\n}\nb = \"c\"\ntask \"d\" {\n}\n")
	f.Add("task \"a\" {\n  x = \"${\n  y}\"\n}\ntask \"b\" {\n}\n}\n")
	f.Fuzz(func(t *testing.T, src string) {
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("parsing hangs on %q", src)) })
		defer watchdog.Stop()
		whole, wd := hclparse.NewParser().ParseHCL([]byte(src), "f.hcl")
		l := &loader{parser: hclparse.NewParser()}
		chunked, cd := l.parseNative([]byte(src), "f.hcl", 1)
		if l.parser.Files()["f.hcl"] != chunked {
			t.Fatal("the parsed file is not in the parser's cache")
		}
		if wd.HasErrors() {
			if !cd.HasErrors() || len(cd) > len(wd) || firstByte(cd) != firstByte(wd) {
				t.Fatalf("diagnostics of a broken file:\nwhole:\n%s\nchunked:\n%s", diagText(wd), diagText(cd))
			}
			return
		}
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

// subjects lists the ranges of diags, line, column and byte.
func subjects(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		if d.Subject != nil {
			out = append(out, fmt.Sprintf("%s %#v %#v", d.Subject.Filename, d.Subject.Start, d.Subject.End))
		}
	}
	return out
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

// TestLargeFileDiagnostics loads a file of 2,000 task blocks, most of
// them in quickParse's subset, with problems in the middle: a syntax error
// (which must be reported once, with hclsyntax's own snippet), and, in a
// file that parses, errors of evaluation in blocks of both parsers. Cut
// into pieces or parsed whole, the Spec and every printed diagnostic must
// be the same, in the same order, run after run.
func TestLargeFileDiagnostics(t *testing.T) {
	block := func(i int) string {
		return fmt.Sprintf("task \"p%05d\" {\n  prompt = \"Studio photo of product p%05d\"\n  model  = \"m\"\n  size   = \"square\"\n  files  = [\"assets/p%05d.webp\"]\n}\n\n", i, i, i)
	}
	write := func(t *testing.T, edit func(i int) string) string {
		var b strings.Builder
		for i := range 2000 {
			if s := edit(i); s != "" {
				b.WriteString(s)
				continue
			}
			b.WriteString(block(i))
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	cases := map[string]struct {
		edit func(i int) string
		want []string // summaries, in order
	}{
		"syntax error in the middle": {
			edit: func(i int) string {
				if i == 1000 {
					return "task \"p01000\" {\n  prompt = \"p\" \"q\"\n  model  = \"m\" = 2\n}\n\n"
				}
				return ""
			},
			want: []string{"Missing newline after argument"},
		},
		"evaluation errors in both parsers": {
			edit: func(i int) string {
				switch i {
				case 700:
					return "task \"p00700\" {\n  prompt = \"p\"\n  size   = \"enormous\"\n  colour = \"red\"\n}\n\n"
				case 701: // outside quickParse's subset
					return "task \"p00701\" { prompt = \"p ${var.nope}\" }\n\n"
				case 1500:
					return "task \"p01500\" {\n  prompt = \"p\"\n  files  = [\"assets/p00003.webp\"]\n}\n\n"
				}
				return ""
			},
			want: []string{"Unknown size", "Unsupported argument", "Reference to undeclared variable", "Two images saved to one file"},
		},
		// Blocks that quickParse reads have their trees dropped after
		// parsing and are read again when decoded (hollowTask): their
		// diagnostics come out in the same order, at the same places.
		"errors in blocks read again": {
			edit: func(i int) string {
				switch i {
				case 10: // a duplicate name: the block's own errors first
					return "task \"p00003\" {\n  prompt = \"p\"\n  colour = \"red\"\n}\n\n"
				case 11:
					return "task \"9lives\" {\n  prompt = \"p\"\n}\n\n"
				case 12: // inputs, decoded after every task
					return "task \"p00012\" {\n  prompt = \"p\"\n  inputs = [\"ftp://example.com/a.png\"]\n}\n\n"
				case 1999: // the last attribute of the last block
					return "task \"p01999\" {\n  prompt = \"p\"\n  model  = \"m\"\n  size   = \"square\"\n  files  = [\"/etc/p01999.webp\"]\n}\n"
				}
				return ""
			},
			want: []string{"Duplicate task address", "Unsupported argument", "Invalid task name", "Invalid input URL", "Invalid file path"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := write(t, tc.edit)
			whole, wd := Load(dir, LoadOptions{chunkBytes: 1 << 40})
			want := printed(t, whole.Files, wd)
			var summaries []string
			for _, d := range wd {
				summaries = append(summaries, d.Summary)
			}
			if diff := cmp.Diff(tc.want, summaries); diff != "" {
				t.Fatalf("whole-file diagnostics (-want +got):\n%s\n%s", diff, want)
			}
			for run := range 3 {
				cut, cd := Load(dir, LoadOptions{})
				if diff := cmp.Diff(want, printed(t, cut.Files, cd)); diff != "" {
					t.Fatalf("run %d: diagnostics differ (-whole +cut):\n%s", run, diff)
				}
				if diff := cmp.Diff(subjects(wd), subjects(cd)); diff != "" {
					t.Fatalf("run %d: diagnostics' ranges differ (-whole +cut):\n%s", run, diff)
				}
				amounts := cmp.Comparer(func(a, b mynth.Amount) bool { return a.String() == b.String() })
				if diff := cmp.Diff(whole.Tasks, cut.Tasks, amounts); diff != "" {
					t.Fatalf("run %d: tasks differ (-whole +cut):\n%s", run, diff)
				}
			}
		})
	}
}

// TestBlockHeader holds the header of a block, which diagnostics print as
// their context, to fmt's %q of each label.
func TestBlockHeader(t *testing.T) {
	for _, labels := range [][]string{nil, {"hero"}, {"a", ""}, {"q\"uote", "tab\t", "café ☕", "\xff", "\u2028"}} {
		want := "task"
		for _, l := range labels {
			want += fmt.Sprintf(" %q", l)
		}
		if got := blockHeader(&hclsyntax.Block{Type: "task", Labels: labels}); got != want {
			t.Errorf("header of %q = %s, want %s", labels, got, want)
		}
	}
}
