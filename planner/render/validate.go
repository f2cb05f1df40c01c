package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/mynthform/mynthform/planner"
)

// ValidateJSON renders `validate --json`: one document saying whether the
// spec is valid, how many errors and warnings it has, and each diagnostic
// (its detail and range left out when it has none). The diagnostics are
// those of planner.DiagnosticsOf, as in the plan document.
type ValidateJSON struct{}

type validateDoc struct {
	Valid        bool                 `json:"valid"`
	ErrorCount   int                  `json:"error_count"`
	WarningCount int                  `json:"warning_count"`
	Diagnostics  []validateDiagnostic `json:"diagnostics"`
}

type validateDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
}

// Render writes the document for diags to w.
func (ValidateJSON) Render(w io.Writer, diags []planner.Diagnostic) error {
	doc := validateDoc{Valid: true, Diagnostics: make([]validateDiagnostic, 0, len(diags))}
	for _, d := range diags {
		if d.Fails() {
			doc.ErrorCount++
			doc.Valid = false
		} else {
			doc.WarningCount++
		}
		doc.Diagnostics = append(doc.Diagnostics, validateDiagnostic{string(d.Severity), d.Summary, d.Detail, toJSONRange(d.Range)})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the validate document: %w", err)
	}
	var buf bytes.Buffer
	buf.Write(b)
	buf.WriteByte('\n')
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the validate document: %w", err)
	}
	return nil
}
