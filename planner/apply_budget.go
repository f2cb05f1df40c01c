package planner

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// applyBudget is apply's budget guard. Before each creation it adds up:
//
//   - recorded: the result totals of every task in the state when apply
//     started (a replaced task's cost stays counted: it was paid), plus the
//     totals of recorded pending tasks as they finish;
//   - recorded pending: the estimate of every task pending in the state when
//     apply started (created by an earlier apply with --wait=false, or
//     interrupted), until it finishes: it will cost money whatever this
//     apply does;
//   - spent: the totals of the tasks this apply created that finished;
//   - in flight: the estimate of every task this apply created that has not
//     finished (or whose outcome is unknown, or that stays pending);
//   - this task's estimate.
//
// Creation stops, for this task and every later one, when recorded +
// recorded pending + spent + in flight reaches budget.max_total, or when
// adding this task's estimate would pass it.
//
// A task's estimate is its worst case: count × the highest per-image price
// seen for the same model (in the state or this run) + the highest fee seen
// for that model. When no price is known for the model, the estimate is
// unknown: such a task is created only when no other task of unknown price
// is in flight, and apply waits for it (learning the price) before creating
// the next one. With --wait=false prices cannot be learned, and the guard
// counts only what is known.
type applyBudget struct {
	max *mynth.Amount

	mu       sync.Mutex
	recorded mynth.Amount
	spent    mynth.Amount
	inFlight map[string]mynth.Amount
	// pending holds, by address, the estimate of each task pending in the
	// state when apply started, until it finishes.
	pending map[string]mynth.Amount
	// prices holds, by requested model ("" for auto), the highest
	// per-image price and the highest fee seen.
	prices map[string]applyModelPrice
}

type applyModelPrice struct {
	image, fee mynth.Amount
}

func newApplyBudget(max *mynth.Amount, st *state.File) *applyBudget {
	b := &applyBudget{max: max, inFlight: map[string]mynth.Amount{}, pending: map[string]mynth.Amount{}, prices: map[string]applyModelPrice{}}
	for _, t := range st.Tasks {
		res := applyParseResult(t.Result)
		if res == nil {
			continue
		}
		b.recorded = b.recorded.Add(res.Total())
		if req := applyParseRequest(t.Request); req != nil {
			b.learnLocked(req.Model, res)
		}
	}
	// Prices are known now: estimate what the pending tasks will cost.
	for addr, t := range st.Tasks {
		if t.Status != mynth.StatusPending {
			continue
		}
		if req := applyParseRequest(t.Request); req != nil {
			if est, known := b.estimateLocked(*req); known {
				b.pending[addr] = est
			}
		}
	}
	return b
}

// applyParseRequest decodes a recorded request; nil when there is none.
func applyParseRequest(raw json.RawMessage) *mynth.Request {
	var req mynth.Request
	if len(raw) == 0 || json.Unmarshal(raw, &req) != nil {
		return nil
	}
	return &req
}

// enabled reports whether the spec has a budget.
func (b *applyBudget) enabled() bool { return b.max != nil }

// estimate returns the worst-case cost of req and whether it is known.
func (b *applyBudget) estimate(req mynth.Request) (mynth.Amount, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.estimateLocked(req)
}

func (b *applyBudget) estimateLocked(req mynth.Request) (mynth.Amount, bool) {
	p, ok := b.prices[req.Model]
	if !ok {
		return mynth.Amount{}, false
	}
	n := int64(req.Count)
	if n <= 0 {
		n = 1
	}
	return p.image.Mul(n).Add(p.fee), true
}

// committedLocked is recorded + spent + in flight, and what is in flight
// (created by this apply, or pending in the state).
func (b *applyBudget) committedLocked() (mynth.Amount, mynth.Amount) {
	var flying mynth.Amount
	for _, v := range b.inFlight {
		flying = flying.Add(v)
	}
	for _, v := range b.pending {
		flying = flying.Add(v)
	}
	return b.recorded.Add(b.spent).Add(flying), flying
}

// admit decides whether the task at addr may be created; when it may, its
// estimate counts as in flight until settle (for good: a task that may
// exist and is not known to have finished stays counted). When it may not,
// the message says why.
func (b *applyBudget) admit(addr string, req mynth.Request) (string, bool) {
	if b.max == nil {
		return "", true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	committed, flying := b.committedLocked()
	est, known := b.estimateLocked(req)
	parts := fmt.Sprintf("recorded %s + spent this run %s + in flight %s", b.recorded.Dollars(), b.spent.Dollars(), flying.Dollars())
	if committed.Cmp(*b.max) >= 0 {
		return fmt.Sprintf("The budget guard stopped creating tasks at %s: %s = %s reaches budget.max_total %s.",
			addr, parts, committed.Dollars(), b.max.Dollars()), false
	}
	if known && committed.Add(est).Cmp(*b.max) > 0 {
		return fmt.Sprintf("The budget guard stopped creating tasks at %s: %s + this task's worst case %s = %s would pass budget.max_total %s.",
			addr, parts, est.Dollars(), committed.Add(est).Dollars(), b.max.Dollars()), false
	}
	b.inFlight[addr] = est
	return "", true
}

// settle replaces addr's in-flight estimate with its actual cost (nil: the
// task does not exist or cost nothing).
func (b *applyBudget) settle(addr string, cost *mynth.Amount) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.inFlight, addr)
	if cost != nil {
		b.spent = b.spent.Add(*cost)
	}
}

// recordedFinished replaces the estimate of addr, a task pending in the
// state when apply started, with its cost now that it has finished.
func (b *applyBudget) recordedFinished(addr string, cost *mynth.Amount) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pending, addr)
	if cost != nil {
		b.recorded = b.recorded.Add(*cost)
	}
}

// learn records the prices of a finished task.
func (b *applyBudget) learn(req *mynth.Request, res *mynth.Result) {
	if req == nil || res == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.learnLocked(req.Model, res)
}

func (b *applyBudget) learnLocked(model string, res *mynth.Result) {
	if res == nil || res.Cost == nil {
		return
	}
	p, seen := b.prices[model]
	any := seen
	for _, im := range res.Images {
		if im.Cost != nil {
			any = true
			if im.Cost.Cmp(p.image) > 0 {
				p.image = *im.Cost
			}
		}
	}
	if !any {
		return
	}
	fee := res.Cost.Total.Sub(res.Cost.Images)
	if res.Cost.Fee != nil {
		fee = *res.Cost.Fee
	}
	if fee.Cmp(p.fee) > 0 {
		p.fee = fee
	}
	b.prices[model] = p
}

// CreationEstimate is what applying a plan will create, for the
// confirmation prompt.
type CreationEstimate struct {
	// Tasks and Images count the tasks to generate or replace and the
	// images they ask for.
	Tasks, Images int
	// Known is the worst case of the tasks whose price is known (by the
	// guard's rule: count × the highest per-image price seen for the
	// model, plus its highest fee); Unknown counts the others.
	Known   mynth.Amount
	Unknown int
	// Recorded is the total cost of the tasks in the state.
	Recorded mynth.Amount
}

// EstimateCreations estimates what applying p against st will create,
// with the prices the budget guard would use.
func EstimateCreations(p *Plan, st *state.File) CreationEstimate {
	if st == nil {
		st = &state.File{}
	}
	b := newApplyBudget(nil, st)
	est := CreationEstimate{Recorded: b.recorded}
	for _, tp := range p.Tasks {
		if tp.Error != nil || (tp.Action != ActionGenerate && tp.Action != ActionReplace) {
			continue
		}
		est.Tasks++
		if tp.Request == nil || slices.Contains(tp.RequestRedacted, "model") || slices.Contains(tp.RequestRedacted, "count") {
			// What the task asks for is sensitive (or, in a plan saved
			// by an older version, not in the plan): at least one image,
			// of unknown price.
			est.Images += max(requestCount(tp.Request), 1)
			est.Unknown++
			continue
		}
		est.Images += max(tp.Request.Count, 1)
		if c, ok := b.estimate(*tp.Request); ok {
			est.Known = est.Known.Add(c)
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
