package spec

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestLiteralValue holds literalValue's promise: where it reads an
// expression without evaluating it, the value is exactly what evaluating
// it gives, and it leaves alone whatever could refer to something.
func TestLiteralValue(t *testing.T) {
	literal := []string{
		`"plain"`, `""`, `"café"`, "\"cafe\u0301\"", `"😀 emoji"`, `42`, `1.5`, `true`, `false`, `null`,
		`[]`, `["a", "b"]`, `[1, "x", null, true]`, `["e\u0301"]`,
		`{}`, `{ a = 1 }`, `{ a = "x", b = null, c = 1.5 }`, `{ a = 1, a = 2 }`, "{ nai\u0308ve = 1, caf\u00e9 = 2 }",
		"{\n  p00000 = \"tsk_SCALE00000\"\n  p00001 = \"tsk_SCALE00001\"\n}",
	}
	evaluated := []string{
		`"${var.x}"`, `"a ${1}"`, `"%{ if true }x%{ endif }"`, `var.x`, `[var.x]`, `[["nested"]]`,
		`upper("x")`, `{ a = var.x }`, `{ (a) = 1 }`, `{ a.b = 1 }`, `{ true = 1 }`, `{ a = { b = 1 } }`, `{ a = [[1]] }`, `{ "${x}" = 1 }`, `[{ a = 1 }]`, `{ a = [1] }`, `{ "x" = 2 }`, `-1`, `1 + 1`, `"\n"`, `"$${not}"`, `<<EOT
heredoc
EOT
`,
	}
	for _, src := range literal {
		expr, diags := hclsyntax.ParseExpression([]byte(src), "x.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", src, diags)
		}
		got, ok := literalValue(expr, 0)
		if !ok {
			t.Errorf("%s: not read as a literal", src)
			continue
		}
		want, vd := expr.Value(nil)
		if vd.HasErrors() {
			t.Fatalf("%s: %v", src, vd)
		}
		if !got.RawEquals(want) || !got.Type().Equals(want.Type()) {
			t.Errorf("%s: literalValue gives %#v, evaluation %#v", src, got, want)
		}
	}
	for _, src := range evaluated {
		expr, diags := hclsyntax.ParseExpression([]byte(src), "x.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", src, diags)
		}
		if v, ok := literalValue(expr, 0); ok {
			ctx := &hcl.EvalContext{Variables: map[string]cty.Value{}}
			want, _ := expr.Value(ctx)
			if !v.RawEquals(want) {
				t.Errorf("%s: read as the literal %#v, evaluates to %#v", src, v, want)
			}
			if len(expr.Variables()) > 0 {
				t.Errorf("%s: read as a literal, but refers to %v", src, expr.Variables())
			}
		}
	}
}
