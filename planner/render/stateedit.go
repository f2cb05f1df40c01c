package render

// This file is what `mynthform state rm` and `state mv` print: each
// change, then where the state was saved, or that nothing was.

import (
	"io"
	"sort"
	"strings"

	"github.com/mynthform/mynthform/internal/plural"
)

// StateChange is one edit of state rm or state mv.
type StateChange struct {
	// Address is the address edited.
	Address string
	// To is where state mv moved it; "" for a removal.
	To string
	// TaskID is the id of the task recorded there, "" when only a creation
	// of unknown outcome is; Attempt is that creation's id, "" when none.
	TaskID, Attempt string
}

// line is the change as one sentence, without its period.
func (c StateChange) line() string {
	if c.To != "" {
		return "Moved " + c.Address + " to " + c.To + " (task " + c.TaskID + ")"
	}
	var what []string
	if c.TaskID != "" {
		what = append(what, "task "+c.TaskID)
	}
	if c.Attempt != "" {
		what = append(what, "the creation of unknown outcome "+c.Attempt)
	}
	return "Removed " + c.Address + " (" + strings.Join(what, ", and ") + ")"
}

// StateEdited is the report of state rm and state mv.
type StateEdited struct {
	// Changes are the edits, printed sorted by address.
	Changes []StateChange
	// DryRun is --dry-run: nothing was saved.
	DryRun bool
	// Path and Backup are the state file saved and where the previous
	// one is kept; both "" for a backend, which Backend describes.
	Path, Backup, Backend string
	// Serial and Tasks are the saved state's serial and task count.
	Serial uint64
	Tasks  int
}

// Render writes the report to w.
func (v StateEdited) Render(w io.Writer) error {
	out := newErrWriter(w)
	changes := append([]StateChange(nil), v.Changes...)
	sort.Slice(changes, func(i, j int) bool { return changes[i].Address < changes[j].Address })
	if v.DryRun {
		for _, c := range changes {
			out.printf("Dry run: %s\n", c.line())
		}
		if len(changes) > 0 {
			out.printf("Nothing was changed (--dry-run).\n")
		}
		return out.flush()
	}
	for _, c := range changes {
		out.printf("%s\n", c.line())
	}
	if v.Path != "" {
		out.printf("Saved %s (serial %d, %s); the previous state is in %s.\n", v.Path, v.Serial, plural.Count(v.Tasks, "task"), v.Backup)
	} else {
		out.printf("Saved the state in %s (serial %d, %s).\n", v.Backend, v.Serial, plural.Count(v.Tasks, "task"))
	}
	return out.flush()
}
