package planner

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// TestMakePlanBudgetCountsUntargetedTasks: the budget covers every task of
// the spec, so a plan narrowed by --target still counts what the state
// recorded for the tasks it leaves out.
func TestMakePlanBudgetCountsUntargetedTasks(t *testing.T) {
	sp := &spec.Spec{
		Budget: &spec.Budget{MaxTotal: amountPtr("0.02")},
		Tasks:  []*spec.Task{specTask("task.a", "", "a"), specTask("task.b", "", "b")},
	}
	st := &state.File{Tasks: map[string]*state.Task{
		"task.a": recordOf(t, remoteTask("tsk_a", "a", 1)),
		"task.b": recordOf(t, remoteTask("tsk_b", "b", 1)),
	}}
	for _, tc := range []struct {
		name    string
		targets []spec.Address
		want    Check
	}{
		{"whole spec", nil, Check{Name: "budget", Outcome: OutcomeFailed, Severity: "error",
			Message: "recorded $0.025 = $0.025 is over max_total $0.02"}},
		{"one target", []spec.Address{{Name: "a"}}, Check{Name: "budget", Outcome: OutcomeFailed, Severity: "error",
			Message: "recorded $0.025 = $0.025 is over max_total $0.02"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := MakePlan(context.Background(), Options{Spec: sp, State: st, Scope: spec.Scope{Targets: tc.targets}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Check{tc.want}, p.Checks); diff != "" {
				t.Errorf("budget (-want +got):\n%s", diff)
			}
		})
	}
}
