package planner

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// recordedM1 is a completed task of model m1 whose one image cost total.
func recordedM1(id, total string) *state.Task {
	return &state.Task{ID: id, Status: mynth.StatusCompleted,
		Request: json.RawMessage(`{"model":"m1","prompt":"old"}`),
		Result: json.RawMessage(`{"cost":{"images":"` + total + `","total":"` + total + `"},"images":[{"cost":"` + total +
			`","id":"i","size":"1024x1024","status":"succeeded","url":"u"}],"model":"m1"}`),
		UpdatedAt: "2026-01-01T10:00:00Z"}
}

func (c *applyCase) tasks(n int) {
	for i := range n {
		c.task("task.t"+string(rune('a'+i)), "p "+string(rune('a'+i)), 1, ActionGenerate)
	}
}

// TestApplyBudgetRecordedPriceIsNoWorstCase is issue 9's bypass: a price
// of zero or below recorded in the state let apply create 10 tasks of
// $0.0125 against a $0.05 budget. It is no price: the first task is
// created alone and teaches the real one.
func TestApplyBudgetRecordedPriceIsNoWorstCase(t *testing.T) {
	for _, recorded := range []string{"0", "-1.00", "0.00000000"} {
		t.Run(recorded, func(t *testing.T) {
			c := newApplyCase(t)
			c.state.Tasks["task.old"] = recordedM1("tsk_old", recorded)
			c.spec.Budget = &spec.Budget{MaxTotal: amountPtr("0.05")}
			c.tasks(10)
			res := c.apply(context.Background(), c.options())
			if n := c.api.generates.Load(); n != 4 {
				t.Fatalf("%d tasks created against $0.05 at $0.0125 each, want 4 (budget message %q)", n, res.BudgetMessage)
			}
			if res.Spent.Cmp(mynth.MustParseAmount("0.05")) > 0 || len(res.NotCreated) != 6 {
				t.Errorf("spent %s, not created %v", res.Spent, res.NotCreated)
			}
		})
	}
}

// TestApplyBudgetNegativeCostIsAnError: a negative amount from the API is
// an error for that task, never a price, and never lowers what is spent.
func TestApplyBudgetNegativeCostIsAnError(t *testing.T) {
	c := newApplyCase(t)
	c.api.Price = mynth.MustParseAmount("-1.00")
	c.spec.Budget = &spec.Budget{MaxTotal: amountPtr("0.05")}
	c.tasks(10)
	res := c.apply(context.Background(), c.options())
	if n := c.api.generates.Load(); n != 1 {
		t.Fatalf("%d tasks created, want 1: a negative price taught the guard (budget message %q)", n, res.BudgetMessage)
	}
	first := res.Tasks[0]
	if first.Outcome != AppliedError || !strings.Contains(first.Message, "negative total cost ($-1.00000000)") {
		t.Errorf("first task: %s %q", first.Outcome, first.Message)
	}
	if rec := c.state.Tasks[first.Address]; rec == nil || rec.ID == "" {
		t.Errorf("the task Mynth created is not recorded: %+v", rec)
	}
	if !res.Spent.IsZero() || !res.Failed() || !strings.Contains(res.BudgetMessage, "its price is unknown") {
		t.Errorf("spent %s, failed %v, budget message %q", res.Spent, res.Failed(), res.BudgetMessage)
	}
}

// TestApplyBudgetNoWaitCreatesOneUnknown is issue 9's --wait=false
// bypass: 10 tasks of unknown price were all created against $0.02. A
// task of unknown price is created only while no other is in flight, and
// with --wait=false the first stays in flight.
func TestApplyBudgetNoWaitCreatesOneUnknown(t *testing.T) {
	c := newApplyCase(t)
	c.spec.Budget = &spec.Budget{MaxTotal: amountPtr("0.02")}
	c.tasks(10)
	opts := c.options()
	opts.Wait = false
	res := c.apply(context.Background(), opts)
	if n := c.api.generates.Load(); n != 1 {
		t.Fatalf("%d tasks created with --wait=false, want 1", n)
	}
	if !strings.Contains(res.BudgetMessage, "--wait=false") || len(res.NotCreated) != 9 {
		t.Errorf("budget message %q, not created %v", res.BudgetMessage, res.NotCreated)
	}

	// The next --wait=false apply finds that task pending, of unknown
	// price still, and creates none.
	next := newApplyCase(t)
	next.state, next.api, next.spec = c.state, c.api, c.spec
	for _, tp := range c.plan.Tasks {
		if c.state.Tasks[tp.Address] == nil {
			next.plan.Tasks = append(next.plan.Tasks, tp)
		}
	}
	opts = next.options()
	opts.Wait = false
	next.apply(context.Background(), opts)
	if n := c.api.generates.Load(); n != 1 {
		t.Fatalf("the second --wait=false apply created %d more", n-1)
	}
}

// TestApplyBudgetKnownPricesInParallel: with the price known (here from
// the spec), creation does not wait for a task to finish first.
func TestApplyBudgetKnownPricesInParallel(t *testing.T) {
	c := newApplyCase(t)
	c.api.PollsToDone = 2
	c.spec.Budget = &spec.Budget{MaxTotal: amountPtr("1"), Prices: []*spec.Price{{Model: "m1", Image: mynth.MustParseAmount("0.0125")}}}
	c.tasks(3)
	var (
		mu      sync.Mutex
		arrived int
		all     = make(chan struct{})
	)
	c.api.OnGenerate = func(mynth.Request) {
		mu.Lock()
		arrived++
		if arrived == 3 {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-time.After(5 * time.Second):
		}
	}
	start := time.Now()
	res := c.apply(context.Background(), c.options())
	if res.Failed() || res.Generated != 3 {
		t.Fatalf("result %+v", res)
	}
	select {
	case <-all:
	default:
		t.Fatal("the three creations never were in flight together")
	}
	if time.Since(start) > 4*time.Second {
		t.Errorf("creation took %s: the creations waited for each other", time.Since(start))
	}
}

// waitCapture records why creation waits.
type waitCapture struct {
	captureProgress
	whys []string
}

func (w *waitCapture) CreationWaits(ev ProgressEvent, why string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.whys = append(w.whys, why)
}

// TestApplyBudgetSaysWhyCreationWaits: a task of unknown price waits for
// the first to finish, and the progress display is told why.
func TestApplyBudgetSaysWhyCreationWaits(t *testing.T) {
	c := newApplyCase(t)
	c.api.PollsToDone = 1
	c.spec.Budget = &spec.Budget{MaxTotal: amountPtr("1")}
	c.tasks(2)
	prog := &waitCapture{}
	opts := c.options()
	opts.Progress = prog
	res := c.apply(context.Background(), opts)
	if res.Failed() || res.Generated != 2 {
		t.Fatalf("result %+v", res)
	}
	want := "creation waits: the price of task.tb is unknown until task.ta finishes"
	if len(prog.whys) != 1 || prog.whys[0] != want {
		t.Errorf("wait reasons %q, want [%q]", prog.whys, want)
	}
}

// TestApplyBudgetReplacedCostRule: max_total counts the current tasks (a
// replaced task stops counting), max_spent everything paid, as the plan
// does.
func TestApplyBudgetReplacedCostRule(t *testing.T) {
	for name, tc := range map[string]struct {
		budget  *spec.Budget
		created int64
	}{
		"max_total": {&spec.Budget{MaxTotal: amountPtr("0.05")}, 1},
		"max_spent": {&spec.Budget{MaxSpent: amountPtr("0.05")}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			c := newApplyCase(t)
			c.state.Tasks["task.r"] = recordedM1("tsk_r", "0.04")
			c.spec.Budget = tc.budget
			c.task("task.r", "new", 1, ActionReplace)
			res := c.apply(context.Background(), c.options())
			if n := c.api.generates.Load(); n != tc.created {
				t.Fatalf("created %d, want %d (budget message %q)", n, tc.created, res.BudgetMessage)
			}
		})
	}
}

// TestApplyLedger: a replaced and a forgotten task go to the state's
// ledger with their cost, and max_spent counts them on the next apply.
func TestApplyLedger(t *testing.T) {
	c := newApplyCase(t)
	c.state.Tasks["task.r"] = recordedM1("tsk_r", "0.04")
	c.state.Tasks["task.gone"] = recordedM1("tsk_gone", "0.02")
	c.task("task.r", "new", 1, ActionReplace)
	c.plan.Tasks = append(c.plan.Tasks, &TaskPlan{Address: "task.gone", ID: "tsk_gone", Action: ActionForget})
	res := c.apply(context.Background(), c.options())
	if res.Failed() {
		t.Fatalf("result %+v", res.Tasks)
	}
	h := c.state.History
	if len(h) != 2 {
		t.Fatalf("history %+v", h)
	}
	byAddr := map[string]*state.Superseded{h[0].Address: h[0], h[1].Address: h[1]}
	if r := byAddr["task.r"]; r == nil || r.ID != "tsk_r" || r.Reason != state.SupersededReplaced || r.ReplacedBy != c.state.Tasks["task.r"].ID ||
		r.Cost.String() != "0.04000000" || r.RequestSHA256 == "" || r.SupersededAt == "" {
		t.Errorf("replaced entry %+v", r)
	}
	if g := byAddr["task.gone"]; g == nil || g.Reason != state.SupersededForgotten || g.Cost.String() != "0.02000000" {
		t.Errorf("forgotten entry %+v", g)
	}
	if got := c.state.LedgerTotal().String(); got != "0.06000000" {
		t.Errorf("ledger total %s", got)
	}

	// $0.06 in the ledger + $0.0125 current = $0.0725 spent: a new task
	// of $0.0125 passes max_spent $0.08.
	next := newApplyCase(t)
	next.state, next.api = c.state, c.api
	next.spec.Budget = &spec.Budget{MaxSpent: amountPtr("0.08")}
	next.task("task.n", "n", 1, ActionGenerate)
	before := c.api.generates.Load()
	res = next.apply(context.Background(), next.options())
	if n := c.api.generates.Load() - before; n != 0 || !strings.Contains(res.BudgetMessage, "budget.max_spent $0.08") {
		t.Errorf("created %d past max_spent; budget message %q", n, res.BudgetMessage)
	}
}
