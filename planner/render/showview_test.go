package render

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/state"
)

// TestShowPrinter: each call prints what its view alone would, on Out.
func TestShowPrinter(t *testing.T) {
	st := state.New("test")
	st.Tasks = map[string]*state.Task{"task.a": {ID: "tsk_a", Status: "completed"}}
	m := Manifest{Path: "mynth.state.json"}
	var want, got bytes.Buffer
	if err := m.Render(&want, st); err != nil {
		t.Fatal(err)
	}
	data, err := state.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	want.Write(data)
	p := &planner.Plan{}
	_ = (&Human{}).Render(&want, p)
	_ = (&JSON{}).Render(&want, p)
	if err := (&ShowPrinter{Out: &got}).Manifest(m, st); err != nil {
		t.Fatal(err)
	}
	if err := (&ShowPrinter{Out: &got, JSON: true}).StateJSON(st); err != nil {
		t.Fatal(err)
	}
	if err := (&ShowPrinter{Out: &got}).Plan(p); err != nil {
		t.Fatal(err)
	}
	if err := (&ShowPrinter{Out: &got, JSON: true}).Plan(p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
