package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

// TestApplySummaryLineSaysTheOutcome: the closing line begins with how the
// apply ended, so that it never says "complete" for a failed run.
func TestApplySummaryLineSaysTheOutcome(t *testing.T) {
	res := &planner.ApplyResult{Generated: 3, Updated: 1, Replaced: 1, FilesRestored: 2, Spent: mynth.MustParseAmount("0.0375"), Serial: 4}
	for outcome, want := range map[ApplyOutcome]string{
		ApplyOK:           "Apply complete: ",
		ApplyChecksFailed: "Apply finished, but checks failed: ",
		ApplyErrors:       "Apply finished with errors: ",
		ApplyInterrupted:  "Apply interrupted: ",
		ApplyUnsaved:      "Apply failed: the state could not be saved: ",
	} {
		want += "3 generated, 1 replaced, 1 updated, 0 forgotten. 2 files restored. Spent $0.0375. State: dir/mynth.state.json (serial 4)."
		if diff := cmp.Diff(want, ApplySummaryLine(ApplySummary{Result: res, Outcome: outcome, State: "dir/mynth.state.json"})); diff != "" {
			t.Errorf("outcome %d (-want +got):\n%s", outcome, diff)
		}
	}
}

// TestApplySummaryLineCountsUploads: the closing line says how many input
// files apply uploaded, and nothing of uploads when there were none.
func TestApplySummaryLineCountsUploads(t *testing.T) {
	for n, want := range map[int]string{
		0: "Apply complete: 1 generated, 0 updated, 0 forgotten. Spent $0.00. State: mynth.state.json (serial 2).",
		1: "Apply complete: 1 generated, 0 updated, 0 forgotten. 1 input file uploaded. Spent $0.00. State: mynth.state.json (serial 2).",
		2: "Apply complete: 1 generated, 0 updated, 0 forgotten. 2 input files uploaded. Spent $0.00. State: mynth.state.json (serial 2).",
	} {
		res := &planner.ApplyResult{Generated: 1, Uploaded: n, Serial: 2}
		if diff := cmp.Diff(want, ApplySummaryLine(ApplySummary{Result: res, State: "mynth.state.json"})); diff != "" {
			t.Errorf("%d uploaded (-want +got):\n%s", n, diff)
		}
	}
}

// TestApplySummaryLineSaysWhatIsPending: Spent counts only the created
// tasks that finished; the line says how many created tasks it leaves out
// while their cost is unknown, and nothing of an adopted task still
// pending (this apply spent nothing on it) or of one not created.
func TestApplySummaryLineSaysWhatIsPending(t *testing.T) {
	spent := mynth.MustParseAmount("0.0125")
	res := &planner.ApplyResult{Generated: 2, Replaced: 1, Adopted: 1, Spent: mynth.MustParseAmount("0.0125"), Serial: 3, Tasks: []*planner.TaskResult{
		{Address: "task.a", ID: "tsk_a", Action: planner.ActionGenerate, Outcome: planner.AppliedPending},
		{Address: "task.b", ID: "tsk_b", Action: planner.ActionGenerate, Outcome: planner.AppliedCompleted, Cost: &spent},
		{Address: "task.c", ID: "tsk_c", Action: planner.ActionReplace, Outcome: planner.AppliedPending},
		{Address: "task.d", ID: "tsk_d", Action: planner.ActionAdopt, Outcome: planner.AppliedPending},
		{Address: "task.e", Action: planner.ActionGenerate, Outcome: planner.AppliedNotCreated},
	}}
	want := "Apply complete: 2 generated, 1 replaced, 1 adopted, 0 updated, 0 forgotten. Spent $0.0125 (not counting 2 created tasks not finished yet: their cost is known once they complete). State: mynth.state.json (serial 3)."
	if diff := cmp.Diff(want, ApplySummaryLine(ApplySummary{Result: res, State: "mynth.state.json"})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	res.Tasks = []*planner.TaskResult{res.Tasks[1], res.Tasks[2]}
	want = "Apply complete: 2 generated, 1 replaced, 1 adopted, 0 updated, 0 forgotten. Spent $0.0125 (not counting 1 created task not finished yet: its cost is known once it completes). State: mynth.state.json (serial 3)."
	if diff := cmp.Diff(want, ApplySummaryLine(ApplySummary{Result: res, State: "mynth.state.json"})); diff != "" {
		t.Errorf("one pending (-want +got):\n%s", diff)
	}
}

// TestApplyLostTextHidesSensitiveIDs: the list of tasks a failed save
// did not record prints a sensitive (pinned) id as "(sensitive)" and says
// that apply records it again from the spec, while an id that only Mynth
// knows is printed, and is the one the import example names.
func TestApplyLostTextHidesSensitiveIDs(t *testing.T) {
	res := &planner.ApplyResult{Unsaved: true, Unrecorded: []planner.UnrecordedTask{
		{Address: "task.a", ID: "tsk_secretcanary", SensitiveID: true},
		{Address: "task.b", ID: "tsk_01NEW"},
	}}
	want := "Not recorded: 2 tasks exist at Mynth that mynth.state.json does not record (Mynth may have charged for them; keep these ids):\n" +
		"  task.a  (sensitive)\n" +
		"  task.b  tsk_01NEW\n" +
		"Once the state can be written, record each with `mynthform import ADDR ID` (for example `mynthform import 'task.b' tsk_01NEW`), then run apply again.\n" +
		"task.a's id is the spec's sensitive pinned id, so it is not printed: apply records it again from the spec."
	if diff := cmp.Diff(want, applyLostText(res, "mynth.state.json")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestApplyHumanConfirm: the question states what will be created, at
// what estimated cost, and the budget's limits.
func TestApplyHumanConfirm(t *testing.T) {
	total, spent := mynth.MustParseAmount("0.10"), mynth.MustParseAmount("1.00")
	for _, tc := range []struct {
		name string
		c    Confirmation
		want string
	}{
		{"priced", Confirmation{Estimate: planner.CreationEstimate{Tasks: 2, Images: 3, Known: mynth.MustParseAmount("0.0375"), Recorded: mynth.MustParseAmount("0.08")}, MaxTotal: &total, MaxSpent: &spent},
			"  mynthform will generate 2 tasks (3 images) with the Mynth API. Estimated cost: $0.0375. The budget guard stops creating tasks before the total passes budget.max_total $0.10 ($0.02 left). It stops before the total spent passes budget.max_spent $1.00.\n"},
		{"unpriced, no budget", Confirmation{Estimate: planner.CreationEstimate{Tasks: 1, Images: 1, Unknown: 1}},
			"  mynthform will generate 1 task (1 image) with the Mynth API. Cost: unknown until the first task completes (no price is known for these models, and the spec sets no budget).\n"},
		{"some priced, over", Confirmation{Estimate: planner.CreationEstimate{Tasks: 3, Images: 3, Unknown: 1, Known: mynth.MustParseAmount("0.025"), Recorded: mynth.MustParseAmount("0.20")}, MaxTotal: &total},
			"  mynthform will generate 3 tasks (3 images) with the Mynth API. Estimated cost: $0.025 for 2 tasks, plus 1 task of unknown price. The budget guard stops creating tasks before the total passes budget.max_total $0.10 ($0.00 left).\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			(&ApplyHuman{Out: &out, Err: &errs}).Confirm(tc.c)
			want := "\nDo you want to perform these actions?\n" + tc.want + "  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
			if diff := cmp.Diff(want, out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if errs.Len() != 0 {
				t.Errorf("the question went to stderr: %q", errs.String())
			}
		})
	}
}

// TestFailedChecksMarksWarnings: the checks listed after apply say which
// are warnings, plan-wide ones first.
func TestFailedChecksMarksWarnings(t *testing.T) {
	p := &planner.Plan{
		Checks: []planner.Check{{Name: planner.CheckBudget, Outcome: planner.OutcomeFailed, Message: "over"}},
		Tasks: []*planner.TaskPlan{{Address: "task.a", Checks: []planner.Check{
			{Name: planner.CheckSize, Outcome: planner.OutcomeFailed, Message: "small", Severity: planner.SeverityWarning},
			{Name: planner.CheckImages, Outcome: planner.OutcomePassed},
			{Name: planner.CheckStatus, Outcome: planner.OutcomePending},
		}}},
	}
	want := []string{"Check failed: over", "Warning: check failed: task.a: size: small"}
	if diff := cmp.Diff(want, FailedChecks(p)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	(&ApplyHuman{Out: &out}).ChecksAfter(&planner.Plan{})
	if out.Len() != 0 {
		t.Errorf("no failed check printed %q", out.String())
	}
	(&ApplyHuman{Out: &out}).ChecksAfter(p)
	if !strings.HasPrefix(out.String(), "\nCheck failed: over\n") {
		t.Errorf("printed %q", out.String())
	}
}
