package planner

import (
	"fmt"
	"strings"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// The budget rule, which the plan's budget checks and apply's budget guard
// both follow (see applyBudget):
//
//   - current: the result totals of the recorded tasks that stay (a task
//     replaced or forgotten stops counting), plus the worst case (the
//     estimate) of every recorded task still pending and of every creation
//     of unknown outcome (a write-ahead record the state keeps);
//   - spent: everything paid, replaced and forgotten tasks included (the
//     state's ledger), plus the same worst cases;
//   - each task to create adds its estimate (PriceBook.Estimate) to both.
//
// current + estimates over budget.max_total, or spent + estimates over
// budget.max_spent, fails the plan and stops apply before the task that
// would pass it. A task to create of unknown price is counted apart: the
// plan names it (a warning, an error with unpriced = "error"), and apply
// creates it only while no other task of unknown price is in flight.

// estimateTask is the estimate of tp (see TaskPlan.Estimate); st is its
// spec task, nil for forget; zero is the $0 estimate the plan's tasks that
// create nothing share. book is read only for a task that creates (it may
// be nil when none does).
func estimateTask(book *PriceBook, tp *TaskPlan, st *spec.Task, zero *mynth.Amount) *mynth.Amount {
	if tp.Error != nil {
		return nil
	}
	if !creates(tp) {
		return zero
	}
	if st == nil || st.Sensitive["model"] || st.Sensitive["count"] {
		return nil
	}
	est, ok := book.Estimate(st.Request)
	if !ok {
		return nil
	}
	return &est
}

// creates reports whether tp creates a task when applied.
func creates(tp *TaskPlan) bool {
	return tp.Error == nil && (tp.Action == ActionGenerate || tp.Action == ActionReplace)
}

// summarizeEstimate totals the estimates of the tasks the plan creates.
func summarizeEstimate(tasks []*TaskPlan) Estimate {
	var e Estimate
	var total amountSum
	for _, t := range tasks {
		if !creates(t) {
			continue
		}
		if t.Estimate == nil {
			e.Unpriced++
			continue
		}
		e.Priced++
		total.add(*t.Estimate)
	}
	e.Total = total.sum()
	return e
}

// budgetBase is what the budget counts before apply creates anything.
type budgetBase struct {
	// current and spent are the rule's sums, pending tasks left out.
	current, spent mynth.Amount
	// pending holds the worst case of each recorded pending task by
	// address; pendingUnpriced lists those of unknown price.
	pending         map[string]mynth.Amount
	pendingUnpriced []string
}

func (b *budgetBase) pendingTotal() mynth.Amount {
	var sum mynth.Amount
	for _, v := range b.pending {
		sum = sum.Add(v)
	}
	return sum
}

// recordedCost is what a recorded task counts for: its result total,
// never below $0 (a negative amount is an error, never a credit).
func recordedCost(t *state.Task) mynth.Amount {
	if t == nil {
		return mynth.Amount{}
	}
	c := applyResultCost(t.Result)
	if c == nil || c.IsNegative() {
		return mynth.Amount{}
	}
	return *c
}

// addPending counts a pending task at its worst case.
func (b *budgetBase) addPending(book *PriceBook, addr string, req *mynth.Request) {
	if req != nil {
		if est, ok := book.Estimate(*req); ok {
			b.pending[addr] = est
			return
		}
	}
	b.pendingUnpriced = append(b.pendingUnpriced, addr)
}

// addAttempts counts every write-ahead creation record of st (a creation
// whose outcome is unknown: the task may exist and may have been charged)
// at its worst case, as a pending task that will not finish: the key is
// attemptKey(addr).
func (b *budgetBase) addAttempts(book *PriceBook, st *state.File) {
	for _, addr := range st.AttemptAddresses() {
		b.addPending(book, attemptKey(addr), applyParseRequest(st.Attempts[addr].Request))
	}
}

// attemptKey names the creation of unknown outcome at addr in the budget's
// sums and messages.
func attemptKey(addr string) string { return addr + " (creation of unknown outcome)" }

// planBudgetBase computes the base of a plan: tasks is the plan, st the
// state it was made against.
func planBudgetBase(st *state.File, tasks []*TaskPlan, book *PriceBook) *budgetBase {
	b := &budgetBase{pending: map[string]mynth.Amount{}, spent: st.LedgerTotal()}
	b.addAttempts(book, st)
	planned := make(map[string]*TaskPlan, len(tasks))
	for _, t := range tasks {
		planned[t.Address] = t
	}
	// Recorded tasks the plan leaves out (--target, --exclude) count as
	// recorded.
	for _, addr := range st.Addresses() {
		if planned[addr] != nil {
			continue
		}
		rec := st.Tasks[addr]
		if rec.Status == mynth.StatusPending && len(rec.Result) == 0 {
			b.addPending(book, addr, applyParseRequest(rec.Request))
			continue
		}
		c := recordedCost(rec)
		b.current, b.spent = b.current.Add(c), b.spent.Add(c)
	}
	for _, t := range tasks {
		rec := st.Tasks[t.Address]
		if rec == nil && t.Action != ActionAdopt {
			continue // nothing recorded or paid yet
		}
		var c mynth.Amount
		switch {
		case t.Cost != nil && !t.Cost.IsNegative():
			c = *t.Cost
		case t.Cost == nil && rec != nil:
			c = recordedCost(rec)
		}
		pending := t.Status == StatusPending && t.Cost == nil
		switch t.Action {
		case ActionForget, ActionReplace:
			// Paid, and no longer a current asset once applied.
			if !pending {
				b.spent = b.spent.Add(c)
			} else if rec != nil {
				b.addPending(book, t.Address, applyParseRequest(rec.Request))
			}
		default:
			if pending {
				var req *mynth.Request
				if rec != nil {
					req = applyParseRequest(rec.Request)
				}
				if req == nil && t.Observed != nil {
					req = t.Observed.Request
				}
				b.addPending(book, t.Address, req)
				continue
			}
			b.current, b.spent = b.current.Add(c), b.spent.Add(c)
		}
	}
	return b
}

// budgetTaskList names at most budgetNameLimit addresses.
func budgetTaskList(addrs []string) string {
	if len(addrs) <= budgetNameLimit {
		return strings.Join(addrs, ", ")
	}
	return strings.Join(addrs[:budgetNameLimit], ", ") + fmt.Sprintf(" and %d more", len(addrs)-budgetNameLimit)
}

// budgetNameLimit bounds the addresses a budget message names.
const budgetNameLimit = 10

// budgetChecks checks the budget block against the budget rule.
func budgetChecks(s *spec.Spec, st *state.File, tasks []*TaskPlan, book *PriceBook, dir string) []Check {
	if s.Budget == nil {
		return nil
	}
	base := planBudgetBase(st, tasks, book)
	est := summarizeEstimate(tasks)
	var priced, unpriced []string
	for _, t := range tasks {
		if !creates(t) {
			continue
		}
		if t.Estimate == nil {
			unpriced = append(unpriced, t.Address)
		} else {
			priced = append(priced, t.Address)
		}
	}
	pending := base.pendingTotal()
	var checks []Check
	at := func(attr string) *Range {
		if r, ok := s.Budget.Ranges[attr]; ok {
			return RangeOf(r, dir)
		}
		return RangeOf(s.Budget.DeclRange, dir)
	}
	limit := func(name CheckName, setting, what string, recorded mynth.Amount, max mynth.Amount) {
		c := Check{Name: name, Severity: SeverityError, Range: at(setting)}
		total := recorded.Add(pending).Add(est.Total)
		sum := fmt.Sprintf("%s %s", what, recorded.Dollars())
		if len(base.pending) > 0 {
			sum += fmt.Sprintf(" + pending %s", pending.Dollars())
		}
		if len(priced) > 0 {
			sum += fmt.Sprintf(" + estimate %s (%s)", est.Total.Dollars(), budgetTaskList(priced))
		}
		switch {
		case total.Cmp(max) > 0:
			c.Outcome = OutcomeFailed
			c.Message = fmt.Sprintf("%s = %s is over %s %s", sum, total.Dollars(), setting, max.Dollars())
			if len(priced) > 0 {
				c.Message += "; apply would stop before passing it"
			}
		case len(unpriced) > 0 && total.Cmp(max) >= 0:
			c.Outcome = OutcomeFailed
			c.Message = fmt.Sprintf("%s = %s reaches %s %s: nothing is left for %s, of unknown price", sum, total.Dollars(), setting, max.Dollars(), budgetTaskList(unpriced))
		default:
			c.Outcome = OutcomePassed
			c.Message = fmt.Sprintf("%s = %s is within %s %s", sum, total.Dollars(), setting, max.Dollars())
		}
		checks = append(checks, c)
	}
	if s.Budget.MaxTotal != nil {
		limit(CheckBudget, "max_total", "recorded", base.current, *s.Budget.MaxTotal)
	}
	if s.Budget.MaxSpent != nil {
		limit(CheckBudgetSpent, "max_spent", "spent", base.spent, *s.Budget.MaxSpent)
	}
	if len(unpriced) > 0 || len(base.pendingUnpriced) > 0 {
		sev := SeverityWarning
		if s.Budget.Unpriced == spec.UnpricedError {
			sev = SeverityError
		}
		c := Check{Name: CheckBudgetUnpriced, Outcome: OutcomeFailed, Severity: sev, Range: at("unpriced")}
		var parts []string
		if len(unpriced) > 0 {
			parts = append(parts, fmt.Sprintf("%s to create %s no known price (%s)", plural.Count(len(unpriced), "task"), hasHave(len(unpriced)), budgetTaskList(unpriced)))
		}
		if len(base.pendingUnpriced) > 0 {
			parts = append(parts, fmt.Sprintf("%s pending %s no known price (%s)", plural.Count(len(base.pendingUnpriced), "task"), hasHave(len(base.pendingUnpriced)), budgetTaskList(base.pendingUnpriced)))
		}
		them := "them"
		if len(unpriced)+len(base.pendingUnpriced) == 1 {
			them = "it"
		}
		c.Message = strings.Join(parts, "; ") + ": the estimate leaves " + them + " out, and apply creates a task of unknown price only while no other is in flight. Add a price block to the budget, or apply one task first to learn the price"
		checks = append(checks, c)
	}
	return checks
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// BudgetRefusal returns the failed budget checks (of severity error) that
// keep apply from creating anything: the estimate of what the plan
// creates passes a limit, or tasks of unknown price are refused by
// unpriced = "error". It is nil when the plan creates nothing, since
// recording and forgetting spend no money.
func (p *Plan) BudgetRefusal() []Check {
	if p.Summary.Estimate.Priced+p.Summary.Estimate.Unpriced == 0 {
		return nil
	}
	var out []Check
	for _, c := range p.Checks {
		switch c.Name {
		case CheckBudget, CheckBudgetSpent, CheckBudgetUnpriced:
			if c.Fails() {
				out = append(out, c)
			}
		}
	}
	return out
}
