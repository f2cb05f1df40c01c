package planner

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
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

// TestBudgetCountsCreationsOfUnknownOutcome: a write-ahead record left in
// the state (the task may exist and may have been charged) counts at its
// worst case in the plan, and one of unknown price keeps apply from
// creating another task of unknown price.
func TestBudgetCountsCreationsOfUnknownOutcome(t *testing.T) {
	st := &state.File{Lineage: "lin", Tasks: map[string]*state.Task{"task.old": recordedM1("tsk_old", "0.0125")},
		Attempts: map[string]*state.Attempt{"task.x": {ID: state.NewAttemptID(), Request: json.RawMessage(`{"count":2,"model":"m1","prompt":"x"}`), StartedAt: "2026-01-01T10:00:00Z"}}}
	old := specTask("task.old", "tsk_old", "old")
	old.Request.Size = nil
	sp := &spec.Spec{Budget: &spec.Budget{MaxTotal: amountPtr("0.045")}, Tasks: []*spec.Task{old, specTask("task.n", "", "n"), specTask("task.x", "", "x")}}
	p, err := MakePlan(context.Background(), Options{Spec: sp, State: st})
	if err != nil {
		t.Fatal(err)
	}
	want := "recorded $0.0125 + pending $0.025 + estimate $0.0125 (task.n) = $0.05 is over max_total $0.045; apply would stop before passing it"
	if len(p.Checks) == 0 || p.Checks[0].Message != want {
		t.Fatalf("budget checks %+v, want %q", p.Checks, want)
	}

	// In apply, with the price of its model unknown, no other task of
	// unknown price is created while that record stays.
	c := newApplyCase(t)
	c.state.Attempts = map[string]*state.Attempt{"task.x": {ID: state.NewAttemptID(), Request: json.RawMessage(`{"model":"m1","prompt":"x"}`), StartedAt: "2026-01-01T10:00:00Z"}}
	c.spec.Budget = &spec.Budget{MaxTotal: amountPtr("1")}
	c.tasks(2)
	res := c.apply(context.Background(), c.options())
	if n := c.api.generates.Load(); n != 0 || !strings.Contains(res.BudgetMessage, "task.x (creation of unknown outcome), of unknown price too") {
		t.Errorf("created %d beside a creation of unknown outcome; budget message %q", n, res.BudgetMessage)
	}
}

// TestMakePlanPricesWithoutABudget: with no budget block the plan still
// prices a task it creates from what a task it adopts cost (the price
// book is made only when a task creates), and a plan that creates
// nothing gives every task the $0 estimate and no budget check.
func TestMakePlanPricesWithoutABudget(t *testing.T) {
	api := newFakeAPI(remoteTask("tsk_a", "adopted", 1))
	sp := &spec.Spec{Tasks: []*spec.Task{specTask("task.a", "tsk_a", "adopted"), specTask("task.n", "", "new")}}
	p, err := MakePlan(context.Background(), Options{Spec: sp, API: api, Refresh: true, HasAPIKey: true})
	if err != nil {
		t.Fatal(err)
	}
	a, n := p.Tasks[0], p.Tasks[1]
	if a.Action != ActionAdopt || n.Action != ActionGenerate {
		t.Fatalf("actions %s, %s; want adopt, generate", a.Action, n.Action)
	}
	if n.Estimate == nil || n.Estimate.String() != "0.01250000" {
		t.Errorf("task.n's estimate = %v, want the adopted task's $0.0125", n.Estimate)
	}
	if a.Estimate == nil || !a.Estimate.IsZero() {
		t.Errorf("task.a's estimate = %v, want $0", a.Estimate)
	}
	if got := p.Summary.Estimate; got.Priced != 1 || got.Unpriced != 0 || got.Total.String() != "0.01250000" {
		t.Errorf("estimate summary %+v", got)
	}

	sp = &spec.Spec{Tasks: []*spec.Task{specTask("task.a", "tsk_a", "adopted")}}
	p, err = MakePlan(context.Background(), Options{Spec: sp, API: api, Refresh: true, HasAPIKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if e := p.Tasks[0].Estimate; e == nil || !e.IsZero() || len(p.Checks) != 0 || p.Summary.Estimate != (Estimate{}) {
		t.Errorf("a plan that creates nothing: estimate %v, checks %v, summary %+v", e, p.Checks, p.Summary.Estimate)
	}
}
