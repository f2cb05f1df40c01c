package main

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"
	"github.com/zclconf/go-cty/cty"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// diagnosticWidth is the width diagnostics are wrapped to.
const diagnosticWidth = 100

// varFlags are the --var and --var-file flags of every command that reads
// the spec.
type varFlags struct {
	vars     []string
	varFiles []string
	// saved are the values of a saved plan being applied.
	saved map[string]cty.Value
}

// register adds --var and --var-file to fs.
func (v *varFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&v.vars, "var", nil, "set a variable, as `NAME=VALUE` (repeatable; wins over --var-file and MYNTH_VAR_NAME)")
	fs.StringArrayVar(&v.varFiles, "var-file", nil, "read variable values from a *.mynthvars.hcl `FILE` (repeatable)")
}

// loadOptions are the spec.LoadOptions the flags and environment give.
func (v varFlags) loadOptions(g *globals) spec.LoadOptions {
	return spec.LoadOptions{Vars: v.vars, VarFiles: v.varFiles, Getenv: g.getenv, Saved: v.saved, Context: g.ctx}
}

// loadSpec reads the spec in g.dir and prints its diagnostics, with source
// snippets, to g.stderr. It returns ok=false when there are errors;
// warnings are printed and loading goes on.
func loadSpec(g *globals, vf varFlags) (*spec.Spec, bool) {
	return loadSpecEarly(g, vf, nil)
}

// loadSpecEarly is loadSpec telling early what the load finds before it
// returns (see spec.Early); early may be nil.
func loadSpecEarly(g *globals, vf varFlags, early *spec.Early) (*spec.Spec, bool) {
	lo := vf.loadOptions(g)
	lo.Early = early
	sp, diags := spec.Load(g.dir, lo)
	printDiagnostics(g, sp.Files, diags)
	return sp, !diags.HasErrors()
}

// loadSpecQuiet reads the spec in g.dir and returns its diagnostics
// without printing them.
func loadSpecQuiet(g *globals, vf varFlags) (*spec.Spec, hcl.Diagnostics) {
	return spec.Load(g.dir, vf.loadOptions(g))
}

// printDiagnostics writes diags to g.stderr with source snippets, as
// hcl's text writer does (see diagnosticWriter).
func printDiagnostics(g *globals, files map[string]*hcl.File, diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	w := newDiagnosticWriter(g.stderr, files, diagnosticWidth, g.color)
	_ = w.WriteDiagnostics(diags)
}

// printError writes err to g.stderr: a refused state or an API failure
// as a diagnostic (its problem, and its hint as the detail, the fix), any
// other error as "mynthform: CONTEXT ERR". context ("planning: ") says
// what was being done.
func printError(g *globals, context string, err error) {
	var se *state.Error
	var ae *mynth.APIError
	if errors.As(err, &se) && se.Hint != "" || errors.As(err, &ae) {
		d := planner.ErrorDiagnostic(err)
		d.Summary = context + d.Summary
		_ = render.Human{Color: g.color}.Diagnostics(g.stderr, []planner.Diagnostic{d})
		return
	}
	fmt.Fprintf(g.stderr, "mynthform: %s%v\n", context, err)
}
