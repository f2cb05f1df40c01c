package planner

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
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
