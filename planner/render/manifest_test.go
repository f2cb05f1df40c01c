package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

func TestManifestEmptyState(t *testing.T) {
	var b bytes.Buffer
	if err := (Manifest{Path: "mynth.state.json"}).Render(&b, state.New("test")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("The state (mynth.state.json) records no task yet.\n", b.String()); diff != "" {
		t.Errorf("manifest of an empty state (-want +got):\n%s", diff)
	}
}

// TestManifest prints every kind of record: a completed task with a
// saved file and a failed image, a task whose prompt and model the spec
// marks sensitive, one read with its access token only, API text holding
// a workflow command, and a ledger longer than the manifest lists.
func TestManifest(t *testing.T) {
	st := state.New("test")
	st.Serial = 7
	hero := stateTask(t, "https://img.test", "tsk_hero", "a lighthouse", "img_1")
	var res mynth.Result
	if err := json.Unmarshal(hero.Result, &res); err != nil {
		t.Fatal(err)
	}
	res.Images = append(res.Images, mynth.Image{Status: mynth.ImageFailed, Error: json.RawMessage(`"content policy\n::error::forged"`)})
	res.Model = "evil\n::error file=x::forged"
	hero.Result, _ = json.Marshal(res)
	hero.CreatedAt = "2026-01-02T03:04:05Z"
	hero.Files = []state.SavedFile{{Path: "img/hero.png", ImageID: "img_1", SHA256: "ab12", Size: 1234}}
	secret := stateTask(t, "https://img.test", "tsk_secret", "the secret word", "img_2")
	var req mynth.Request
	if err := json.Unmarshal(secret.Request, &req); err != nil {
		t.Fatal(err)
	}
	req.Prompt.Negative = "blur"
	secret.Request, _ = json.Marshal(req)
	st.Tasks = map[string]*state.Task{
		`task.hero`:   hero,
		`task.secret`: secret,
		`task.pat`:    {ID: "tsk_pat", Status: mynth.StatusPending},
	}
	for i := range ManifestLedgerShown + 2 {
		e := &state.Superseded{Address: "task.hero", ID: fmt.Sprintf("tsk_old%02d", i), SupersededAt: "2026-01-01T00:00:00Z", Reason: state.SupersededForgotten}
		if i%2 == 0 {
			e.Cost, e.Reason, e.ReplacedBy = amt("0.01"), state.SupersededReplaced, "tsk_hero"
		}
		st.History = append(st.History, e)
	}
	m := Manifest{Path: "state.json", Sensitive: func(addr string) map[string]bool {
		if addr == "task.secret" {
			// What state show hides (planner.RedactStateTask), show hides.
			return map[string]bool{"prompt": true, "model": true, "size": true, "id": true}
		}
		return nil
	}}
	var b bytes.Buffer
	if err := m.Render(&b, st); err != nil {
		t.Fatal(err)
	}
	var ledger strings.Builder
	for i := 2; i < ManifestLedgerShown+2; i++ {
		cost, why := "—", "forgotten"
		if i%2 == 0 {
			cost, why = "$0.01", "replaced by tsk_hero"
		}
		fmt.Fprintf(&ledger, "  task.hero  tsk_old%02d  %s  %s 2026-01-01T00:00:00Z\n", i, cost, why)
	}
	want := `task.hero
  id:      tsk_hero
  status:  completed
  cost:    $0.0125
  model:   evil\n::error file=x::forged
  prompt:  "a lighthouse"
  created: 2026-01-02T03:04:05Z
  images:
    - img_1  1024x1024  https://img.test/images/img_1.png
      saved img/hero.png (1234 bytes, sha256 ab12)
    - failed: content policy\n::error::forged

task.pat
  id:      tsk_pat
  status:  pending
  cost:    —
  prompt:  (not recorded: the task was read with its access token)

task.secret
  id:      (sensitive)
  status:  completed
  cost:    $0.0125
  model:   (sensitive)
  prompt:  (sensitive)
  images:
    - img_2  (sensitive)  https://img.test/images/img_2.png

Replaced and forgotten (22 tasks):
  … 2 older, in the state file's "history"
` + ledger.String() + `
Current cost: $0.025 over 3 tasks (state state.json, serial 7).
Total spent: $0.135, of which $0.11 on 22 tasks replaced or forgotten (the ledger).
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
}

func TestManifestReportsWriteErrors(t *testing.T) {
	st := state.New("test")
	st.Tasks = map[string]*state.Task{"task.a": stateTask(t, "https://img.test", "tsk_a", "a", "img_a")}
	if err := (Manifest{Path: "s"}).Render(failingWriter{}, st); err == nil {
		t.Error("a failed write is not reported")
	}
}
