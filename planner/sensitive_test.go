package planner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// TestSensitiveNeverInPlan plans tasks whose prompt comes from a sensitive
// variable (one unchanged, one changed) and checks that the secret is in
// neither the plan's JSON nor the saved plan, and that Resolve restores
// the observation apply records.
func TestSensitiveNeverInPlan(t *testing.T) {
	const secret = "SECRET-CANARY-prompt"
	same := remoteTask("tsk_same", "photo "+secret, 1)
	old := remoteTask("tsk_old", "photo OLD-"+secret, 1)
	mk := func(addr, id, prompt string) *spec.Task {
		s := specTask(addr, id, prompt)
		s.Sensitive = map[string]bool{"prompt": true}
		return s
	}
	sp := &spec.Spec{Tasks: []*spec.Task{mk("task.changed", "", "photo "+secret), mk("task.same", "tsk_same", "photo "+secret)}}
	st := state.New("test")
	st.Tasks["task.changed"] = recordOf(t, old)
	opts := Options{Spec: sp, State: st, API: newFakeAPI(same, old), Refresh: true, HasAPIKey: true}
	p, err := MakePlan(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if p.Tasks[0].Action != ActionReplace || len(p.Tasks[0].Changes) != 1 || !p.Tasks[0].Changes[0].Sensitive {
		t.Fatalf("changed task: %+v", p.Tasks[0])
	}
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "CANARY") {
		t.Errorf("plan JSON holds the secret: %s", raw)
	}
	saved, err := NewSavedPlan(p, st, opts, "test")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := saved.Write(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "CANARY") {
		t.Errorf("saved plan holds the secret:\n%s", data)
	}
	back, err := ReadSavedPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	// The replacement is still a creation: counted, and sent with the
	// spec's prompt.
	if est := EstimateCreations(back.Plan, st); est.Tasks != 1 || est.Images != 1 {
		t.Errorf("estimate of the saved plan: %+v", est)
	}
	a := &applier{specTasks: map[string]*spec.Task{"task.changed": sp.Tasks[0]}}
	if r := a.request(back.Plan.Tasks[0]); r == nil || r.Prompt == nil || r.Prompt.Positive != "photo "+secret || r.Model != "m1" {
		t.Errorf("apply would send %+v", r)
	}
	if back.Plan.Tasks[1].Observed != nil {
		t.Errorf("a redacted observation was restored before Resolve")
	}
	if err := back.Resolve(sp); err != nil {
		t.Fatal(err)
	}
	obs := back.Plan.Tasks[1].Observed
	if obs == nil || obs.Request == nil || obs.Request.Prompt == nil || obs.Request.Prompt.Positive != "photo "+secret {
		t.Fatalf("Resolve did not restore the prompt: %+v", obs)
	}
	rec, err := StateTaskFromObserved(obs)
	if err != nil {
		t.Fatal(err)
	}
	// Planning again against what apply records finds nothing to do.
	st.Tasks["task.same"] = rec
	p2, err := MakePlan(context.Background(), Options{Spec: &spec.Spec{Tasks: sp.Tasks[1:]}, State: st, API: newFakeAPI(same), Refresh: true, HasAPIKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if a := p2.Tasks[1].Action; p2.Tasks[1].Address != "task.same" || a != ActionNone || len(p2.Tasks[1].Changes) != 0 {
		t.Errorf("after recording: %s action %s, changes %+v", p2.Tasks[1].Address, a, p2.Tasks[1].Changes)
	}
}
