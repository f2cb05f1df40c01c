package planner

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

func TestSavedPlanRoundTrip(t *testing.T) {
	rt := remoteTask("tsk_s", "a mug", 1)
	sp := &spec.Spec{Tasks: []*spec.Task{specTask("task.s", "tsk_s", "a mug"), specTask("task.n", "", "x")}}
	st := state.New("test")
	st.Serial = 7
	opts := Options{Spec: sp, State: st, API: newFakeAPI(rt), Refresh: true, HasAPIKey: true, Scope: spec.Scope{Targets: []spec.Address{{Name: "s"}, {Name: "n"}}}, Replace: []spec.Address{{Name: "n"}}}
	p, err := MakePlan(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := NewSavedPlan(p, st, opts, "v-test")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := saved.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSavedPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(saved, got, cmpopts.IgnoreFields(mynth.Task{}, "Raw"), cmpopts.IgnoreFields(SavedPlan{}, "Observed"), cmp.Comparer(func(a, b mynth.Amount) bool { return a.Cmp(b) == 0 })); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// The addresses are the strings a user types, as before Scope.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var shape struct{ Targets, Excludes, Replace []string }
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(struct{ Targets, Excludes, Replace []string }{[]string{"task.s", "task.n"}, nil, []string{"task.n"}}, shape); diff != "" {
		t.Errorf("the addresses in the file (-want +got):\n%s", diff)
	}
	if len(got.Observed) != 1 || got.Observed["task.s"] == nil {
		t.Errorf("observed: %v", got.Observed)
	}
	if got.Plan.Tasks[1].Observed == nil || got.Plan.Tasks[1].Observed.ID != "tsk_s" || len(got.Plan.Tasks[1].Observed.Raw) == 0 {
		t.Errorf("observed task not restored: %+v", got.Plan.Tasks[1].Observed)
	}
	if err := got.CheckState(st); err != nil {
		t.Errorf("CheckState(same state) = %v", err)
	}
	moved := st.Clone()
	moved.Serial++
	if err := got.CheckState(moved); !errors.Is(err, ErrStalePlan) {
		t.Errorf("CheckState(newer serial) = %v, want ErrStalePlan", err)
	}
	other := state.New("test")
	other.Serial = 7
	if err := got.CheckState(other); !errors.Is(err, ErrStalePlan) || !strings.Contains(err.Error(), "lineage") {
		t.Errorf("CheckState(other lineage) = %v, want a lineage refusal", err)
	}
}

func TestReadSavedPlanRefuses(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]string{
		"not json":    "{",
		"new version": `{"format_version":"9","plan":{}}`,
		"no plan":     `{"format_version":"1"}`,
		"bad target":  `{"format_version":"2","targets":["task.a.b"],"plan":{}}`,
		"bad replace": `{"format_version":"2","replace":["product"],"plan":{}}`,
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadSavedPlan(path); err == nil {
				t.Errorf("ReadSavedPlan(%s) succeeded", content)
			}
		})
	}
}

// TestRestoreEchoes: a saved plan holds no image size of a task whose size
// is sensitive. RestoreEchoes reads the task again and gives apply the
// whole observation when it reads as the plan saw it; when it changed
// since, or cannot be read, the plan's observation is kept and the task
// named.
func TestRestoreEchoes(t *testing.T) {
	task := func(url string) *mynth.Task {
		var req mynth.Request
		if err := json.Unmarshal([]byte(`{"prompt":"a chair","size":"1357x911"}`), &req); err != nil {
			t.Fatal(err)
		}
		return &mynth.Task{ID: "tsk_a", Status: mynth.StatusCompleted, Request: &req,
			Result: &mynth.Result{Model: "m", Images: []mynth.Image{{Status: "succeeded", ID: "img_1", URL: url, Size: "1357x911"}}}}
	}
	for _, tc := range []struct {
		name     string
		remote   *mynth.Task // nil: the read fails
		wantKept []string
		wantSize string
	}{
		{"unchanged", task("https://x/1.png"), nil, "1357x911"},
		{"changed", task("https://x/2.png"), []string{"task.a: it changed at Mynth since the plan was made"}, ""},
		{"unreadable", nil, []string{"task.a: it cannot be read again"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			planned := task("https://x/1.png")
			raw, err := observedRaw(planned)
			if err != nil {
				t.Fatal(err)
			}
			hidden, err := redactObserved(raw, []string{"size"})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(hidden), "1357x911") {
				t.Fatalf("the saved observation holds the size: %s", hidden)
			}
			// As Resolve leaves it: the request restored, the echoes not.
			var obs mynth.Task
			if err := json.Unmarshal(hidden, &obs); err != nil {
				t.Fatal(err)
			}
			obs.Request = planned.Request
			sp := &SavedPlan{
				Plan:     &Plan{Tasks: []*TaskPlan{{Address: "task.a", Action: ActionAdopt, Observed: &obs}}},
				Observed: map[string]json.RawMessage{"task.a": hidden},
				Redacted: map[string][]string{"task.a": {"size"}},
			}
			api := newFakeAPI()
			if tc.remote != nil {
				api = newFakeAPI(tc.remote)
			}
			kept := sp.RestoreEchoes(context.Background(), api)
			if diff := cmp.Diff(tc.wantKept, kept); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			if got := sp.Plan.Tasks[0].Observed.Result.Images[0].Size; got != tc.wantSize {
				t.Errorf("the observation apply records has image size %q, want %q", got, tc.wantSize)
			}
			if api.calls.Load() != 1 {
				t.Errorf("%d reads, want 1", api.calls.Load())
			}
		})
	}
}
