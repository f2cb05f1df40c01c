package spec

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// checkEachValue fails unless eachValue, given the expression src in the
// context of the instance key, value, either leaves it to be evaluated or
// gives what checking its references and evaluating it give, with no
// diagnostic. It reports whether eachValue read it.
func checkEachValue(t *testing.T, src string, key string, value cty.Value) bool {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "e.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return false
	}
	l := &loader{parser: hclparse.NewParser(), variables: map[string]*variable{}, locals: map[string]*local{}}
	l.ctx = &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: l.functions()}
	ctx := l.instanceContext(nil, &instanceKey{key: key, value: value})
	got, ok := eachValue(expr, ctx)
	if !ok {
		return false
	}
	if d := l.checkReferences(expr, true, false); len(d) > 0 {
		t.Fatalf("eachValue reads %s, whose references are reported: %v", src, d)
	}
	want, d := expr.Value(ctx)
	if len(d) > 0 {
		t.Fatalf("eachValue reads %s, whose evaluation reports %v", src, d)
	}
	if !got.RawEquals(want) {
		t.Fatalf("eachValue(%s) with key %q, value %#v = %#v, evaluating gives %#v", src, key, value, got, want)
	}
	return true
}

// eachExprs are expressions eachValue reads, or must leave alone.
var eachExprs = []string{
	`each.key`, `each.value`, `"${each.key}"`, `"${each.value}"`, `"photo of ${each.key}"`,
	`"${each.key}-${each.value}!"`, `"e\u0301${each.key}"`, `"${each.value}\u0301"`, `"a ${each.key} b ${each.value} c"`,
	`each.other`, `each`, `each.value.x`, `each["key"]`, `"${each.key}${var.x}"`, `"${upper(each.key)}"`,
	`"%{ if true }${each.key}%{ endif }"`, `"${each.value == "" ? "a" : "b"}"`, `[each.key]`, `var.x`,
}

// eachValues are values an instance's each.value may be.
var eachValues = []cty.Value{
	cty.StringVal("mug"), cty.StringVal(""), cty.StringVal("e\u0301"), cty.StringVal("\u0301x"), cty.NumberIntVal(7),
	cty.True, cty.NullVal(cty.String), cty.UnknownVal(cty.String), cty.StringVal("secret").Mark(sensitiveMark),
	cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("y")}), cty.ListVal([]cty.Value{cty.StringVal("a")}),
	cty.DynamicVal,
}

// TestEachValueMatchesEvaluation holds eachValue to evaluation on every
// pairing of eachExprs and eachValues.
func TestEachValueMatchesEvaluation(t *testing.T) {
	read := 0
	for _, src := range eachExprs {
		for _, v := range eachValues {
			for _, key := range []string{"k", "", "e\u0301", "\u0301"} {
				if checkEachValue(t, src, key, v) {
					read++
				}
			}
		}
	}
	if read < 100 {
		t.Errorf("eachValue read %d expressions: the test compares too little", read)
	}
}

// FuzzEachValue holds eachValue to evaluation on arbitrary expressions
// and instance keys and string values.
func FuzzEachValue(f *testing.F) {
	for _, src := range eachExprs {
		f.Add(src, "k", "v")
	}
	f.Fuzz(func(t *testing.T, src, key, value string) {
		checkEachValue(t, src, key, cty.StringVal(value))
	})
}
