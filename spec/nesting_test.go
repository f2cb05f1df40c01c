package spec

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestCheckNesting: nesting counts only what the parser recurses on
// (brackets in code, strings and interpolations), never text inside
// strings, comments or heredocs, and the diagnostic points at the opening
// past the limit.
func TestCheckNesting(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	tests := []struct {
		name string
		kind syntaxKind
		src  string
		// want is the line and column of the refused opening; 0: none.
		wantLine, wantCol int
	}{
		{"at the limit", nativeSyntax, "a = " + deep("(", ")", MaxNesting) + "\n", 0, 0},
		{"past the limit", nativeSyntax, "\n\na = " + deep("(", ")", MaxNesting+1) + "\n", 3, 5 + MaxNesting},
		{"mixed brackets", nativeSyntax, "a = " + deep("[{(", ")}]", MaxNesting/3+1), 1, 5 + MaxNesting},
		{"balanced siblings do not add up", nativeSyntax, strings.Repeat("a = ((1))\n", 10*MaxNesting), 0, 0},
		{"text in a string", nativeSyntax, `a = "` + strings.Repeat("((", 10*MaxNesting) + `"`, 0, 0},
		{"escaped quote in a string", nativeSyntax, `a = "\"` + strings.Repeat("(", 10*MaxNesting) + `"`, 0, 0},
		{"literal interpolation", nativeSyntax, `a = "` + strings.Repeat("$${", 10*MaxNesting) + `"`, 0, 0},
		{"comments", nativeSyntax, "# " + strings.Repeat("(", 1000) + "\n// " + strings.Repeat("[", 1000) + "\n/* " + strings.Repeat("{", 1000) + " */\na = 1\n", 0, 0},
		{"heredoc text", nativeSyntax, "a = <<EOT\n" + strings.Repeat("(", 1000) + "\n  EOT\nb = " + deep("(", ")", 3) + "\n", 0, 0},
		{"indented heredoc then code", nativeSyntax, "a = <<-EOT\n  x\n  EOT\nb = " + deep("(", ")", MaxNesting+1) + "\n", 4, 5 + MaxNesting},
		{"interpolations nest", nativeSyntax, "a = " + strings.Repeat(`"${`, MaxNesting/2+1) + "1" + strings.Repeat(`}"`, MaxNesting/2+1) + "\n", 1, 5 + MaxNesting/2*3},
		{"heredoc interpolation", nativeSyntax, "a = <<EOT\n${" + deep("(", ")", MaxNesting) + "}\nEOT\n", 2, 1 + MaxNesting},
		{"utf-8 columns", nativeSyntax, "a = \"é\" == " + deep("(", ")", MaxNesting+1), 1, 12 + MaxNesting},
		{"template text", templateSyntax, strings.Repeat("((", 1000) + "${" + deep("(", ")", 5) + "}", 0, 0},
		{"template interpolation", templateSyntax, "${" + deep("(", ")", MaxNesting) + "}", 1, 1 + MaxNesting},
		{"json arrays", jsonSyntax, `{"a": ` + deep("[", "]", MaxNesting) + "}", 1, 7 + MaxNesting - 1},
		{"json text", jsonSyntax, `{"a": "` + strings.Repeat("[{(", 1000) + `\"{"}`, 0, 0},
		{"json interpolation", jsonSyntax, `{"a": "${` + deep("(", ")", MaxNesting) + `}"}`, 1, 10 + MaxNesting - 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := checkNesting([]byte(tt.src), "x.mynth.hcl", tt.kind)
			if tt.wantLine == 0 {
				if d != nil {
					t.Fatalf("refused at %s: %s", d.Subject, d.Detail)
				}
				return
			}
			if d == nil {
				t.Fatal("not refused")
			}
			if got := (hcl.Pos{Line: d.Subject.Start.Line, Column: d.Subject.Start.Column}); got != (hcl.Pos{Line: tt.wantLine, Column: tt.wantCol}) {
				t.Errorf("refused at %d:%d, want %d:%d", got.Line, got.Column, tt.wantLine, tt.wantCol)
			}
			if d.Subject.Filename != "x.mynth.hcl" || d.Summary != "Nested too deeply" {
				t.Errorf("diagnostic: %+v", d)
			}
		})
	}
}

// TestDeepNestingIsADiagnostic: what killed validate with a fatal stack
// overflow inside hclsyntax (100,000 parentheses in a spec, 120 KB of
// brackets in a MYNTH_VAR_ value) is an error diagnostic, for every way
// text reaches the parser.
func TestDeepNestingIsADiagnostic(t *testing.T) {
	parens := strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)
	brackets := strings.Repeat("[", 60000) + strings.Repeat("]", 60000)
	const declare = "variable \"sizes\" {\n  type = list(any)\n  default = []\n}\ntask \"a\" {\n  prompt = \"p\"\n}\n"
	tests := []struct {
		name    string
		files   map[string]string
		opts    LoadOptions
		summary string
		// file and line the diagnostic points at; "" for a value with no
		// file.
		file string
		line int
	}{
		{"spec file", map[string]string{"main.mynth.hcl": "task \"a\" {\n  prompt = \"p\"\n  count = " + parens + "\n}\n"}, LoadOptions{}, "Nested too deeply", "main.mynth.hcl", 3},
		{"json spec file", map[string]string{"main.mynth.json": `{"task": {"a": {"prompt": "p", "metadata": {"x": ` + brackets + `}}}}`}, LoadOptions{}, "Nested too deeply", "main.mynth.json", 1},
		{"variable file", map[string]string{"main.mynth.hcl": declare, "prod.mynthvars.hcl": "\nsizes = " + brackets + "\n"}, LoadOptions{VarFiles: []string{"prod.mynthvars.hcl"}}, "Nested too deeply", "prod.mynthvars.hcl", 2},
		{"environment", map[string]string{"main.mynth.hcl": declare}, LoadOptions{Getenv: env("MYNTH_VAR_sizes", brackets)}, "Value nested too deeply", "", 0},
		{"--var", map[string]string{"main.mynth.hcl": declare}, LoadOptions{Vars: []string{"sizes=" + brackets}}, "Value nested too deeply", "", 0},
		{"templatefile", map[string]string{"main.mynth.hcl": "task \"a\" {\n  prompt = templatefile(\"p.tmpl\", {})\n}\n", "p.tmpl": "${" + parens + "}"}, LoadOptions{}, "Invalid function argument", "main.mynth.hcl", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeSpec(t, tt.files)
			sp, diags := Load(dir, tt.opts)
			var found *hcl.Diagnostic
			for _, d := range diags {
				if d.Summary == tt.summary {
					found = d
				}
			}
			if found == nil || found.Severity != hcl.DiagError {
				t.Fatalf("no %q error among:\n%s", tt.summary, renderDiags(sp, diags))
			}
			if tt.file == "" {
				if !strings.Contains(found.Detail, "at most") && !strings.Contains(found.Detail, "more than") {
					t.Errorf("detail: %s", found.Detail)
				}
				return
			}
			if found.Subject == nil || !strings.HasSuffix(found.Subject.Filename, tt.file) || found.Subject.Start.Line != tt.line {
				t.Errorf("points at %v, want %s:%d", found.Subject, tt.file, tt.line)
			}
		})
	}
}

// TestFormatRefusesDeepNesting: fmt parses before formatting, so it is
// bounded too.
func TestFormatRefusesDeepNesting(t *testing.T) {
	src := []byte("a = " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n")
	out, diags := Format(src, "x.mynth.hcl")
	if out != nil || !diags.HasErrors() || diags[0].Summary != "Nested too deeply" {
		t.Fatalf("Format = %q, %v", out, diags)
	}
}

// BenchmarkCheckNesting measures the scan over a spec of 1,000 tasks, to
// compare with parsing it.
func BenchmarkCheckNesting(b *testing.B) {
	var sb strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&sb, "task \"t%d\" {\n  prompt = \"A (studio) photo of ${var.x[%d]}\" # note\n  count  = 1\n  metadata = { a = [1, 2, (3)] }\n}\n", i, i)
	}
	src := []byte(sb.String())
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if d := checkNesting(src, "x.mynth.hcl", nativeSyntax); d != nil {
				b.Fatal(d)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if _, diags := hclsyntax.ParseConfig(src, "x.mynth.hcl", hcl.InitialPos); diags.HasErrors() {
				b.Fatal(diags)
			}
		}
	})
}

// TestNestingScannerPos holds the position checkNesting reports, counted
// from an offset at the end, to the one kept byte by byte as the scan
// moves: a newline starts a line, and a column is a character, ended by
// a byte not followed by a UTF-8 continuation byte.
func TestNestingScannerPos(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 16))
	pieces := []string{"a", "(", "\n", "\n", "é", "🙂", "e\u0301", "\x80", "\xc3", " "}
	for range 300 {
		var b strings.Builder
		for range r.IntN(60) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := nestingScanner{src: []byte(b.String())}
		want := hcl.Pos{Line: 1, Column: 1}
		for i := 0; ; i++ {
			if got := s.pos(i); got != want {
				t.Fatalf("pos(%d) of %q = %v, want %v", i, s.src, got, want)
			}
			if i == len(s.src) {
				break
			}
			want.Byte++
			switch {
			case s.src[i] == '\n':
				want.Line++
				want.Column = 1
			case i+1 >= len(s.src) || s.src[i+1]&0xC0 != 0x80:
				want.Column++
			}
		}
	}
}

// TestStops holds the stops table to the bytes the scans act on.
func TestStops(t *testing.T) {
	for i := range 256 {
		c := byte(i)
		code := strings.IndexByte("#/\"<([{)]}", c) >= 0
		str := strings.IndexByte(`\"$%`, c) >= 0
		got := [4]bool{stops[c]&stopCode != 0, stops[c]&stopString != 0, stops[c]&stopCodeLine != 0, stops[c]&stopStringLine != 0}
		want := [4]bool{code, str, code || c == '\n', str || c == '\n'}
		if got != want {
			t.Errorf("byte %q: code, string, code or newline, string or newline stop: %v, want %v", c, got, want)
		}
	}
}
