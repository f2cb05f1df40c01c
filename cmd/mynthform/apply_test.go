package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
)

// fakeApplyView records what apply asks its view to show, so that the
// tests read apply's decisions instead of matching its prose.
type fakeApplyView struct {
	mu       sync.Mutex
	calls    []string
	over     []planner.Check
	confirm  *render.Confirmation
	after    *planner.Plan
	summary  *render.ApplySummary
	errs     []error
	stops    []string
	warnings []string
	progress fakeProgress
}

func (f *fakeApplyView) call(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

func (f *fakeApplyView) Plan(*planner.Plan) error { f.call("Plan"); return nil }
func (f *fakeApplyView) OverBudget(c []planner.Check) {
	f.call("OverBudget")
	f.over = c
}
func (f *fakeApplyView) NeedsKey()      { f.call("NeedsKey") }
func (f *fakeApplyView) NeedsApproval() { f.call("NeedsApproval") }
func (f *fakeApplyView) Confirm(c render.Confirmation) {
	f.call("Confirm")
	f.confirm = &c
}
func (f *fakeApplyView) Cancelled(interrupted bool) {
	f.call(fmt.Sprintf("Cancelled(%v)", interrupted))
}
func (f *fakeApplyView) Approved() { f.call("Approved") }
func (f *fakeApplyView) Progress() planner.ProgressSink {
	f.call("Progress")
	return &f.progress
}
func (f *fakeApplyView) Applied(*planner.Plan, *planner.ApplyResult) { f.call("Applied") }
func (f *fakeApplyView) ChecksAfter(p *planner.Plan) {
	f.call("ChecksAfter")
	f.after = p
}
func (f *fakeApplyView) Summary(s render.ApplySummary) {
	f.call("Summary")
	f.summary = &s
}
func (f *fakeApplyView) Error(err error) {
	f.call("Error")
	f.errs = append(f.errs, err)
}
func (f *fakeApplyView) Stopped(why string) {
	f.call("Stopped")
	f.stops = append(f.stops, why)
}
func (f *fakeApplyView) Warning(msg string) {
	f.call("Warning")
	f.warnings = append(f.warnings, msg)
}

var _ render.ApplyView = (*fakeApplyView)(nil)

// fakeProgress counts the progress events apply reports.
type fakeProgress struct {
	mu                     sync.Mutex
	total, created, finish int
}

func (p *fakeProgress) Start(total int) { p.mu.Lock(); p.total = total; p.mu.Unlock() }
func (p *fakeProgress) TaskCreated(planner.ProgressEvent) {
	p.mu.Lock()
	p.created++
	p.mu.Unlock()
}
func (p *fakeProgress) TaskFinished(planner.ProgressEvent) {
	p.mu.Lock()
	p.finish++
	p.mu.Unlock()
}
func (p *fakeProgress) Finish() {}

// applyTaskSpec is two tasks under a budget of maxTotal with the model
// priced at $0.0125 an image; expect is the body of the first task's
// expect block.
func applyTaskSpec(maxTotal, prompt, expect string) string {
	return fmt.Sprintf(`budget {
  max_total = %q
  price "google/gemini-3.1-flash-image" {
    image = "0.0125"
  }
}

task "a" {
  prompt = %q
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
  expect {
%s
  }
}

task "b" {
  prompt = "b"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
}
`, maxTotal, prompt, expect)
}

// TestApplyDecisionsThroughView runs apply in-process against the emulator
// over HTTP with a fake view: which views it calls, the outcome the closing
// line is given, and the exit code, for each way an apply ends.
func TestApplyDecisionsThroughView(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	withKey := map[string]string{"MYNTH_BASE_URL": srv.URL, "MYNTH_API_KEY": applyKey}
	noKey := map[string]string{"MYNTH_BASE_URL": srv.URL}
	// EndHeapFloor: apply ends the GC's heap floor when it starts carrying
	// out the plan, and only then.
	applied := []string{"Plan", "Approved", "EndHeapFloor", "Progress", "Applied", "ChecksAfter", "Summary"}
	for _, tc := range []struct {
		name        string
		spec        string
		env         map[string]string
		args        []string
		interactive bool
		answer      string
		calls       []string
		outcome     render.ApplyOutcome
		code        int
		created     int
	}{
		{name: "clean", spec: applyTaskSpec("0.10", "a", `size = "1024x1024"`), env: withKey, args: []string{"--auto-approve"},
			calls: applied, outcome: render.ApplyOK, code: exitOK, created: 2},
		{name: "a check fails after apply", spec: applyTaskSpec("0.10", "a", `size = "512x512"`), env: withKey, args: []string{"--auto-approve"},
			calls: applied, outcome: render.ApplyChecksFailed, code: exitError, created: 2},
		{name: "a warning does not fail the run", spec: applyTaskSpec("0.10", "a", "size = \"512x512\"\n    severity = \"warning\""), env: withKey, args: []string{"--auto-approve"},
			calls: applied, outcome: render.ApplyOK, code: exitOK, created: 2},
		{name: "a task fails", spec: applyTaskSpec("0.10", "a [[fail]]", `status = "completed"`), env: withKey, args: []string{"--auto-approve"},
			calls: applied, outcome: render.ApplyErrors, code: exitError, created: 2},
		{name: "over budget", spec: applyTaskSpec("0.02", "a", `size = "1024x1024"`), env: withKey, args: []string{"--auto-approve"},
			calls: []string{"Plan", "OverBudget"}, code: exitError},
		{name: "no key", spec: applyTaskSpec("0.10", "a", `size = "1024x1024"`), env: noKey, args: []string{"--auto-approve"},
			calls: []string{"Plan", "NeedsKey"}, code: exitError},
		{name: "no terminal to ask on", spec: applyTaskSpec("0.10", "a", `size = "1024x1024"`), env: withKey,
			calls: []string{"Plan", "NeedsApproval"}, code: exitError},
		{name: "answer no", spec: applyTaskSpec("0.10", "a", `size = "1024x1024"`), env: withKey, interactive: true, answer: "no\n",
			calls: []string{"Plan", "Confirm", "Cancelled(false)"}, code: exitError},
		{name: "answer yes", spec: applyTaskSpec("0.10", "a", `size = "1024x1024"`), env: withKey, interactive: true, answer: "yes\n",
			calls: []string{"Plan", "Confirm", "Approved", "EndHeapFloor", "Progress", "Applied", "ChecksAfter", "Summary"}, outcome: render.ApplyOK, code: exitOK, created: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSpec(t, dir, tc.spec)
			before := srv.Emulator.Stats().Created
			var out bytes.Buffer
			v := &fakeApplyView{}
			g := &globals{ctx: t.Context(), stdin: strings.NewReader(tc.answer), stdout: &out, stderr: &out,
				getenv: func(k string) string { return tc.env[k] }, dir: dir, interactive: tc.interactive, applyView: v,
				stopHeapFloor: func() { v.call("EndHeapFloor") }}
			code := runApply(g, tc.args)
			if code != tc.code {
				t.Errorf("exit %d, want %d (errors %v, stops %q)", code, tc.code, v.errs, v.stops)
			}
			if diff := cmp.Diff(tc.calls, v.calls); diff != "" {
				t.Errorf("view calls (-want +got):\n%s", diff)
			}
			if got := srv.Emulator.Stats().Created - before; got != tc.created {
				t.Errorf("%d tasks created, want %d", got, tc.created)
			}
			if out.Len() != 0 {
				t.Errorf("apply wrote around its view:\n%s", out.String())
			}
			if v.summary != nil {
				if v.summary.Outcome != tc.outcome {
					t.Errorf("outcome %d, want %d", v.summary.Outcome, tc.outcome)
				}
				if (v.summary.Outcome == render.ApplyOK) != (code == exitOK) {
					t.Errorf("the closing line's outcome %d disagrees with exit %d", v.summary.Outcome, code)
				}
				if v.progress.created != tc.created || v.progress.finish != tc.created {
					t.Errorf("progress: %d created, %d finished, want %d each", v.progress.created, v.progress.finish, tc.created)
				}
			}
			if v.after != nil {
				// The after-check reads the plan's verdict: it fails the
				// run exactly when a check of severity error fails.
				failing := 0
				for _, f := range v.after.Failures() {
					if f.Kind == planner.FailureCheck {
						failing++
					}
				}
				if (failing > 0 && tc.outcome == render.ApplyOK) || (failing == 0 && tc.outcome == render.ApplyChecksFailed) {
					t.Errorf("%d failing checks after apply, outcome %d", failing, tc.outcome)
				}
			}
			switch tc.name {
			case "over budget":
				if len(v.over) == 0 || v.over[0].Name != planner.CheckBudget {
					t.Errorf("over budget with checks %+v", v.over)
				}
			case "answer no", "answer yes":
				if v.confirm == nil || v.confirm.Estimate.Tasks != 2 || v.confirm.MaxTotal == nil || v.confirm.MaxTotal.Dollars() != "$0.10" || v.confirm.Estimate.Known.Dollars() != "$0.025" {
					t.Errorf("confirmation %+v", v.confirm)
				}
			}
		})
	}
}
