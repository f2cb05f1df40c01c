package spec

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/mynthform/mynthform/mynth"
)

// field is one evaluated attribute, or one attribute of an object value.
type field struct {
	name      string // dotted path, as in Task.Ranges: "prompt.positive"
	val       cty.Value
	sensitive bool
	rng       hcl.Range
}

// fields holds the evaluated attributes of one body and the diagnostics
// found while reading them. Attributes that are null, or whose value could
// not be computed because of an error already reported, are absent.
type fields struct {
	m     map[string]*field
	diags hcl.Diagnostics
	// failed names the attributes that were set but whose value could not
	// be computed (an error, reported here or upstream).
	failed map[string]bool
	// parent, when set, receives the diagnostics instead: the fields of
	// an object value report into the fields of the attribute.
	parent *fields
}

// evalAttrs evaluates every attribute in attrs; prefix is prepended to
// their names ("expect.").
func (l *loader) evalAttrs(attrs hcl.Attributes, sc *scope, prefix string) *fields {
	fs := &fields{m: make(map[string]*field, len(attrs))}
	// One allocation for the fields, which live as long as fs.
	slab := make([]field, 0, len(attrs))
	for name, attr := range attrs {
		val, d := sc.eval(attr.Expr)
		fs.diags = append(fs.diags, d...)
		if d.HasErrors() || !val.IsWhollyKnown() {
			if fs.failed == nil {
				fs.failed = map[string]bool{}
			}
			fs.failed[name] = true
			continue
		}
		unmarked, marks := val, cty.ValueMarks(nil)
		if val.ContainsMarked() { // UnmarkDeep copies even an unmarked value
			unmarked, marks = val.UnmarkDeep()
		}
		if unmarked.IsNull() {
			continue
		}
		slab = append(slab, field{name: prefix + name, val: unmarked, sensitive: len(marks) > 0, rng: attr.Expr.Range()})
		fs.m[name] = &slab[len(slab)-1]
	}
	return fs
}

// objectFields reads an object value as fields, refusing keys not in
// allowed. It is how `prompt = { positive = ... }` is read.
func (fs *fields) objectFields(f *field, allowed []string, fix string) (*fields, bool) {
	ty := f.val.Type()
	if !ty.IsObjectType() && !ty.IsMapType() {
		fs.add(errorf(f.rng, "Incorrect attribute value type", "%s must be %s. %s", f.name, fix, "Change the value."))
		return nil, false
	}
	out := &fields{m: map[string]*field{}, parent: fs}
	ok := true
	for it := f.val.ElementIterator(); it.Next(); {
		k, v := it.Element()
		key := k.AsString()
		known := false
		for _, a := range allowed {
			known = known || a == key
		}
		if !known {
			fs.add(errorf(f.rng, "Unsupported attribute", "%s has no attribute %q.%s Allowed: %s.", f.name, key, didYouMean(key, allowed), strings.Join(allowed, ", ")))
			ok = false
			continue
		}
		if v.IsNull() {
			continue
		}
		out.m[key] = &field{name: f.name + "." + key, val: v, sensitive: f.sensitive, rng: f.rng}
	}
	return out, ok
}

func (fs *fields) add(d *hcl.Diagnostic) {
	for fs.parent != nil {
		fs = fs.parent
	}
	fs.diags = append(fs.diags, d)
}

func (fs *fields) get(name string) (*field, bool) {
	f, ok := fs.m[name]
	return f, ok
}

// names returns the names of the fields set, sorted.
func (fs *fields) names() []string {
	return slices.Sorted(maps.Keys(fs.m))
}

func (fs *fields) typeError(f *field, want, example string) {
	fs.add(errorf(f.rng, "Incorrect attribute value type",
		"%s must be %s, not %s. Write it as, for example, %s.", f.name, want, friendlyType(f.val.Type()), example))
}

func (fs *fields) str(f *field) (string, bool) {
	if !f.val.Type().IsPrimitiveType() {
		fs.typeError(f, "a string", `"text"`)
		return "", false
	}
	v, err := convert.Convert(f.val, cty.String)
	if err != nil {
		fs.typeError(f, "a string", `"text"`)
		return "", false
	}
	return v.AsString(), true
}

func (fs *fields) integer(f *field) (int, bool) {
	v, err := convert.Convert(f.val, cty.Number)
	if err != nil {
		fs.typeError(f, "a whole number", "4")
		return 0, false
	}
	bf := v.AsBigFloat()
	if bf.IsInf() {
		fs.add(errorf(f.rng, "Number out of range", "%s is infinite. Give a small whole number.", f.name))
		return 0, false
	}
	if !bf.IsInt() {
		fs.add(errorf(f.rng, "Incorrect attribute value type", "%s must be a whole number, not %s. Round it.", f.name, shownBare(bf.Text('f', -1), f.sensitive)))
		return 0, false
	}
	n, acc := bf.Int64()
	if acc != big.Exact || n > 1<<31 || n < -(1<<31) {
		fs.add(errorf(f.rng, "Number out of range", "%s is %s, far outside any allowed range. Give a small whole number.", f.name, shownBare(bf.Text('f', -1), f.sensitive)))
		return 0, false
	}
	return int(n), true
}

func (fs *fields) boolean(f *field) (bool, bool) {
	v, err := convert.Convert(f.val, cty.Bool)
	if err != nil {
		fs.typeError(f, "true or false", "true")
		return false, false
	}
	return v.True(), true
}

// amount reads a decimal amount of dollars, given as a string ("0.02");
// a number is accepted too, read from its exact decimal form.
func (fs *fields) amount(f *field) (mynth.Amount, bool) {
	s, ok := fs.str(f)
	if !ok {
		return mynth.Amount{}, false
	}
	a, err := mynth.ParseAmount(strings.TrimSpace(s))
	if err != nil {
		fs.add(errorf(f.rng, "Invalid amount", "%s must be a decimal number of dollars such as \"0.02\", but it is %s. Write the amount as a plain decimal string.", f.name, shown(s, f.sensitive)))
		return mynth.Amount{}, false
	}
	if a.IsNegative() {
		least := "$0 or more"
		if f.name == "price.image" {
			least = "more than $0" // a zero price is refused too
		}
		fs.add(errorf(f.rng, "Invalid amount", "%s is negative. Give an amount of %s.", f.name, least))
		return mynth.Amount{}, false
	}
	return a, true
}

// list returns the elements of a list, tuple or set value.
func (fs *fields) list(f *field, want, example string) ([]cty.Value, bool) {
	ty := f.val.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		fs.typeError(f, want, example)
		return nil, false
	}
	out := make([]cty.Value, 0, f.val.LengthInt())
	for it := f.val.ElementIterator(); it.Next(); {
		_, v := it.Element()
		out = append(out, v)
	}
	return out, true
}

func (fs *fields) stringList(f *field, example string) ([]string, bool) {
	elems, ok := fs.list(f, "a list of strings", example)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(elems))
	for i, e := range elems {
		if e.IsNull() || !e.Type().IsPrimitiveType() {
			fs.add(errorf(f.rng, "Incorrect attribute value type", "Element %d of %s must be a string, not %s. Write a list of strings, for example %s.", i, f.name, friendlyType(e.Type()), example))
			return nil, false
		}
		s, err := convert.Convert(e, cty.String)
		if err != nil {
			fs.add(errorf(f.rng, "Incorrect attribute value type", "Element %d of %s must be a string. Write a list of strings, for example %s.", i, f.name, example))
			return nil, false
		}
		out = append(out, s.AsString())
	}
	return out, true
}

// friendlyType names a cty type for users.
func friendlyType(ty cty.Type) string {
	switch {
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "a bool"
	case ty.IsObjectType() || ty.IsMapType():
		return "an object"
	case ty.IsTupleType() || ty.IsListType():
		return "a list"
	case ty.IsSetType():
		return "a set"
	case ty == cty.DynamicPseudoType:
		return "null"
	}
	return fmt.Sprintf("a %s", ty.FriendlyName())
}
