package render

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStateEdited(t *testing.T) {
	rm := []StateChange{
		{Address: `task.p["mug"]`, TaskID: "tsk_mug"},
		{Address: "task.a", Attempt: "att_1"},
		{Address: "task.b", TaskID: "tsk_b", Attempt: "att_2"},
		{Address: "task.p", TaskID: "tsk_p"},
	}
	for _, tc := range []struct {
		name string
		v    StateEdited
		want string
	}{
		{
			name: "rm, a state file",
			v:    StateEdited{Changes: rm, Path: "s.json", Backup: "s.json.backup", Serial: 3, Tasks: 1},
			want: "Removed task.a (the creation of unknown outcome att_1)\n" +
				"Removed task.b (task tsk_b, and the creation of unknown outcome att_2)\n" +
				"Removed task.p (task tsk_p)\n" +
				"Removed task.p[\"mug\"] (task tsk_mug)\n" +
				"Saved s.json (serial 3, 1 task); the previous state is in s.json.backup.\n",
		},
		{
			name: "mv, a backend",
			v:    StateEdited{Changes: []StateChange{{Address: "task.x", To: "task.y", TaskID: "tsk_x"}}, Backend: "PostgreSQL backend", Serial: 9, Tasks: 2},
			want: "Moved task.x to task.y (task tsk_x)\nSaved the state in PostgreSQL backend (serial 9, 2 tasks).\n",
		},
		{
			name: "dry run",
			v:    StateEdited{Changes: rm[3:], DryRun: true},
			want: "Dry run: Removed task.p (task tsk_p)\nNothing was changed (--dry-run).\n",
		},
		{name: "dry run of nothing", v: StateEdited{DryRun: true}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.v.Render(&b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
