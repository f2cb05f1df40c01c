package render

// This file is `mynthform plan`'s view: the warnings met while planning,
// the plan, and the note of --out. cmd/mynthform decides what to say; the
// view only writes.

import (
	"io"

	"github.com/mynthform/mynthform/planner"
)

// Notice is one of the short reports of notices.go.
type Notice interface {
	Render(w io.Writer) error
}

// PlanView is what plan prints besides errors and the spec's diagnostics.
// PlanPrinter is its view; the command's tests use a fake that records
// the calls.
type PlanView interface {
	// Warn prints a warning met while planning (NoMatch, NoAPIKey).
	Warn(n Notice)
	// Interrupted says that a signal stopped planning.
	Interrupted()
	// Plan prints the plan.
	Plan(p *planner.Plan) error
	// Saved notes that the plan was saved to path (as the user named it).
	Saved(path string)
}

var _ PlanView = (*PlanPrinter)(nil)

// PlanPrinter prints the plan on Out with Renderer (Human or JSON), and
// warnings on Err. With JSON, Out holds one document: the note of --out
// is not printed.
type PlanPrinter struct {
	Out, Err io.Writer
	Renderer Renderer
	JSON     bool
}

// Warn implements PlanView.
func (v *PlanPrinter) Warn(n Notice) { _ = n.Render(v.Err) }

// Interrupted implements PlanView.
func (v *PlanPrinter) Interrupted() { _ = PlanningInterrupted{}.Render(v.Err) }

// Plan implements PlanView.
func (v *PlanPrinter) Plan(p *planner.Plan) error { return v.Renderer.Render(v.Out, p) }

// Saved implements PlanView.
func (v *PlanPrinter) Saved(path string) {
	if !v.JSON {
		_ = PlanSaved{Path: path}.Render(v.Out)
	}
}
