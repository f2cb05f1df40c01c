package render

// This file is what `mynthform apply` prints around the plan: the
// question it asks, why it refuses, what did not go to plan, the checks
// that fail afterwards, and the closing line. cmd/mynthform decides; these
// views only write.

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

// ApplyView is everything apply prints, in the order it prints it.
// ApplyHuman is the one people read; the command's tests use a fake that
// records the calls.
type ApplyView interface {
	// Plan prints the plan about to be applied.
	Plan(p *planner.Plan) error
	// OverBudget says that nothing is applied because the plan's
	// estimate passes the budget; checks are the budget checks that fail.
	OverBudget(checks []planner.Check)
	// NeedsKey says that nothing is applied because the plan creates
	// tasks and there is no API key.
	NeedsKey()
	// NeedsApproval says that nothing is applied because confirmation is
	// needed and there is no terminal to ask on.
	NeedsApproval()
	// Confirm asks whether to apply; the command reads the answer.
	Confirm(c Confirmation)
	// Cancelled says the answer was not "yes"; interrupted is set when
	// Ctrl-C ended the question.
	Cancelled(interrupted bool)
	// Approved marks the start of the apply itself.
	Approved()
	// Progress receives the apply's progress.
	Progress() planner.ProgressSink
	// Applied explains what did not go to plan (unknown outcomes, errors,
	// budget stops, failed and restored files) and names the files that
	// the tasks apply forgot left on disk.
	Applied(plan *planner.Plan, res *planner.ApplyResult)
	// ChecksAfter lists the checks that fail once apply is done (see
	// FailedChecks).
	ChecksAfter(after *planner.Plan)
	// Summary prints the closing line, and what a failed save lost.
	Summary(s ApplySummary)
	// Error reports an error that ends or mars the apply.
	Error(err error)
	// Stopped says why apply stops before it is done (an interruption, a
	// refused saved plan), and how to go on: sentences, not an error.
	Stopped(why string)
	// Warning reports something the user should know; apply goes on.
	Warning(msg string)
}

// Compile-time check that ApplyHuman is an ApplyView.
var _ ApplyView = (*ApplyHuman)(nil)

// Confirmation is what apply's question says it will do.
type Confirmation struct {
	// Estimate is what the creations are estimated to cost.
	Estimate planner.CreationEstimate
	// MaxTotal and MaxSpent are the budget's limits, nil when not set.
	MaxTotal, MaxSpent *mynth.Amount
}

// ApplyOutcome is how an apply ended, as its closing line says it; only
// ApplyOK goes with exit code 0.
type ApplyOutcome int

// The ways an apply ends.
const (
	ApplyOK           ApplyOutcome = iota // "Apply complete"
	ApplyChecksFailed                     // everything applied, a check fails
	ApplyErrors                           // a task failed, or the plan held what apply cannot fix
	ApplyInterrupted                      // Ctrl-C
	ApplyUnsaved                          // a change is not in the state on disk
)

// ApplySummary is what the closing line reports.
type ApplySummary struct {
	Result  *planner.ApplyResult
	Outcome ApplyOutcome
	// State names the state: its file's path, or the backend.
	State string
}

// ApplyHuman is apply's view for people: the plan and the closing lines
// on Out, the refusals and errors on Err.
type ApplyHuman struct {
	Out, Err io.Writer
	// Color colors the plan (see Human.Color).
	Color bool
	// Live draws the progress as a live line (a terminal); otherwise it is
	// a line per created and finished task.
	Live bool
}

// Plan implements ApplyView.
func (v *ApplyHuman) Plan(p *planner.Plan) error {
	return Human{Color: v.Color, BeforeApply: true}.Render(v.Out, p)
}

// OverBudget implements ApplyView.
func (v *ApplyHuman) OverBudget(checks []planner.Check) {
	fmt.Fprintln(v.Err, "\nmynthform apply: not applying: the plan fails its budget check, so nothing was created or changed:")
	for _, c := range checks {
		fmt.Fprintf(v.Err, "  %s: %s.\n", c.Name, c.Message)
	}
	fmt.Fprintln(v.Err, "Raise the budget's limit, give the tasks of unknown price a price block (or unpriced = \"warn\"), remove tasks from the spec, or apply some of them with --target.")
}

// NeedsKey implements ApplyView.
func (v *ApplyHuman) NeedsKey() {
	fmt.Fprintln(v.Err, "\nmynthform apply: not applying: the plan generates tasks, and creating a task needs an API key.\n"+
		"Set MYNTH_API_KEY to your Mynth API key (mak_...), or try it first against the local emulator with `mynthform --emulator apply`.")
}

// NeedsApproval implements ApplyView.
func (v *ApplyHuman) NeedsApproval() {
	fmt.Fprintln(v.Err, "\nmynthform apply: not applying: confirmation is needed and there is no terminal to ask on.\n"+
		"Review the plan above, then run `mynthform apply --auto-approve`, or save it with `mynthform plan --out FILE` and run `mynthform apply --auto-approve FILE`.")
}

// Confirm implements ApplyView.
func (v *ApplyHuman) Confirm(c Confirmation) {
	fmt.Fprintln(v.Out, "\nDo you want to perform these actions?")
	if est := c.Estimate; est.Tasks > 0 {
		fmt.Fprintf(v.Out, "  mynthform will generate %s (%s) with the Mynth API. %s\n",
			plural.Count(est.Tasks, "task"), plural.Count(est.Images, "image"), costBound(c))
	}
	fmt.Fprintln(v.Out, "  Only 'yes' will be accepted to approve.")
	fmt.Fprint(v.Out, "\n  Enter a value: ")
}

// Cancelled implements ApplyView.
func (v *ApplyHuman) Cancelled(interrupted bool) {
	if interrupted {
		// The prompt's line was not ended by the user's Enter.
		fmt.Fprintln(v.Out)
	}
	fmt.Fprintln(v.Out, "\nApply cancelled. Nothing was changed.")
}

// Approved implements ApplyView.
func (v *ApplyHuman) Approved() { fmt.Fprintln(v.Out) }

// Progress implements ApplyView.
func (v *ApplyHuman) Progress() planner.ProgressSink {
	if v.Live {
		return &TerminalProgress{W: v.Out}
	}
	return &LineProgress{W: v.Out}
}

// Applied implements ApplyView.
func (v *ApplyHuman) Applied(plan *planner.Plan, res *planner.ApplyResult) {
	writeBlock(v.Out, applyDetails(res))
	writeBlock(v.Out, filesLeft(plan, res))
}

// ChecksAfter implements ApplyView.
func (v *ApplyHuman) ChecksAfter(after *planner.Plan) {
	writeBlock(v.Out, FailedChecks(after))
}

// Summary implements ApplyView.
func (v *ApplyHuman) Summary(s ApplySummary) {
	fmt.Fprintln(v.Out)
	fmt.Fprintln(v.Out, ApplySummaryLine(s))
	if lost := applyLostText(s.Result, s.State); lost != "" {
		fmt.Fprintln(v.Out, lost)
	}
}

// Error implements ApplyView.
func (v *ApplyHuman) Error(err error) { fmt.Fprintf(v.Err, "mynthform apply: %v\n", err) }

// Stopped implements ApplyView.
func (v *ApplyHuman) Stopped(why string) { fmt.Fprintf(v.Err, "mynthform apply: %s\n", why) }

// Warning implements ApplyView.
func (v *ApplyHuman) Warning(msg string) { fmt.Fprintf(v.Err, "Warning: %s\n", msg) }

// writeBlock prints lines after a blank line; nothing when there are none.
func writeBlock(w io.Writer, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// costBound describes what the creations are estimated to cost, and the
// budget's limits.
func costBound(c Confirmation) string {
	est := c.Estimate
	var budget string
	if c.MaxTotal != nil {
		left := c.MaxTotal.Sub(est.Recorded)
		if left.IsNegative() {
			left = mynth.Amount{}
		}
		budget = fmt.Sprintf(" The budget guard stops creating tasks before the total passes budget.max_total %s (%s left).", c.MaxTotal.Dollars(), left.Dollars())
	}
	if c.MaxSpent != nil {
		budget += fmt.Sprintf(" It stops before the total spent passes budget.max_spent %s.", c.MaxSpent.Dollars())
	}
	switch {
	case est.Unknown == 0:
		return fmt.Sprintf("Estimated cost: %s.%s", est.Known.Dollars(), budget)
	case est.Unknown == est.Tasks:
		if budget == "" {
			return "Cost: unknown until the first task completes (no price is known for these models, and the spec sets no budget)."
		}
		return "Cost: unknown until the first task completes (no price is known for these models)." + budget
	default:
		return fmt.Sprintf("Estimated cost: %s for %s, plus %s of unknown price.%s", est.Known.Dollars(),
			plural.Count(est.Tasks-est.Unknown, "task"), plural.Count(est.Unknown, "task"), budget)
	}
}

// applyDetails explains what did not go to plan: unknown outcomes,
// errors, budget stops, failed and restored files.
func applyDetails(res *planner.ApplyResult) []string {
	var lines []string
	for _, t := range res.Tasks {
		switch t.Outcome {
		case planner.AppliedUnknownOutcome:
			lines = append(lines, fmt.Sprintf("Error: %s: unknown outcome. %s", t.Address, t.Message))
		case planner.AppliedError:
			lines = append(lines, fmt.Sprintf("Error: %s: %s", t.Address, t.Message))
		case planner.AppliedFailed:
			lines = append(lines, fmt.Sprintf("Error: %s: task %s failed. %s", t.Address, t.ID, t.Message))
		case planner.AppliedPending:
			if t.TimedOut {
				lines = append(lines, fmt.Sprintf("Error: %s: %s", t.Address, t.Message))
			}
		}
		for _, f := range t.Files {
			switch f.State {
			case planner.FileResultFailed:
				lines = append(lines, fmt.Sprintf("Error: %s: %s: %s", t.Address, f.Path, f.Message))
				// FileResultNotSaved (its image failed) is not apply's
				// error: the file check after apply reports it, with
				// the severity of the task's expect block.
			case planner.FileResultRestored:
				if t.Outcome == planner.AppliedFilesSaved || t.Outcome == planner.AppliedRecorded {
					lines = append(lines, fmt.Sprintf("%s: restored %s", t.Address, f.Path))
				}
			case planner.FileResultSaved:
				if t.Outcome == planner.AppliedFilesSaved || t.Outcome == planner.AppliedRecorded {
					lines = append(lines, fmt.Sprintf("%s: saved %s", t.Address, f.Path))
				}
			}
		}
	}
	if res.BudgetMessage != "" {
		lines = append(lines, "Budget: "+res.BudgetMessage+" Not created: "+strings.Join(res.NotCreated, ", ")+
			". Raise budget.max_total, or remove tasks from the spec, then run apply again.")
	}
	return lines
}

// filesLeft names, for each task apply forgot, the files it left on disk:
// forget drops a task from the state and deletes no file.
func filesLeft(plan *planner.Plan, res *planner.ApplyResult) []string {
	files := map[string][]string{}
	for _, t := range plan.Tasks {
		for _, f := range t.Files {
			if t.Action == planner.ActionForget && f.State != planner.FileMissing {
				files[t.Address] = append(files[t.Address], f.Path)
			}
		}
	}
	var lines []string
	for _, t := range res.Tasks {
		if t.Outcome == planner.AppliedForgotten && len(files[t.Address]) > 0 {
			lines = append(lines, fmt.Sprintf("%s: forgotten; left on disk: %s (delete them yourself if they are no longer wanted)", t.Address, strings.Join(files[t.Address], ", ")))
		}
	}
	return lines
}

// FailedChecks lists the plan's failed checks, plan-wide first, warnings
// marked as such: "Check failed: task.a: size: ...". Whether they fail the
// run is the plan's verdict (planner.Plan.Failures), not this list's.
func FailedChecks(p *planner.Plan) []string {
	var lines []string
	line := func(addr string, c planner.Check) {
		if !c.Failed() {
			return
		}
		word := "Check failed"
		if c.Warns() {
			word = "Warning: check failed"
		}
		if addr == "" {
			lines = append(lines, fmt.Sprintf("%s: %s", word, c.Message))
		} else {
			lines = append(lines, fmt.Sprintf("%s: %s: %s: %s", word, addr, c.Name, c.Message))
		}
	}
	for _, c := range p.Checks {
		line("", c)
	}
	for _, t := range p.Tasks {
		for _, c := range t.Checks {
			line(t.Address, c)
		}
	}
	return lines
}

// applyLostText says what a failed save lost: the tasks that exist at
// Mynth and that the state does not record, with their ids and how to
// record each; "" when every record was written.
func applyLostText(res *planner.ApplyResult, statePath string) string {
	if !res.Unsaved {
		return ""
	}
	where := filepath.ToSlash(statePath)
	if len(res.Unrecorded) == 0 {
		return fmt.Sprintf("Not saved: the last observations and saved files of this apply are not in %s (every task id is); run apply again once the state can be written to record them.", where)
	}
	var b strings.Builder
	exist := "1 task exists"
	if n := len(res.Unrecorded); n != 1 {
		exist = fmt.Sprintf("%d tasks exist", n)
	}
	fmt.Fprintf(&b, "Not recorded: %s at Mynth that %s does not record (Mynth may have charged for them; keep these ids):\n", exist, where)
	// A sensitive id is a pinned one: the spec holds it, so it is never
	// printed (not even on a terminal, whose scrollback and recordings
	// outlive the run), and apply records it again from the spec.
	var example *planner.UnrecordedTask
	var hidden []string
	for i, u := range res.Unrecorded {
		if u.SensitiveID {
			fmt.Fprintf(&b, "  %s  (sensitive)\n", u.Address)
			hidden = append(hidden, u.Address)
			continue
		}
		fmt.Fprintf(&b, "  %s  %s\n", u.Address, u.ID)
		if example == nil {
			example = &res.Unrecorded[i]
		}
	}
	if example != nil {
		b.WriteString("Once the state can be written, record each with `mynthform import ADDR ID` (for example `mynthform import ")
		fmt.Fprintf(&b, "'%s' %s`), then run apply again.", example.Address, example.ID)
	} else {
		b.WriteString("Once the state can be written, run apply again.")
	}
	for _, addr := range hidden {
		fmt.Fprintf(&b, "\n%s's id is the spec's sensitive pinned id, so it is not printed: apply records it again from the spec.", addr)
	}
	return b.String()
}

// createdPending counts the tasks this apply created whose cost it does
// not know, as they have not finished while it waited (--wait=false, a
// wait that timed out, Ctrl-C, a failed save that stopped it): Spent holds
// nothing of them.
func createdPending(res *planner.ApplyResult) int {
	n := 0
	for _, t := range res.Tasks {
		if t.ID != "" && t.Cost == nil && (t.Action == planner.ActionGenerate || t.Action == planner.ActionReplace) {
			n++
		}
	}
	return n
}

// ApplySummaryLine is the closing line: "Apply complete: 3 generated, 1
// updated, 0 forgotten. Spent $0.0375. State: mynth.state.json (serial
// 4)." It begins with the outcome, so that the last line never says
// "complete" when the exit code says the run failed.
func ApplySummaryLine(s ApplySummary) string {
	res := s.Result
	var b strings.Builder
	switch s.Outcome {
	case ApplyUnsaved:
		b.WriteString("Apply failed: the state could not be saved: ")
	case ApplyInterrupted:
		b.WriteString("Apply interrupted: ")
	case ApplyErrors:
		b.WriteString("Apply finished with errors: ")
	case ApplyChecksFailed:
		b.WriteString("Apply finished, but checks failed: ")
	default:
		b.WriteString("Apply complete: ")
	}
	fmt.Fprintf(&b, "%d generated, ", res.Generated)
	if res.Replaced > 0 {
		fmt.Fprintf(&b, "%d replaced, ", res.Replaced)
	}
	if res.Adopted > 0 {
		fmt.Fprintf(&b, "%d adopted, ", res.Adopted)
	}
	fmt.Fprintf(&b, "%d updated, %d forgotten.", res.Updated, res.Forgotten)
	if res.FilesRestored > 0 {
		fmt.Fprintf(&b, " %s restored.", plural.Count(res.FilesRestored, "file"))
	}
	if res.Uploaded > 0 {
		fmt.Fprintf(&b, " %s uploaded.", plural.Count(res.Uploaded, "input file"))
	}
	fmt.Fprintf(&b, " Spent %s", res.Spent.Dollars())
	if n := createdPending(res); n > 0 {
		// Their cost is Mynth's to tell once they finish: $0.00 alone
		// would read as free.
		known := "their cost is known once they complete"
		if n == 1 {
			known = "its cost is known once it completes"
		}
		fmt.Fprintf(&b, " (not counting %s not finished yet: %s)", plural.Count(n, "created task"), known)
	}
	fmt.Fprintf(&b, ". State: %s (serial %d).", filepath.ToSlash(s.State), res.Serial)
	return b.String()
}
