package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

// TestFinishedLinesGolden pins the lines apply prints per finished task in
// logs, one case per outcome. Run with -update to rewrite
// testdata/apply/finished_lines.golden.
func TestFinishedLinesGolden(t *testing.T) {
	cost := mynth.MustParseAmount("0.0125")
	two := mynth.MustParseAmount("0.025")
	results := []planner.TaskResult{
		{Address: `task.product["mug"]`, ID: "tsk_1", Outcome: planner.AppliedCompleted, Status: mynth.StatusCompleted, Elapsed: 3200 * time.Millisecond,
			Images: 1, Cost: &cost, Files: []planner.FileResult{{Path: "assets/mug.png", State: planner.FileResultSaved}}},
		{Address: `task.product["bowl"]`, ID: "tsk_2", Outcome: planner.AppliedCompleted, Status: mynth.StatusCompleted, Elapsed: 12 * time.Second,
			Images: 2, Cost: &two, Files: []planner.FileResult{{Path: "assets/bowl-1.png", State: planner.FileResultSaved}, {Path: "assets/bowl-2.png", State: planner.FileResultRestored}}},
		{Address: "task.half", ID: "tsk_3", Outcome: planner.AppliedCompleted, Status: mynth.StatusCompleted, Elapsed: time.Second, Images: 1, Cost: &cost,
			Files: []planner.FileResult{{Path: "a.png", State: planner.FileResultSaved}, {Path: "b.png", State: planner.FileResultFailed,
				Message: "Not saved: image 2 failed (content filtered), so b.png stays absent."}}},
		{Address: "task.kiln", ID: "tsk_4", Outcome: planner.AppliedFailed, Status: mynth.StatusFailed, Elapsed: 8 * time.Second, Message: "The task failed."},
		{Address: "task.later", ID: "tsk_5", Outcome: planner.AppliedPending, Status: mynth.StatusPending,
			Message: "Recorded as pending (--wait=false). Run `mynthform apply` later to wait for it and save its images."},
		{Address: "task.slow", ID: "tsk_6", Outcome: planner.AppliedPending, Status: mynth.StatusPending, TimedOut: true,
			Message: "Still pending after 5m0s (--wait-timeout). It stays recorded; run `mynthform apply` again to keep waiting."},
		{Address: "task.lost", Outcome: planner.AppliedUnknownOutcome,
			Message: "The creation request was sent but no answer came back (connection reset). It was not repeated: the task may exist and cost money. Find its id in Mynth and run `mynthform import 'task.lost' ID` to record it; if it does not exist, run apply again."},
		{Address: "task.over", Outcome: planner.AppliedNotCreated, Message: "Not created: the budget guard stopped creating tasks."},
		{Address: "task.refused", Outcome: planner.AppliedError, Message: "Creating the task failed: validation_error: count must be at most 100."},
	}
	var b strings.Builder
	for _, r := range results {
		b.WriteString(FinishedLine(r))
	}
	got := b.String()
	path := filepath.Join("..", "..", "testdata", "apply", "finished_lines.golden")
	if *update {
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

func TestFinishedLine(t *testing.T) {
	cost := mynth.MustParseAmount("0.0125")
	tests := []struct {
		name string
		in   planner.TaskResult
		want string
	}{
		{"completed", planner.TaskResult{Address: "task.x", Outcome: planner.AppliedCompleted, Status: mynth.StatusCompleted, Elapsed: 3200 * time.Millisecond, Images: 1, Cost: &cost,
			Files: []planner.FileResult{{Path: "a.png", State: planner.FileResultSaved}}},
			"task.x: completed in 3.2s, 1 image, $0.0125, saved a.png\n"},
		{"failed image", planner.TaskResult{Address: "task.y", Outcome: planner.AppliedCompleted, Status: mynth.StatusCompleted, Elapsed: time.Second, Images: 0,
			Files: []planner.FileResult{{Path: "b.png", State: planner.FileResultFailed, Message: "Not saved: image 1 failed."}}},
			"task.y: completed in 1.0s, 0 images\n  b.png: Not saved: image 1 failed.\n"},
		{"not created", planner.TaskResult{Address: "task.z", Outcome: planner.AppliedNotCreated, Message: "Not created: the budget guard stopped creating tasks."},
			"task.z: not created: the budget guard stopped creating tasks\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, FinishedLine(tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTerminalProgress(t *testing.T) {
	var buf strings.Builder
	p := &TerminalProgress{W: &buf}
	p.Start(2)
	cost := mynth.MustParseAmount("0.0125")
	p.TaskCreated(planner.ProgressEvent{Task: planner.TaskResult{Address: "task.a", ID: "tsk_1"}, Total: 2})
	p.TaskFinished(planner.ProgressEvent{Task: planner.TaskResult{Address: "task.a", Outcome: planner.AppliedCompleted, Status: mynth.StatusCompleted,
		Elapsed: 1500 * time.Millisecond, Images: 1, Cost: &cost}, Done: 1, Total: 2, Spent: cost})
	p.Finish()
	out := buf.String()
	// The finished line is printed on a cleared line, the live line
	// redrawn after it, and the display cleared at the end.
	for _, want := range []string{"Applying: 0/2 tasks done, $0.00 spent", "\r\x1b[Ktask.a: completed in 1.5s, 1 image, $0.0125\n",
		"Applying: 1/2 tasks done, $0.0125 spent"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q: %q", want, out)
		}
	}
	if !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("the live line is not cleared at the end: %q", out)
	}
}

// TestProgressReportsUploads: both progress views print a line per upload
// request, naming the files, escaped; the live line is redrawn after it.
func TestProgressReportsUploads(t *testing.T) {
	var lines bytes.Buffer
	lp := &LineProgress{W: &lines}
	lp.Start(0)
	lp.InputsUploaded(planner.ProgressEvent{Total: 2}, []string{"refs/a.png", "refs/mug.png"})
	lp.InputsUploaded(planner.ProgressEvent{Total: 2}, []string{"refs/x\n::error::forged.png"})
	lp.Finish()
	want := "Uploaded 2 input files: refs/a.png, refs/mug.png\nUploaded 1 input file: refs/x\\n::error::forged.png\n"
	if diff := cmp.Diff(want, lines.String()); diff != "" {
		t.Errorf("line progress (-want +got):\n%s", diff)
	}

	var term strings.Builder
	tp := &TerminalProgress{W: &term}
	tp.Start(2)
	tp.InputsUploaded(planner.ProgressEvent{Total: 2}, []string{"refs/mug.png"})
	tp.Finish()
	if want := "\r\x1b[KUploaded 1 input file: refs/mug.png\nApplying: 0/2 tasks done"; !strings.Contains(term.String(), want) {
		t.Errorf("terminal progress lacks %q: %q", want, term.String())
	}
}

// TestLineProgressNeverSilent: without a terminal, a line comes at least
// every Every while apply runs.
func TestLineProgressNeverSilent(t *testing.T) {
	var buf safeBuffer
	p := &LineProgress{W: &buf, Every: 40 * time.Millisecond}
	p.Start(3)
	p.CreationWaits(planner.ProgressEvent{Done: 1, Total: 3, Spent: mynth.MustParseAmount("0.0125")}, "creation waits: the price of task.b is unknown until task.a finishes")
	time.Sleep(200 * time.Millisecond)
	p.Finish()
	out := buf.String()
	for _, want := range []string{
		"Waiting: creation waits: the price of task.b is unknown until task.a finishes (1/3 tasks done, $0.0125 spent)\n",
		"Still applying: 1/3 tasks done, $0.0125 spent, ",
		"; creation waits: the price of task.b",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	n := strings.Count(out, "Still applying")
	time.Sleep(100 * time.Millisecond)
	if strings.Count(buf.String(), "Still applying") != n {
		t.Error("lines go on after Finish")
	}
}

// safeBuffer is a bytes.Buffer safe for a writer and a reader at once.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestProgressLinesEscapeAPIText: the progress lines of apply quote ids,
// statuses and messages from the API; each stays one line, so that none
// can start a workflow command in a CI log.
func TestProgressLinesEscapeAPIText(t *testing.T) {
	hostile := "x\n::error file=main.mynth.hcl::forged\x1b[2J"
	results := []planner.TaskResult{
		{Address: "task.a", Outcome: planner.AppliedError, Message: hostile},
		{Address: "task.a", Outcome: planner.AppliedPending, ID: "tsk\n::stop-commands::t", Message: hostile},
		{Address: "task.a", Outcome: planner.AppliedUnknownOutcome, Message: hostile},
		{Address: "task.a", Outcome: planner.AppliedFailed, Status: mynth.Status("failed\n::error::forged"), Message: hostile},
		{Address: "task.a", Outcome: planner.AppliedNotCreated, Message: hostile},
	}
	for _, r := range results {
		line := FinishedLine(r)
		if strings.Count(line, "\n") != 1 || strings.ContainsAny(line, "\x1b\r") {
			t.Errorf("%s: %q is not one escaped line", r.Outcome, line)
		}
	}
	var buf bytes.Buffer
	(&LineProgress{W: &buf}).TaskCreated(planner.ProgressEvent{Task: planner.TaskResult{Address: "task.a", ID: "tsk_1\n::error::forged"}})
	if got := buf.String(); got != "task.a: created tsk_1\\n::error::forged\n" {
		t.Errorf("created line = %q", got)
	}
}
