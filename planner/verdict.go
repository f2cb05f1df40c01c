package planner

// This file is the plan's verdict: which checks, tasks and diagnostics fail
// the run. Every view, the exit codes and apply's check after it read it
// from here; none decides on its own.

// Severity says whether a failed check, or a diagnostic, fails the run.
type Severity string

// Severities of checks and diagnostics. Any severity but warning, none
// included, is an error.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Fails reports whether a failed check or a diagnostic of severity s fails
// the run: s is not warning.
func (s Severity) Fails() bool { return s != SeverityWarning }

// OrError is s, SeverityError when s is empty: the severity views print.
func (s Severity) OrError() Severity {
	if s == "" {
		return SeverityError
	}
	return s
}

// CheckName names the expectation a check evaluates.
type CheckName string

// The checks a plan makes.
const (
	CheckStatus  CheckName = "status"
	CheckImages  CheckName = "images"
	CheckSize    CheckName = "size"
	CheckMaxCost CheckName = "max_cost"
	CheckFile    CheckName = "file"
	CheckBudget  CheckName = "budget"
	// CheckBudgetSpent is the budget's max_spent, CheckBudgetUnpriced the
	// tasks of unknown price.
	CheckBudgetSpent    CheckName = "budget_spent"
	CheckBudgetUnpriced CheckName = "budget_unpriced"
)

// Fails reports whether the check fails the run: it failed, and its
// severity is not warning.
func (c Check) Fails() bool {
	return c.Outcome == OutcomeFailed && c.Severity.Fails()
}

// Warns reports whether the check failed with severity warning: it is
// reported, and the run still passes.
func (c Check) Warns() bool {
	return c.Outcome == OutcomeFailed && !c.Severity.Fails()
}

// Failed reports whether the check failed, whatever its severity: it is
// listed and counted as failed, and fails the run when Fails.
func (c Check) Failed() bool { return c.Outcome == OutcomeFailed }

// Fails reports whether the diagnostic fails the run: it is an error.
func (d Diagnostic) Fails() bool { return d.Severity.Fails() }

// FailureKind says why something fails the run.
type FailureKind string

// The reasons a plan fails.
const (
	// FailureUnreadable: the task could not be read (TaskPlan.Error).
	FailureUnreadable FailureKind = "unreadable"
	// FailureDrift: the request of a pinned task differs from the spec.
	FailureDrift FailureKind = "drift"
	// FailureCheck: a check of severity error failed.
	FailureCheck FailureKind = "check"
	// FailureDiagnostic: an error diagnostic.
	FailureDiagnostic FailureKind = "diagnostic"
)

// Failure is one reason the plan fails the run.
type Failure struct {
	Kind FailureKind
	// Address is the task's address, "" for a plan-wide check or a
	// diagnostic that belongs to no task.
	Address string
	// Task is the failing task, nil for a plan-wide failure.
	Task *TaskPlan
	// Check is the failed check (FailureCheck), Diagnostic the error
	// diagnostic (FailureDiagnostic); nil otherwise.
	Check      *Check
	Diagnostic *Diagnostic
}

// FixableByApply reports whether applying the plan may fix the failure: a
// failed check may pass once apply has generated or saved what it expects;
// an unreadable task, drift or an error diagnostic stays.
func (f Failure) FixableByApply() bool { return f.Kind == FailureCheck }

// Failures lists why the task fails the run, in order: unreadable, drift,
// then its failed checks.
func (t *TaskPlan) Failures() []Failure {
	var out []Failure
	if t.Error != nil {
		out = append(out, Failure{Kind: FailureUnreadable, Address: t.Address, Task: t})
	}
	if t.Drift {
		out = append(out, Failure{Kind: FailureDrift, Address: t.Address, Task: t})
	}
	for i := range t.Checks {
		if t.Checks[i].Fails() {
			out = append(out, Failure{Kind: FailureCheck, Address: t.Address, Task: t, Check: &t.Checks[i]})
		}
	}
	return out
}

// Fails reports whether the task fails the run.
func (t *TaskPlan) Fails() bool { return len(t.Failures()) > 0 }

// Warns reports whether one of the task's checks failed with severity
// warning.
func (t *TaskPlan) Warns() bool {
	for _, c := range t.Checks {
		if c.Warns() {
			return true
		}
	}
	return false
}

// Failures lists every reason the plan fails the run, in the order the
// reports show them: unreadable and drifted tasks in plan order, then the
// failed checks (plan-wide first, then each task's), then the error
// diagnostics.
func (p *Plan) Failures() []Failure {
	var out []Failure
	for _, t := range p.Tasks {
		if t.Error != nil {
			out = append(out, Failure{Kind: FailureUnreadable, Address: t.Address, Task: t})
		}
		if t.Drift {
			out = append(out, Failure{Kind: FailureDrift, Address: t.Address, Task: t})
		}
	}
	for i := range p.Checks {
		if p.Checks[i].Fails() {
			out = append(out, Failure{Kind: FailureCheck, Check: &p.Checks[i]})
		}
	}
	for _, t := range p.Tasks {
		for i := range t.Checks {
			if t.Checks[i].Fails() {
				out = append(out, Failure{Kind: FailureCheck, Address: t.Address, Task: t, Check: &t.Checks[i]})
			}
		}
	}
	for i := range p.Diagnostics {
		if d := &p.Diagnostics[i]; d.Fails() {
			out = append(out, Failure{Kind: FailureDiagnostic, Address: d.Address, Diagnostic: d})
		}
	}
	return out
}

// Failed reports whether the plan fails the run: Failures is not empty.
func (p *Plan) Failed() bool { return len(p.Failures()) > 0 }

// FailsBeyondApply reports whether the plan holds a failure that applying
// it cannot fix (see Failure.FixableByApply).
func (p *Plan) FailsBeyondApply() bool {
	for _, f := range p.Failures() {
		if !f.FixableByApply() {
			return true
		}
	}
	return false
}

// ChecksFail reports whether a check of severity error fails, plan-wide
// or of a task: the failures that applying may fix (FixableByApply).
// Apply reads it from the plan it makes once it is done; what it cannot
// fix, FailsBeyondApply, it reads before it starts.
func (p *Plan) ChecksFail() bool {
	for _, f := range p.Failures() {
		if f.FixableByApply() {
			return true
		}
	}
	return false
}

// CheckTally counts a plan's checks by outcome. Failed counts every failed
// check; Warnings counts those among them of severity warning, which do
// not fail the run. Every view prints these counts.
type CheckTally struct {
	Passed, Failed, Warnings, Pending int
}

// Tally counts the plan's checks, plan-wide and of every task.
func (p *Plan) Tally() CheckTally {
	var n CheckTally
	count := func(c Check) {
		switch c.Outcome {
		case OutcomePassed:
			n.Passed++
		case OutcomeFailed:
			n.Failed++
			if c.Warns() {
				n.Warnings++
			}
		case OutcomePending:
			n.Pending++
		}
	}
	for _, c := range p.Checks {
		count(c)
	}
	for _, t := range p.Tasks {
		for _, c := range t.Checks {
			count(c)
		}
	}
	return n
}

// FailingTasks returns the tasks that fail the run, in plan order.
func (p *Plan) FailingTasks() []*TaskPlan {
	var out []*TaskPlan
	for _, t := range p.Tasks {
		if t.Fails() {
			out = append(out, t)
		}
	}
	return out
}
