package spec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/mynthform/mynthform/internal/didyoumean"
)

// suggest returns the name in candidates nearest to given, or "" when none
// is near enough to be a likely typo: didyoumean's measure, the one the
// command line uses too.
func suggest(given string, candidates []string) string {
	return didyoumean.Nearest(given, candidates, 2)
}

// didYouMean is " Did you mean "x"?" when a candidate is near, else "".
func didYouMean(given string, candidates []string) string {
	if s := suggest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// explainUnsupported makes HCL's schema diagnostics end with a fix: for an
// unknown argument or block it appends the names allowed in where. It
// also replaces hcl's own "Did you mean" with suggest's, so that every
// suggestion, hcl's and ours, is made by one measure; content is what
// the body's Content gave, whose attributes are not suggested again (as
// hcl does not).
func explainUnsupported(diags hcl.Diagnostics, where string, schema *hcl.BodySchema, content *hcl.BodyContent) hcl.Diagnostics {
	for _, d := range diags {
		switch d.Summary {
		case "Unsupported argument", "Unsupported block type", "Extraneous JSON object property":
		default:
			continue
		}
		d.Detail = resuggest(d.Summary, d.Detail, schema, content)
		var names []string
		for _, a := range schema.Attributes {
			names = append(names, a.Name)
		}
		for _, b := range schema.Blocks {
			names = append(names, b.Type+" { }")
		}
		sort.Strings(names)
		if len(names) == 0 {
			d.Detail = strings.TrimSpace(d.Detail) + fmt.Sprintf(" Nothing may be set %s: remove it.", where)
			continue
		}
		d.Detail = strings.TrimSpace(d.Detail) + fmt.Sprintf(" Fix its name or remove it; allowed %s: %s.", where, strings.Join(names, ", "))
	}
	return diags
}

// hclUnsupported is, for each of hcl's schema diagnostics, the start of
// its detail, up to the quoted name: hcl's wording (hclsyntax and json
// structure.go), which resuggest relies on.
var hclUnsupported = map[string]string{
	"Unsupported argument":            "An argument named ",
	"Unsupported block type":          "Blocks of type ",
	"Extraneous JSON object property": "No argument or block type is named ",
}

// resuggest rewrites the detail of one of hcl's schema diagnostics with
// suggest's "Did you mean" in place of hcl's, among the names hcl looks
// among: for an argument the attributes not yet set, for a block the
// block types, for a JSON property both. hcl's other hints ("Did you mean
// to define a block of type ...") are kept when suggest has none. A detail
// not in hcl's known wording is left as it is.
func resuggest(summary, detail string, schema *hcl.BodySchema, content *hcl.BodyContent) string {
	rest, ok := strings.CutPrefix(detail, hclUnsupported[summary])
	if !ok {
		return detail
	}
	quoted, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return detail
	}
	name, _ := strconv.Unquote(quoted)
	head, ok := strings.CutPrefix(rest[len(quoted):], " are not expected here.")
	if !ok {
		head, ok = strings.CutPrefix(rest[len(quoted):], " is not expected here.")
	}
	if !ok {
		head, ok = strings.CutPrefix(rest[len(quoted):], ".")
	}
	if !ok {
		return detail
	}
	sentence := detail[:len(detail)-len(head)]
	var attrs, blocks []string
	for _, a := range schema.Attributes {
		if content != nil && content.Attributes[a.Name] != nil {
			continue
		}
		attrs = append(attrs, a.Name)
	}
	for _, b := range schema.Blocks {
		blocks = append(blocks, b.Type)
	}
	var candidates []string
	switch summary {
	case "Unsupported argument":
		candidates = attrs
	case "Unsupported block type":
		candidates = blocks
	default:
		candidates = append(attrs, blocks...)
	}
	if s := suggest(name, candidates); s != "" {
		return sentence + fmt.Sprintf(" Did you mean %q?", s)
	}
	if strings.HasPrefix(head, " Did you mean to ") {
		return sentence + head
	}
	return sentence
}

// scrubDiagnostics drops the evaluation context from diagnostics whose
// expression reads a sensitive value, so that the diagnostic printer cannot
// show the value, and cuts what a failed function call says about its
// arguments: go-cty's functions quote them ("cannot parse \"...\" as a
// base 10 integer").
func scrubDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if d.Expression == nil || d.EvalContext == nil {
			continue
		}
		for _, tr := range d.Expression.Variables() {
			v, vd := tr.TraverseAbs(d.EvalContext)
			if vd.HasErrors() || v.ContainsMarked() {
				d.Expression, d.EvalContext = nil, nil
				if d.Summary == "Invalid function argument" || d.Summary == "Error in function call" {
					d.Detail = redactedFunctionDetail(d.Detail)
				}
				break
			}
		}
	}
	return diags
}

// redactedFunctionDetail keeps what HCL says before a function's own
// message ("Invalid value for \"number\" parameter", "Call to function
// \"timeadd\" failed") and replaces the message, which may quote a
// sensitive argument.
func redactedFunctionDetail(detail string) string {
	const hidden = "the rest of the message is hidden, because the expression reads a sensitive value and the message could show it. Check the sensitive values this expression uses."
	if prefix, _, ok := strings.Cut(detail, ": "); ok && !strings.ContainsAny(prefix, ".\n") {
		return prefix + "; " + hidden
	}
	return "The function call failed; " + hidden
}

// functionSuggestion is " Did you mean "upper"?" for a call to an unknown
// function whose name is near one of the spec's functions, when HCL's own
// detail has no suggestion: HCL looks for one only among the functions of
// the innermost evaluation context, and the spec's function table is in
// the root context (each task instance evaluates in a child of it).
func functionSuggestion(d *hcl.Diagnostic) string {
	if strings.Contains(d.Detail, "Did you mean") {
		return ""
	}
	extra, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallUnknownDiagExtra](d)
	if !ok || extra.CalledFunctionNamespace() != "" {
		return ""
	}
	return didYouMean(extra.CalledFunctionName(), FunctionNames())
}

// tidyDiagnostics drops repeated diagnostics (a for_each task reports a
// problem of its block once, not once per key) and orders the rest by
// file and position, those without a range first.
func tidyDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		rng             hcl.Range
	}
	seen := map[key]bool{}
	out := diags[:0:0]
	for _, d := range diags {
		switch d.Summary {
		case "Call to unknown function":
			d.Detail = strings.TrimSpace(d.Detail) + functionSuggestion(d) + " Fix the name; mynthform's functions are listed in the spec language reference."
		case "Variables not allowed", "Function calls not allowed":
			d.Detail = strings.TrimSpace(d.Detail) + " Write a constant value here (a variable's default and a variable file hold constants)."
		case "Unclosed configuration block":
			d.Detail = strings.TrimSpace(d.Detail) + " Add the } that closes it."
		case "Missing required argument":
			d.Detail = strings.TrimSpace(d.Detail) + " Add it."
		}
		// HCL's label diagnostics name the block type in the summary.
		if strings.HasPrefix(d.Summary, "Extraneous label for ") {
			d.Detail = strings.TrimSpace(d.Detail) + " Remove the extra label."
		} else if typ, ok := strings.CutPrefix(d.Summary, "Missing name for "); ok {
			d.Detail = strings.TrimSpace(d.Detail) + fmt.Sprintf(" Add the name in quotes after the block type, as in %s \"NAME\" { }.", typ)
		}
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.rng = *d.Subject
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Subject, out[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return out
}

// errorf is a shorthand for an error diagnostic.
func errorf(rng hcl.Range, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	}
}

// shown is how a value appears inside a diagnostic: quoted, or hidden when
// it is sensitive.
func shown(s string, sensitive bool) string {
	if sensitive {
		return "(sensitive value)"
	}
	return fmt.Sprintf("%q", s)
}

// shownBare is shown without the quotes, for ids and paths.
func shownBare(s string, sensitive bool) string {
	if sensitive {
		return shown(s, true)
	}
	return s
}

// hint is didYouMean, or "" for a sensitive value: a suggestion would tell
// what the value is close to.
func hint(given string, sensitive bool, candidates []string) string {
	if sensitive {
		return ""
	}
	return didYouMean(given, candidates)
}

// shownInt is how a number appears inside a diagnostic: as it is, or
// hidden when it is sensitive.
func shownInt(n int, sensitive bool) string {
	return shownBare(strconv.Itoa(n), sensitive)
}
