package render

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/internal/termtext"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

// Human renders the plan as `mynthform plan` prints it: a block per task
// that changes or fails, one line per unchanged task (the first
// humanUnchangedLimit of them, then a count), the errors, the checks, and
// the summary line followed by the addresses under each action.
type Human struct {
	// Color adds ANSI colors: green for +, yellow for ~, red for - and
	// failures, bold for headers.
	Color bool
	// BeforeApply prints the plan as apply shows it before carrying it
	// out: a failing check is then something apply may still fix, so the
	// closing line says the checks are run again afterwards instead of
	// declaring the plan failed.
	BeforeApply bool
}

// humanUnchangedLimit is how many unchanged tasks are listed one per line
// before the rest are only counted.
const humanUnchangedLimit = 20

// humanPendingLimit is how many pending checks the Checks section lists
// before the rest are only counted; failed checks are always all listed.
const humanPendingLimit = 10

// humanAddressLimit is how many addresses are listed under each action
// after the summary line before the rest are only counted.
const humanAddressLimit = 50

// ANSI escape sequences.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
)

// errWriter remembers the first write error so that renderers can write
// freely and check once.
type errWriter struct {
	w       *bufio.Writer
	err     error
	written bool
	// last is the last amount money formatted: a plan's tasks and
	// images mostly cost the same.
	last struct {
		amount mynth.Amount
		s      string
		ok     bool
	}
}

// money is money(a), formatted again only when a differs from the last
// amount: Dollars depends on the value alone, not on its exponent.
func (e *errWriter) money(a *mynth.Amount) string {
	if a == nil {
		return money(a)
	}
	if !e.last.ok || e.last.amount.Cmp(*a) != 0 {
		e.last.amount, e.last.s, e.last.ok = *a, money(a), true
	}
	return e.last.s
}

// section starts a block: a blank line unless it is the first.
func (e *errWriter) section() {
	if e.written {
		e.printf("\n")
	}
}

func newErrWriter(w io.Writer) *errWriter { return &errWriter{w: bufio.NewWriter(w)} }

// planBufferSize is the buffer of the human plan's writer: a plan prints
// about 380 bytes a task, and bufio's default of 4 KB made a write to
// the terminal or pipe every ten tasks (930 for 10,000 tasks); 64 KB, a
// pipe's capacity on Linux, makes 60 (TestHumanPlanWrites).
const planBufferSize = 64 << 10

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	e.written = true
	_, e.err = fmt.Fprintf(e.w, format, args...)
}

// write writes the strings one after the other: printf without a format
// to parse or arguments to box, for the lines written once per task.
func (e *errWriter) write(ss ...string) {
	if e.err != nil {
		return
	}
	e.written = true
	for _, s := range ss {
		if _, e.err = e.w.WriteString(s); e.err != nil {
			return
		}
	}
}

func (e *errWriter) flush() error {
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

func (h Human) paint(code, s string) string {
	if !h.Color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (h Human) symbol(t *planner.TaskPlan) string {
	switch t.Action {
	case planner.ActionGenerate, planner.ActionAdopt:
		return h.paint(ansiGreen, "+")
	case planner.ActionReplace:
		if h.Color {
			return ansiRed + "-" + ansiReset + "/" + ansiGreen + "+" + ansiReset
		}
		return "-/+"
	case planner.ActionUpdate:
		return h.paint(ansiYellow, "~")
	case planner.ActionForget:
		return h.paint(ansiRed, "-")
	}
	if t.Fails() {
		return h.paint(ansiRed, "!")
	}
	if t.Warns() {
		return h.paint(ansiYellow, "!")
	}
	return " "
}

// plainSymbol is the width of a task's symbol without color codes.
func plainSymbol(a planner.Action) string { return strings.TrimSpace(a.Symbol()) }

// Render writes the human plan to w.
func (h Human) Render(w io.Writer, p *planner.Plan) error {
	out := &errWriter{w: bufio.NewWriterSize(w, planBufferSize)}
	var unchanged []*planner.TaskPlan
	for _, t := range p.Tasks {
		if t.Action == planner.ActionNone && !t.Fails() && !t.Warns() {
			unchanged = append(unchanged, t)
			continue
		}
		out.section()
		h.task(out, t)
	}

	if len(unchanged) > 0 {
		out.section()
		out.printf("%s\n", h.paint(ansiBold, fmt.Sprintf("No changes for %s:", plural.Count(len(unchanged), "task"))))
		for i, t := range unchanged {
			if i == humanUnchangedLimit {
				out.printf("    … and %d more (plan --json lists every task)\n", len(unchanged)-i)
				break
			}
			line := fmt.Sprintf("    %s  %s", t.Address, t.Status)
			if t.Cost != nil {
				line += "  " + out.money(t.Cost)
			}
			if t.ID != "" {
				line += "  " + termtext.Line(t.ID)
			}
			out.printf("%s\n", line)
		}
	}

	h.errors(out, p)
	h.checks(out, p)

	out.section()
	failed := p.Failed()
	if !p.HasChanges() && !failed {
		// Only a plan that fails nothing may say so: a task that could not
		// be read, or a failed check, is not agreement.
		out.printf("%s\n", h.paint(ansiBold, "No changes. The spec, the state and Mynth agree."))
	}
	out.printf("%s\n", h.paint(ansiBold, humanSummaryLine(p)))
	addrs := byAction(p)
	for _, a := range actionOrder {
		list := addrs[a]
		if len(list) == 0 {
			continue
		}
		shown := list
		more := ""
		if len(shown) > humanAddressLimit {
			shown = shown[:humanAddressLimit]
			more = fmt.Sprintf(", … and %d more", len(list)-humanAddressLimit)
		}
		sym := h.symbol(&planner.TaskPlan{Action: a})
		pad := strings.Repeat(" ", 3-len(plainSymbol(a)))
		out.printf("  %s%s %-9s %s%s\n", sym, pad, string(a)+":", strings.Join(shown, ", "), more)
	}
	switch {
	case !failed:
	case h.BeforeApply:
		out.printf("%s\n", h.paint(ansiYellow+ansiBold, "Some checks fail now: apply checks them again once it is done, and errors it cannot fix still fail the run (now: "+failureCounts(p)+")."))
	default:
		out.printf("%s\n", h.paint(ansiRed+ansiBold, "The plan failed: "+failureCounts(p)+"; see above."))
	}
	return out.flush()
}

// task writes one task's block: a heading with its action and why, its
// fields, its changes, its checks, and its drift and error.
func (h Human) task(out *errWriter, t *planner.TaskPlan) {
	if t.Action != planner.ActionNone && t.Reason != "" {
		// taskReason, written in parts: the action is plain text, so
		// escaping the whole is escaping the reason.
		out.write(h.symbol(t), " ", h.paint(ansiBold, termtext.Line(t.Address)), "  (", string(t.Action), ": ", termtext.Line(t.Reason), ")\n")
	} else {
		out.write(h.symbol(t), " ", h.paint(ansiBold, termtext.Line(t.Address)), "  (", termtext.Line(taskReason(t)), ")\n")
	}
	h.taskFields(out, t)
	for _, c := range t.Changes {
		out.printf("    %s\n", h.changeLine(c))
	}
	h.taskChecks(out, t)
	if t.Drift {
		out.printf("    %s the request differs from the pinned task %s; pinned tasks are never replaced\n",
			h.paint(ansiRed+ansiBold, "Drift:"), termtext.Line(t.ID))
	}
	if t.Error != nil {
		out.printf("    %s %s\n", h.paint(ansiRed+ansiBold, "Error:"), termtext.Line(*t.Error))
	}
}

// taskReason is the parenthesis of a task's heading: the action and its
// reason or, for a task with no changes, what is wrong with it anyway.
func taskReason(t *planner.TaskPlan) string {
	if t.Action != planner.ActionNone {
		if t.Reason != "" {
			return string(t.Action) + ": " + t.Reason
		}
		return string(t.Action)
	}
	if t.Status == planner.StatusUnknownOutcome {
		return "unknown outcome: a creation request got no answer; not created again"
	}
	var why []string
	failedN, warnN := 0, 0
	for _, f := range t.Failures() {
		switch f.Kind {
		case planner.FailureUnreadable:
			why = append(why, "could not be read")
		case planner.FailureDrift:
			why = append(why, "drifted")
		case planner.FailureCheck:
			failedN++
		}
	}
	for _, c := range t.Checks {
		if c.Warns() {
			warnN++
		}
	}
	if failedN > 0 {
		why = append(why, plural.Count(failedN, "failed check"))
	}
	if warnN > 0 {
		why = append(why, plural.Count(warnN, "warning"))
	}
	if len(why) > 0 {
		return "no changes; " + strings.Join(why, ", ")
	}
	return "no changes"
}

// taskField writes one "name: value" line of a task's block. The caller
// escapes value (package termtext), since it knows where the colors are.
func taskField(out *errWriter, name, value string) {
	// As "    %-8s %s\n" of name+":".
	const spaces = "        "
	pad := ""
	if n := utf8.RuneCountInString(name) + 1; n < len(spaces) {
		pad = spaces[:len(spaces)-n]
	}
	out.write("    ", name, ":", pad, " ", value, "\n")
}

// taskFields writes a task's id, status, cost, model, whether its request
// could be verified, its images and its files.
func (h Human) taskFields(out *errWriter, t *planner.TaskPlan) {
	id := t.ID
	if id == "" {
		id = "(known after apply)"
	}
	taskField(out, "id", termtext.Line(id))
	status := string(t.Status)
	switch t.Status {
	case planner.StatusFailed, planner.StatusUnknown, planner.StatusUnknownOutcome:
		status = h.paint(ansiRed, status)
	}
	taskField(out, "status", status)
	if t.Cost != nil {
		taskField(out, "cost", out.money(t.Cost))
	}
	if t.Error == nil && (t.Action == planner.ActionGenerate || t.Action == planner.ActionReplace) {
		if t.Estimate != nil {
			taskField(out, "estimate", out.money(t.Estimate))
		} else if slices.Contains(t.RequestRedacted, "model") || slices.Contains(t.RequestRedacted, "count") {
			taskField(out, "estimate", "unknown (its model or count is sensitive)")
		} else {
			taskField(out, "estimate", "unknown (no price is known for its model and size)")
		}
	}
	if t.Model != "" {
		taskField(out, "model", termtext.Line(t.Model))
	}
	if !t.RequestVerifiable && t.Status != planner.StatusNotCreated && t.Action != planner.ActionForget && t.Error == nil {
		taskField(out, "request", "not verified: read with the task's access token only")
	}
	for _, im := range t.Images {
		h.imageField(out, im)
	}
	h.taskRequest(out, t)
	for _, f := range t.Files {
		taskField(out, "file", fmt.Sprintf("%s (%s)", termtext.Line(f.Path), h.fileState(t, f)))
	}
}

// fileState says what a declared file is on disk and, for a task apply
// generates, replaces or forgets, what apply does with it.
func (h Human) fileState(t *planner.TaskPlan, f planner.FileStatus) string {
	state := f.State
	switch f.State {
	case "missing", "modified", "failed":
		state = h.paint(ansiRed, state)
	}
	switch {
	case t.Action == planner.ActionForget && f.State == "missing":
		return state + "; nothing to leave"
	case t.Action == planner.ActionForget:
		return state + "; left on disk: forget deletes no file"
	case sends(t) && f.State == "absent":
		return "apply writes it"
	case sends(t):
		return state + "; apply writes the new image over it"
	}
	return state
}

// imageField writes an image's line of a task's block: its id, then its
// error when it failed, or else its status, size, cost and URL, each when
// known, all as the API gave them, escaped. The words are written one by
// one, never joined into a line first.
func (h Human) imageField(out *errWriter, im planner.Image) {
	var room [5]string
	parts := room[:0]
	if im.ID != "" {
		parts = append(parts, termtext.Line(im.ID))
	}
	if im.Status == "failed" {
		failed := h.paint(ansiRed, "failed")
		if im.Error != "" {
			failed += ": " + termtext.Line(im.Error)
		}
		parts = append(parts, failed)
	} else {
		parts = append(parts, termtext.Line(im.Status))
		if im.Size != "" {
			parts = append(parts, termtext.Line(im.Size))
		}
		if im.Cost != nil {
			parts = append(parts, out.money(im.Cost))
		}
		if im.URL != "" {
			parts = append(parts, termtext.Line(im.URL))
		}
	}
	out.write("    image:   ")
	for i, p := range parts {
		if i > 0 {
			out.write(" ")
		}
		out.write(p)
	}
	out.write("\n")
}

// changeLine is one change: + for a value added, - for one removed, ~ for
// one changed, then the path and both values.
func (h Human) changeLine(c planner.Change) string {
	sym, color := "~", ansiYellow
	switch {
	case c.Before == nil && c.After != nil:
		sym, color = "+", ansiGreen
	case c.Before != nil && c.After == nil:
		sym, color = "-", ansiRed
	}
	before, after := changeValues(c)
	return fmt.Sprintf("%s %s: %s → %s", h.paint(color, sym), termtext.Line(c.Path), termtext.Line(before), termtext.Line(after))
}

// taskChecks writes a task's checks, one a line; for a task not created
// yet, the pending ones are only named together on one line.
func (h Human) taskChecks(out *errWriter, t *planner.TaskPlan) {
	var notYet []string
	for _, c := range t.Checks {
		if t.Status == planner.StatusNotCreated && c.Outcome == planner.OutcomePending {
			notYet = append(notYet, string(c.Name))
			continue
		}
		h.writeCheck(out, c)
	}
	if len(notYet) > 0 {
		out.printf("    %s\n", h.paint(ansiDim, fmt.Sprintf("… %s pending until the task exists: %s",
			plural.Count(len(notYet), "check"), strings.Join(notYet, ", "))))
	}
}

// writeCheck writes h.checkLine(c, "") as a line of a task's block,
// without joining it first.
func (h Human) writeCheck(out *errWriter, c planner.Check) {
	sep, warning := "", ""
	if c.Message != "" {
		sep = ": "
	}
	if c.Warns() {
		warning = " (warning)"
	}
	out.write("    ", h.checkMark(c), " check ", termtext.Line(string(c.Name)), sep, termtext.Line(c.Message), warning, "\n")
}

// checkMark is a check's mark: failed, warning, pending or passed.
func (h Human) checkMark(c planner.Check) string {
	switch {
	case c.Fails():
		return h.paint(ansiRed, "✗")
	case c.Warns():
		return h.paint(ansiYellow, "!")
	case c.Outcome == planner.OutcomePending:
		return h.paint(ansiDim, "…")
	}
	return h.paint(ansiGreen, "✓")
}

// checkLine prints one check: a mark, the address when given, the name and
// the message.
func (h Human) checkLine(c planner.Check, addr string) string {
	mark := h.checkMark(c)
	name := string(c.Name)
	if addr != "" {
		name = addr + " " + name
	}
	sep, warning := "", ""
	if c.Message != "" {
		sep = ": "
	}
	if c.Warns() {
		warning = " (warning)"
	}
	return mark + " check " + termtext.Line(name) + sep + termtext.Line(c.Message) + warning
}

// errors writes the run's errors: unreadable and drifted tasks (the
// plan's failures of those kinds), and the diagnostics.
func (h Human) errors(out *errWriter, p *planner.Plan) {
	var lines []string
	for _, f := range p.Failures() {
		t := f.Task
		switch {
		case f.Kind == planner.FailureUnreadable && t.Status == planner.StatusUnknownOutcome:
			lines = append(lines, fmt.Sprintf("%s %s: unknown outcome: %s", h.paint(ansiRed+ansiBold, "Error:"), termtext.Line(t.Address), termtext.Line(*t.Error)))
		case f.Kind == planner.FailureUnreadable:
			lines = append(lines, fmt.Sprintf("%s %s could not be read: %s", h.paint(ansiRed+ansiBold, "Error:"), termtext.Line(t.Address), termtext.Line(*t.Error)))
		case f.Kind == planner.FailureDrift:
			lines = append(lines, fmt.Sprintf("%s %s drifted: the request of its pinned task %s differs from the spec. Change the spec back, or remove the id to generate a new task.",
				h.paint(ansiRed+ansiBold, "Error:"), termtext.Line(t.Address), termtext.Line(t.ID)))
		}
	}
	for _, d := range p.Diagnostics {
		lines = append(lines, h.diagnostic(d))
	}
	for _, l := range lines {
		out.section()
		out.printf("%s\n", l)
	}
}

// checks writes the Checks section: failed first, then warnings and pending
// ones, then the counts.
func (h Human) checks(out *errWriter, p *planner.Plan) {
	g := groupChecks(p)
	n := p.Tally()
	if n.Passed+n.Failed+n.Pending == 0 {
		return
	}
	out.section()
	out.printf("%s\n", h.paint(ansiBold, "Checks:"))
	line := func(c addressedCheck) {
		out.printf("  %s\n", h.checkLine(c.Check, orPlan(c.Address)))
	}
	for _, c := range g.Failed {
		line(c)
	}
	for _, c := range g.Warnings {
		line(c)
	}
	// Checks of tasks that do not exist yet are pending by definition: they
	// are counted, not listed.
	notCreated := map[string]bool{}
	for _, t := range p.Tasks {
		if t.Status == planner.StatusNotCreated {
			notCreated[t.Address] = true
		}
	}
	listed, waiting := 0, 0
	for _, c := range g.Pending {
		if notCreated[c.Address] {
			waiting++
			continue
		}
		if listed == humanPendingLimit {
			continue
		}
		line(c)
		listed++
	}
	if more := len(g.Pending) - waiting - listed; more > 0 {
		out.printf("  %s\n", h.paint(ansiDim, fmt.Sprintf("… and %d more pending (their tasks have not finished yet)", more)))
	}
	if waiting > 0 {
		out.printf("  %s\n", h.paint(ansiDim, fmt.Sprintf("… %s pending until %s created", plural.Count(waiting, "check"), createdPhrase(len(notCreated)))))
	}
	out.printf("  %s.\n", checkCounts(n, ", "))
}

// createdPhrase is "the task is" or "the N tasks are", for checks that wait
// on tasks not created yet.
func createdPhrase(n int) string {
	if n == 1 {
		return "its task is"
	}
	return fmt.Sprintf("their %d tasks are", n)
}

// diagnostic is d as the human views print it: "Error: summary", where it
// is, and its detail indented under it.
func (h Human) diagnostic(d planner.Diagnostic) string {
	label := "Warning:"
	color := ansiYellow + ansiBold
	if d.Fails() {
		label, color = "Error:", ansiRed+ansiBold
	}
	s := fmt.Sprintf("%s %s", h.paint(color, label), termtext.Line(d.Summary))
	var where []string
	if r := rangeText(d.Range); r != "" {
		where = append(where, "on "+termtext.Line(r))
	}
	if d.Address != "" {
		where = append(where, "in "+termtext.Line(d.Address))
	}
	if len(where) > 0 {
		s += "\n    " + strings.Join(where, ", ")
	}
	if d.Detail != "" {
		// A detail may run over several lines, each indented, so
		// that none starts a line of its own (a workflow command).
		s += "\n    " + strings.ReplaceAll(termtext.Block(d.Detail), "\n", "\n    ")
	}
	return s
}

// Diagnostics writes diagnostics that are not part of a plan (a state
// that cannot be read, an API failure) as the plan prints its own: one
// block each, "Error: summary" with the fix indented under it.
func (h Human) Diagnostics(w io.Writer, diags []planner.Diagnostic) error {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(h.diagnostic(d))
		b.WriteString("\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing diagnostics: %w", err)
	}
	return nil
}
