package render

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStateList pins both texts of state list, the empty list included
// (JSON [] rather than null, and nothing at all for people).
func TestStateList(t *testing.T) {
	entries := []StateEntry{{Address: "task.a", ID: "tsk_1", Status: "completed"}, {Address: `task.b["k"]`, Status: "unknown_outcome"}}
	for _, tc := range []struct {
		name    string
		v       StateListView
		entries []StateEntry
		want    string
	}{
		{"human", nil, entries, "task.a\ntask.b[\"k\"]\n"},
		{"human, empty", nil, nil, ""},
		{"json", StateListJSON{}, entries, "[\n  {\n    \"address\": \"task.a\",\n    \"id\": \"tsk_1\",\n    \"status\": \"completed\"\n  },\n" +
			"  {\n    \"address\": \"task.b[\\\"k\\\"]\",\n    \"id\": \"\",\n    \"status\": \"unknown_outcome\"\n  }\n]\n"},
		{"json, empty", StateListJSON{}, nil, "[]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			var v StateListView = StateListHuman{Out: &b}
			if tc.v != nil {
				v = StateListJSON{Out: &b}
			}
			if err := v.List(tc.entries); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
