package render

import (
	"bytes"
	"testing"

	"github.com/mynthform/mynthform/planner"
)

// countingWriter counts the writes made to it and keeps what they wrote.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// TestHumanPlanWrites holds the human plan to one write per 64 KB of
// output: each write is a system call to the terminal or pipe, and a
// plan of 10,000 tasks to adopt prints about 3.8 MB, which bufio's
// default buffer of 4 KB wrote in 930 writes.
func TestHumanPlanWrites(t *testing.T) {
	p := bigPlan(2000, 0)
	for _, tp := range p.Tasks {
		tp.Action, tp.Reason = planner.ActionAdopt, "pinned id not in the state yet"
	}
	p = summarize(p)
	var want bytes.Buffer
	if err := (Human{}).Render(&want, p); err != nil {
		t.Fatal(err)
	}
	var w countingWriter
	if err := (Human{}).Render(&w, p); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.Bytes(), want.Bytes()) {
		t.Fatal("the plan written in pieces differs from the plan written whole")
	}
	if max := w.Len()/planBufferSize + 1; w.writes > max {
		t.Errorf("the plan (%d bytes) was written in %d writes, want at most %d", w.Len(), w.writes, max)
	}
	t.Logf("%d bytes in %d writes", w.Len(), w.writes)
}
