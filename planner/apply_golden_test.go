package planner

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
)

// goldenUpdate reports whether -update was given (the flag is registered
// by the package's golden tests).
func goldenUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestFinishedLinesGolden pins the lines apply prints per finished task in
// logs, one case per outcome. Run with -update to rewrite
// testdata/apply/finished_lines.golden.
func TestFinishedLinesGolden(t *testing.T) {
	cost := mynth.MustParseAmount("0.0125")
	two := mynth.MustParseAmount("0.025")
	results := []TaskResult{
		{Address: `task.product["mug"]`, ID: "tsk_1", Outcome: AppliedCompleted, Status: mynth.StatusCompleted, Elapsed: 3200 * time.Millisecond,
			Images: 1, Cost: &cost, Files: []FileResult{{Path: "assets/mug.png", State: FileResultSaved}}},
		{Address: `task.product["bowl"]`, ID: "tsk_2", Outcome: AppliedCompleted, Status: mynth.StatusCompleted, Elapsed: 12 * time.Second,
			Images: 2, Cost: &two, Files: []FileResult{{Path: "assets/bowl-1.png", State: FileResultSaved}, {Path: "assets/bowl-2.png", State: FileResultRestored}}},
		{Address: "task.half", ID: "tsk_3", Outcome: AppliedCompleted, Status: mynth.StatusCompleted, Elapsed: time.Second, Images: 1, Cost: &cost,
			Files: []FileResult{{Path: "a.png", State: FileResultSaved}, {Path: "b.png", State: FileResultFailed,
				Message: "Not saved: image 2 failed (content filtered), so b.png stays absent."}}},
		{Address: "task.kiln", ID: "tsk_4", Outcome: AppliedFailed, Status: mynth.StatusFailed, Elapsed: 8 * time.Second, Message: "The task failed."},
		{Address: "task.later", ID: "tsk_5", Outcome: AppliedPending, Status: mynth.StatusPending, wantPending: true,
			Message: "Recorded as pending (--wait=false). Run `mynthform apply` later to wait for it and save its images."},
		{Address: "task.slow", ID: "tsk_6", Outcome: AppliedPending, Status: mynth.StatusPending, TimedOut: true,
			Message: "Still pending after 5m0s (--wait-timeout). It stays recorded; run `mynthform apply` again to keep waiting."},
		{Address: "task.lost", Outcome: AppliedUnknownOutcome,
			Message: "The creation request was sent but no answer came back (connection reset). It was not repeated: the task may exist and cost money. Find its id in Mynth and run `mynthform import 'task.lost' ID` to record it; if it does not exist, run apply again."},
		{Address: "task.over", Outcome: AppliedNotCreated, Message: "Not created: the budget guard stopped creating tasks."},
		{Address: "task.refused", Outcome: AppliedError, Message: "Creating the task failed: validation_error: count must be at most 100."},
	}
	var b strings.Builder
	for _, r := range results {
		b.WriteString(FinishedLine(r))
	}
	got := b.String()
	path := filepath.Join("..", "testdata", "apply", "finished_lines.golden")
	if goldenUpdate() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("finished lines (-want +got):\n%s", diff)
	}
}
