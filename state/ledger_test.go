package state

import (
	"errors"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
)

// TestSupersede moves recorded tasks into the ledger with their cost and
// request digest, and the ledger survives a round trip.
func TestSupersede(t *testing.T) {
	f := sample()
	f.History = nil
	f.Supersede("task.hero_mug", SupersededReplaced, "tsk_NEW", "2026-02-01T00:00:00Z")
	f.Supersede(`task.product["mug"]`, SupersededForgotten, "", "2026-02-01T00:00:01Z")
	f.Supersede("task.none", SupersededForgotten, "", "2026-02-01T00:00:02Z") // nothing recorded: no entry
	if len(f.History) != 2 {
		t.Fatalf("history %+v", f.History)
	}
	h := f.History[0]
	canon, _ := Canonical(f.Tasks["task.hero_mug"].Request)
	if h.ID != "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP" || h.Cost == nil || h.Cost.String() != "0.01250000" || h.ReplacedBy != "tsk_NEW" ||
		h.CreatedAt != "2026-01-02T10:00:00Z" || len(h.RequestSHA256) != 64 || len(canon) == 0 {
		t.Errorf("replaced entry %+v", h)
	}
	if p := f.History[1]; p.Cost != nil || p.Reason != SupersededForgotten {
		t.Errorf("a pending task forgotten: %+v", p)
	}
	if got := f.LedgerTotal().String(); got != "0.01250000" {
		t.Errorf("ledger total %s", got)
	}
	back, err := Decode(mustEncode(t, f))
	if err != nil || !back.Equal(f) {
		t.Fatalf("round trip: %v", err)
	}
}

// TestLedgerRefusals: an entry the ledger cannot hold is refused on read,
// never dropped.
func TestLedgerRefusals(t *testing.T) {
	for name, tc := range map[string]struct{ entry, problem string }{
		"no id":         {`{"address":"task.a","reason":"replaced","superseded_at":"t"}`, "has no id"},
		"bad reason":    {`{"address":"task.a","id":"tsk_1","reason":"lost","superseded_at":"t"}`, `reason "lost"`},
		"no address":    {`{"id":"tsk_1","reason":"forgotten","superseded_at":"t"}`, "no address"},
		"unknown field": {`{"address":"task.a","id":"tsk_1","reason":"forgotten","superseded_at":"t","why":"x"}`, "why"},
		"bad cost":      {`{"address":"task.a","id":"tsk_1","reason":"forgotten","superseded_at":"t","cost":"1e3"}`, "not a decimal number"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(`{"history":[` + tc.entry + `],"lineage":"x","serial":1,"tasks":{},"version":2}`))
			var se *Error
			if !errors.As(err, &se) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("got %v, want a corrupt-state refusal naming %q", err, tc.problem)
			}
		})
	}
	// A version 1 file has no ledger.
	if _, err := Decode([]byte(`{"history":[],"lineage":"x","serial":1,"tasks":{},"version":1}`)); err == nil || !strings.Contains(err.Error(), `"history" is not a field of version 1`) {
		t.Errorf("version 1 with a history: %v", err)
	}
	// A negative recorded cost counts as $0.
	neg := mynth.MustParseAmount("-1")
	f := &File{History: []*Superseded{{Address: "a", ID: "t", Reason: SupersededForgotten, SupersededAt: "t", Cost: &neg}}}
	if !f.LedgerTotal().IsZero() {
		t.Error("a negative cost lowered the ledger total")
	}
}
