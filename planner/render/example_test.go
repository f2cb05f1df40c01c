package render_test

import (
	"os"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
)

// A plan is data; each view renders it to any io.Writer.
func ExampleHuman() {
	cost := mynth.MustParseAmount("0.0125")
	p := &planner.Plan{
		FormatVersion: planner.PlanFormatVersion,
		Summary:       planner.Summary{Update: 1, Cost: cost, Checks: planner.CheckCounts{Passed: 1}},
		Tasks: []*planner.TaskPlan{{
			Address: "task.hero", ID: "tsk_01HERO", Action: planner.ActionUpdate,
			Reason: "the task completed since the last apply", Status: planner.StatusCompleted,
			Cost: &cost, RequestVerifiable: true,
			Changes: []planner.Change{{Path: "result.status", Before: "pending", After: "completed"}},
			Checks:  []planner.Check{{Name: "status", Outcome: planner.OutcomePassed, Message: "completed"}},
		}},
	}
	if err := (render.Human{}).Render(os.Stdout, p); err != nil {
		panic(err)
	}
	// Output:
	// ~ task.hero  (update: the task completed since the last apply)
	//     id:      tsk_01HERO
	//     status:  completed
	//     cost:    $0.0125
	//     ~ result.status: "pending" → "completed"
	//     ✓ check status: completed
	//
	// Checks:
	//   1 passed, 0 failed, 0 pending.
	//
	// Plan: 0 to generate, 0 to replace, 1 to update, 0 to forget. Cost: $0.0125 over 1 task.
	//   ~   update:   task.hero
}
