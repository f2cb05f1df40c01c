package main

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/internal/plural"
)

const validateUsage = "validate [--json] [--var NAME=VALUE]... [--var-file FILE]..."

// validateArgs are the flags of validate.
type validateArgs struct {
	json bool
	vars varFlags
}

// validateDocument is validate --json's output.
type validateDocument struct {
	Valid        bool                 `json:"valid"`
	ErrorCount   int                  `json:"error_count"`
	WarningCount int                  `json:"warning_count"`
	Diagnostics  []validateDiagnostic `json:"diagnostics"`
}

type validateDiagnostic struct {
	Severity string         `json:"severity"`
	Summary  string         `json:"summary"`
	Detail   string         `json:"detail,omitempty"`
	Range    *validateRange `json:"range,omitempty"`
}

type validateRange struct {
	Filename string      `json:"filename"`
	Start    validatePos `json:"start"`
	End      validatePos `json:"end"`
}

type validatePos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
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
		fmt.Fprintf(g.stdout, "The spec is valid: %s.\n", plural.Count(len(sp.Tasks), "task"))
		return exitOK
	}

	_, diags := loadSpecQuiet(g, a.vars)
	doc := validateDocument{Valid: !diags.HasErrors(), Diagnostics: []validateDiagnostic{}}
	for _, d := range diags {
		vd := validateDiagnostic{Summary: d.Summary, Detail: d.Detail, Severity: "error"}
		if d.Severity == hcl.DiagWarning {
			vd.Severity = "warning"
			doc.WarningCount++
		} else {
			doc.ErrorCount++
		}
		if d.Subject != nil {
			vd.Range = &validateRange{
				Filename: d.Subject.Filename,
				Start:    validatePos{Line: d.Subject.Start.Line, Column: d.Subject.Start.Column},
				End:      validatePos{Line: d.Subject.End.Line, Column: d.Subject.End.Column},
			}
		}
		doc.Diagnostics = append(doc.Diagnostics, vd)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform validate: %v\n", err)
		return exitError
	}
	fmt.Fprintf(g.stdout, "%s\n", b)
	if !doc.Valid {
		return exitError
	}
	return exitOK
}
