package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckFails(t *testing.T) {
	tests := map[string]struct {
		c            Check
		fails, warns bool
	}{
		"passed":                   {Check{Outcome: OutcomePassed}, false, false},
		"pending":                  {Check{Outcome: OutcomePending, Severity: SeverityError}, false, false},
		"failed error":             {Check{Outcome: OutcomeFailed, Severity: SeverityError}, true, false},
		"failed without severity":  {Check{Outcome: OutcomeFailed}, true, false},
		"failed warning":           {Check{Outcome: OutcomeFailed, Severity: SeverityWarning}, false, true},
		"unknown severity fails":   {Check{Outcome: OutcomeFailed, Severity: "fatal"}, true, false},
		"passed warning stays put": {Check{Outcome: OutcomePassed, Severity: SeverityWarning}, false, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.c.Fails(); got != tc.fails {
				t.Errorf("Fails() = %v, want %v", got, tc.fails)
			}
			if got := tc.c.Warns(); got != tc.warns {
				t.Errorf("Warns() = %v, want %v", got, tc.warns)
			}
		})
	}
}

// TestPlanFailures checks the order and kinds of a plan's failures, which
// of them apply may fix, and that a warning or a pending check fails
// nothing.
func TestPlanFailures(t *testing.T) {
	broken := "503"
	p := &Plan{
		Checks: []Check{{Name: CheckBudget, Outcome: OutcomeFailed, Severity: SeverityError}},
		Tasks: []*TaskPlan{
			{Address: "task.a", Checks: []Check{
				{Name: CheckStatus, Outcome: OutcomeFailed, Severity: SeverityWarning},
				{Name: CheckImages, Outcome: OutcomePending},
				{Name: CheckMaxCost, Outcome: OutcomeFailed, Severity: SeverityError},
			}},
			{Address: "task.b", Error: &broken},
			{Address: "task.c", Drift: true},
			{Address: "task.ok", Checks: []Check{{Name: CheckStatus, Outcome: OutcomePassed}}},
		},
		Diagnostics: []Diagnostic{{Severity: "warning", Summary: "w"}, {Severity: "error", Summary: "e", Address: "task.a"}},
	}
	type row struct {
		Kind    FailureKind
		Address string
		Check   CheckName
	}
	var got []row
	for _, f := range p.Failures() {
		r := row{Kind: f.Kind, Address: f.Address}
		if f.Check != nil {
			r.Check = f.Check.Name
		}
		got = append(got, r)
	}
	want := []row{
		{FailureUnreadable, "task.b", ""},
		{FailureDrift, "task.c", ""},
		{FailureCheck, "", CheckBudget},
		{FailureCheck, "task.a", CheckMaxCost},
		{FailureDiagnostic, "task.a", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Failures (-want +got):\n%s", diff)
	}
	if !p.Failed() || !p.FailsBeyondApply() {
		t.Errorf("Failed() = %v, FailsBeyondApply() = %v, want both true", p.Failed(), p.FailsBeyondApply())
	}
	var failing []string
	for _, tk := range p.FailingTasks() {
		failing = append(failing, tk.Address)
	}
	if diff := cmp.Diff([]string{"task.a", "task.b", "task.c"}, failing); diff != "" {
		t.Errorf("FailingTasks (-want +got):\n%s", diff)
	}
	if n := p.Tally(); n != (CheckTally{Passed: 1, Failed: 3, Warnings: 1, Pending: 1}) {
		t.Errorf("Tally() = %+v", n)
	}

	checksOnly := &Plan{Tasks: []*TaskPlan{p.Tasks[0]}}
	if !checksOnly.Failed() || checksOnly.FailsBeyondApply() || !checksOnly.ChecksFail() {
		t.Errorf("a plan failing only checks: Failed() = %v, FailsBeyondApply() = %v, ChecksFail() = %v, want true, false, true",
			checksOnly.Failed(), checksOnly.FailsBeyondApply(), checksOnly.ChecksFail())
	}
	warnOnly := &Plan{Tasks: []*TaskPlan{{Address: "task.w", Checks: []Check{{Outcome: OutcomeFailed, Severity: SeverityWarning}}}}}
	if warnOnly.Failed() || warnOnly.ChecksFail() || warnOnly.Tasks[0].Fails() || !warnOnly.Tasks[0].Warns() {
		t.Errorf("a failed warning fails the plan or the task, or does not warn")
	}
	// What apply cannot fix is not a failed check: apply's check once it
	// is done does not count it a second time.
	beyond := &Plan{Tasks: []*TaskPlan{p.Tasks[1], p.Tasks[2]}, Diagnostics: p.Diagnostics}
	if !beyond.Failed() || !beyond.FailsBeyondApply() || beyond.ChecksFail() {
		t.Errorf("unreadable, drift and an error: Failed() = %v, FailsBeyondApply() = %v, ChecksFail() = %v, want true, true, false",
			beyond.Failed(), beyond.FailsBeyondApply(), beyond.ChecksFail())
	}
	budgetOnly := &Plan{Checks: p.Checks}
	if !budgetOnly.ChecksFail() || budgetOnly.FailsBeyondApply() {
		t.Errorf("a failed plan-wide check: ChecksFail() = %v, FailsBeyondApply() = %v, want true, false", budgetOnly.ChecksFail(), budgetOnly.FailsBeyondApply())
	}
}

// TestSeverity checks the one rule of severities, for checks and
// diagnostics alike: anything but warning fails, none included, and the
// views print no severity as error.
func TestSeverity(t *testing.T) {
	tests := []struct {
		s     Severity
		fails bool
		shown Severity
	}{
		{SeverityError, true, SeverityError},
		{SeverityWarning, false, SeverityWarning},
		{"", true, SeverityError},
		{"fatal", true, "fatal"},
	}
	for _, tc := range tests {
		if got := tc.s.Fails(); got != tc.fails {
			t.Errorf("Severity(%q).Fails() = %v, want %v", tc.s, got, tc.fails)
		}
		if got := (Diagnostic{Severity: tc.s}).Fails(); got != tc.fails {
			t.Errorf("a diagnostic of severity %q: Fails() = %v, want %v", tc.s, got, tc.fails)
		}
		if got := tc.s.OrError(); got != tc.shown {
			t.Errorf("Severity(%q).OrError() = %q, want %q", tc.s, got, tc.shown)
		}
		failed := Check{Outcome: OutcomeFailed, Severity: tc.s}
		if failed.Fails() != tc.fails || failed.Warns() == tc.fails || !failed.Failed() {
			t.Errorf("a failed check of severity %q: Fails() = %v, Warns() = %v, Failed() = %v", tc.s, failed.Fails(), failed.Warns(), failed.Failed())
		}
		for _, o := range []Outcome{OutcomePassed, OutcomePending} {
			if c := (Check{Outcome: o, Severity: tc.s}); c.Fails() || c.Warns() || c.Failed() {
				t.Errorf("a %s check of severity %q fails or warns", o, tc.s)
			}
		}
	}
}
