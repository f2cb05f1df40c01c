package spec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src, a file in HCL's native syntax, in canonical form:
// aligned equals signs, two-space indentation, normalized spacing. A file
// with a syntax error is not formatted: the errors are returned instead,
// with filename in their ranges, and so is a file nested deeper than
// MaxNesting.
func Format(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	if d := checkNesting(src, filename, nativeSyntax); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	_, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		// Worded as validate words them, hints included.
		return nil, tidyDiagnostics(diags)
	}
	return hclwrite.Format(src), diags
}
