package render

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/planner"
)

// TestPlanPrinter: warnings and the interruption go to Err, the plan and
// the note of --out to Out, and with JSON Out holds the document alone.
func TestPlanPrinter(t *testing.T) {
	p := &planner.Plan{}
	for _, asJSON := range []bool{false, true} {
		var out, errs, want bytes.Buffer
		var r Renderer = &Human{}
		if asJSON {
			r = &JSON{}
		}
		if err := r.Render(&want, p); err != nil {
			t.Fatal(err)
		}
		v := &PlanPrinter{Out: &out, Err: &errs, Renderer: r, JSON: asJSON}
		v.Warn(NoAPIKey{})
		v.Interrupted()
		if err := v.Plan(p); err != nil {
			t.Fatal(err)
		}
		v.Saved("p.plan")
		if !asJSON {
			_ = PlanSaved{Path: "p.plan"}.Render(&want)
		}
		if diff := cmp.Diff(want.String(), out.String()); diff != "" {
			t.Errorf("json %v: stdout (-want +got):\n%s", asJSON, diff)
		}
		wantErr := "Warning: MYNTH_API_KEY is not set: only tasks with an access_token can be read, and nothing can be generated.\n" +
			"    Set MYNTH_API_KEY to your Mynth API key, or run with --emulator to use the local emulator.\n" +
			"mynthform: interrupted while planning; nothing was changed.\n"
		if diff := cmp.Diff(wantErr, errs.String()); diff != "" {
			t.Errorf("json %v: stderr (-want +got):\n%s", asJSON, diff)
		}
	}
}
