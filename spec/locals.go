package spec

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// local is one attribute of a locals block.
type local struct {
	Name string
	Expr hcl.Expression

	state int // 0 not evaluated, 1 evaluating, 2 done
	value cty.Value
}

// decodeLocalsBlock reads a locals block: any number of attributes, no
// nested blocks.
func decodeLocalsBlock(b *hcl.Block) ([]*local, hcl.Diagnostics) {
	attrs, diags := b.Body.JustAttributes()
	names := slices.Sorted(maps.Keys(attrs))
	out := make([]*local, 0, len(names))
	for _, n := range names {
		out = append(out, &local{Name: n, Expr: attrs[n].Expr, value: cty.DynamicVal})
	}
	return out, diags
}

// evaluateLocals evaluates every local in dependency order. A local in a
// cycle, or one whose expression fails, is unknown, so that whatever
// depends on it is skipped quietly rather than reported twice.
func (l *loader) evaluateLocals() hcl.Diagnostics {
	names := slices.Sorted(maps.Keys(l.locals))
	var diags hcl.Diagnostics
	for _, n := range names {
		diags = append(diags, l.evaluateLocal(l.locals[n], nil)...)
	}
	return diags
}

func (l *loader) evaluateLocal(lc *local, stack []string) hcl.Diagnostics {
	switch lc.state {
	case 2:
		return nil
	case 1:
		i := 0
		for i < len(stack) && stack[i] != lc.Name {
			i++
		}
		cycle := append(append([]string{}, stack[i:]...), lc.Name)
		for j := range cycle {
			cycle[j] = "local." + cycle[j]
		}
		rng := lc.Expr.Range()
		return hcl.Diagnostics{errorf(rng, "Cycle in local values",
			"The local values refer to each other in a loop: %s. Break the loop by computing one of them without the others.", strings.Join(cycle, " → "))}
	}
	lc.state = 1
	var diags hcl.Diagnostics
	failed := false
	for _, tr := range lc.Expr.Variables() {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		attr, ok := tr[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		if dep, ok := l.locals[attr.Name]; ok {
			d := l.evaluateLocal(dep, append(stack, lc.Name))
			diags = append(diags, d...)
			if d.HasErrors() {
				failed = true
			}
		}
	}
	lc.state = 2
	if failed {
		return diags
	}
	ctx := l.ctx.NewChild()
	ctx.Variables = map[string]cty.Value{"local": l.localObject()}
	val, d := l.eval(lc.Expr, ctx, false)
	diags = append(diags, d...)
	lc.value = val
	return diags
}

// localObject is local as expressions see it.
func (l *loader) localObject() cty.Value {
	attrs := make(map[string]cty.Value, len(l.locals))
	for n, lc := range l.locals {
		attrs[n] = lc.value
	}
	return cty.ObjectVal(attrs)
}

// eval checks the references of expr, then evaluates it. On error the
// value is cty.DynamicVal.
func (l *loader) eval(expr hcl.Expression, ctx *hcl.EvalContext, each bool) (cty.Value, hcl.Diagnostics) {
	return l.evalIn(expr, ctx, each, false)
}

// evalTasks is eval for a task's inputs, where task.NAME may be referred
// to too (checkTaskReference checks those references).
func (l *loader) evalTasks(expr hcl.Expression, ctx *hcl.EvalContext, each bool) (cty.Value, hcl.Diagnostics) {
	return l.evalIn(expr, ctx, each, true)
}

func (l *loader) evalIn(expr hcl.Expression, ctx *hcl.EvalContext, each, tasks bool) (cty.Value, hcl.Diagnostics) {
	if val, ok := literalValue(expr, 0); ok {
		return val, nil
	}
	if diags, _ := l.references(expr, each, tasks); diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return evaluate(expr, ctx)
}

// evaluate is expr's value in ctx, cty.DynamicVal on error.
func evaluate(expr hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	val, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return val, diags
}

// literalValue returns the value of expr when it is written as a literal,
// or a list of literals, or an object of bare names and literals, which
// refers to nothing, and which evaluating
// would give the same value: the literal's own for a number, a bool or
// null; for a quoted string without a template sequence, its one part's,
// which is the string as TemplateExpr.Value builds it again (cty.StringVal
// already normalized it). Most attributes of a hand-written spec are
// literals: reading them so skips the search for references and the
// template's buffer.
func literalValue(expr hcl.Expression, depth int) (cty.Value, bool) {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return e.Val, true
	case *hclsyntax.TemplateExpr:
		if len(e.Parts) != 1 {
			return cty.NilVal, false
		}
		lit, ok := e.Parts[0].(*hclsyntax.LiteralValueExpr)
		if !ok || lit.Val.IsMarked() || !lit.Val.IsKnown() || lit.Val.IsNull() || lit.Val.Type() != cty.String {
			return cty.NilVal, false
		}
		return lit.Val, true
	case *hclsyntax.TupleConsExpr:
		if depth > 0 {
			return cty.NilVal, false // a list of lists is rare: evaluated
		}
		vals := make([]cty.Value, len(e.Exprs))
		for i, x := range e.Exprs {
			v, ok := literalValue(x, depth+1)
			if !ok {
				return cty.NilVal, false
			}
			vals[i] = v
		}
		return cty.TupleVal(vals), true
	case *hclsyntax.ObjectConsExpr:
		// An object of bare names and literals: what its Value gives,
		// each name being the key (ObjectConsKeyExpr's literal name), a
		// later item's value replacing an earlier one's.
		if depth > 0 {
			return cty.NilVal, false
		}
		vals := make(map[string]cty.Value, len(e.Items))
		for _, item := range e.Items {
			k, ok := item.KeyExpr.(*hclsyntax.ObjectConsKeyExpr)
			if !ok || k.ForceNonLiteral {
				return cty.NilVal, false
			}
			tr, ok := k.Wrapped.(*hclsyntax.ScopeTraversalExpr)
			if !ok || len(tr.Traversal) != 1 {
				return cty.NilVal, false
			}
			v, ok := literalValue(item.ValueExpr, depth+1)
			if !ok {
				return cty.NilVal, false
			}
			vals[cty.StringVal(tr.Traversal.RootName()).AsString()] = v
		}
		return cty.ObjectVal(vals), true
	}
	return cty.NilVal, false
}

// eachValue returns the value of expr in the context of the instance of
// key under for_each (instanceContext), when expr is each.key or
// each.value, or a quoted string of literal text and those references
// whose values are known, unmarked strings, or a list of literals and
// such expressions (files = ["out/${each.key}.png"]): what checking its references
// (they are valid) and evaluating it give, without the search for
// references, hcl's traversal and the template's buffer, and without the
// context itself. ok is false for any other expression, which is
// evaluated.
func eachValue(expr hcl.Expression, key *instanceKey) (cty.Value, bool) {
	switch e := expr.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		name, ok := eachAttr(e)
		if !ok {
			return cty.NilVal, false
		}
		return key.attr(name), true
	case *hclsyntax.TupleConsExpr:
		// As TupleConsExpr.Value builds it, from its elements' values.
		vals := make([]cty.Value, len(e.Exprs))
		for i, el := range e.Exprs {
			v, ok := literalValue(el, 0)
			if !ok {
				if _, nested := el.(*hclsyntax.TupleConsExpr); nested {
					return cty.NilVal, false
				}
				if v, ok = eachValue(el, key); !ok {
					return cty.NilVal, false
				}
			}
			vals[i] = v
		}
		return cty.TupleVal(vals), true
	case *hclsyntax.TemplateExpr:
		var b strings.Builder
		for _, part := range e.Parts {
			var v cty.Value
			switch p := part.(type) {
			case *hclsyntax.LiteralValueExpr:
				v = p.Val
			case *hclsyntax.ScopeTraversalExpr:
				name, ok := eachAttr(p)
				if !ok {
					return cty.NilVal, false
				}
				v = key.attr(name)
			default:
				return cty.NilVal, false
			}
			if v.IsMarked() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
				return cty.NilVal, false
			}
			b.WriteString(v.AsString())
		}
		return cty.StringVal(b.String()), true
	}
	return cty.NilVal, false
}

// attr is each.key or each.value, as the instance's context holds them.
func (key *instanceKey) attr(name string) cty.Value {
	if name == "key" {
		return cty.StringVal(key.key)
	}
	return key.value
}

// eachAttr returns "key" or "value" when e is each.key or each.value.
func eachAttr(e *hclsyntax.ScopeTraversalExpr) (string, bool) {
	if len(e.Traversal) != 2 || e.Traversal.RootName() != "each" {
		return "", false
	}
	a, ok := e.Traversal[1].(hcl.TraverseAttr)
	if !ok || a.Name != "key" && a.Name != "value" {
		return "", false
	}
	return a.Name, true
}

// checkReferences reports each reference in expr to something that does
// not exist: an undeclared variable or local, each outside for_each, or
// an unknown name.
func (l *loader) checkReferences(expr hcl.Expression, each, tasks bool) hcl.Diagnostics {
	diags, _ := l.references(expr, each, tasks)
	return diags
}

// references is checkReferences, and reports whether expr refers to
// each: an expression that does not is evaluated the same without it.
func (l *loader) references(expr hcl.Expression, each, tasks bool) (hcl.Diagnostics, bool) {
	var diags hcl.Diagnostics
	usesEach := false
	for _, tr := range expr.Variables() {
		rng := tr.SourceRange()
		root := tr.RootName()
		var attr string
		if len(tr) > 1 {
			if a, ok := tr[1].(hcl.TraverseAttr); ok {
				attr = a.Name
			}
		}
		switch root {
		case "var", "local":
			if attr == "" {
				diags = append(diags, errorf(rng, "Invalid reference",
					"%s must be followed by a name, as in %s.NAME. Add the name.", root, root))
				continue
			}
			_, isVar := l.variables[attr]
			_, isLocal := l.locals[attr]
			if root == "var" && isVar || root == "local" && isLocal {
				continue
			}
			kind, block := "variable", "a variable \"%s\" block"
			var names []string
			if root == "var" {
				for n := range l.variables {
					names = append(names, n)
				}
			} else {
				kind, block = "local value", "an entry %s = ... in a locals block"
				for n := range l.locals {
					names = append(names, n)
				}
			}
			sort.Strings(names)
			diags = append(diags, errorf(rng, "Reference to undeclared "+kind,
				"No %s named %q is declared.%s Declare it with %s, or fix the name.", kind, attr, didYouMean(attr, names), fmt.Sprintf(block, attr)))
		case "each":
			usesEach = true
			if !each {
				diags = append(diags, errorf(rng, "Reference to \"each\" without for_each",
					"each.key and each.value exist only in a task block that sets for_each. Add for_each to the task, or remove the reference."))
				continue
			}
			if attr != "key" && attr != "value" {
				diags = append(diags, errorf(rng, "Invalid reference to each",
					"each has two attributes, key and value.%s Use each.key or each.value.", didYouMean(attr, []string{"key", "value"})))
			}
		case "task":
			if !tasks {
				diags = append(diags, errorf(rng, "Task reference outside inputs",
					"A task's result can be referred to only in the inputs of another task, as in inputs = [{ url = task.sketch.images[0].url, role = \"init\" }]. Move the reference into inputs, or remove it."))
			}
		default:
			candidates := []string{"var", "local"}
			if each {
				candidates = append(candidates, "each")
			}
			diags = append(diags, errorf(rng, "Reference to unknown name",
				"There is nothing named %q here.%s Expressions may refer to var.NAME, local.NAME and, under for_each, each.key and each.value.", root, didYouMean(root, candidates)))
		}
	}
	return diags, usesEach
}
