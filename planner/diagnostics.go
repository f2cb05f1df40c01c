package planner

import (
	"errors"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// DiagnosticsOf converts the spec's diagnostics for the plan and every
// other view: it is the one place an hcl.Diagnostic becomes a Diagnostic.
// File names are made relative to dir as RangeOf does ("" keeps them as
// the loader gave them).
func DiagnosticsOf(diags hcl.Diagnostics, dir string) []Diagnostic {
	out := make([]Diagnostic, 0, len(diags))
	for _, d := range diags {
		pd := Diagnostic{Severity: SeverityError, Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			pd.Severity = SeverityWarning
		}
		if d.Subject != nil {
			pd.Range = RangeOf(*d.Subject, dir)
		}
		out = append(out, pd)
	}
	return out
}

// ErrorDiagnostic is err as an error diagnostic: a refused state
// (*state.Error) or an API failure (*mynth.APIError) says what went wrong
// in the summary and how to recover, its hint, in the detail; any other
// error is its text alone.
func ErrorDiagnostic(err error) Diagnostic {
	d := Diagnostic{Severity: SeverityError, Summary: err.Error()}
	var se *state.Error
	var ae *mynth.APIError
	switch {
	case errors.As(err, &se) && se.Hint != "":
		bare := *se
		bare.Hint = ""
		d.Summary, d.Detail = bare.Error(), sentence(se.Hint)
		// Keep the context the error was wrapped in.
		if prefix, ok := strings.CutSuffix(err.Error(), se.Error()); ok {
			d.Summary = prefix + d.Summary
		}
	case errors.As(err, &ae):
		d.Detail = ae.Hint()
	}
	return d
}

// sentence makes a lower-case hint a sentence: a capital, a full stop.
func sentence(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
