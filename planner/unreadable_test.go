package planner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/spec"
)

// TestPlanUnreadableTask: a task whose reads keep failing (malformed
// answers until retries run out) is reported unknown with its error, and
// the other tasks are still planned.
func TestPlanUnreadableTask(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	s := seeder{t, srv}
	for _, id := range []string{"tsk_A", "tsk_B"} {
		s.add(goldenKey, task(id, mynth.StatusCompleted, req("x", "", 0), result("", s.image("img_"+id, "1024x1024", "0.0125"))), "")
	}
	sp := &spec.Spec{Tasks: []*spec.Task{
		{Address: "task.a", Name: "a", ID: "tsk_A", Request: req("x", "", 0), Expect: &spec.Expect{Status: mynth.StatusCompleted, Images: 1}},
		{Address: "task.b", Name: "b", ID: "tsk_B", Request: req("x", "", 0), Expect: &spec.Expect{Status: mynth.StatusCompleted, Images: 1}},
	}}
	// Parallelism 1: task.a is read first and takes every queued fault.
	srv.Emulator.SetFaults(mynthtest.Faults{Next: []mynthtest.FaultKind{mynthtest.FaultMalformed, mynthtest.FaultMalformed, mynthtest.FaultMalformed}})
	client := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: goldenKey, Retry: mynth.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}})
	p, err := planner.MakePlan(context.Background(), planner.Options{Spec: sp, API: planner.ClientAPI{Client: client}, Refresh: true, Parallelism: 1, HasAPIKey: true})
	if err != nil {
		t.Fatal(err)
	}
	a, b := p.Tasks[0], p.Tasks[1]
	if a.Status != planner.StatusUnknown || a.Error == nil || !strings.Contains(*a.Error, "task.a") || !strings.Contains(*a.Error, "malformed") {
		t.Errorf("task.a: status %s, error %v; want unknown with a malformed-answer error naming it", a.Status, a.Error)
	}
	if b.Status != planner.StatusCompleted || b.Error != nil || b.Action != planner.ActionAdopt {
		t.Errorf("task.b: %s %s %v; want an adopt of a completed task", b.Action, b.Status, b.Error)
	}
	if !p.Failed() {
		t.Errorf("a plan with an unreadable task does not fail")
	}
	if strings.Contains(*a.Error, goldenKey) {
		t.Errorf("the error holds the API key: %s", *a.Error)
	}
}
