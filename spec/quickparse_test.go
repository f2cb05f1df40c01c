package spec

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// quickPieces are pieces of the subset quickParse reads, each a top-level
// block as blockStarts cuts them.
var quickPieces = []string{
	"task \"p00001\" {\n  id     = \"tsk_SCALE00001\"\n  prompt = \"Studio photo of product p00001\"\n  model  = \"google/gemini-3.1-flash-image\"\n  size   = \"square\"\n}\n\n",
	"mynth {\n  parallelism = 32\n}\n",
	"task \"a\" {\n}\n",
	"task \"a\" {\n  prompt = \"\"\n}",
	"task \"a\" \"b\" \"\" {\n  x = true\n  y = false\n  z = null\n}\n",
	"task \"hero\" {\n  prompt = \"café ☕ naïve 👩‍👩‍👧 e\u0301\"\n  files  = [\"assets/héro.webp\"]\n}\n",
	"task \"a\" {\n  count = 007\n  n = 12345678901234567890123\n  list = []\n  l2 = [ 1, 2 , 3, ]\n  l3 = [\n    \"a\",\n\n    \"b\"\n  ]\n  nested = [[1], [\"x\", [true]]]\n}\n",
	"task \"a\" {\n  model = var.model\n  key = each.key\n  deep = local.a.b-c.d_e\n  dashed = a-1\n}\n",
	"task \"a\" {\n  # a comment\n  prompt = \"p\" # after\n  // another\n  size = \"square\" // after\n\n  expect {\n    max_cost = \"0.02\"\n    status = \"completed\"\n  }\n  output {\n  }\n  webhook {\n    enabled = true\n    deep {\n      x = 1\n    }\n  }\n}\n# trailing comment ☕\n\n  \n",
	"budget {\n  price \"google/gemini-3.1-flash-image\" {\n    image = \"0.0125\"\n  }\n}\n",
	"task \"a\"{\n  x=1\n  y =2\n  z= 3\n}   \n",
	"locals {\n  true = 1\n  for = [x]\n}\n",
	"task \"a\" {\n  prompt = \"a ${var.x}\"\n  model = \"${var.model}\"\n  files = [\"assets/${each.key}.webp\", \"${a}${b.c-d}\"]\n  x = \"${a} b ${local.x.y} c\"\n}\n",
	"task \"a\" {\n  prompt = \"café ${var.m}é ☕ ${x}\u0301 👩‍👩‍👧\"\n  p2 = \"{${a}}\"\n}\n",
	"task \"a\" {\n  x = { a = 1 }\n  e = {}\n  f = {\n  }\n}\n",
	"locals {\n  ids = {\n    p00000 = \"tsk_SCALE00000\"\n    p00001 = \"tsk_SCALE00001\"\n\n    p-2 = [1, { x = var.y }]\n  }\n  o = { a = 1, b = \"${x}\", c = { d = null }, }\n  o2 = {a=1,b=2}\n  dup = { a = 1, a = 2 }\n}\n",
}

// notQuickPieces are pieces quickParse must leave to hclsyntax.
var notQuickPieces = []string{
	"task \"a\" { prompt = \"p\" }\n",
	"task \"a\" {}\n",
	"task a {\n}\n",
	"task \"a\" {\n  prompt = \"50%\"\n}\n",
	"task \"a\" {\n  prompt = \"$${x}\"\n}\n",
	"task \"a\" {\n  prompt = \"${ x }\"\n}\n",
	"task \"a\" {\n  prompt = \"${x.0}\"\n}\n",
	"task \"a\" {\n  prompt = \"${true}\"\n}\n",
	"task \"a\" {\n  prompt = \"${x[0]}\"\n}\n",
	"task \"a\" {\n  prompt = \"${upper(x)}\"\n}\n",
	"task \"a\" {\n  prompt = \"${x~}\"\n}\n",
	"task \"a\" {\n  prompt = \"%{if x}y%{endif}\"\n}\n",
	"task \"a\" {\n  prompt = \"${x\"\n}\n",
	"task \"a\" {\n  prompt = \"${\"\n}\n",
	"task \"a\" {\n  prompt = \"a $ b\"\n}\n",
	"task \"a\" {\n  prompt = \"a \\\"b\\\"\"\n}\n",
	"task \"a\" {\n  x = 1\n  x = 2\n}\n",
	"task \"a\" {\n\tx = 1\n}\n",
	"task \"a\" {\r\n  x = 1\r\n}\r\n",
	"task \"a\" {\n  x = 1.5\n}\n",
	"task \"a\" {\n  x = -1\n}\n",
	"task \"a\" {\n  x = 1 + 2\n}\n",
	"task \"a\" {\n  x = upper(\"a\")\n}\n",
	"task \"a\" {\n  x = a[0]\n}\n",
	"task \"a\" {\n  x = a.0\n}\n",
	"task \"a\" {\n  x = [for v in y: v]\n}\n",
	"task \"a\" {\n  x = {for k, v in y: k => v}\n}\n",
	"task \"a\" {\n  x = { a = 1 # c\n  }\n}\n",
	"task \"a\" {\n  x = { a = 1 b = 2 }\n}\n",
	"task \"a\" {\n  x = { a: 1 }\n}\n",
	"task \"a\" {\n  x = { \"a\" = 1 }\n}\n",
	"task \"a\" {\n  x = { (a) = 1 }\n}\n",
	"task \"a\" {\n  x = { a.b = 1 }\n}\n",
	"task \"a\" {\n  x = { true = 1 }\n}\n",
	"task \"a\" {\n  x = { a == 1 }\n}\n",
	"task \"a\" {\n  x = {\n  a = 1\n  , b = 2 }\n}\n",
	"task \"a\" {\n  x = { a = 1,, b = 2 }\n}\n",
	"task \"a\" {\n  x = <<EOT\nhi\nEOT\n}\n",
	"task \"a\" {\n  x = \"a\"\n}\ntask \"b\" {\n}\n",
	"task \"a\" {\n  x = 1\n} # c",
	"task \"a\" {\n  x = \"unterminated\n}\n",
	"task \"a\" {\n  x = 1\n",
	"# leading comment\ntask \"a\" {\n}\n",
	"task \"a\" {\n  /* block */\n  x = 1\n}\n",
	"task \"a\" {\n  x = 1 /* c */\n}\n",
	"task \"a\" {\n  x = 1, y = 2\n}\n",
	"task \"a\" {\n  x == 1\n}\n",
	"task \"a\" {\n  naïve = 1\n}\n",
	"task \"a\" {\n  x = \"\xff\"\n}\n",
	"task \"a\" {\n  x = [1\n  # c\n  ]\n}\n",
}

// checkQuick parses src with quickParse and hclsyntax from start and
// reports whether quickParse accepted it; when it did, hclsyntax must
// report nothing and build the same body. bodyContent is held to
// hclsyntax's Content on hclsyntax's body (checkContent) either way.
func checkQuick(t *testing.T, src string, start hcl.Pos) bool {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "f.hcl", start)
	if body, ok := f.Body.(*hclsyntax.Body); ok {
		checkContent(t, body, contentSchemas())
	}
	got, ok := quickParse([]byte(src), "f.hcl", start)
	if !ok {
		return false
	}
	if len(diags) > 0 {
		t.Fatalf("quickParse accepted %q, which hclsyntax reports: %v", src, diags)
	}
	if !reflect.DeepEqual(got, f.Body) {
		t.Fatalf("quickParse and hclsyntax differ on %q (-hclsyntax +quick):\n%s", src,
			cmp.Diff(f.Body, got, cmp.Exporter(func(reflect.Type) bool { return true })))
	}
	return true
}

// TestQuickParseMatchesHCL parses each piece of the subset, from the start
// of a file and from the middle of one, and requires hclsyntax's tree; and
// requires that quickParse leaves the rest to hclsyntax.
func TestQuickParseMatchesHCL(t *testing.T) {
	starts := []hcl.Pos{hcl.InitialPos, {Line: 120, Column: 1, Byte: 9876}}
	for _, src := range quickPieces {
		for _, start := range starts {
			if !checkQuick(t, src, start) {
				t.Errorf("quickParse left %q to hclsyntax", src)
			}
		}
	}
	for _, src := range notQuickPieces {
		if checkQuick(t, src, hcl.InitialPos) {
			t.Errorf("quickParse accepted %q", src)
		}
	}
}

// TestQuickParseRandom builds random pieces from the subset's parts and
// near misses (a stray character, a missing one), and checks every one
// quickParse accepts; most must be accepted.
func TestQuickParseRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 16))
	accepted, n := 0, 3000
	if testing.Short() || raceEnabled {
		n = 300
	}
	for range n {
		src := randomPiece(r)
		if r.IntN(4) == 0 { // a near miss
			i := r.IntN(len(src))
			switch r.IntN(3) {
			case 0:
				src = src[:i] + src[i+1:]
			case 1:
				src = src[:i] + string("\"{}[],.=#/\\$%\n 1a\té"[r.IntN(19)]) + src[i:]
			default:
				src = src[:i]
			}
		}
		if checkQuick(t, src, hcl.Pos{Line: 3, Column: 1, Byte: 40}) {
			accepted++
		}
	}
	t.Logf("quickParse accepted %d of %d pieces", accepted, n)
	if accepted < n/2 {
		t.Errorf("quickParse accepted only %d of %d random pieces: the test checks too little", accepted, n)
	}
}

func randomPiece(r *rand.Rand) string {
	var b strings.Builder
	fmt.Fprintf(&b, "task%s", pick(r, "", " ", "  "))
	for range r.IntN(3) {
		fmt.Fprintf(&b, "%q%s", pick(r, "a", "", "p00001", "x y"), pick(r, " ", "", "  "))
	}
	b.WriteString("{" + pick(r, "", "  ", " # c") + "\n")
	randomBody(r, &b, 1)
	b.WriteString("}" + pick(r, "", " ", " // c") + pick(r, "\n", "\n\n", "", "\n  \n# x\n"))
	return b.String()
}

func randomBody(r *rand.Rand, b *strings.Builder, depth int) {
	ind := strings.Repeat("  ", depth)
	used := map[string]bool{}
	for range r.IntN(6) {
		switch r.IntN(8) {
		case 0:
			b.WriteString(pick(r, "\n", ind+"# comment\n", ind+"// ☕ comment\n"))
		case 1:
			if depth < 3 {
				fmt.Fprintf(b, "%s%s {\n", ind, pick(r, "expect", "output", "price \"m\""))
				randomBody(r, b, depth+1)
				b.WriteString(ind + "}\n")
			}
		default:
			name := pick(r, "prompt", "model", "size", "count", "files", "id", "x-y", "_z")
			if used[name] {
				continue
			}
			used[name] = true
			fmt.Fprintf(b, "%s%s%s=%s%s%s\n", ind, name, pick(r, " ", "", "   "), pick(r, " ", ""), randomExpr(r, 0), pick(r, "", " ", " # c"))
		}
	}
}

func randomExpr(r *rand.Rand, depth int) string {
	switch r.IntN(6) {
	case 0:
		return pick(r, "1", "0", "42", "007", "99999999999999999999")
	case 1:
		return pick(r, "true", "false", "null")
	case 2:
		return pick(r, "var.model", "each.key", "local.a.b", "x", "a-b")
	case 4:
		if depth < 3 {
			var b strings.Builder
			b.WriteString("{" + pick(r, "", " ", "\n"))
			for range r.IntN(4) {
				fmt.Fprintf(&b, "%s%s%s=%s%s%s", pick(r, "", " ", "    "), pick(r, "a", "p00001", "b-c", "_d", "a"), pick(r, " ", ""), pick(r, " ", ""), randomExpr(r, depth+1), pick(r, ",", "\n", ", ", ",\n", "\n\n", " "))
			}
			b.WriteString(pick(r, "}", " }", "\n}"))
			return b.String()
		}
	case 3:
		if depth < 3 {
			var parts []string
			for range r.IntN(4) {
				parts = append(parts, randomExpr(r, depth+1))
			}
			sep := pick(r, ", ", ",", ",\n    ", " , ")
			return "[" + pick(r, "", " ", "\n") + strings.Join(parts, sep) + pick(r, "", ",", " ", "\n") + "]"
		}
	}
	if r.IntN(3) == 0 { // a template
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteString(pick(r, "", "a ", " b", "café ", "e\u0301", "\u0301", "{", "}", "$", "$$", "%", "☕"))
			b.WriteString(pick(r, "${var.model}", "${each.key}", "${local.a.b}", "${x}", "${a-b}", "${ x}", "${x }", "${true}", "${x.0}", "${x[0]}", "${", "$${x}", "${x}}"))
		}
		b.WriteString(pick(r, "", " end", "\u0301", "é"))
		return `"` + b.String() + `"`
	}
	return fmt.Sprintf("%q", pick(r, "", "Studio photo of product p00001", "café", "e\u0301", "👩‍👩‍👧 x", "assets/a.webp", "a{b}", "a # b", "a // b"))
}

func pick(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

// FuzzQuickParse holds quickParse to hclsyntax on arbitrary text: what it
// accepts must parse without diagnostics to the same tree.
func FuzzQuickParse(f *testing.F) {
	for _, s := range quickPieces {
		f.Add(s)
	}
	for _, s := range notQuickPieces {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkQuick(t, src, hcl.Pos{Line: 7, Column: 1, Byte: 100})
	})
}
