package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/state"
)

type docDiagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
}

// TestErrorDiagnosticsInJSON: an API failure and a refused state become
// error diagnostics whose detail is their hint, in the plan document and
// in the human view; the API key the server echoed never shows.
func TestErrorDiagnosticsInJSON(t *testing.T) {
	apiErr := fmt.Errorf("reading task.mug: %w", &mynth.APIError{Method: "GET", Path: "/tasks/tsk_1", StatusCode: 402, Code: "insufficient_balance", Message: "Top up"})
	stErr := fmt.Errorf("loading: %w", &state.Error{Path: "mynth.state.json", Kind: state.ErrConflict, Problem: "holds git conflict markers", Hint: "resolve the merge, then run again"})
	p := summarize(&planner.Plan{FormatVersion: planner.PlanFormatVersion, Tasks: []*planner.TaskPlan{}})
	p.Diagnostics = []planner.Diagnostic{planner.ErrorDiagnostic(apiErr), planner.ErrorDiagnostic(stErr)}
	var buf bytes.Buffer
	if err := (JSON{}).Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary     struct{ Failed bool } `json:"summary"`
		Diagnostics []docDiagnostic       `json:"diagnostics"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := []docDiagnostic{
		{"error", "reading task.mug: GET /tasks/tsk_1: 402 insufficient_balance: Top up", (&mynth.APIError{StatusCode: 402}).Hint()},
		{"error", "loading: state file mynth.state.json: holds git conflict markers", "Resolve the merge, then run again."},
	}
	if diff := cmp.Diff(want, doc.Diagnostics); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	if !doc.Summary.Failed {
		t.Errorf("an error diagnostic must fail the plan")
	}
	var human bytes.Buffer
	if err := (Human{}).Diagnostics(&human, p.Diagnostics); err != nil {
		t.Fatal(err)
	}
	for _, d := range want {
		if !strings.Contains(human.String(), "Error: "+d.Summary+"\n    "+d.Detail+"\n") {
			t.Errorf("human view lacks %q with its hint under it:\n%s", d.Summary, human.String())
		}
	}
}

// TestAPIErrorHints: every status class has a hint that is a sentence.
func TestAPIErrorHints(t *testing.T) {
	seen := map[string]int{}
	for _, code := range []int{400, 401, 402, 403, 404, 409, 422, 429, 500, 503} {
		h := (&mynth.APIError{StatusCode: code, Field: "size"}).Hint()
		if h == "" || !strings.HasSuffix(h, ".") || strings.ToUpper(h[:1]) != h[:1] {
			t.Errorf("%d: hint %q is not a sentence", code, h)
		}
		seen[h]++
	}
	if len(seen) < 6 {
		t.Errorf("hints do not tell the statuses apart: %v", seen)
	}
}

// TestValidateJSONFromDiagnosticsOf: validate's document counts and
// shapes the diagnostics DiagnosticsOf converts, leaving out empty details
// and ranges; a diagnostic of no known severity counts as an error.
func TestValidateJSONFromDiagnosticsOf(t *testing.T) {
	rng := hcl.Range{Filename: "/spec/main.mynth.hcl", Start: hcl.Pos{Line: 3, Column: 5}, End: hcl.Pos{Line: 3, Column: 9}}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagWarning, Summary: "W", Detail: "d", Subject: &rng},
		{Severity: hcl.DiagError, Summary: "E"},
		{Severity: hcl.DiagInvalid, Summary: "I"},
	}
	var buf bytes.Buffer
	if err := (ValidateJSON{}).Render(&buf, planner.DiagnosticsOf(diags, "/spec")); err != nil {
		t.Fatal(err)
	}
	want := `{
  "valid": false,
  "error_count": 2,
  "warning_count": 1,
  "diagnostics": [
    {
      "severity": "warning",
      "summary": "W",
      "detail": "d",
      "range": {
        "filename": "main.mynth.hcl",
        "start": {
          "line": 3,
          "column": 5
        },
        "end": {
          "line": 3,
          "column": 9
        }
      }
    },
    {
      "severity": "error",
      "summary": "E"
    },
    {
      "severity": "error",
      "summary": "I"
    }
  ]
}
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("validate document (-want +got):\n%s", diff)
	}
}
