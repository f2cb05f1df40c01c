package planner

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mynthform/mynthform/internal/graph"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// Options are the inputs of MakePlan.
type Options struct {
	// Spec is the loaded spec; required.
	Spec *spec.Spec
	// State is the loaded state; nil is an empty state.
	State *state.File
	// API reads tasks; it may be nil when Refresh is false.
	API API
	// Refresh reads every planned task from Mynth; false plans from the
	// state alone, with no API call.
	Refresh bool
	// Parallelism bounds concurrent reads (a --parallelism); 0 takes the
	// spec's setting (spec.Spec.Parallelism resolves it).
	Parallelism int
	// Scope is the part of the spec and state the plan covers (--target,
	// --exclude); the zero Scope covers everything.
	Scope spec.Scope
	// Replace lists the addresses to regenerate even when nothing changed
	// (--replace); task.NAME also selects every task.NAME["KEY"]. A pinned
	// task cannot be replaced: it is an error diagnostic.
	Replace []spec.Address
	// HasAPIKey is false when there is no API key: tasks are then read
	// with their access_token (status and results only).
	HasAPIKey bool
	// Dir is the spec directory, against which declared files are checked.
	Dir string
	// Prefetch, when set, holds reads started while the spec loaded: a
	// task refreshed with the API key is taken from it (or read through
	// it, within its bound) instead of read again. It must read through
	// API. nil reads every task here.
	Prefetch *Prefetch
}

// MakePlan compares spec, state and remote and returns the plan. It fails
// only on a programmer error or when ctx ends; a task that cannot be read is
// reported in its TaskPlan.Error and every other task is still planned.
func MakePlan(ctx context.Context, opts Options) (*Plan, error) {
	if opts.Spec == nil {
		return nil, fmt.Errorf("planner: MakePlan needs a spec")
	}
	if opts.Refresh && opts.API == nil {
		return nil, fmt.Errorf("planner: MakePlan needs an API to refresh")
	}
	st := opts.State
	if st == nil {
		st = &state.File{}
	}
	par := opts.Spec.Parallelism(opts.Parallelism)
	dir := opts.Dir
	if dir == "" {
		dir = opts.Spec.Dir
	}

	var work []*taskWork
	declared := make(map[string]bool, len(opts.Spec.Tasks))
	for _, t := range opts.Spec.Tasks {
		declared[t.Address] = true
		if !opts.Scope.ContainsAddress(t.Address) {
			continue
		}
		work = append(work, &taskWork{spec: t, recorded: st.Tasks[t.Address], attempt: st.Attempts[t.Address]})
	}
	for addr, rt := range st.Tasks {
		if declared[addr] || !opts.Scope.ContainsAddress(addr) {
			continue
		}
		work = append(work, &taskWork{address: addr, recorded: rt, attempt: st.Attempts[addr]})
	}
	// A creation of unknown outcome at an address that is no longer
	// declared is reported too: it may have cost money.
	for addr, at := range st.Attempts {
		if declared[addr] || st.Tasks[addr] != nil || !opts.Scope.ContainsAddress(addr) {
			continue
		}
		work = append(work, &taskWork{address: addr, attempt: at})
	}
	names := newFileNames(dir, opts.Spec.Tasks)
	var diags []Diagnostic
	for _, w := range work {
		w.names = names
		w.decide()
		if spec.MatchAnyAddress(opts.Replace, w.addr()) {
			if d := w.forceReplace(dir); d != nil {
				diags = append(diags, *d)
			}
		}
	}

	// Inputs that are files or references are resolved from the state
	// before the comparison; propagateInputs says what is left unknown.
	for _, w := range work {
		if w.spec != nil && len(w.spec.Inputs) > 0 && w.spec.Request.Inputs == nil {
			w.inputs = resolveInputs(w.spec, st, dir)
			w.spec = withResolvedInputs(w.spec, w.inputs, w.recorded)
		}
	}

	// Each task is read and then planned by one of par workers, so that
	// comparing overlaps with the reads of the others.
	// With every read in a Prefetch's hands, a few workers plan them as
	// they finish (Prefetch.planWorkers).
	var api API
	workers := par
	if opts.Refresh {
		api = opts.API
		if opts.Prefetch != nil {
			api = prefetchAPI{API: api, p: opts.Prefetch}
			if opts.HasAPIKey {
				workers = opts.Prefetch.planWorkers(work, par)
			}
		}
	}
	if err := runAll(ctx, work, workers, func(w *taskWork) {
		if api != nil && w.readID != "" {
			w.refresh(ctx, api, opts.HasAPIKey)
		}
		w.tp = w.plan(dir)
	}); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(work, func(w *taskWork) bool { return w.inputs != nil }) {
		propagateInputs(work, opts.Spec.TaskGraph().Order(), st, dir)
	}

	p := &Plan{FormatVersion: PlanFormatVersion, Tasks: make([]*TaskPlan, 0, len(work)), Diagnostics: append([]Diagnostic{}, diags...)}
	for _, w := range work {
		p.Tasks = append(p.Tasks, w.tp)
	}
	// The price book prices the tasks the plan creates and the budget's
	// pending tasks: a plan that creates nothing, of a spec without a
	// budget, never opens it, and it is not made (it learns from every
	// task adopted or updated, a time parse and a few map writes each).
	var book *PriceBook
	if opts.Spec.Budget != nil || slices.ContainsFunc(p.Tasks, creates) {
		book = planPriceBook(opts.Spec.Budget, st, p.Tasks)
	}
	// Every task that creates nothing shares one $0 estimate (an Amount
	// is a value: nothing writes through the pointer).
	zero := new(mynth.Amount)
	for _, w := range work {
		w.tp.Estimate = estimateTask(book, w.tp, w.spec, zero)
	}
	sortTasks(p.Tasks, opts.Spec)
	p.Checks = budgetChecks(opts.Spec, st, p.Tasks, book, dir)
	p.Summary = summarize(p)
	return p, nil
}

// sortTasks puts tasks in graph order: every task after the tasks it
// takes inputs from, ties (and the tasks no longer declared) by address.
func sortTasks(tasks []*TaskPlan, sp *spec.Spec) {
	if !slices.ContainsFunc(sp.Tasks, func(t *spec.Task) bool { return len(t.Inputs) > 0 }) {
		// No task takes an input, so the graph has no edge: its order
		// is the addresses'.
		slices.SortStableFunc(tasks, func(a, b *TaskPlan) int { return strings.Compare(a.Address, b.Address) })
		return
	}
	g := graph.New()
	for _, tp := range tasks {
		g.Add(tp.Address)
	}
	for _, e := range sp.TaskGraph().Edges() {
		if g.Has(e.Down) && g.Has(e.Up) {
			g.Connect(e.Down, e.Up)
		}
	}
	pos := map[string]int{}
	for i, addr := range g.Order() {
		pos[addr] = i
	}
	sort.SliceStable(tasks, func(i, j int) bool {
		pi, iok := pos[tasks[i].Address]
		pj, jok := pos[tasks[j].Address]
		switch {
		case iok && jok:
			return pi < pj
		case iok != jok:
			return iok
		}
		return tasks[i].Address < tasks[j].Address
	})
}

// taskWork is one address being planned: what the spec and the state say,
// the id to read, and what the read returned.
type taskWork struct {
	spec     *spec.Task  // nil for forget
	address  string      // set for forget; else spec.Address
	recorded *state.Task // nil when the state does not hold the address
	// attempt is the write-ahead record of a creation at the address whose
	// answer was never recorded; nil when there is none.
	attempt *state.Attempt
	// overAttempt is set when --replace asks for a new creation over
	// attempt: the task is planned as a generate or replace, not as an
	// unknown outcome.
	overAttempt bool

	action Action
	reason string
	readID string // the id to refresh; "" when nothing is read

	// Filled by refresh.
	observed *mynth.Task
	viaPAT   bool
	readErr  error

	// inputs is set when the task has inputs that are files or
	// references: what the state resolves of them.
	inputs *inputPlan
	// names makes the plan's ranges (nil: RangeOf).
	names *fileNames

	tp *TaskPlan // the result
}

func (w *taskWork) addr() string {
	if w.spec != nil {
		return w.spec.Address
	}
	return w.address
}

// decide picks the structural action (before anything is read) and the id
// to read.
func (w *taskWork) decide() {
	switch {
	case w.attempt != nil:
		// Nothing is read and nothing is done: only the user can tell
		// whether the task exists (import it) or not (clear the record).
		w.action, w.reason = ActionNone, "unknown outcome: a creation request got no answer"
	case w.spec == nil:
		w.action, w.reason = ActionForget, "no longer declared in the spec"
	case w.spec.ID == "" && w.recorded == nil:
		w.action, w.reason = ActionGenerate, "not created yet"
	case w.spec.ID != "" && w.recorded == nil:
		w.action, w.reason, w.readID = ActionAdopt, "pinned id not in the state yet", w.spec.ID
	case w.spec.ID != "" && w.recorded.ID != w.spec.ID:
		w.action, w.readID = ActionAdopt, w.spec.ID
		w.reason = fmt.Sprintf("the state holds %s at this address; the spec pins %s", w.recorded.ID, w.spec.ID)
	default:
		w.action, w.readID = ActionNone, w.recorded.ID
	}
}

// replaceReason is the reason of a replacement asked for with --replace.
const replaceReason = "replacement requested with --replace"

// replaceUnknownReason is the reason of a new creation asked for with
// --replace over a creation whose outcome is unknown.
const replaceUnknownReason = "--replace over a creation of unknown outcome: a new task is paid for, the earlier one may exist too"

// forceReplace makes w a replacement, as --replace asks. A task pinned by
// id cannot be replaced (the spec names the task to keep), which is an
// error; a task apply generates or forgets anyway is left as it is, with a
// warning. Over a creation of unknown outcome it is the user's decision to
// pay again: a generate (a replace when a task is recorded there too).
func (w *taskWork) forceReplace(dir string) *Diagnostic {
	switch {
	case w.spec == nil:
		return &Diagnostic{Severity: SeverityWarning, Address: w.addr(), Summary: "Nothing to replace",
			Detail: fmt.Sprintf("--replace names %s, which is no longer declared in the spec: apply forgets it instead. Declare it again to generate a new task.", w.addr())}
	case w.spec.ID != "":
		return &Diagnostic{Severity: SeverityError, Address: w.addr(), Summary: "Cannot replace a pinned task", Range: RangeOf(w.spec.DeclRange, dir),
			Detail: fmt.Sprintf("--replace names %s, whose id is pinned to %s in the spec: pinned tasks are never replaced. Remove the id to let mynthform generate a new task, or leave %s out of --replace.", w.addr(), w.spec.ID, w.addr())}
	case w.attempt != nil:
		// The user pays again knowingly: the new creation's write-ahead
		// record takes the place of the old one.
		w.action, w.reason, w.overAttempt = ActionGenerate, replaceUnknownReason, true
		if w.recorded != nil {
			w.action, w.readID = ActionReplace, w.recorded.ID
		}
		return nil
	case w.action == ActionGenerate:
		return &Diagnostic{Severity: SeverityWarning, Address: w.addr(), Summary: "Nothing to replace",
			Detail: fmt.Sprintf("--replace names %s, which is not created yet: apply generates it anyway.", w.addr())}
	}
	w.action, w.reason = ActionReplace, replaceReason
	return nil
}

// runAll runs do for every item of work, at most par at a time. It
// returns ctx's error when ctx ends first. The workers take the next item
// from a shared counter, with no channel hand-off (and goroutine switch)
// per item.
func runAll(ctx context.Context, work []*taskWork, par int, do func(*taskWork)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(par, len(work))) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(work) {
					return
				}
				do(work[i])
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// refresh reads the task w.readID: in full with the API key, else with the
// spec's access token (status and images, merged with the record).
func (w *taskWork) refresh(ctx context.Context, api API, hasKey bool) {
	id := w.readID
	if hasKey {
		t, err := api.Task(ctx, id)
		if err != nil {
			w.readErr = err
			return
		}
		if t == nil || t.ID == "" {
			w.readErr = fmt.Errorf("task %s: the API returned no task", id)
			return
		}
		if err := CheckCost(t.Result); err != nil {
			w.readErr = fmt.Errorf("task %s: Mynth reported %w, an amount it cannot have meant: it is taken neither as a price nor as a cost", id, err)
			return
		}
		w.observed = t
		return
	}
	pat := w.spec.AccessToken
	if pat == "" {
		w.readErr = fmt.Errorf("MYNTH_API_KEY is not set and %s has no access_token", w.addr())
		return
	}
	w.viaPAT = true
	status, err := api.Status(ctx, id, pat)
	if err != nil {
		w.readErr = err
		return
	}
	var images []mynth.Image
	if status.Done() {
		res, err := api.Results(ctx, id, pat)
		if err != nil {
			w.readErr = err
			return
		}
		if res != nil {
			images = res.Images
		}
	}
	obs, err := mergePATRead(id, status, images, w.recordedFor(id))
	if err == nil {
		if cerr := CheckCost(obs.Result); cerr != nil {
			err = fmt.Errorf("the results hold %w, an amount Mynth cannot have meant: it is taken neither as a price nor as a cost", cerr)
		}
	}
	if err != nil {
		w.readErr = fmt.Errorf("task %s: %w", id, err)
		return
	}
	w.observed = obs
}

// recordedFor returns the state's task when it holds id, else nil.
func (w *taskWork) recordedFor(id string) *state.Task {
	if w.recorded != nil && w.recorded.ID == id {
		return w.recorded
	}
	return nil
}
