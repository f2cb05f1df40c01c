package render

// This file is `mynthform show`'s view: the state as a manifest or as its
// file's JSON, or a saved plan. cmd/mynthform loads and redacts; the view
// only writes.

import (
	"io"

	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/state"
)

// ShowView is what show prints besides errors. ShowPrinter is its view;
// the command's tests use a fake that records the calls.
type ShowView interface {
	// Manifest prints the state as the manifest m.
	Manifest(m Manifest, st *state.File) error
	// StateJSON prints st as a state file holds it (st is redacted).
	StateJSON(st *state.File) error
	// Plan prints a saved plan as plan printed it.
	Plan(p *planner.Plan) error
}

var _ ShowView = (*ShowPrinter)(nil)

// ShowPrinter prints on Out; JSON is --json (for a saved plan, the
// document of plan --json), Color colors the human plan.
type ShowPrinter struct {
	Out         io.Writer
	JSON, Color bool
}

// Manifest implements ShowView.
func (v *ShowPrinter) Manifest(m Manifest, st *state.File) error { return m.Render(v.Out, st) }

// StateJSON implements ShowView.
func (v *ShowPrinter) StateJSON(st *state.File) error {
	data, err := state.Encode(st)
	if err != nil {
		return err
	}
	_, _ = v.Out.Write(data)
	return nil
}

// Plan implements ShowView.
func (v *ShowPrinter) Plan(p *planner.Plan) error {
	var r Renderer = &Human{Color: v.Color}
	if v.JSON {
		r = &JSON{}
	}
	return r.Render(v.Out, p)
}
