package planner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// view is what the plan knows of a task, from the remote read or else from
// the state.
type view struct {
	status  mynth.Status
	request *mynth.Request // nil when unknown
	result  *mynth.Result  // nil while pending or when unknown
	// resultRaw is the result as JSON, unknown fields kept.
	resultRaw json.RawMessage
}

func viewOfState(t *state.Task) (*view, error) {
	v := &view{status: t.Status, resultRaw: nonNull(t.Result)}
	if len(nonNull(t.Request)) > 0 {
		v.request = &mynth.Request{}
		if err := json.Unmarshal(t.Request, v.request); err != nil {
			return nil, fmt.Errorf("the recorded request of %s: %w", t.ID, err)
		}
	}
	if v.resultRaw != nil {
		v.result = &mynth.Result{}
		if err := json.Unmarshal(v.resultRaw, v.result); err != nil {
			return nil, fmt.Errorf("the recorded result of %s: %w", t.ID, err)
		}
	}
	return v, nil
}

// viewOfObserved fills v with what t says, a task as read.
func viewOfObserved(v *view, t *mynth.Task) error {
	_, res, err := rawMembers(t)
	if err != nil {
		return err
	}
	*v = view{status: t.Status, request: t.Request, result: t.Result, resultRaw: res}
	return nil
}

// planUnknownOutcome plans a task whose creation request got no answer:
// never a generate (the task may exist and may have been paid for), an
// error that fails the plan and says what to do.
func (w *taskWork) planUnknownOutcome(tp *TaskPlan, dir string) {
	tp.Status = StatusUnknownOutcome
	tp.RequestVerifiable = false
	if w.spec != nil {
		req := w.spec.Request
		tp.Request = &req
		tp.Model = req.Model
		tp.Range = w.names.rangeOf(w.spec.DeclRange, dir)
		tp.Checks = pendingChecks(w.spec.Expect, "the outcome of its creation is unknown")
	}
	tp.Error = ptr(UnknownOutcomeMessage(tp.Address, w.attempt, w.recorded))
}

// UnknownOutcomeMessage says what the write-ahead record at addr means and
// what to do about it; recorded is the task the state holds at addr, if
// any (the one the creation would have replaced).
func UnknownOutcomeMessage(addr string, at *state.Attempt, recorded *state.Task) string {
	var b strings.Builder
	fmt.Fprintf(&b, "A creation request for %s was sent", addr)
	if at.StartedAt != "" {
		fmt.Fprintf(&b, " at %s", at.StartedAt)
	}
	fmt.Fprintf(&b, " (attempt %s) and its answer was never recorded", at.ID)
	if at.Error != "" {
		fmt.Fprintf(&b, " (%s)", at.Error)
	} else {
		b.WriteString(" (apply was stopped while it waited for it)")
	}
	b.WriteString(". The task may exist at Mynth and may have been charged for, so apply will not create it again by itself. ")
	fmt.Fprintf(&b, "Look for it in Mynth (created then, with the request recorded in the state's \"attempts\") and record it with `mynthform import %s tsk_...`", shellQuote(addr))
	fmt.Fprintf(&b, "; if it does not exist, or to pay for a new one knowingly, run `mynthform apply --replace %s`, or clear the record with `mynthform state rm %s`", shellQuote(addr), shellQuote(addr))
	if recorded != nil {
		fmt.Fprintf(&b, " (which also forgets task %s, recorded there)", recorded.ID)
	}
	b.WriteString(" and apply again.")
	return b.String()
}

// shellQuote quotes an address for a POSIX shell.
func shellQuote(addr string) string {
	return "'" + strings.ReplaceAll(addr, "'", `'\''`) + "'"
}

// plan builds the TaskPlan of w once refresh is done.
func (w *taskWork) plan(dir string) *TaskPlan {
	tp := w.planTask(dir)
	if w.spec != nil {
		redactSensitive(tp, w.spec)
		locateChecks(tp.Checks, w.spec, dir, w.names, tp.Range)
		locateChanges(tp.Changes, w.spec, dir)
	}
	return tp
}

func (w *taskWork) planTask(dir string) *TaskPlan {
	tp := &TaskPlan{
		Address:           w.addr(),
		Action:            w.action,
		Reason:            w.reason,
		Images:            []Image{},
		Changes:           []Change{},
		Checks:            []Check{},
		RequestVerifiable: true,
	}
	if w.attempt != nil && !w.overAttempt {
		w.planUnknownOutcome(tp, dir)
		return tp
	}
	if w.spec == nil {
		w.planForget(tp, dir)
		return tp
	}
	req := w.spec.Request
	tp.Request = &req
	tp.Range = w.names.rangeOf(w.spec.DeclRange, dir)
	tp.Model = req.Model

	if w.action == ActionGenerate {
		tp.Status = StatusNotCreated
		tp.Checks = pendingChecks(w.spec.Expect, "the task is not created yet")
		tp.Files, tp.Checks = w.fileChecks(dir, nil, tp.Checks, true)
		return tp
	}

	tp.ID = w.readID
	recorded := w.recordedFor(w.readID)
	var cur *view
	var err error
	switch {
	case w.readErr != nil:
		tp.Status = StatusUnknown
		tp.Error = ptr(w.errorText())
	case w.observed != nil:
		// On the stack: nothing keeps the view.
		var obs view
		if recorded != nil {
			err = viewOfObserved(&obs, w.observed)
		} else {
			// Only a recorded task compares results (the raw one, which
			// viewOfObserved scans out of the task): a task to adopt
			// needs none. Its task as read is checked when apply
			// records it.
			obs = view{status: w.observed.Status, request: w.observed.Request, result: w.observed.Result}
		}
		if err == nil {
			cur = &obs
		}
		tp.Observed = w.observed
	case recorded != nil:
		cur, err = viewOfState(recorded)
	default:
		// Adopting a pinned id without reading it (--refresh=false).
		tp.Status, tp.RequestVerifiable = StatusUnknown, false
		tp.Reason = joinReason(tp.Reason, "not read (refresh is off)")
		tp.Checks = pendingChecks(w.spec.Expect, "the task has not been read")
		return tp
	}
	if err != nil {
		tp.Status, tp.Error = StatusUnknown, ptr(fmt.Sprintf("%s: %v", tp.Address, err))
	}
	if cur == nil {
		// Unreadable: its request was not verified. Report what the state
		// recorded, if anything.
		tp.RequestVerifiable = false
		if rv := recordedView(recorded); rv != nil {
			tp.Model, tp.Cost, tp.Images = describe(rv, w.spec.Files, false, req.Model)
		}
		tp.Files, _ = w.fileChecks(dir, nil, nil, false)
		return tp
	}
	tp.Status = Status(cur.status)
	tp.Model, tp.Cost, tp.Images = describe(cur, w.spec.Files, w.viaPAT, req.Model)

	if before := w.requestBefore(tp, cur, recorded); before != nil {
		w.planRequestChanges(tp, before)
	}
	// recorded is nil for an adopted task: the state does not hold its id.
	if tp.Action != ActionReplace && w.observed != nil && recorded != nil {
		w.planObservedChanges(tp, recorded, cur)
	}

	if tp.Action == ActionReplace {
		tp.Checks = pendingChecks(w.spec.Expect, "the task will be replaced")
		tp.Files, tp.Checks = w.fileChecks(dir, nil, tp.Checks, true)
		return tp
	}
	tp.Checks = expectChecks(w.spec.Expect, cur, tp.Cost)
	var fileReason string
	tp.Files, tp.Checks, fileReason = w.filesOnDisk(dir, cur, tp.Checks)
	if fileReason != "" && tp.Action == ActionNone {
		tp.Action = ActionUpdate
		tp.Reason = joinReason(tp.Reason, fileReason)
	}
	return tp
}

// recordedView is the view of a recorded task, nil when there is none or
// it cannot be decoded.
func recordedView(recorded *state.Task) *view {
	if recorded == nil {
		return nil
	}
	v, err := viewOfState(recorded)
	if err != nil {
		return nil
	}
	return v
}

// requestBefore returns the request to compare the spec's with: the one
// Mynth sent, else the one the state recorded (a task read with its access
// token, or sent without its request), else nil; tp says when the request
// cannot be verified.
func (w *taskWork) requestBefore(tp *TaskPlan, cur *view, recorded *state.Task) *mynth.Request {
	if !w.viaPAT && cur.request != nil {
		return cur.request
	}
	var before *mynth.Request
	if rv := recordedView(recorded); rv != nil {
		before = rv.request
	}
	switch {
	case w.viaPAT:
		tp.RequestVerifiable = false
		note := "read with its access_token: the request cannot be verified"
		if before != nil {
			note = "read with its access_token: the request is compared with the recorded one"
		}
		tp.Reason = joinReason(tp.Reason, note)
	case before == nil:
		tp.RequestVerifiable = false
		why := "the state holds no request for it (it was read with its access_token)"
		if w.observed != nil {
			why = "Mynth returned the task without its request"
		}
		tp.Reason = joinReason(tp.Reason, why+": the request cannot be verified")
	}
	return before
}

// planRequestChanges compares the spec's request with before: a difference is
// drift for a pinned task, else a replacement.
func (w *taskWork) planRequestChanges(tp *TaskPlan, before *mynth.Request) {
	changes, err := compareRequest(w.spec.Request, before)
	if err != nil {
		tp.Error = ptr(fmt.Sprintf("%s: comparing the request: %v", tp.Address, err))
	}
	changes = filterIgnored(changes, w.spec.IgnoreChanges)
	if len(changes) == 0 {
		return
	}
	tp.Changes = append(tp.Changes, changes...)
	if w.spec.ID != "" {
		tp.Drift = true
		tp.Reason = joinReason(tp.Reason, "the request of the pinned task differs from the spec")
		return
	}
	if tp.Action == ActionReplace && tp.Reason == replaceReason {
		tp.Reason = joinReason(tp.Reason, "the request differs from the spec")
		return
	}
	tp.Action = ActionReplace
	tp.Reason = "the request differs from the spec"
}

// planObservedChanges compares what Mynth holds now (cur) with what the
// state recorded: a difference is an update.
func (w *taskWork) planObservedChanges(tp *TaskPlan, recorded *state.Task, cur *view) {
	// Only the status and the raw result are compared: no need to decode
	// the record.
	rv := &view{status: recorded.Status, resultRaw: nonNull(recorded.Result)}
	changes := filterIgnored(observationChanges(rv, cur), w.spec.IgnoreChanges)
	if len(changes) == 0 {
		return
	}
	tp.Changes = append(tp.Changes, changes...)
	tp.Action = ActionUpdate
	tp.Reason = joinReason(tp.Reason, updateReason(rv, cur))
}

// planForget reports a task no longer declared: what the state recorded of
// it, and the files apply leaves on disk (forget deletes none).
func (w *taskWork) planForget(tp *TaskPlan, dir string) {
	r := w.recorded
	for _, f := range r.Files {
		tp.Files = append(tp.Files, FileStatus{Path: f.Path, State: diskState(dir, f), ImageID: f.ImageID})
	}
	tp.ID = r.ID
	tp.Status = Status(r.Status)
	if tp.Status == "" {
		tp.Status = StatusUnknown
	}
	if v, err := viewOfState(r); err == nil {
		tp.Model, tp.Cost, tp.Images = describe(v, nil, false, "")
	}
}

// errorText is the task's read error, naming the task, never holding its
// access token.
func (w *taskWork) errorText() string {
	msg := w.readErr.Error()
	if w.spec != nil && w.spec.AccessToken != "" {
		msg = strings.ReplaceAll(msg, w.spec.AccessToken, "(sensitive)")
	}
	switch {
	case errors.Is(w.readErr, mynth.ErrNotFound):
		msg += " (the task does not exist, or belongs to another account)"
	case errors.Is(w.readErr, mynth.ErrUnauthorized) && w.viaPAT:
		msg += " (the access_token is wrong, or belongs to another task)"
	case errors.Is(w.readErr, mynth.ErrUnauthorized):
		msg += " (check MYNTH_API_KEY)"
	}
	if !strings.Contains(msg, w.addr()) {
		msg = fmt.Sprintf("%s (%s): %s", w.addr(), w.readID, msg)
	}
	return msg
}

// describe returns the model, cost and images of a view. A task read with
// its access token has no cost breakdown unless the state recorded one; its
// cost is then the sum of its images' costs.
func describe(v *view, files []string, viaPAT bool, specModel string) (string, *mynth.Amount, []Image) {
	model := specModel
	if v.request != nil && v.request.Model != "" {
		model = v.request.Model
	}
	images := []Image{}
	if v.result == nil {
		return model, nil, images
	}
	if v.result.Model != "" {
		model = v.result.Model
	}
	var cost *mynth.Amount
	if v.result.Cost != nil {
		c := v.result.Cost.Total
		cost = &c
	}
	images = make([]Image, 0, len(v.result.Images))
	for i, im := range v.result.Images {
		out := Image{ID: im.ID, Status: string(im.Status), URL: im.URL, Size: im.Size, Cost: im.Cost, Error: im.ErrorMessage()}
		if i < len(files) {
			out.File = files[i]
		}
		images = append(images, out)
	}
	if cost == nil && viaPAT {
		var sum mynth.Amount
		for _, im := range v.result.Images {
			if im.Cost != nil {
				sum = sum.Add(*im.Cost)
			}
		}
		cost = &sum
	}
	return model, cost, images
}

// observationChanges compares what the state recorded (before) with what
// Mynth holds now (after): the status and the result.
func observationChanges(before, after *view) []Change {
	var out []Change
	if before.status != after.status {
		out = append(out, Change{Path: "status", Before: string(before.status), After: string(after.status)})
	}
	// The state records canonical JSON: when the observed result has the
	// same canonical form there is nothing to compare.
	if bytes.Equal(before.resultRaw, after.resultRaw) {
		return out
	}
	if c, err := canonical(after.resultRaw); err == nil && bytes.Equal(before.resultRaw, c) {
		return out
	}
	// Nor does the record hold an access token or API key that Mynth
	// echoed: compare without them, which also keeps them out of the plan.
	scrubbed, err := canonicalScrubbed(after.resultRaw)
	if err != nil || bytes.Equal(before.resultRaw, scrubbed) {
		return out
	}
	bt, err1 := decodeTree(before.resultRaw)
	at, err2 := decodeTree(scrubbed)
	if err1 != nil || err2 != nil {
		return out
	}
	return append(out, diffTrees("result", bt, at)...)
}

func updateReason(before, after *view) string {
	if before.status != after.status {
		return fmt.Sprintf("status moved from %s to %s", before.status, after.status)
	}
	return "the task changed since it was recorded"
}

func joinReason(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// RangeOf converts an HCL range for the plan, its file name relative to
// the spec directory dir (with forward slashes) when it lies inside it.
func RangeOf(r hcl.Range, dir string) *Range {
	if r.Filename == "" {
		return nil
	}
	return rangeNamed(r, relName(r.Filename, dir))
}

// relName is RangeOf's file name for name.
func relName(name, dir string) string {
	if dir != "" {
		if rel, err := filepath.Rel(dir, name); err == nil && filepath.IsLocal(rel) {
			name = rel
		}
	}
	return filepath.ToSlash(name)
}

func rangeNamed(r hcl.Range, name string) *Range {
	return &Range{
		Filename: name,
		Start:    Pos{Line: r.Start.Line, Column: r.Start.Column},
		End:      Pos{Line: r.End.Line, Column: r.End.Column},
	}
}

// fileNames is RangeOf for the ranges of one plan: the name of each file
// its tasks are declared in is made once, not once per range. It is read
// only once made, so the plan's workers share it.
type fileNames struct {
	dir   string
	names map[string]string
}

func newFileNames(dir string, tasks []*spec.Task) *fileNames {
	f := &fileNames{dir: dir, names: map[string]string{}}
	last := ""
	for _, t := range tasks {
		if n := t.DeclRange.Filename; n != "" && n != last {
			last = n
			if _, ok := f.names[n]; !ok {
				f.names[n] = relName(n, dir)
			}
		}
	}
	return f
}

// rangeOf is RangeOf(r, dir); a nil f is RangeOf itself.
func (f *fileNames) rangeOf(r hcl.Range, dir string) *Range {
	if f == nil || f.dir != dir || r.Filename == "" {
		return RangeOf(r, dir)
	}
	name, ok := f.names[r.Filename]
	if !ok {
		return RangeOf(r, dir)
	}
	return rangeNamed(r, name)
}

func ptr[T any](v T) *T { return &v }
