package render

// This file is what `mynthform import` prints once it has recorded a task.

import (
	"io"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/internal/termtext"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

// Imported is import's report: the task recorded and under which address,
// what it resolved or replaced, what it found on disk of each declared
// file, and where it is recorded.
type Imported struct {
	// ID is the task id given to import; Address is where it is recorded.
	ID, Address string
	// Task is the task as Mynth returned it.
	Task *mynth.Task
	// Attempt is the id of the creation of unknown outcome that the
	// import resolves, "" when there was none.
	Attempt string
	// Replaced is the id of the task recorded at Address before, when the
	// import resolved an attempt and replaced that record; "" otherwise.
	Replaced string
	// Files is what planner.FindSavedFiles found, one per declared file.
	Files []planner.ImportedFile
	// State names the state: its file, or the backend.
	State string
}

// Render writes the report to w.
func (v Imported) Render(w io.Writer) error {
	out := newErrWriter(w)
	cost := "—"
	images := 0
	if v.Task.Result != nil {
		images = v.Task.Result.SucceededCount()
		if v.Task.Result.Cost != nil {
			cost = v.Task.Result.Cost.Total.Dollars()
		}
	}
	out.printf("Imported %s as %s: %s, %s, cost %s.\n", v.ID, v.Address, v.Task.Status, plural.Count(images, "image"), cost)
	if v.Attempt != "" {
		out.printf("It resolves the creation of unknown outcome recorded there (attempt %s)", v.Attempt)
		if v.Replaced != "" {
			out.printf(" and replaces the record of task %s, which goes to the ledger", v.Replaced)
		}
		out.printf(".\n")
	}
	for _, f := range v.Files {
		path := termtext.Line(f.Path)
		switch f.State {
		case planner.ImportFileRecorded:
			out.printf("  file %s: on disk with the bytes of its image; recorded as saved.\n", path)
		case planner.ImportFileAbsent:
			out.printf("  file %s: not on disk; apply saves it.\n", path)
		case planner.ImportFileDiffers:
			out.printf("  file %s: on disk with other bytes than its image; apply saves the image over it.\n", path)
		case planner.ImportFileNoImage:
			out.printf("  file %s: the task has no succeeded image for it.\n", path)
		default:
			out.printf("  file %s: not recorded: %s.\n", path, termtext.Line(f.Message))
		}
	}
	out.printf("Recorded in %s. Run `mynthform plan` to compare it with the spec.\n", v.State)
	return out.flush()
}
