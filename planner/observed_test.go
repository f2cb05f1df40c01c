package planner

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

func TestStateTaskFromObserved(t *testing.T) {
	raw := `{"id":"tsk_1","status":"completed","createdAt":"c","updatedAt":"u","type":"image.generate",
		"request":{"prompt":"a pat_of butter","model":"m","access":{"pat":{"enabled":true}},"future":{"b":2,"a":1.50}},
		"result":{"model":"m","images":[],"cost":{"images":"0.01250000","total":"0.01250000"},"access":{"publicAccessToken":"pat_secret_123"},"echo":"mak_abcdef123"}}`
	var task mynth.Task
	if err := json.Unmarshal([]byte(raw), &task); err != nil {
		t.Fatal(err)
	}
	task.Raw = json.RawMessage(raw)
	got, err := StateTaskFromObserved(&task)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"request": `{"access":{"pat":{"enabled":true}},"future":{"a":1.50,"b":2},"model":"m","prompt":"a pat_of butter"}`,
		"result":  `{"access":{},"cost":{"images":"0.01250000","total":"0.01250000"},"images":[],"model":"m"}`,
	}
	gotMap := map[string]string{"request": string(got.Request), "result": string(got.Result)}
	if diff := cmp.Diff(want, gotMap); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
	if got.ID != "tsk_1" || got.Status != mynth.StatusCompleted || got.CreatedAt != "c" || got.UpdatedAt != "u" {
		t.Errorf("recorded %+v", got)
	}
}

// A task recorded from a full read (its images carrying members the client
// does not model) and later read with only its access token plans clean.
func TestMakePlanPATReadOfFullRecord(t *testing.T) {
	remote := remoteTask("tsk_lamp", "a lamp", 1)
	raw := []byte(`{"id":"tsk_lamp","status":"completed","request":{"prompt":"a lamp","model":"m1","size":"square","count":1},` +
		`"result":{"model":"m1","cost":{"images":"0.01250000","total":"0.01250000"},"images":[{"status":"succeeded","id":"tsk_lamp_img0",` +
		`"url":"https://cdn/tsk_lamp/0.png","cost":"0.01250000","size":"1024x1024","seed":42,"mime":"image/png"}]}}`)
	full := *remote
	full.Raw = raw
	rec := recordOf(t, &full)

	api := newFakeAPI(remote)
	api.pats["tsk_lamp"] = "pat_lamp_secret1"
	st := specTask("task.lamp", "tsk_lamp", "a lamp")
	st.AccessToken = "pat_lamp_secret1"
	p, err := MakePlan(context.Background(), Options{
		Spec:  &spec.Spec{Tasks: []*spec.Task{st}},
		State: &state.File{Tasks: map[string]*state.Task{"task.lamp": rec}}, API: api, Refresh: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if tp := p.Tasks[0]; tp.Action != ActionNone || len(tp.Changes) != 0 {
		t.Fatalf("action %s, changes %+v", tp.Action, tp.Changes)
	}
}

// rawTaskAPI serves one task exactly as raw.
type rawTaskAPI struct {
	fakeAPI
	raw string
}

func (a *rawTaskAPI) Task(ctx context.Context, id string) (*mynth.Task, error) {
	var t mynth.Task
	if err := json.Unmarshal([]byte(a.raw), &t); err != nil {
		return nil, err
	}
	t.Raw = json.RawMessage(a.raw)
	return &t, nil
}

// A task whose answer echoes its access token (and an API key) plans clean
// against its record, which holds neither, and the plan never shows them.
func TestMakePlanEchoedTokensNeverChange(t *testing.T) {
	raw := `{"id":"tsk_lamp","status":"completed","request":{"prompt":"a lamp","model":"m1","size":"square","access":{"pat":{"enabled":true}}},` +
		`"access":{"publicAccessToken":"pat_secret_top1"},` +
		`"result":{"model":"m1","cost":{"images":"0.01250000","total":"0.01250000"},"access":{"publicAccessToken":"pat_secret_res1"},"echo":"mak_secret_key1",` +
		`"images":[{"status":"succeeded","id":"img0","url":"https://cdn/0.png","cost":"0.01250000","size":"1024x1024"}]}}`
	api := &rawTaskAPI{raw: raw}
	var task mynth.Task
	if err := json.Unmarshal([]byte(raw), &task); err != nil {
		t.Fatal(err)
	}
	task.Raw = json.RawMessage(raw)
	rec := recordOf(t, &task)
	p, err := MakePlan(context.Background(), Options{
		Spec:  &spec.Spec{Tasks: []*spec.Task{specTask("task.lamp", "", "a lamp")}},
		State: &state.File{Tasks: map[string]*state.Task{"task.lamp": rec}}, API: api, Refresh: true, HasAPIKey: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(p)
	if tp := p.Tasks[0]; tp.Action != ActionNone || len(tp.Changes) != 0 || strings.Contains(string(out), "secret") {
		t.Fatalf("action %s, changes %+v", tp.Action, tp.Changes)
	}

	// When the result did change, the changes name no token either.
	api.raw = strings.ReplaceAll(raw, "https://cdn/0.png", "https://cdn/rotated.png")
	p, err = MakePlan(context.Background(), Options{
		Spec:  &spec.Spec{Tasks: []*spec.Task{specTask("task.lamp", "", "a lamp")}},
		State: &state.File{Tasks: map[string]*state.Task{"task.lamp": rec}}, API: api, Refresh: true, HasAPIKey: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	out, _ = json.Marshal(p)
	if tp := p.Tasks[0]; tp.Action != ActionUpdate || len(tp.Changes) != 1 || strings.Contains(string(out), "secret") {
		t.Fatalf("action %s, changes %+v", tp.Action, tp.Changes)
	}
}
