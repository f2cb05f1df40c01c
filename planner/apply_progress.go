package planner

import (
	"github.com/mynthform/mynthform/mynth"
)

// ProgressSink receives apply's progress. Apply makes one call at a time,
// so an implementation needs no locking for apply's sake (the views of
// package render lock for their own timers).
type ProgressSink interface {
	// Start announces how many tasks apply will create or wait for.
	Start(total int)
	// TaskCreated reports a task just created and recorded.
	TaskCreated(ev ProgressEvent)
	// TaskFinished reports a task apply is done with: completed, failed,
	// left pending, not created, or of unknown outcome.
	TaskFinished(ev ProgressEvent)
	// Finish ends the display.
	Finish()
}

// ProgressEvent is one step of an apply.
type ProgressEvent struct {
	// Task is the task's result so far.
	Task TaskResult
	// Done counts the finished tasks, Total those apply creates or waits
	// for; Spent is what the tasks created by this apply have cost so far.
	Done, Total int
	Spent       mynth.Amount
}

// CreationWaitSink is a ProgressSink that is also told why creation
// waits (a task of unknown price waits for another to finish and teach
// its price). Apply calls it once per waiting task.
type CreationWaitSink interface {
	CreationWaits(ev ProgressEvent, why string)
}

// UploadSink is a ProgressSink that is also told of the input files apply
// uploads. Apply calls it once per upload request that Mynth answers.
type UploadSink interface {
	// InputsUploaded reports the files of one upload request: the first
	// path of each distinct content (by sha256), in the request's order.
	InputsUploaded(ev ProgressEvent, paths []string)
}

type nopApplyProgress struct{}

func (nopApplyProgress) Start(int)                  {}
func (nopApplyProgress) TaskCreated(ProgressEvent)  {}
func (nopApplyProgress) TaskFinished(ProgressEvent) {}
func (nopApplyProgress) Finish()                    {}
