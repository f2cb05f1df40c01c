package planner

import (
	"context"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
)

// amountPtr parses a literal amount, for budgets in tests.
func amountPtr(s string) *mynth.Amount {
	a := mynth.MustParseAmount(s)
	return &a
}

// TestMakePlanNegativeCostIsAnError: a negative amount from the API makes
// the task unreadable (an error for it, never a price): the plan fails and
// prices nothing from it.
func TestMakePlanNegativeCostIsAnError(t *testing.T) {
	rt := remoteTask("tsk_c", "x", 1)
	neg := mynth.MustParseAmount("-1.00")
	rt.Result.Cost.Total = neg
	sp := &spec.Spec{Budget: &spec.Budget{MaxTotal: amountPtr("0.05")}, Tasks: []*spec.Task{specTask("task.c", "tsk_c", "x"), specTask("task.n", "", "x")}}
	p, err := MakePlan(context.Background(), Options{Spec: sp, API: newFakeAPI(rt), Refresh: true, HasAPIKey: true})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Tasks[0]
	if c.Error == nil || !strings.Contains(*c.Error, "Mynth reported a negative total cost ($-1.00000000)") || !p.Failed() {
		t.Fatalf("task.c error %v, plan failed %v", c.Error, p.Failed())
	}
	if n := p.Tasks[1]; n.Estimate != nil {
		t.Errorf("the negative cost priced task.n at %s", n.Estimate)
	}
}
