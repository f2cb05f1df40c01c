package main

import (
	"fmt"

	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
)

const validateUsage = "validate [--json] [--var NAME=VALUE]... [--var-file FILE]..."

// validateArgs are the flags of validate.
type validateArgs struct {
	json bool
	vars varFlags
}

// runValidate checks the spec offline: it never calls the API.
func runValidate(g *globals, args []string) int {
	var a validateArgs
	fs := newFlagSet("validate")
	fs.BoolVar(&a.json, "json", false, "print the result as one JSON document")
	a.vars.register(fs)
	if code, done := parseFlags(g, fs, validateUsage, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(g.stderr, "mynthform validate: unexpected argument %q\nUsage: mynthform %s\n", fs.Arg(0), validateUsage)
		return exitError
	}
	if !a.json {
		sp, ok := loadSpec(g, a.vars)
		if !ok {
			if g.ctx.Err() != nil {
				return exitSignal
			}
			return exitError
		}
		_ = render.ValidSpec{Tasks: len(sp.Tasks)}.Render(g.stdout)
		return exitOK
	}

	_, diags := loadSpecQuiet(g, a.vars)
	// File names stay as the loader gave them (relative to the working
	// directory), as validate --json has always printed them.
	if err := (render.ValidateJSON{}).Render(g.stdout, planner.DiagnosticsOf(diags, "")); err != nil {
		fmt.Fprintf(g.stderr, "mynthform validate: %v\n", err)
		return exitError
	}
	if diags.HasErrors() {
		return exitError
	}
	return exitOK
}
