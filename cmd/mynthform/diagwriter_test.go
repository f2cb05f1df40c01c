package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// hclText is what hcl's own text writer prints for diags: the oracle of
// diagnosticWriter.
func hclText(t testing.TB, files map[string]*hcl.File, diags hcl.Diagnostics, color bool) string {
	t.Helper()
	var b bytes.Buffer
	if err := hcl.NewDiagnosticTextWriter(&b, files, diagnosticWidth, color).WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func ourText(t testing.TB, files map[string]*hcl.File, diags hcl.Diagnostics, color bool) string {
	t.Helper()
	var b bytes.Buffer
	if err := newDiagnosticWriter(&b, files, diagnosticWidth, color).WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDiagnosticWriterMatchesHCL holds the writer to hcl's text, byte for
// byte, on the diagnostics hclsyntax gives for broken files (line endings
// of every kind, multi-line ranges, ranges at and past the end of the
// file) and on random ranges over random text.
func TestDiagnosticWriterMatchesHCL(t *testing.T) {
	sources := []string{
		"task \"a\" {\n  prompt = \"x\n  model = \"m\"\n}\n",
		"task \"a\" {\r\n  prompt = \"x\r\n  model = \"m\"\r\n}\r\n",
		"task \"a\" {\r  prompt = \"x\r\n  model = 1 +\n}",
		"task \"a\" {\n  prompt = <<EOT\nhello\n",
		"task \"a\" {\n  id = \"é\xff\"\n}\n}\n",
		"task \"a\" {\n\tsize = \"square\" /* never\n",
		"task \"a\" {\n  x = \"\x00\"\n  y = [1,\n",
		"\n\n\n",
		"x",
		"",
	}
	for i, src := range sources {
		name := fmt.Sprintf("f%d.hcl", i)
		f, diags := hclsyntax.ParseConfig([]byte(src), name, hcl.InitialPos)
		files := map[string]*hcl.File{name: f}
		// A diagnostic with a context range, and one whose subject is
		// empty, at the very end.
		end := hcl.Pos{Line: 99, Column: 1, Byte: len(src)}
		diags = append(diags,
			&hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "W", Detail: strings.Repeat("word ", 50),
				Subject: &hcl.Range{Filename: name, Start: hcl.Pos{Line: 1, Column: 1, Byte: 0}, End: hcl.Pos{Line: 1, Column: 2, Byte: min(1, len(src))}},
				Context: &hcl.Range{Filename: name, Start: hcl.InitialPos, End: end}},
			&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "E", Subject: &hcl.Range{Filename: name, Start: end, End: end}},
		)
		for _, color := range []bool{false, true} {
			if got, want := ourText(t, files, diags, color), hclText(t, files, diags, color); got != want {
				t.Errorf("source %d, color %v:\n got %q\nwant %q", i, color, got, want)
			}
		}
	}

	rng := rand.New(rand.NewPCG(16, 2))
	alphabet := []string{"a", "b", " ", "\n", "\n", "\r\n", "\r", "\t", "é", "👍🏽", "\xff", "{", "\""}
	for iter := range 1000 {
		var b strings.Builder
		for range rng.IntN(200) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		src := b.String()
		name := "r.hcl"
		files := map[string]*hcl.File{name: {Bytes: []byte(src)}}
		var diags hcl.Diagnostics
		for range 5 {
			a, z := rng.IntN(len(src)+3)-1, rng.IntN(len(src)+3)-1
			if a > z && rng.IntN(4) > 0 {
				a, z = z, a
			}
			d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "S", Detail: "D",
				Subject: &hcl.Range{Filename: name, Start: hcl.Pos{Line: 1 + a/10, Column: 1, Byte: a}, End: hcl.Pos{Line: 1 + z/10, Column: 1, Byte: z}}}
			if rng.IntN(3) == 0 {
				c := rng.IntN(len(src) + 1)
				d.Context = &hcl.Range{Filename: name, Start: hcl.Pos{Byte: min(a, c)}, End: hcl.Pos{Byte: max(z, c)}}
			}
			diags = append(diags, d)
		}
		if got, want := ourText(t, files, diags, iter%2 == 0), hclText(t, files, diags, iter%2 == 0); got != want {
			t.Fatalf("random source %q:\n got %q\nwant %q", src, got, want)
		}
	}
}

// TestDiagnosticWriterValues: the values of an expression's variables and
// the "in task" context come out as hcl prints them.
func TestDiagnosticWriterValues(t *testing.T) {
	src := "task \"hero\" {\n  prompt = var.subject\n}\n"
	f, diags := hclsyntax.ParseConfig([]byte(src), "main.mynth.hcl", hcl.InitialPos)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	attr := f.Body.(*hclsyntax.Body).Blocks[0].Body.Attributes["prompt"]
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{"subject": cty.StringVal("a cat")})}}
	r := attr.Expr.Range()
	d := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bad prompt", Detail: "It is bad.",
		Subject: &r, Expression: attr.Expr, EvalContext: ctx}}
	files := map[string]*hcl.File{"main.mynth.hcl": f}
	got, want := ourText(t, files, d, false), hclText(t, files, d, false)
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if !strings.Contains(got, `in task "hero"`) || !strings.Contains(got, `with var.subject as "a cat".`) {
		t.Fatalf("context or values missing:\n%s", got)
	}
}

// BenchmarkPrintDiagnostics prints 100 diagnostics spread over a file of
// 10,000 task blocks: hcl's writer scans the file from its first byte for
// each (15.6 s a run against 15 ms, on the 2-core machine); diagnosticWriter reads
// only the lines it prints.
func BenchmarkPrintDiagnostics(b *testing.B) {
	var sb strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&sb, "\ntask \"p%05d\" {\n  prompt = \"Studio photo of product p%05d\"\n  size   = \"square\"\n}\n", i, i)
	}
	src := sb.String()
	f, diags := hclsyntax.ParseConfig([]byte(src), "main.mynth.hcl", hcl.InitialPos)
	if len(diags) > 0 {
		b.Fatal(diags)
	}
	var ds hcl.Diagnostics
	blocks := f.Body.(*hclsyntax.Body).Blocks
	for i := 0; i < len(blocks); i += len(blocks) / 100 {
		r := blocks[i].DefRange()
		ds = append(ds, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "S", Detail: "D", Subject: &r})
	}
	files := map[string]*hcl.File{"main.mynth.hcl": f}
	for _, w := range []struct {
		name  string
		write func(hcl.Diagnostics) error
	}{
		{"ours", func(d hcl.Diagnostics) error {
			return newDiagnosticWriter(discard{}, files, 100, false).WriteDiagnostics(d)
		}},
		{"hcl", func(d hcl.Diagnostics) error {
			return hcl.NewDiagnosticTextWriter(discard{}, files, 100, false).WriteDiagnostics(d)
		}},
	} {
		b.Run(w.name, func(b *testing.B) {
			for b.Loop() {
				if err := w.write(ds); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
