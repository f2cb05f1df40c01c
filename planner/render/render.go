// Package render owns every view the CLI prints about a plan, the state
// and what a command did; cmd/mynthform decides and calls a view, and the
// view only writes to the io.Writer it is given. By file:
//
//   - the plan: the human plan of `plan` and `apply` (human.go), the
//     `--json` document (json.go), plan's warnings, plan and --out note
//     through PlanView (planview.go), the reports of `report` (markdown.go for
//     pull requests and $GITHUB_STEP_SUMMARY, junit.go, html.go, and the
//     --compare-to comparison in compare.go), GitHub Actions annotations
//     (github.go) and `graph` (graph.go);
//   - apply: its progress lines or live line (progress.go), and its
//     question, refusals and closing lines (apply.go, ApplyView);
//   - the state: `show`'s manifest and ledger (manifest.go) through
//     ShowView (showview.go, which also prints a saved plan), one
//     recorded task for `state show` (state.go, StateShowView), `state
//     list` (statelist.go, StateListView), and what
//     `state rm` and `state mv` changed (stateedit.go);
//   - commands: `validate --json` (validate.go), `import`'s report
//     (import.go), `fmt --diff` (unifieddiff.go), and the short reports of
//     validate, version, plan --out, report --out, state push, fmt's
//     file names, the emulator's, and the warnings and the interruption
//     of planning (notices.go).
//
// The plan views are Renderers. Views never call the Mynth API and never
// read spec files; the one exception is HTML, which may embed the images
// that apply saved into the spec directory (HTML.Dir). The plan itself is
// built by package planner, the state by package state; flags, wiring,
// errors and exit codes are cmd/mynthform's, and the CLI's description of
// itself (help, completion scripts) is package internal/cmdhelp's.
//
// No view prints a secret: the plan holds no API key or access token, and a
// change marked Sensitive prints as "(sensitive)" everywhere.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

// Renderer writes one view of a plan.
type Renderer interface {
	Render(w io.Writer, p *planner.Plan) error
}

// Compile-time checks that every view is a Renderer.
var (
	_ Renderer = (*Human)(nil)
	_ Renderer = (*JSON)(nil)
	_ Renderer = (*Markdown)(nil)
	_ Renderer = (*JUnit)(nil)
	_ Renderer = (*HTML)(nil)
	_ Renderer = (*GitHubAnnotations)(nil)
)

// sensitiveText replaces the value of a sensitive change in every view.
const sensitiveText = "(sensitive)"

// actionOrder is the order in which actions are summarized.
var actionOrder = []planner.Action{
	planner.ActionGenerate, planner.ActionAdopt, planner.ActionReplace,
	planner.ActionUpdate, planner.ActionForget,
}

// formatValue prints a change's JSON value on one line: strings quoted,
// objects and arrays as compact JSON, nil as "(none)".
func formatValue(v any, sensitive bool) string {
	if sensitive {
		return sensitiveText
	}
	if v == nil {
		return "(none)"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// changeValues are a change's values as views print them: JSON values,
// or, for a text change, the words themselves, the after without the
// words it starts with in common with the before ("refs/mug.png sha256
// ab12…" → "9f3c…").
func changeValues(c planner.Change) (before, after string) {
	if !c.Text || c.Sensitive {
		return formatValue(c.Before, c.Sensitive), formatValue(c.After, c.Sensitive)
	}
	before, after = textValue(c.Before), textValue(c.After)
	if c.Before == nil || c.After == nil {
		return before, after
	}
	b, a := strings.Fields(before), strings.Fields(after)
	n := 0
	for n < len(b) && n < len(a)-1 && b[n] == a[n] {
		n++
	}
	return before, strings.Join(a[n:], " ")
}

func textValue(v any) string {
	if v == nil {
		return "(none)"
	}
	if s, ok := v.(string); ok {
		return s
	}
	return formatValue(v, false)
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	return string(r[:n-1]) + "…"
}

// money prints an optional amount with a dollar sign, "—" when absent.
func money(a *mynth.Amount) string {
	if a == nil {
		return "—"
	}
	return a.Dollars()
}

// checkCounts prints the plan's check counts the one way every view
// does: "16 passed, 6 failed, 7 pending (1 warning)", the parts joined by
// sep. A failed warning counts as failed, and again in the parenthesis.
func checkCounts(n planner.CheckTally, sep string) string {
	s := fmt.Sprintf("%d passed%s%d failed%s%d pending", n.Passed, sep, n.Failed, sep, n.Pending)
	if n.Warnings > 0 {
		s += fmt.Sprintf(" (%s)", plural.Count(n.Warnings, "warning"))
	}
	return s
}

// failedChecks is "6 failed checks (1 warning)", "" when no check failed.
func failedChecks(n planner.CheckTally) string {
	if n.Failed == 0 {
		return ""
	}
	s := plural.Count(n.Failed, "failed check")
	if n.Warnings > 0 {
		s += fmt.Sprintf(" (%s)", plural.Count(n.Warnings, "warning"))
	}
	return s
}

// failureCounts says what fails a plan, counted from Plan.Failures: "1
// task could not be read, 2 checks failed". It is "" for a plan that does
// not fail.
func failureCounts(p *planner.Plan) string {
	n := map[planner.FailureKind]int{}
	for _, f := range p.Failures() {
		n[f.Kind]++
	}
	var parts []string
	if k := n[planner.FailureUnreadable]; k > 0 {
		parts = append(parts, plural.Count(k, "task")+" could not be read")
	}
	if k := n[planner.FailureDrift]; k > 0 {
		parts = append(parts, plural.Count(k, "task")+" drifted from the pinned id")
	}
	if k := n[planner.FailureCheck]; k > 0 {
		parts = append(parts, plural.Count(k, "check")+" failed")
	}
	if k := n[planner.FailureDiagnostic]; k > 0 {
		parts = append(parts, plural.Count(k, "error"))
	}
	return strings.Join(parts, ", ")
}

// failuresOf returns the plan's failures of one kind, in order.
func failuresOf(p *planner.Plan, kind planner.FailureKind) []planner.Failure {
	var out []planner.Failure
	for _, f := range p.Failures() {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// problem is one row of a report's list of failures or warnings: where
// (a task's address, or "plan"), what and why.
type problem struct {
	Address, What, Message string
}

// failureRows lists what fails the plan as the reports do, one row per
// failure in the order of Plan.Failures. unreadable names an unreadable
// task the view's way ("unreadable", "could not be read").
func failureRows(p *planner.Plan, unreadable string) []problem {
	var rows []problem
	for _, f := range p.Failures() {
		r := problem{Address: orPlan(f.Address)}
		switch f.Kind {
		case planner.FailureUnreadable:
			r.What, r.Message = unreadable, *f.Task.Error
		case planner.FailureDrift:
			r.What, r.Message = "drift", "the request differs from the pinned task "+f.Task.ID
		case planner.FailureCheck:
			r.What, r.Message = "check "+string(f.Check.Name), f.Check.Message
		default:
			r.What, r.Message = "error", diagnosticText(*f.Diagnostic)
		}
		rows = append(rows, r)
	}
	return rows
}

// verdictParts are the counts a report's verdict gives: for a plan that
// fails, its failing tasks, failed checks and errors; for one that
// passes, its passed checks, warnings and pending checks.
func verdictParts(p *planner.Plan) []string {
	n := p.Tally()
	var parts []string
	if p.Failed() {
		if k := len(p.FailingTasks()); k > 0 {
			parts = append(parts, plural.Count(k, "failing task"))
		}
		if s := failedChecks(n); s != "" {
			parts = append(parts, s)
		}
		if k := len(failuresOf(p, planner.FailureDiagnostic)); k > 0 {
			parts = append(parts, plural.Count(k, "error"))
		}
		return parts
	}
	parts = append(parts, plural.Count(n.Passed, "check")+" passed")
	if n.Warnings > 0 {
		parts = append(parts, plural.Count(n.Warnings, "warning"))
	}
	if n.Pending > 0 {
		parts = append(parts, fmt.Sprintf("%d pending", n.Pending))
	}
	return parts
}

// diagnosticText is a diagnostic on one line: "summary: detail (file:line)".
func diagnosticText(d planner.Diagnostic) string {
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	if r := rangeText(d.Range); r != "" {
		msg += " (" + r + ")"
	}
	return msg
}

// addressedCheck is a check together with the address it belongs to ("" for
// plan-wide checks such as the budget).
type addressedCheck struct {
	Address string
	planner.Check
}

// checkGroups collects every check of the plan by outcome, plan-wide checks
// first, then tasks in plan order. Warnings are failed checks of severity
// warning.
type checkGroups struct {
	Failed, Warnings, Pending []addressedCheck
	Passed                    int
}

func groupChecks(p *planner.Plan) checkGroups {
	var g checkGroups
	add := func(addr string, c planner.Check) {
		ac := addressedCheck{addr, c}
		switch {
		case c.Fails():
			g.Failed = append(g.Failed, ac)
		case c.Warns():
			g.Warnings = append(g.Warnings, ac)
		case c.Outcome == planner.OutcomePending:
			g.Pending = append(g.Pending, ac)
		case c.Outcome == planner.OutcomePassed:
			g.Passed++
		}
	}
	for _, c := range p.Checks {
		add("", c)
	}
	for _, t := range p.Tasks {
		for _, c := range t.Checks {
			add(t.Address, c)
		}
	}
	return g
}

// costedTasks counts the tasks whose cost is known: the "over N tasks" of
// the summary line.
func costedTasks(p *planner.Plan) int {
	n := 0
	for _, t := range p.Tasks {
		if t.Cost != nil {
			n++
		}
	}
	return n
}

// humanSummaryLine is summaryLine with the tasks of unknown price named.
func humanSummaryLine(p *planner.Plan) string {
	return costLine(p) + estimateText(p, true)
}

// costLine is the plan's one-line summary without the estimate, as
// DESIGN.md writes it. The adopt count appears only when some task is
// adopted.
func costLine(p *planner.Plan) string {
	s := p.Summary
	var b strings.Builder
	fmt.Fprintf(&b, "Plan: %d to generate, ", s.Generate)
	if s.Adopt > 0 {
		fmt.Fprintf(&b, "%d to adopt, ", s.Adopt)
	}
	fmt.Fprintf(&b, "%d to replace, %d to update, %d to forget. Cost: %s over %s.",
		s.Replace, s.Update, s.Forget, s.Cost.Dollars(), plural.Count(costedTasks(p), "task"))
	return b.String()
}

// summaryLine is costLine with the estimate of what apply will spend.
func summaryLine(p *planner.Plan) string {
	return costLine(p) + estimateText(p, false)
}

// estimateText is the summary line's estimate of what apply will spend,
// with the tasks of unknown price named when named is set; "" when the
// plan creates nothing.
func estimateText(p *planner.Plan, named bool) string {
	e := p.Summary.Estimate
	if e.Priced+e.Unpriced == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, " Estimate: %s for %s to create", e.Total.Dollars(), plural.Count(e.Priced, "task"))
	if e.Unpriced > 0 && !named {
		fmt.Fprintf(&b, ", plus %s of unknown price", plural.Count(e.Unpriced, "task"))
	}
	if e.Unpriced > 0 && named {
		var names []string
		for _, t := range p.Tasks {
			if t.Error == nil && t.Estimate == nil && (t.Action == planner.ActionGenerate || t.Action == planner.ActionReplace) {
				names = append(names, t.Address)
			}
		}
		more := ""
		if len(names) > estimateNameLimit {
			more = fmt.Sprintf(" and %d more", len(names)-estimateNameLimit)
			names = names[:estimateNameLimit]
		}
		fmt.Fprintf(&b, ", plus %s of unknown price (%s%s)", plural.Count(e.Unpriced, "task"), strings.Join(names, ", "), more)
	}
	b.WriteString(".")
	return b.String()
}

// estimateNameLimit bounds the unpriced tasks the summary line names.
const estimateNameLimit = 5

// byAction returns the addresses of the tasks under each action, in plan
// order.
func byAction(p *planner.Plan) map[planner.Action][]string {
	out := map[planner.Action][]string{}
	for _, t := range p.Tasks {
		out[t.Action] = append(out[t.Action], t.Address)
	}
	return out
}

// orPlan is where a check or diagnostic belongs: its task's address, or
// "plan" for one that belongs to no task.
func orPlan(addr string) string {
	if addr == "" {
		return "plan"
	}
	return addr
}

// succeededImages counts a task's succeeded images.
func succeededImages(t *planner.TaskPlan) int {
	n := 0
	for _, im := range t.Images {
		if im.Status == string(mynth.ImageSucceeded) {
			n++
		}
	}
	return n
}

// statusOrder is the order in which reports list task statuses.
var statusOrder = []planner.Status{planner.StatusCompleted, planner.StatusPending, planner.StatusFailed, planner.StatusUnknown, planner.StatusUnknownOutcome, planner.StatusNotCreated}

// statusCounts counts tasks by status, for headers and filters.
func statusCounts(p *planner.Plan) map[planner.Status]int {
	out := map[planner.Status]int{}
	for _, t := range p.Tasks {
		out[t.Status]++
	}
	return out
}

// rangeText prints a source range as "file:line", "" when there is none.
func rangeText(r *planner.Range) string {
	if r == nil || r.Filename == "" {
		return ""
	}
	if r.Start.Line > 0 {
		return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
	}
	return r.Filename
}
