package planner_test

import (
	"context"
	"fmt"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// A plan made from the state alone (Refresh false): one task to generate,
// one recorded task whose prompt changed in the spec, and one recorded
// task no longer declared.
func ExampleMakePlan() {
	expect := &spec.Expect{Status: mynth.StatusCompleted, Images: 1, Severity: spec.SeverityError}
	sp := &spec.Spec{Tasks: []*spec.Task{
		{Address: "task.mug", Name: "mug", Request: mynth.Request{Prompt: &mynth.Prompt{Positive: "a mug"}}, Expect: expect},
		{Address: "task.vase", Name: "vase", Request: mynth.Request{Prompt: &mynth.Prompt{Positive: "a tall vase"}}, Expect: expect},
	}}
	st := state.New("example")
	st.Tasks["task.vase"] = &state.Task{ID: "tsk_vase", Status: mynth.StatusCompleted, Request: []byte(`{"prompt":"a vase"}`)}
	st.Tasks["task.old"] = &state.Task{ID: "tsk_old", Status: mynth.StatusCompleted}

	p, err := planner.MakePlan(context.Background(), planner.Options{Spec: sp, State: st, Refresh: false})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range p.Tasks {
		fmt.Printf("%-3s %s: %s (%s)\n", t.Action.Symbol(), t.Address, t.Action, t.Reason)
		for _, c := range t.Changes {
			fmt.Printf("      %s: %v → %v\n", c.Path, c.Before, c.After)
		}
	}
	fmt.Printf("changes: %v, failed: %v\n", p.HasChanges(), p.Failed())
	// Output:
	// +   task.mug: generate (not created yet)
	// -   task.old: forget (no longer declared in the spec)
	// -/+ task.vase: replace (the request differs from the spec)
	//       request.prompt: a vase → a tall vase
	// changes: true, failed: false
}
