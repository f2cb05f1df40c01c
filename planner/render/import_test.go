package render

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

func TestImported(t *testing.T) {
	done := &mynth.Task{ID: "tsk_a", Status: mynth.StatusCompleted, Result: &mynth.Result{
		Images: []mynth.Image{{Status: mynth.ImageSucceeded, ID: "img_1"}, {Status: mynth.ImageFailed}},
		Cost:   &mynth.Cost{Total: *amt("0.02")},
	}}
	for _, tc := range []struct {
		name string
		v    Imported
		want string
	}{
		{
			name: "pending",
			v:    Imported{ID: "tsk_p", Address: "task.p", Task: &mynth.Task{ID: "tsk_p", Status: mynth.StatusPending}, State: "mynth.state.json"},
			want: "Imported tsk_p as task.p: pending, 0 images, cost —.\n" +
				"Recorded in mynth.state.json. Run `mynthform plan` to compare it with the spec.\n",
		},
		{
			name: "resolves an attempt and replaces a record, with files",
			v: Imported{ID: "tsk_a", Address: `task.a["x"]`, Task: done, Attempt: "att_1", Replaced: "tsk_old", State: "the PostgreSQL backend", Files: []planner.ImportedFile{
				{Path: "a.png", State: planner.ImportFileRecorded},
				{Path: "b.png", State: planner.ImportFileAbsent},
				{Path: "c.png", State: planner.ImportFileDiffers},
				{Path: "d.png", State: planner.ImportFileNoImage},
				{Path: "e\n::error::x.png", State: planner.ImportFileUnchecked, Message: "not a regular file"},
			}},
			want: "Imported tsk_a as task.a[\"x\"]: completed, 1 image, cost $0.02.\n" +
				"It resolves the creation of unknown outcome recorded there (attempt att_1) and replaces the record of task tsk_old, which goes to the ledger.\n" +
				"  file a.png: on disk with the bytes of its image; recorded as saved.\n" +
				"  file b.png: not on disk; apply saves it.\n" +
				"  file c.png: on disk with other bytes than its image; apply saves the image over it.\n" +
				"  file d.png: the task has no succeeded image for it.\n" +
				"  file e\\n::error::x.png: not recorded: not a regular file.\n" +
				"Recorded in the PostgreSQL backend. Run `mynthform plan` to compare it with the spec.\n",
		},
		{
			name: "resolves an attempt only",
			v:    Imported{ID: "tsk_a", Address: "task.a", Task: done, Attempt: "att_2", State: "s.json"},
			want: "Imported tsk_a as task.a: completed, 1 image, cost $0.02.\n" +
				"It resolves the creation of unknown outcome recorded there (attempt att_2).\n" +
				"Recorded in s.json. Run `mynthform plan` to compare it with the spec.\n",
		},
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
