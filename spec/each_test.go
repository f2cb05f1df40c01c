package spec

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
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
	ik := &instanceKey{key: key, value: value}
	ctx := l.instanceContext(ik)
	got, ok := eachValue(expr, ik)
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
	`["out/${each.key}.png"]`, `[each.value, "x", 1, null]`, `["${each.key}", each.value]`, `[[each.key]]`,
	`[each.key, var.x]`, `[each.key, upper("a")]`, `["${each.value}-${each.key}", ["a"]]`, `[]`,
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

// checkScopeEval fails unless an instance's scope evaluates the
// expression src as the instance's own context does (the old way of
// every instance): the same value, and the same diagnostics, in which
// the context is the instance's. Under for_each, an expression that
// does not refer to each is evaluated without that context.
func checkScopeEval(t *testing.T, src string, key string, value cty.Value) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "e.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return
	}
	l := &loader{parser: hclparse.NewParser(), variables: map[string]*variable{"model": {Name: "model"}, "n": {Name: "n"}}, locals: map[string]*local{"m": {Name: "m"}}}
	l.ctx = &hcl.EvalContext{Variables: map[string]cty.Value{
		"var":   cty.ObjectVal(map[string]cty.Value{"model": cty.StringVal("google/x"), "n": cty.NumberIntVal(2)}),
		"local": cty.ObjectVal(map[string]cty.Value{"m": cty.MapVal(map[string]cty.Value{"a": cty.StringVal("b")})}),
	}, Functions: l.functions()}
	ik := &instanceKey{key: key, value: value}
	ctx := l.instanceContext(ik)
	// The old evaluation: eachValue, then references, then the value,
	// all in the instance's context.
	want, ok := eachValue(expr, ik)
	var wd hcl.Diagnostics
	if !ok {
		want, wd = l.eval(expr, ctx, true)
	}
	got, gd := (&scope{l: l, key: ik}).eval(expr)
	if !got.RawEquals(want) {
		t.Fatalf("%s with key %q, value %#v: scope gives %#v, the instance's context %#v", src, key, value, got, want)
	}
	if diff := cmp.Diff(printedDiags(wd), printedDiags(gd)); diff != "" {
		t.Fatalf("%s with key %q, value %#v: diagnostics differ (-instance's context +scope):\n%s", src, key, value, diff)
	}
	for i := range gd {
		if gd[i].EvalContext != nil && gd[i].EvalContext.Variables["each"] == cty.NilVal {
			t.Fatalf("%s: a diagnostic holds a context without each", src)
		}
	}
}

// printedDiags is what a diagnostic printer reads of diags, but for the
// context, which is told apart by the values it gives each.
func printedDiags(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		var each string
		if d.EvalContext != nil {
			each = d.EvalContext.Variables["each"].GoString()
		}
		out = append(out, fmt.Sprintf("%v %q %q %v %v %v %s", d.Severity, d.Summary, d.Detail, d.Subject, d.Context, d.Expression != nil, each))
	}
	return out
}

// scopeExprs are expressions of a for_each instance, with and without
// each, valid and not.
var scopeExprs = append([]string{
	`var.model`, `"${var.model}-${each.key}"`, `upper(var.model)`, `uper(var.model)`, `uper(each.key)`,
	`var.nope`, `local.m.a`, `local.m.zz`, `local.m["a"]`, `var.n + 1`, `var.n + "x"`, `jsondecode("{")`,
	`provider::x::f()`, `[for each in ["a"] : each]`, `[for k, v in local.m : "${k}${each.key}"]`,
	`each.nope`, `each`, `nope`, `tolist(each.value)`, `length(each.value)`, `"${each.value}" == "" ? var.model : each.key`,
	`format("%s", var.model)`, `format("%d", var.model)`, `"%{ for x in [1] }${x}%{ endfor }"`, `task.a`,
}, eachExprs...)

// TestScopeEvalMatchesInstanceContext holds an instance's scope to its
// context on every pairing of scopeExprs and eachValues.
func TestScopeEvalMatchesInstanceContext(t *testing.T) {
	for _, src := range scopeExprs {
		for _, v := range eachValues {
			checkScopeEval(t, src, "k", v)
		}
	}
}

// FuzzScopeEval holds an instance's scope to its context on arbitrary
// expressions, keys and string values.
func FuzzScopeEval(f *testing.F) {
	for _, src := range scopeExprs {
		f.Add(src, "k", "v")
	}
	f.Fuzz(func(t *testing.T, src, key, value string) {
		checkScopeEval(t, src, key, cty.StringVal(value))
	})
}
