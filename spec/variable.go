package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// sensitiveMark is the cty mark carried by a sensitive variable's value and
// by everything derived from it.
type markKind string

const sensitiveMark = markKind("sensitive")

// variable is a variable block and, once assigned, its value.
type variable struct {
	Name        string
	Type        cty.Type // cty.DynamicPseudoType when no type is declared
	Default     cty.Value
	HasDefault  bool
	Description string
	Sensitive   bool
	DeclRange   hcl.Range

	// broken is set when the block itself is wrong (its type or
	// default), which is reported once.
	broken bool
	value  cty.Value
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "default"},
		{Name: "type"},
		{Name: "description"},
		{Name: "sensitive"},
	},
}

// decodeVariableBlock reads a variable block. Its attributes are constants:
// they may not refer to anything.
func decodeVariableBlock(b *hcl.Block) (*variable, hcl.Diagnostics) {
	v := &variable{Name: b.Labels[0], Type: cty.DynamicPseudoType, DeclRange: b.DefRange, value: cty.DynamicVal}
	var diags hcl.Diagnostics
	if !validIdentifier(v.Name) {
		diags = append(diags, errorf(b.LabelRanges[0], "Invalid variable name",
			"%q is not a valid name: a name starts with a letter and holds only letters, digits, underscores and dashes. Rename the variable.", v.Name))
		return nil, diags
	}
	content, cd := b.Body.Content(variableSchema)
	diags = append(diags, explainUnsupported(cd, "in a variable block", variableSchema, content)...)

	if attr, ok := content.Attributes["type"]; ok {
		ty, td := typeexpr.TypeConstraint(attr.Expr)
		for _, d := range td {
			d.Detail = strings.TrimSpace(d.Detail) + " Write a type such as string, number, bool, any, list(string), map(string) or object({ name = string })."
		}
		diags = append(diags, td...)
		if td.HasErrors() {
			v.broken = true
		} else {
			v.Type = ty
		}
	}
	if attr, ok := content.Attributes["description"]; ok {
		s, d := constString(attr)
		diags = append(diags, d...)
		v.Description = s
	}
	if attr, ok := content.Attributes["sensitive"]; ok {
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			bv, err := convert.Convert(val, cty.Bool)
			switch {
			case err == nil && (bv.IsNull() || !bv.IsKnown()):
				// null is the same as leaving sensitive out; an
				// unknown value is a syntax error already reported.
			case err != nil:
				diags = append(diags, errorf(attr.Expr.Range(), "Incorrect attribute value type",
					"sensitive must be true or false. Write sensitive = true."))
			default:
				v.Sensitive = bv.True()
			}
		}
	}
	if attr, ok := content.Attributes["default"]; ok {
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		v.broken = v.broken || d.HasErrors()
		if !d.HasErrors() {
			cv, err := convert.Convert(val, v.Type)
			if err != nil {
				v.broken = true
				diags = append(diags, errorf(attr.Expr.Range(), "Invalid default value for variable",
					"The default of var.%s does not match its type %s: %s. Change the default or the type.", v.Name, typeexpr.TypeString(v.Type), conversionError(v.Name, err, false)))
			} else {
				v.Default, v.HasDefault = cv, true
			}
		}
	}
	return v, diags
}

func constString(attr *hcl.Attribute) (string, hcl.Diagnostics) {
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return "", diags
	}
	sv, err := convert.Convert(val, cty.String)
	if err == nil && (sv.IsNull() || !sv.IsKnown()) {
		// null is the same as leaving the attribute out; an unknown
		// value is an expression a syntax error already reported.
		return "", diags
	}
	if err != nil {
		return "", diags.Append(errorf(attr.Expr.Range(), "Incorrect attribute value type",
			"%s must be a string. Write it in quotes.", attr.Name))
	}
	return sv.AsString(), diags
}

// givenValue is a value given for a variable from outside the spec, and
// where it came from.
type givenValue struct {
	val cty.Value
	// rng is where a variable file wrote the value; nil for the
	// environment and --var.
	rng *hcl.Range
	// source names where the value came from, for diagnostics ("--var
	// region").
	source string
}

// assignVariables gives every variable its value: a --var flag wins over a
// --var-file, which wins over MYNTH_VAR_<name>, which wins over the
// default. Sensitive values are marked.
func (l *loader) assignVariables(opts LoadOptions) hcl.Diagnostics {
	var diags hcl.Diagnostics
	names := slices.Sorted(maps.Keys(l.variables))

	// Each source in turn, the weakest first, so that a later one wins.
	values := map[string]givenValue{}
	for _, n := range names {
		if v, ok := opts.Saved[n]; ok {
			values[n] = givenValue{val: v, source: savedSource}
		}
	}
	diags = append(diags, l.readEnvValues(opts.getenv(), names, values)...)
	for _, path := range opts.VarFiles {
		diags = append(diags, l.readVarFile(path, names, values)...)
	}
	diags = append(diags, l.readVarArgs(opts.Vars, names, values)...)

	for _, n := range names {
		g, ok := values[n]
		if d := l.variables[n].assign(g, ok); d != nil {
			diags = append(diags, d)
		}
	}
	return diags
}

// readEnvValues records in values the variables set by MYNTH_VAR_<name>
// environment variables that are not empty.
func (l *loader) readEnvValues(getenv func(string) string, names []string, values map[string]givenValue) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, n := range names {
		if raw := getenv(EnvVarPrefix + n); raw != "" {
			source := "the environment variable " + EnvVarPrefix + n
			val, d := parseRawValue(raw, l.variables[n].Type, source)
			if d != nil {
				diags = append(diags, d)
			}
			values[n] = givenValue{val: val, source: source}
		}
	}
	return diags
}

// readVarFile records in values the variables set by the variable file at
// path (relative to the spec directory unless absolute), read as JSON or
// native syntax by its suffix. A name that is not declared is only a
// warning; a value that cannot be evaluated becomes unknown.
func (l *loader) readVarFile(path string, names []string, values map[string]givenValue) hcl.Diagnostics {
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(l.dir, path)
	}
	l.varFiles = append(l.varFiles, full)
	if st, err := os.Stat(full); err != nil || !st.Mode().IsRegular() {
		why := "is not a regular file"
		if err != nil {
			why = fmt.Sprintf("cannot be read (%v)", errors.Unwrap(err))
			if errors.Is(err, fs.ErrNotExist) {
				why = "does not exist"
			}
		}
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read variable file",
			Detail:   fmt.Sprintf("The file given with --var-file %s %s. Check the path: a relative one is read from the spec directory.", path, why),
		}}
	}
	f, diags := l.parseFile(full, strings.HasSuffix(full, ".json"), false)
	if f == nil || f.Body == nil {
		return diags
	}
	attrs, ad := f.Body.JustAttributes()
	diags = append(diags, ad...)
	for name, attr := range attrs {
		if _, ok := l.variables[name]; !ok {
			// The line may hold a secret meant for a sensitive
			// variable whose name is mistyped: Load keeps variable
			// files out of Spec.Files, so that it is not printed,
			// when a variable is sensitive.
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("The variable file %s sets %q, but no variable of that name is declared.%s Declare it with a variable %q block or remove the line.", path, name, didYouMean(name, names), name),
				Subject:  attr.NameRange.Ptr(),
			})
			continue
		}
		val, vd := attr.Expr.Value(nil)
		diags = append(diags, vd...)
		if vd.HasErrors() {
			values[name] = givenValue{val: cty.DynamicVal}
			continue
		}
		rng := attr.Expr.Range()
		values[name] = givenValue{val: val, rng: &rng, source: "the variable file " + path}
	}
	return diags
}

// readVarArgs records in values the variables set by --var NAME=VALUE
// arguments, in order, and reports malformed arguments and undeclared
// names.
func (l *loader) readVarArgs(args []string, names []string, values map[string]givenValue) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, arg := range args {
		name, raw, ok := strings.Cut(arg, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid --var argument",
				Detail:   fmt.Sprintf("The argument %q is not of the form NAME=VALUE. Write it as --var NAME=VALUE.", redactVarArg(arg)),
			})
			continue
		}
		v, ok := l.variables[name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("--var sets %q, but no variable of that name is declared.%s Declare it with a variable %q block, or fix the name.", name, didYouMean(name, names), name),
			})
			continue
		}
		source := "--var " + name
		val, d := parseRawValue(raw, v.Type, source)
		if d != nil {
			diags = append(diags, d)
		}
		values[name] = givenValue{val: val, source: source}
	}
	return diags
}

// assign sets v's value from g (given is false when no value was given) or
// from its default, marked when v is sensitive. When there is no usable
// value the value is left unknown and the problem, if not already
// reported, is returned.
func (v *variable) assign(g givenValue, given bool) *hcl.Diagnostic {
	v.value = cty.DynamicVal
	switch {
	case given && !g.val.IsKnown():
		return nil
	case given:
		cv, err := convert.Convert(g.val, v.Type)
		if err != nil {
			// The range is kept for a sensitive variable too: Load
			// keeps variable files out of Spec.Files then, so that the
			// snippet cannot print the value.
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   fmt.Sprintf("The value of var.%s from %s does not match its type %s: %s. Give a value of that type.", v.Name, g.source, typeexpr.TypeString(v.Type), conversionError(v.Name, err, v.Sensitive)),
				Subject:  g.rng,
			}
		}
		v.value = cv
	case v.HasDefault:
		v.value = v.Default
	case v.broken:
		return nil
	default:
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No value for required variable",
			Detail:   fmt.Sprintf("The variable %q has no default, so it needs a value. Set it with --var %s=VALUE, in a %s file passed with --var-file, or with the environment variable %s%s; or give it a default.", v.Name, v.Name, VarFileSuffix, EnvVarPrefix, v.Name),
			Subject:  v.DeclRange.Ptr(),
		}
	}
	if v.Sensitive {
		v.value = v.value.Mark(sensitiveMark)
	}
	return nil
}

// redactVarArg hides what follows the first "=" or, with none, all but a
// short prefix: a malformed --var may still hold a secret.
func redactVarArg(arg string) string {
	if len(arg) > 12 {
		return arg[:4] + "…"
	}
	return arg
}

// parseRawValue reads a value given on the command line or in the
// environment as Terraform does: for a string variable the raw text; else
// the text as an HCL expression when it is a constant (a number, bool,
// list, object, quoted string), and the raw text otherwise.
//
// A value nested deeper than MaxNesting is not parsed (the parser would
// exhaust its stack): it is refused with a diagnostic that names source.
func parseRawValue(raw string, ty cty.Type, source string) (cty.Value, *hcl.Diagnostic) {
	if ty == cty.String {
		return cty.StringVal(raw), nil
	}
	if d := checkNesting([]byte(raw), "", nativeSyntax); d != nil {
		return cty.DynamicVal, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Value nested too deeply",
			Detail: fmt.Sprintf("The value of %s opens more than %d levels of nested parentheses, brackets or braces (at character %d). Give a value with fewer levels.",
				source, MaxNesting, d.Subject.Start.Column),
		}
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "<value>", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.StringVal(raw), nil
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() || !val.IsWhollyKnown() {
		return cty.StringVal(raw), nil
	}
	return val, nil
}

// variableObject is var as expressions see it.
func (l *loader) variableObject() cty.Value {
	attrs := make(map[string]cty.Value, len(l.variables))
	for n, v := range l.variables {
		attrs[n] = v.value
	}
	return cty.ObjectVal(attrs)
}

// conversionError says what is wrong with a variable's value, and where
// inside it ("var.o.sizes[1]: a number is required"), unless the value is
// sensitive: its keys are part of the secret.
func conversionError(name string, err error, sensitive bool) string {
	var pe cty.PathError
	if sensitive || !errors.As(err, &pe) || len(pe.Path) == 0 {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString("var." + name)
	for _, step := range pe.Path {
		switch s := step.(type) {
		case cty.GetAttrStep:
			b.WriteString("." + s.Name)
		case cty.IndexStep:
			switch {
			case s.Key.Type() == cty.String:
				b.WriteString("[" + quoteKey(s.Key.AsString()) + "]")
			case s.Key.Type() == cty.Number:
				b.WriteString("[" + s.Key.AsBigFloat().Text('f', -1) + "]")
			default:
				b.WriteString("[...]")
			}
		}
	}
	return b.String() + ": " + err.Error()
}
