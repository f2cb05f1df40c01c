package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// severityOf is the severity of e's checks: error unless it says warning.
func severityOf(e *spec.Expect) Severity {
	if e == nil || e.Severity == "" {
		return SeverityError
	}
	return Severity(e.Severity)
}

// expectNames lists the checks an expect block makes, in order.
func expectNames(e *spec.Expect) []CheckName {
	names := []CheckName{CheckStatus}
	if e == nil {
		return names
	}
	if expectedStatus(e) == mynth.StatusCompleted {
		names = append(names, CheckImages)
		if e.Size != "" {
			names = append(names, CheckSize)
		}
	}
	if e.MaxCost != nil {
		names = append(names, CheckMaxCost)
	}
	return names
}

// expectCount is how many checks expectChecks makes of e for a task
// that is not pending.
func expectCount(e *spec.Expect) int {
	n := 1
	if expectedStatus(e) == mynth.StatusCompleted {
		n++
		if e != nil && e.Size != "" {
			n++
		}
	}
	if e != nil && e.MaxCost != nil {
		n++
	}
	return n
}

func expectedStatus(e *spec.Expect) mynth.Status {
	if e == nil || e.Status == "" {
		return mynth.StatusCompleted
	}
	return e.Status
}

// pendingChecks returns every check of e as pending, for a task that has
// not finished (or not started).
func pendingChecks(e *spec.Expect, why string) []Check {
	var out []Check
	for _, n := range expectNames(e) {
		out = append(out, Check{Name: n, Outcome: OutcomePending, Message: why, Severity: severityOf(e)})
	}
	return out
}

// expectChecks evaluates e against the task as the plan sees it.
func expectChecks(e *spec.Expect, v *view, cost *mynth.Amount) []Check {
	if v.status == mynth.StatusPending {
		return pendingChecks(e, "the task is pending")
	}
	sev := severityOf(e)
	want := expectedStatus(e)
	// Sized for its checks: the plan keeps the slice.
	out := make([]Check, 0, expectCount(e))
	add := func(name CheckName, ok bool, msg string) {
		o := OutcomeFailed
		if ok {
			o = OutcomePassed
		}
		out = append(out, Check{Name: name, Outcome: o, Message: msg, Severity: sev})
	}
	if v.status == want {
		add(CheckStatus, true, statusIs(v.status))
	} else {
		add(CheckStatus, false, fmt.Sprintf("status is %s, expected %s", v.status, want))
	}
	if want == mynth.StatusCompleted {
		n := 1
		if e != nil && e.Images > 0 {
			n = e.Images
		}
		succeeded := v.result.SucceededCount()
		if succeeded >= n {
			add(CheckImages, true, enoughImages(succeeded, n))
		} else {
			add(CheckImages, false, fmt.Sprintf("%s succeeded, expected at least %d", countImages(succeeded), n))
		}
		if e != nil && e.Size != "" {
			succeeded := v.result.Succeeded()
			bad := ""
			for _, im := range succeeded {
				if im.Size != e.Size {
					bad = fmt.Sprintf("image %s is %s, expected %s", im.ID, orNone(im.Size), e.Size)
					break
				}
			}
			switch {
			case bad != "":
				add(CheckSize, false, bad)
			case len(succeeded) == 0:
				add(CheckSize, true, "no succeeded image to check")
			default:
				add(CheckSize, true, fmt.Sprintf("every image is %s", e.Size))
			}
		}
	}
	if e != nil && e.MaxCost != nil {
		var c mynth.Amount
		if cost != nil {
			c = *cost
		}
		if c.Cmp(*e.MaxCost) > 0 {
			add(CheckMaxCost, false, fmt.Sprintf("cost %s is over max_cost %s", c.Dollars(), e.MaxCost.Dollars()))
		} else {
			add(CheckMaxCost, true, fmt.Sprintf("cost %s is within max_cost %s", c.Dollars(), e.MaxCost.Dollars()))
		}
	}
	return out
}

// statusIs is the message of a status check that passed: a constant for
// the statuses a task can have, as this runs for every task planned.
func statusIs(s mynth.Status) string {
	switch s {
	case mynth.StatusCompleted:
		return "status is completed"
	case mynth.StatusFailed:
		return "status is failed"
	}
	return "status is " + string(s)
}

// enoughImages is the message of an images check that passed: got
// images succeeded, at least want were expected.
func enoughImages(got, want int) string {
	if got == 1 && want == 1 {
		return "1 image succeeded (at least 1 expected)"
	}
	return countImages(got) + " succeeded (at least " + strconv.Itoa(want) + " expected)"
}

func countImages(n int) string {
	if n == 1 {
		return "1 image"
	}
	return strconv.Itoa(n) + " images"
}

func orNone(s string) string {
	if s == "" {
		return "of unknown size"
	}
	return s
}

// File states.
const (
	FileOK       = "ok"
	FileMissing  = "missing"
	FileModified = "modified"
	FileAbsent   = "absent"
	FileFailed   = "failed"
)

// fileStates returns the state of each declared file: its image in v (nil
// when the task's result is not known) and what the state recorded of it
// on disk.
func (w *taskWork) fileStates(dir string, v *view) []FileStatus {
	if len(w.spec.Files) == 0 {
		return nil
	}
	var saved map[string]state.SavedFile
	if r := w.recordedFor(w.readID); r != nil {
		saved = make(map[string]state.SavedFile, len(r.Files))
		for _, f := range r.Files {
			saved[f.Path] = f
		}
	}
	var images []mynth.Image
	if v != nil && v.result != nil {
		images = v.result.Images
	}
	out := make([]FileStatus, 0, len(w.spec.Files))
	for i, path := range w.spec.Files {
		fs := FileStatus{Path: path, State: FileAbsent}
		var im *mynth.Image
		if i < len(images) {
			im = &images[i]
			fs.ImageID = im.ID
		}
		sf, ok := saved[path]
		switch {
		case im != nil && im.Status == mynth.ImageFailed:
			fs.State = FileFailed
		case ok && (im == nil || sf.ImageID == im.ID):
			fs.State = diskState(dir, sf)
			if fs.ImageID == "" {
				fs.ImageID = sf.ImageID
			}
		case im == nil && v != nil && v.status == mynth.StatusFailed:
			// The task failed: no image will ever be saved there.
			fs.State = FileFailed
		}
		out = append(out, fs)
	}
	return out
}

// diskState checks a saved file against its recorded sha256.
func diskState(dir string, sf state.SavedFile) string {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(sf.Path)))
	if errors.Is(err, fs.ErrNotExist) {
		return FileMissing
	}
	if err != nil {
		return FileModified
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return FileModified
	}
	if !strings.EqualFold(hex.EncodeToString(h.Sum(nil)), sf.SHA256) {
		return FileModified
	}
	return FileOK
}

// fileChecks returns the declared files with pending checks (generate,
// replace) or, when pending is false, without checks (an unreadable task).
func (w *taskWork) fileChecks(dir string, v *view, checks []Check, pending bool) ([]FileStatus, []Check) {
	files := w.fileStates(dir, v)
	if pending {
		for _, f := range files {
			checks = append(checks, Check{Name: CheckFile, Outcome: OutcomePending,
				Message: fmt.Sprintf("%s is saved once the task completes", f.Path), Severity: severityOf(w.spec.Expect)})
		}
	}
	return files, checks
}

// filesOnDisk returns the declared files, one check per file, and why apply
// must update the task for its files ("" when nothing is to be done).
//
// A file check has the severity of the task's expect block: a file whose
// image failed is one more view of a failed image. A file that apply saves
// or restores (not saved yet, missing, modified) is a change, not a
// failure: its check is pending until apply has run, so that
// `plan --detailed-exitcode` exits 2 for it, as for any change.
func (w *taskWork) filesOnDisk(dir string, v *view, checks []Check) ([]FileStatus, []Check, string) {
	files := w.fileStates(dir, v)
	var images []mynth.Image
	if v.result != nil {
		images = v.result.Images
	}
	var reasons []string
	for i, f := range files {
		c := Check{Name: CheckFile, Severity: severityOf(w.spec.Expect)}
		switch f.State {
		case FileOK:
			c.Outcome, c.Message = OutcomePassed, fmt.Sprintf("%s is saved", f.Path)
		case FileMissing:
			c.Outcome, c.Message = OutcomePending, fmt.Sprintf("%s is missing; apply restores it", f.Path)
			reasons = append(reasons, fmt.Sprintf("file %s is missing", f.Path))
		case FileModified:
			c.Outcome, c.Message = OutcomePending, fmt.Sprintf("%s was modified (its sha256 differs from the state); apply restores it", f.Path)
			reasons = append(reasons, fmt.Sprintf("file %s was modified", f.Path))
		case FileFailed:
			c.Outcome = OutcomeFailed
			if i >= len(images) {
				c.Message = fmt.Sprintf("the task failed, so %s cannot be saved", f.Path)
				break
			}
			c.Message = fmt.Sprintf("image %d failed, so %s cannot be saved", i+1, f.Path)
			if msg := images[i].ErrorMessage(); msg != "" {
				c.Message += ": " + msg
			}
		case FileAbsent:
			switch {
			case v.status == mynth.StatusPending:
				c.Outcome, c.Message = OutcomePending, fmt.Sprintf("%s is saved once the task completes", f.Path)
			case i < len(images) && images[i].Status == mynth.ImageSucceeded:
				c.Outcome, c.Message = OutcomePending, fmt.Sprintf("%s is not saved yet; apply saves it", f.Path)
				reasons = append(reasons, fmt.Sprintf("file %s not saved yet", f.Path))
			default:
				c.Outcome, c.Message = OutcomeFailed, fmt.Sprintf("the task has no image %d to save as %s", i+1, f.Path)
			}
		}
		checks = append(checks, c)
	}
	return files, checks, strings.Join(reasons, "; ")
}

// summarize counts the plan's actions and checks and totals its cost.
func summarize(p *Plan) Summary {
	n := p.Tally()
	s := Summary{Checks: CheckCounts{Passed: n.Passed, Failed: n.Failed, Pending: n.Pending}}
	var cost amountSum
	for _, t := range p.Tasks {
		switch t.Action {
		case ActionGenerate:
			s.Generate++
		case ActionAdopt:
			s.Adopt++
		case ActionReplace:
			s.Replace++
		case ActionUpdate:
			s.Update++
		case ActionForget:
			s.Forget++
		default:
			s.None++
		}
		if t.Cost != nil {
			cost.add(*t.Cost)
		}
	}
	s.Cost = cost.sum()
	s.Estimate = summarizeEstimate(p.Tasks)
	return s
}

// amountSum totals amounts of which most, in a plan, are equal: each run
// of equal amounts is added once, multiplied by its length, instead of
// one decimal addition (and its allocations) per task. The total is the
// same exact value.
type amountSum struct {
	total, run mynth.Amount
	n          int64
}

func (s *amountSum) add(a mynth.Amount) {
	if s.n > 0 && s.run.Cmp(a) == 0 {
		s.n++
		return
	}
	s.flush()
	s.run, s.n = a, 1
}

func (s *amountSum) flush() {
	if s.n > 0 {
		s.total = s.total.Add(s.run.Mul(s.n))
		s.n = 0
	}
}

// sum is the total of the amounts added.
func (s *amountSum) sum() mynth.Amount {
	s.flush()
	return s.total
}

// checkAttr is the spec attribute, by its name in spec.Task.Ranges, that
// sets each task check's expectation.
var checkAttr = map[CheckName]string{
	CheckStatus:  "expect.status",
	CheckImages:  "expect.images",
	CheckSize:    "expect.size",
	CheckMaxCost: "expect.max_cost",
	CheckFile:    "files",
}

// locateChecks sets the Range of each of t's checks: the attribute that
// set its expectation, else the expect block, else the task block (a
// check that holds by default, such as the status, has no attribute).
// decl, when set, is the task block's Range already made (the TaskPlan's):
// the checks located there share it. names makes the others (nil:
// RangeOf).
func locateChecks(checks []Check, t *spec.Task, dir string, names *fileNames, decl *Range) {
	for i := range checks {
		c := &checks[i]
		r, ok := t.Ranges.Get(checkAttr[c.Name])
		switch {
		case ok:
		case t.Expect != nil:
			r = t.Expect.DeclRange
		default:
			r = t.DeclRange
		}
		if decl != nil && r == t.DeclRange {
			// The default expectations of a task without an expect
			// block are there too.
			c.Range = decl
			continue
		}
		c.Range = names.rangeOf(r, dir)
	}
}
