package planner

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// applyBudget is apply's budget guard. It follows the budget rule of the
// plan (see budget.go) with the same PriceBook, so that a plan whose
// budget checks pass is applied in full when the prices hold. Before each
// creation, in plan order, it adds up:
//
//   - the base: the current cost (for max_total) or everything spent (for
//     max_spent) of the state when apply started, as the plan counts it,
//     with the worst case of each recorded pending task until it finishes;
//   - spent: the totals of the tasks this apply created that finished;
//   - in flight: the estimate of every task this apply created that has not
//     finished (or whose outcome is unknown, or that stays pending);
//   - this task's estimate.
//
// Creation stops, for this task and every later one, when the sum before
// this task reaches a limit, or when adding its estimate would pass it.
//
// A task of unknown price (no price in the book, or a sensitive model or
// count) is created only while no other task of unknown price is in
// flight: apply waits for that one to finish and teach its price. When
// the one in flight will not finish in this run (--wait=false, a timeout,
// an unknown outcome), creation stops instead of guessing.
type applyBudget struct {
	maxTotal, maxSpent *mynth.Amount
	now                func() time.Time

	mu   sync.Mutex
	book *PriceBook
	base *budgetBase
	// spent is what this apply's finished creations cost.
	spent mynth.Amount
	// inFlight holds the estimate of each task this apply created that
	// has not finished, by address.
	inFlight map[string]mynth.Amount
	// unknown holds the tasks of unknown price in flight (created by this
	// apply, or pending in the state); true when the task will not finish
	// in this run.
	unknown map[string]bool
	// created names the tasks admitted by this apply that have not
	// finished.
	created map[string]bool
	// changed is closed (and replaced) whenever a task settles or a price
	// is learnt, waking the creations that wait.
	changed chan struct{}
}

// newApplyBudget returns the guard for a spec's budget block (nil: no
// budget) with the plan's price book, and the state once apply has
// recorded the plan's observations.
// replaced names the addresses apply will replace, waited those it waits
// for (the pending tasks of the state).
func newApplyBudget(b *spec.Budget, book *PriceBook, st *state.File, replaced, waited map[string]bool, now func() time.Time) *applyBudget {
	g := &applyBudget{
		now:      now,
		book:     book,
		inFlight: map[string]mynth.Amount{},
		unknown:  map[string]bool{},
		created:  map[string]bool{},
		changed:  make(chan struct{}),
	}
	if b != nil {
		g.maxTotal, g.maxSpent = b.MaxTotal, b.MaxSpent
	}
	base := &budgetBase{pending: map[string]mynth.Amount{}, spent: st.LedgerTotal()}
	// Creations of unknown outcome never finish in this run.
	base.addAttempts(book, st)
	for _, addr := range st.Addresses() {
		rec := st.Tasks[addr]
		if rec.Status == mynth.StatusPending && len(rec.Result) == 0 {
			base.addPending(g.book, addr, applyParseRequest(rec.Request))
			continue
		}
		c := recordedCost(rec)
		base.spent = base.spent.Add(c)
		if !replaced[addr] {
			base.current = base.current.Add(c)
		}
	}
	for _, addr := range base.pendingUnpriced {
		g.unknown[addr] = !waited[addr]
	}
	g.base = base
	return g
}

// enabled reports whether the spec sets a budget limit.
func (g *applyBudget) enabled() bool { return g.maxTotal != nil || g.maxSpent != nil }

// notifyLocked wakes the creations that wait.
func (g *applyBudget) notifyLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// committedLocked returns what counts against max_total and max_spent
// before a new creation, and what is in flight.
func (g *applyBudget) committedLocked() (total, spent, flying mynth.Amount) {
	for _, v := range g.inFlight {
		flying = flying.Add(v)
	}
	flying = flying.Add(g.base.pendingTotal())
	total = g.base.current.Add(g.spent).Add(flying)
	spent = g.base.spent.Add(g.spent).Add(flying)
	return total, spent, flying
}

// admit decides whether the task at addr may be created; req is nil when
// its price may not be looked up (its model or count is sensitive). It
// blocks while the task must wait for another of unknown price to finish,
// calling waiting once with the reason. When the task may be created its
// estimate counts as in flight until settle; when it may not, the message
// says why (stop is "budget" or "interrupted").
func (g *applyBudget) admit(ctx context.Context, addr string, req *mynth.Request, canWait bool, waiting func(why string)) (msg, stop string) {
	if !g.enabled() {
		return "", ""
	}
	told := false
	for {
		g.mu.Lock()
		var est mynth.Amount
		known := false
		if req != nil {
			est, known = g.book.Estimate(*req)
		}
		if msg := g.overLocked(addr, est, known); msg != "" {
			g.mu.Unlock()
			return msg, "budget"
		}
		if known {
			g.inFlight[addr] = est
			g.created[addr] = true
			g.mu.Unlock()
			return "", ""
		}
		others, final := g.unknownOthersLocked(addr)
		if len(others) == 0 {
			g.unknown[addr] = false
			g.created[addr] = true
			g.mu.Unlock()
			return "", ""
		}
		if final != "" || !canWait {
			if final == "" {
				final = others[0]
			}
			g.mu.Unlock()
			why := "it stays pending (--wait=false)"
			if canWait {
				why = "it will not finish in this run"
			}
			return fmt.Sprintf("The budget guard stopped creating tasks at %s: its price is unknown, and %s, of unknown price too, is still in flight and %s, so its price cannot be learnt first. Add a price block for the model to the budget, or run apply again once %s has finished.",
				addr, final, why, final), "budget"
		}
		ch := g.changed
		g.mu.Unlock()
		if !told && waiting != nil {
			waiting(fmt.Sprintf("creation waits: the price of %s is unknown until %s finishes", addr, others[0]))
			told = true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "", "interrupted"
		}
	}
}

// overLocked says why creating addr (of estimate est when known) would
// pass a limit, "" when it would not.
func (g *applyBudget) overLocked(addr string, est mynth.Amount, known bool) string {
	total, spent, flying := g.committedLocked()
	check := func(setting string, committed, base mynth.Amount, max *mynth.Amount) string {
		if max == nil {
			return ""
		}
		parts := fmt.Sprintf("recorded %s + spent this run %s + in flight %s", base.Dollars(), g.spent.Dollars(), flying.Dollars())
		if committed.Cmp(*max) >= 0 {
			return fmt.Sprintf("The budget guard stopped creating tasks at %s: %s = %s reaches budget.%s %s.",
				addr, parts, committed.Dollars(), setting, max.Dollars())
		}
		if known && committed.Add(est).Cmp(*max) > 0 {
			return fmt.Sprintf("The budget guard stopped creating tasks at %s: %s + this task's estimate %s = %s would pass budget.%s %s.",
				addr, parts, est.Dollars(), committed.Add(est).Dollars(), setting, max.Dollars())
		}
		return ""
	}
	if m := check("max_total", total, g.base.current, g.maxTotal); m != "" {
		return m
	}
	return check("max_spent", spent, g.base.spent, g.maxSpent)
}

// unknownOthersLocked lists the tasks of unknown price in flight other
// than addr, sorted, and names one that will not finish in this run.
func (g *applyBudget) unknownOthersLocked(addr string) (others []string, final string) {
	for a, fin := range g.unknown {
		if a == addr {
			continue
		}
		others = append(others, a)
		if fin && (final == "" || a < final) {
			final = a
		}
	}
	sort.Strings(others)
	return others, final
}

// settle ends the wait for addr: cost is what it cost when it finished
// (nil when it does not exist or cost nothing). finished false means it
// may still cost money and will not finish in this run: its estimate
// stays in flight for good, and a task of unknown price keeps later ones
// of unknown price from being created.
func (g *applyBudget) settle(addr string, cost *mynth.Amount, finished bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	defer g.notifyLocked()
	if !finished {
		if _, ok := g.unknown[addr]; ok {
			g.unknown[addr] = true
		}
		return
	}
	delete(g.unknown, addr)
	var c mynth.Amount
	if cost != nil && !cost.IsNegative() {
		c = *cost
	}
	if g.created[addr] {
		delete(g.created, addr)
		delete(g.inFlight, addr)
		g.spent = g.spent.Add(c)
		return
	}
	delete(g.base.pending, addr)
	if i := slices.Index(g.base.pendingUnpriced, addr); i >= 0 {
		g.base.pendingUnpriced = slices.Delete(g.base.pendingUnpriced, i, i+1)
	}
	g.base.current = g.base.current.Add(c)
	g.base.spent = g.base.spent.Add(c)
}

// learn records the price of a finished task.
func (g *applyBudget) learn(req *mynth.Request, res *mynth.Result) {
	if req == nil || res == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.book.Learn(req, res, g.now())
	g.notifyLocked()
}

// CreationEstimate is what applying a plan will create, for the
// confirmation prompt.
type CreationEstimate struct {
	// Tasks and Images count the tasks to generate or replace and the
	// images they ask for.
	Tasks, Images int
	// Known is the estimate of the tasks whose price is known (the plan's
	// summary.estimate.total); Unknown counts the others.
	Known   mynth.Amount
	Unknown int
	// Recorded is the total cost of the tasks in the state.
	Recorded mynth.Amount
}

// EstimateCreations estimates what applying p against st will create,
// from the plan's estimates (the price book the budget guard uses).
func EstimateCreations(p *Plan, st *state.File) CreationEstimate {
	var est CreationEstimate
	if st != nil {
		for _, t := range st.Tasks {
			est.Recorded = est.Recorded.Add(recordedCost(t))
		}
	}
	for _, tp := range p.Tasks {
		if !creates(tp) {
			continue
		}
		est.Tasks++
		if tp.Request == nil || slices.Contains(tp.RequestRedacted, "count") {
			// What the task asks for is sensitive (or, in a plan saved
			// by an older version, not in the plan): at least one image.
			est.Images += max(requestCount(tp.Request), 1)
		} else {
			est.Images += max(tp.Request.Count, 1)
		}
		if tp.Estimate != nil {
			est.Known = est.Known.Add(*tp.Estimate)
		} else {
			est.Unknown++
		}
	}
	return est
}

// requestCount is the count of r, 0 when r is nil.
func requestCount(r *mynth.Request) int {
	if r == nil {
		return 0
	}
	return r.Count
}
