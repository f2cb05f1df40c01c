package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

const applyUsage = "apply [PLANFILE] [--auto-approve] [--wait=false] [--wait-timeout D] [--lock-timeout D] [--replace ADDR]... [plan flags]"

// applyArgs are apply's flags.
type applyArgs struct {
	plan        planArgs
	autoApprove bool
	wait        bool
	waitTimeout time.Duration
	lockTimeout time.Duration
	planFile    string
}

// emulatorPoll is how apply polls the in-process emulator: fast, since its
// tasks settle in about a second and it costs nothing.
func emulatorPoll() mynth.PollSchedule {
	return mynth.PollSchedule{Fast: 100 * time.Millisecond, FastFor: time.Minute, Slow: 250 * time.Millisecond}
}

func runApply(g *globals, args []string) int {
	var a applyArgs
	fs := newFlagSet("apply")
	fs.BoolVar(&a.autoApprove, "auto-approve", false, "apply without asking for confirmation")
	fs.BoolVar(&a.wait, "wait", true, "wait for pending tasks and save their images; --wait=false records them as pending")
	a.waitTimeout = mynth.DefaultWaitTimeout
	fs.Var(&durationValue{d: &a.waitTimeout, positive: true}, "wait-timeout", "wait at most `D`, such as 90s or 10m, for each pending task; --wait=false waits for none")
	registerLockTimeout(fs, &a.lockTimeout)
	a.plan.register(fs)
	a.plan.registerReplace(fs)
	fs.Lookup("parallelism").Usage = fmt.Sprintf("make at most `N` API calls at a time: creations, polls and downloads together (default: the mynth block's parallelism, %d)", spec.DefaultParallelism)
	if code, done := parseFlags(g, fs, applyUsage, args); done {
		return code
	}
	switch fs.NArg() {
	case 0:
	case 1:
		a.planFile = fs.Arg(0)
	default:
		fmt.Fprintf(g.stderr, "mynthform apply: too many arguments (%s)\nUsage: mynthform %s\n", strings.Join(fs.Args(), " "), applyUsage)
		return exitError
	}
	return applyCommand(g, a)
}

// applyCommand is apply once its flags are parsed: under the state lock it
// plans (or reads the saved plan), shows the plan, asks for approval,
// applies it, and reports what happened and the checks as they now stand.
// Everything it prints goes through the apply view.
func applyCommand(g *globals, a applyArgs) int {
	v := g.newApplyView()
	saved, code := readSavedPlan(g, v, &a)
	if code != exitOK {
		return code
	}
	// A new plan reads its tasks while the spec loads, as plan does; a
	// saved plan reads none.
	var early *spec.Early
	var prefetch *planner.Prefetch
	if saved == nil {
		early, prefetch = prefetchFor(g, a.plan)
	}
	defer func() { prefetch.Stop() }()
	sp, ok := loadSpecEarly(g, a.plan.vars, early)
	if !ok {
		if saved != nil {
			if names := saved.SensitiveVariables(); len(names) > 0 {
				v.Stopped(fmt.Sprintf("the saved plan %s holds %s only as a digest: give the value the plan was made with again (--var, --var-file or MYNTH_VAR_NAME).", a.planFile, strings.Join(names, ", ")))
			}
		}
		return exitError
	}
	if saved != nil {
		if err := saved.CheckSpec(sp); err != nil {
			return refuseSavedPlan(v, a.planFile, err)
		}
	}
	api, hasKey, closeAPI, err := connect(g, sp)
	if err != nil {
		return applyFailed(v, err)
	}
	defer closeAPI()

	store, closeStore, err := openBackend(g, sp, "")
	if err != nil {
		return applyFailed(v, err)
	}
	defer closeStore()
	unlock, st, waited, code := lockAndLoadState(g, v, store, a.lockTimeout)
	if unlock == nil {
		return code
	}
	defer unlock()
	if waited > lockWaitForgets {
		// Another apply may have changed the tasks read before the lock
		// was ours: the plan reads them again.
		prefetch.Stop()
		prefetch = nil
	}

	if !checkPlanAddresses(g, a.plan, sp, st) {
		return exitError
	}
	plan, scope, code := applyPlan(g, v, a, saved, sp, store, st, api, hasKey, prefetch)
	prefetch.Stop()
	if plan == nil {
		return code
	}
	if err := v.Plan(plan); err != nil {
		return applyFailed(v, fmt.Errorf("printing the plan: %w", err))
	}
	// What apply cannot fix fails the run whatever it does: tasks that
	// could not be read, drift, errors in the spec. Checks are evaluated
	// again once apply is done.
	planFailed := plan.FailsBeyondApply()
	if refused := plan.BudgetRefusal(); len(refused) > 0 {
		v.OverBudget(refused)
		return exitError
	}

	if code, ok := approveApply(g, v, a, plan, st, sp, hasKey); !ok {
		return code
	}
	g.endHeapFloor()
	opts := applyOptions(g, a, plan, sp, store, st, api)
	opts.Progress = v.Progress()
	res, err := planner.Apply(g.ctx, opts)
	if res == nil {
		return applyFailed(v, err)
	}
	v.Applied(plan, res)
	checksFailed := checksFailAfterApply(g, v, scope, sp, st)
	if err := syncManifest(store, st); err != nil {
		v.Error(err)
		checksFailed = true
	}

	label := sp.StatePath()
	if _, ok := unwrapBackend(store).(*state.Store); !ok {
		label = store.Describe()
	}
	outcome := applyOutcome(res, err, planFailed, checksFailed)
	v.Summary(render.ApplySummary{Result: res, Outcome: outcome, State: label})
	return applyExitCode(g, v, res, err, outcome)
}

// applyFailed reports an apply error and returns exitError.
func applyFailed(v render.ApplyView, err error) int {
	v.Error(err)
	return exitError
}

// lockWaitForgets is how long apply may wait for the state lock before
// the tasks read while the spec loaded are read again: a free lock is
// taken at once, and a held one was held by a command that may have
// changed them.
const lockWaitForgets = 200 * time.Millisecond

// lockAndLoadState takes the state lock, waiting at most timeout, and
// loads the state; waited is how long taking the lock took. On failure it
// reports why and returns a nil unlock with the exit code; an interrupt
// while waiting for the lock is exitSignal.
func lockAndLoadState(g *globals, v render.ApplyView, store state.Backend, timeout time.Duration) (unlock func(), st *state.File, waited time.Duration, code int) {
	asked := time.Now()
	unlock, err := lockState(g, "apply", store, timeout)
	waited = time.Since(asked)
	if err != nil {
		if g.ctx.Err() != nil {
			v.Stopped("interrupted while waiting for the state lock; nothing was changed.")
			return nil, nil, waited, exitSignal
		}
		return nil, nil, waited, applyFailed(v, err)
	}
	st, err = store.Load()
	if err != nil {
		code := applyFailed(v, err)
		unlock()
		return nil, nil, waited, code
	}
	return unlock, st, waited, exitOK
}

// approveApply decides whether the plan may be applied: tasks to generate
// need an API key, and changes need --auto-approve or a "yes" on the
// terminal. When it may not, the view says why, and it returns the exit
// code and false.
func approveApply(g *globals, v render.ApplyView, a applyArgs, plan *planner.Plan, st *state.File, sp *spec.Spec, hasKey bool) (int, bool) {
	est := planner.EstimateCreations(plan, st)
	if est.Tasks > 0 && !hasKey {
		v.NeedsKey()
		return exitError, false
	}
	if !plan.HasChanges() {
		return exitOK, true
	}
	if !a.autoApprove {
		if !g.interactive {
			v.NeedsApproval()
			return exitError, false
		}
		c := render.Confirmation{Estimate: est}
		if sp.Budget != nil {
			c.MaxTotal, c.MaxSpent = sp.Budget.MaxTotal, sp.Budget.MaxSpent
		}
		v.Confirm(c)
		if !readYes(g) {
			interrupted := g.ctx.Err() != nil
			v.Cancelled(interrupted)
			if interrupted {
				return exitSignal, false
			}
			return exitError, false
		}
	}
	v.Approved()
	return exitOK, true
}

// readYes reads the answer to the confirmation from stdin; only "yes"
// approves, and Ctrl-C at the prompt is no.
func readYes(g *globals) bool {
	answer := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(g.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			line = ""
		}
		answer <- line
	}()
	select {
	case line := <-answer:
		return strings.TrimSpace(line) == "yes"
	case <-g.ctx.Done():
		return false
	}
}

// applyOptions wires the planner's apply, with the emulator's fast
// polling under --emulator; the caller sets the progress sink.
func applyOptions(g *globals, a applyArgs, plan *planner.Plan, sp *spec.Spec, store state.Backend, st *state.File, api planner.API) planner.ApplyOptions {
	opts := planner.ApplyOptions{
		Plan: plan, Spec: sp, Store: store, State: st, API: api,
		Parallelism: int(a.plan.parallelism),
		Wait:        a.wait, WaitTimeout: a.waitTimeout,
		Dir: g.dir, ToolVersion: toolVersion(),
		Protected: protectedFiles(store),
	}
	if g.emulator {
		opts.Poll = emulatorPoll()
	}
	return opts
}

// checksFailAfterApply plans again from the state just written, without
// refreshing, over the same scope as the plan applied, shows the checks
// that now fail, and reports whether the plan's verdict counts a failed
// check (planner.Plan.ChecksFail). A plan that cannot be made fails no
// check.
func checksFailAfterApply(g *globals, v render.ApplyView, scope spec.Scope, sp *spec.Spec, st *state.File) bool {
	after, err := planner.MakePlan(context.WithoutCancel(g.ctx), planner.Options{
		Spec: sp, State: st, Refresh: false, Dir: g.dir,
		Scope: scope,
	})
	if err != nil || after == nil {
		return false
	}
	v.ChecksAfter(after)
	return after.ChecksFail()
}

// applyOutcome is how the apply ended, for its closing line; only
// render.ApplyOK goes with exit code 0. planFailed is a failure of the
// plan that apply cannot fix, checksFailed a check that fails after it.
func applyOutcome(res *planner.ApplyResult, err error, planFailed, checksFailed bool) render.ApplyOutcome {
	switch {
	case res.Unsaved:
		return render.ApplyUnsaved
	case res.Interrupted:
		return render.ApplyInterrupted
	case err != nil || res.Failed() || planFailed:
		return render.ApplyErrors
	case checksFailed:
		return render.ApplyChecksFailed
	}
	return render.ApplyOK
}

// applyExitCode is apply's exit code once it has run: exitSignal when it
// was interrupted, exitError when the outcome is not ApplyOK. The view
// reports the error or the interruption.
func applyExitCode(g *globals, v render.ApplyView, res *planner.ApplyResult, err error, outcome render.ApplyOutcome) int {
	switch {
	case err != nil:
		v.Error(err)
		if res.Interrupted {
			return exitSignal
		}
		return exitError
	case res.Interrupted || g.ctx.Err() != nil:
		v.Stopped("interrupted; every task created so far is recorded in the state. Run `mynthform apply` again to go on.")
		return exitSignal
	case outcome != render.ApplyOK:
		return exitError
	}
	return exitOK
}

// readSavedPlan reads the saved plan apply was given, if any, and sets its
// variable values as the weakest source of a's variables. On failure the
// view has said why, and it returns the exit code.
func readSavedPlan(g *globals, v render.ApplyView, a *applyArgs) (*planner.SavedPlan, int) {
	if a.planFile == "" {
		return nil, exitOK
	}
	path := a.planFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(g.dir, path)
	}
	if a.plan.shapesPlan() {
		v.Warning(fmt.Sprintf("--target, --exclude, --replace and --refresh shape a new plan; the saved plan %s is applied as it was made.", a.planFile))
	}
	saved, err := planner.ReadSavedPlan(path)
	if err == nil {
		a.plan.vars.saved, err = saved.SavedValues()
	}
	if err != nil {
		return nil, applyFailed(v, err)
	}
	return saved, exitOK
}

// refuseSavedPlan says why the saved plan at name is not applied, and how
// to go on.
func refuseSavedPlan(v render.ApplyView, name string, err error) int {
	v.Stopped(fmt.Sprintf("refusing the saved plan %s: %v.\nNothing was created. Run `mynthform plan --out %s` again, review it, then apply it.", name, err, name))
	return exitError
}

// applyPlan makes a fresh plan, or checks that the saved one still fits
// the state, and returns it with the scope it covers. A nil plan comes with
// the exit code.
func applyPlan(g *globals, v render.ApplyView, a applyArgs, saved *planner.SavedPlan, sp *spec.Spec, store state.Backend, st *state.File, api planner.API, hasKey bool, prefetch *planner.Prefetch) (*planner.Plan, spec.Scope, int) {
	if saved != nil {
		if noStateYet(store, st) && saved.Serial == 0 && len(st.Tasks) == 0 {
			// No state yet: it takes the identity the plan was made
			// against (a missing state gets a fresh lineage on every load).
			st.Lineage = saved.Lineage
		}
		if err := saved.CheckState(st); err != nil {
			return nil, spec.Scope{}, refuseSavedPlan(v, a.planFile, err)
		}
		if err := saved.Resolve(sp); err != nil {
			v.Stopped(fmt.Sprintf("the saved plan %s: %v\nRun `mynthform plan --out %s` again, review it, then apply it.", a.planFile, err, a.planFile))
			return nil, spec.Scope{}, exitError
		}
		if hasKey {
			for _, why := range saved.RestoreEchoes(g.ctx, api) {
				v.Warning(fmt.Sprintf("%s; it is recorded as the saved plan saw it, without the values its result echoes of a sensitive field, and the next plan records them.", why))
			}
		}
		return saved.Plan, saved.Scope, exitOK
	}
	opts := a.plan.options(g, sp, st, api, hasKey)
	opts.Prefetch = prefetch
	plan, err := planner.MakePlan(g.ctx, opts)
	if err != nil {
		if g.ctx.Err() != nil {
			v.Stopped("interrupted while planning; nothing was changed.")
			return nil, spec.Scope{}, exitSignal
		}
		return nil, spec.Scope{}, applyFailed(v, fmt.Errorf("planning: %w", err))
	}
	return plan, a.plan.scope(), exitOK
}
