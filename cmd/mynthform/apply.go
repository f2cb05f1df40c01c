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

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

const applyUsage = "apply [PLANFILE] [--auto-approve] [--wait=true] [--wait-timeout D] [--lock-timeout D] [--replace ADDR]... [plan flags]"

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
func emulatorPoll() planner.PollSchedule {
	return planner.PollSchedule{Fast: 100 * time.Millisecond, FastFor: time.Minute, Slow: 250 * time.Millisecond}
}

func runApply(g *globals, args []string) int {
	var a applyArgs
	fs := newFlagSet("apply")
	fs.BoolVar(&a.autoApprove, "auto-approve", false, "apply without asking for confirmation")
	fs.BoolVar(&a.wait, "wait", true, "wait for pending tasks and save their images (--wait=false records them as pending)")
	fs.DurationVar(&a.waitTimeout, "wait-timeout", 5*time.Minute, "wait at most `D` for each pending task (90s, 10m, ...)")
	registerLockTimeout(fs, &a.lockTimeout)
	a.plan.register(fs)
	a.plan.registerReplace(fs)
	fs.Lookup("parallelism").Usage = "make at most `N` API calls at a time: creations, polls and downloads together (default: the mynth block's parallelism, 10)"
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
// plans (or reads the saved plan), prints the plan, asks for approval,
// applies it, and reports what happened and the checks as they now stand.
func applyCommand(g *globals, a applyArgs) int {
	saved, code := readSavedPlan(g, &a)
	if code != exitOK {
		return code
	}
	sp, ok := loadSpec(g, a.plan.vars)
	if !ok {
		if saved != nil {
			if names := saved.SensitiveVariables(); len(names) > 0 {
				fmt.Fprintf(g.stderr, "mynthform apply: the saved plan %s holds %s only as a digest: give the value the plan was made with again (--var, --var-file or MYNTH_VAR_NAME).\n", a.planFile, strings.Join(names, ", "))
			}
		}
		return exitError
	}
	if saved != nil {
		if err := saved.CheckSpec(sp); err != nil {
			return refuseSavedPlan(g, a.planFile, err)
		}
	}
	api, hasKey, closeAPI, err := connect(g, sp)
	if err != nil {
		return applyFailed(g, "%v", err)
	}
	defer closeAPI()

	store, closeStore, err := openBackend(g, sp, "")
	if err != nil {
		return applyFailed(g, "%v", err)
	}
	defer closeStore()
	unlock, st, code := lockAndLoadState(g, store, a.lockTimeout)
	if unlock == nil {
		return code
	}
	defer unlock()

	if !checkPlanAddresses(g, a.plan, sp, st) {
		return exitError
	}
	plan, scope, code := applyPlan(g, a, saved, sp, store, st, api, hasKey)
	if plan == nil {
		return code
	}
	if err := (render.Human{Color: g.color, BeforeApply: true}).Render(g.stdout, plan); err != nil {
		return applyFailed(g, "printing the plan: %v", err)
	}
	// What apply cannot fix fails the run whatever it does: tasks that
	// could not be read, drift, errors in the spec. Checks are evaluated
	// again once apply is done.
	planFailed := plan.FailsBeyondApply()
	if refused := plan.BudgetRefusal(); len(refused) > 0 {
		return refuseOverBudget(g, refused)
	}

	if code, ok := approveApply(g, a, plan, st, sp, hasKey); !ok {
		return code
	}
	res, err := planner.Apply(g.ctx, applyOptions(g, a, plan, sp, store, st, api))
	if res == nil {
		return applyFailed(g, "%v", err)
	}
	printApplyDetails(g.stdout, res)
	printFilesLeft(g.stdout, plan, res)
	checksFailed := printChecksAfterApply(g, scope, sp, st)
	if err := syncManifest(store, st); err != nil {
		fmt.Fprintf(g.stderr, "mynthform apply: %v\n", err)
		checksFailed = true
	}

	fmt.Fprintln(g.stdout)
	label := stateName(sp)
	if _, ok := unwrapBackend(store).(*state.Store); !ok {
		label = store.Describe()
	}
	outcome := applyOK
	switch {
	case res.Unsaved:
		outcome = applyUnsaved
	case res.Interrupted:
		outcome = applyInterrupted
	case err != nil || res.Failed() || planFailed:
		outcome = applyErrors
	case checksFailed:
		outcome = applyChecksFailed
	}
	fmt.Fprintln(g.stdout, applySummary(res, label, outcome))
	if lost := applyLostText(res, label); lost != "" {
		fmt.Fprintln(g.stdout, lost)
	}
	return applyExitCode(g, res, err, planFailed || checksFailed)
}

// refuseOverBudget says why apply creates nothing: the plan's estimate
// passes the budget. It returns exitError.
func refuseOverBudget(g *globals, refused []planner.Check) int {
	fmt.Fprintln(g.stderr, "\nmynthform apply: not applying: the plan fails its budget check, so nothing was created or changed:")
	for _, c := range refused {
		fmt.Fprintf(g.stderr, "  %s: %s.\n", c.Name, c.Message)
	}
	fmt.Fprintln(g.stderr, "Raise the budget's limit, give the tasks of unknown price a price block (or unpriced = \"warn\"), remove tasks from the spec, or apply some of them with --target.")
	return exitError
}

// applyFailed prints an apply error on stderr and returns exitError.
func applyFailed(g *globals, format string, args ...any) int {
	fmt.Fprintf(g.stderr, "mynthform apply: "+format+"\n", args...)
	return exitError
}

// lockAndLoadState takes the state lock, waiting at most timeout, and
// loads the state. On failure it prints why and returns a nil unlock with
// the exit code; an interrupt while waiting for the lock is exitSignal.
func lockAndLoadState(g *globals, store state.Backend, timeout time.Duration) (unlock func(), st *state.File, code int) {
	unlock, err := lockState(g, "apply", store, timeout)
	if err != nil {
		if g.ctx.Err() != nil {
			fmt.Fprintln(g.stderr, "mynthform apply: interrupted while waiting for the state lock; nothing was changed.")
			return nil, nil, exitSignal
		}
		return nil, nil, applyFailed(g, "%v", err)
	}
	st, err = store.Load()
	if err != nil {
		code := applyFailed(g, "%v", err)
		unlock()
		return nil, nil, code
	}
	return unlock, st, exitOK
}

// approveApply decides whether the plan may be applied: tasks to generate
// need an API key, and changes need --auto-approve or a "yes" on the
// terminal. When it may not, it prints why and returns the exit code and
// false.
func approveApply(g *globals, a applyArgs, plan *planner.Plan, st *state.File, sp *spec.Spec, hasKey bool) (int, bool) {
	if est := planner.EstimateCreations(plan, st); est.Tasks > 0 && !hasKey {
		fmt.Fprintln(g.stderr, "\nmynthform apply: not applying: the plan generates tasks, and creating a task needs an API key.\n"+
			"Set MYNTH_API_KEY to your Mynth API key (mak_...), or try it first against the local emulator with `mynthform --emulator apply`.")
		return exitError, false
	}
	if !plan.HasChanges() {
		return exitOK, true
	}
	if !a.autoApprove {
		if !g.interactive {
			fmt.Fprintln(g.stderr, "\nmynthform apply: not applying: confirmation is needed and there is no terminal to ask on.\n"+
				"Review the plan above, then run `mynthform apply --auto-approve`, or save it with `mynthform plan --out FILE` and run `mynthform apply --auto-approve FILE`.")
			return exitError, false
		}
		if !confirm(g, plan, st, sp) {
			fmt.Fprintln(g.stdout, "\nApply cancelled. Nothing was changed.")
			if g.ctx.Err() != nil {
				return exitSignal, false
			}
			return exitError, false
		}
	}
	fmt.Fprintln(g.stdout)
	return exitOK, true
}

// applyOptions wires the planner's apply: progress as lines, or live on a
// terminal, and the emulator's fast polling under --emulator.
func applyOptions(g *globals, a applyArgs, plan *planner.Plan, sp *spec.Spec, store state.Backend, st *state.File, api planner.API) planner.ApplyOptions {
	var progress planner.ProgressSink = &render.LineProgress{W: g.stdout}
	if g.interactive {
		progress = &render.TerminalProgress{W: g.stdout}
	}
	opts := planner.ApplyOptions{
		Plan: plan, Spec: sp, Store: store, State: st, API: api,
		Parallelism: a.plan.effectiveParallelism(sp),
		Wait:        a.wait, WaitTimeout: a.waitTimeout,
		Dir: g.dir, ToolVersion: toolVersion(), Progress: progress,
		Protected: protectedFiles(store),
	}
	if g.emulator {
		opts.Poll = emulatorPoll()
	}
	return opts
}

// planScope is the part of the spec a plan covers: its --target and
// --exclude addresses, from the flags or from the saved plan.
type planScope struct {
	targets, excludes []string
}

// printChecksAfterApply plans again from the state just written, without
// refreshing, over the same scope as the plan applied, and prints the
// checks that now fail; it reports whether any fails the run. A plan that
// cannot be made fails no check.
func printChecksAfterApply(g *globals, scope planScope, sp *spec.Spec, st *state.File) bool {
	after, err := planner.MakePlan(context.WithoutCancel(g.ctx), planner.Options{
		Spec: sp, State: st, Refresh: false, Dir: g.dir,
		Targets: scope.targets, Excludes: scope.excludes,
	})
	if err != nil || after == nil {
		return false
	}
	return printFailedChecks(g.stdout, after)
}

// applyExitCode is apply's exit code once it has run: exitSignal when it
// was interrupted, exitError when it or anything it could not fix failed.
// It prints the error or the interruption on stderr.
func applyExitCode(g *globals, res *planner.ApplyResult, err error, failed bool) int {
	switch {
	case err != nil:
		fmt.Fprintf(g.stderr, "mynthform apply: %v\n", err)
		if res.Interrupted {
			return exitSignal
		}
		return exitError
	case res.Interrupted || g.ctx.Err() != nil:
		fmt.Fprintln(g.stderr, "mynthform apply: interrupted; every task created so far is recorded in the state. Run `mynthform apply` again to go on.")
		return exitSignal
	case res.Failed() || failed:
		return exitError
	}
	return exitOK
}

// readSavedPlan reads the saved plan apply was given, if any, and sets its
// variable values as the weakest source of a's variables. On failure it
// has printed why and returns the exit code.
func readSavedPlan(g *globals, a *applyArgs) (*planner.SavedPlan, int) {
	if a.planFile == "" {
		return nil, exitOK
	}
	path := a.planFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(g.dir, path)
	}
	if len(a.plan.targets()) > 0 || len(a.plan.excludes()) > 0 || len(a.plan.replaces()) > 0 || !a.plan.refreshEnabled() {
		fmt.Fprintf(g.stderr, "Warning: --target, --exclude, --replace and --refresh shape a new plan; the saved plan %s is applied as it was made.\n", a.planFile)
	}
	saved, err := planner.ReadSavedPlan(path)
	if err == nil {
		a.plan.vars.saved, err = saved.SavedValues()
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform apply: %v\n", err)
		return nil, exitError
	}
	return saved, exitOK
}

// refuseSavedPlan says why the saved plan at name is not applied, and how
// to go on.
func refuseSavedPlan(g *globals, name string, err error) int {
	fmt.Fprintf(g.stderr, "mynthform apply: refusing the saved plan %s: %v.\nNothing was created. Run `mynthform plan --out %s` again, review it, then apply it.\n", name, err, name)
	return exitError
}

// applyPlan makes a fresh plan, or checks that the saved one still fits
// the state, and returns it with the scope it covers. A nil plan comes with
// the exit code.
func applyPlan(g *globals, a applyArgs, saved *planner.SavedPlan, sp *spec.Spec, store state.Backend, st *state.File, api planner.API, hasKey bool) (*planner.Plan, planScope, int) {
	if saved != nil {
		if noStateYet(store, st) && saved.Serial == 0 && len(st.Tasks) == 0 {
			// No state yet: it takes the identity the plan was made
			// against (a missing state gets a fresh lineage on every load).
			st.Lineage = saved.Lineage
		}
		if err := saved.CheckState(st); err != nil {
			return nil, planScope{}, refuseSavedPlan(g, a.planFile, err)
		}
		if err := saved.Resolve(sp); err != nil {
			fmt.Fprintf(g.stderr, "mynthform apply: the saved plan %s: %v\nRun `mynthform plan --out %s` again, review it, then apply it.\n", a.planFile, err, a.planFile)
			return nil, planScope{}, exitError
		}
		return saved.Plan, planScope{saved.Targets, saved.Excludes}, exitOK
	}
	plan, err := planner.MakePlan(g.ctx, a.plan.options(g, sp, st, api, hasKey))
	if err != nil {
		if g.ctx.Err() != nil {
			fmt.Fprintln(g.stderr, "mynthform apply: interrupted while planning; nothing was changed.")
			return nil, planScope{}, exitSignal
		}
		fmt.Fprintf(g.stderr, "mynthform apply: planning: %v\n", err)
		return nil, planScope{}, exitError
	}
	return plan, planScope{a.plan.targets(), a.plan.excludes()}, exitOK
}

// confirm asks on the terminal; only "yes" approves.
func confirm(g *globals, plan *planner.Plan, st *state.File, sp *spec.Spec) bool {
	est := planner.EstimateCreations(plan, st)
	fmt.Fprintln(g.stdout, "\nDo you want to perform these actions?")
	if est.Tasks > 0 {
		fmt.Fprintf(g.stdout, "  mynthform will generate %s (%s) with the Mynth API. %s\n",
			plural.Count(est.Tasks, "task"), plural.Count(est.Images, "image"), costBound(est, sp))
	}
	fmt.Fprintln(g.stdout, "  Only 'yes' will be accepted to approve.")
	fmt.Fprint(g.stdout, "\n  Enter a value: ")
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
		// Ctrl-C at the prompt: no.
		fmt.Fprintln(g.stdout)
		return false
	}
}

// costBound describes what the creations are estimated to cost, and the
// budget's limits.
func costBound(est planner.CreationEstimate, sp *spec.Spec) string {
	var budget string
	if sp.Budget != nil && sp.Budget.MaxTotal != nil {
		left := sp.Budget.MaxTotal.Sub(est.Recorded)
		if left.IsNegative() {
			left = mynth.Amount{}
		}
		budget = fmt.Sprintf(" The budget guard stops creating tasks before the total passes budget.max_total %s (%s left).", sp.Budget.MaxTotal.Dollars(), left.Dollars())
	}
	if sp.Budget != nil && sp.Budget.MaxSpent != nil {
		budget += fmt.Sprintf(" It stops before the total spent passes budget.max_spent %s.", sp.Budget.MaxSpent.Dollars())
	}
	switch {
	case est.Unknown == 0:
		return fmt.Sprintf("Estimated cost: %s.%s", est.Known.Dollars(), budget)
	case est.Unknown == est.Tasks:
		if budget == "" {
			return "Cost: unknown until the first task completes (no price is known for these models, and the spec sets no budget)."
		}
		return "Cost: unknown until the first task completes (no price is known for these models)." + budget
	default:
		return fmt.Sprintf("Estimated cost: %s for %s, plus %s of unknown price.%s", est.Known.Dollars(),
			plural.Count(est.Tasks-est.Unknown, "task"), plural.Count(est.Unknown, "task"), budget)
	}
}

// printApplyDetails explains what did not go to plan: unknown outcomes,
// errors, budget stops, failed and restored files.
func printApplyDetails(w io.Writer, res *planner.ApplyResult) {
	var lines []string
	for _, t := range res.Tasks {
		switch t.Outcome {
		case planner.AppliedUnknownOutcome:
			lines = append(lines, fmt.Sprintf("Error: %s: unknown outcome. %s", t.Address, t.Message))
		case planner.AppliedError:
			lines = append(lines, fmt.Sprintf("Error: %s: %s", t.Address, t.Message))
		case planner.AppliedFailed:
			lines = append(lines, fmt.Sprintf("Error: %s: task %s failed. %s", t.Address, t.ID, t.Message))
		case planner.AppliedPending:
			if t.TimedOut {
				lines = append(lines, fmt.Sprintf("Error: %s: %s", t.Address, t.Message))
			}
		}
		for _, f := range t.Files {
			switch f.State {
			case planner.FileResultFailed:
				lines = append(lines, fmt.Sprintf("Error: %s: %s: %s", t.Address, f.Path, f.Message))
			case planner.FileResultRestored:
				if t.Outcome == planner.AppliedFilesSaved || t.Outcome == planner.AppliedRecorded {
					lines = append(lines, fmt.Sprintf("%s: restored %s", t.Address, f.Path))
				}
			case planner.FileResultSaved:
				if t.Outcome == planner.AppliedFilesSaved || t.Outcome == planner.AppliedRecorded {
					lines = append(lines, fmt.Sprintf("%s: saved %s", t.Address, f.Path))
				}
			}
		}
	}
	if res.BudgetMessage != "" {
		lines = append(lines, "Budget: "+res.BudgetMessage+" Not created: "+strings.Join(res.NotCreated, ", ")+
			". Raise budget.max_total, or remove tasks from the spec, then run apply again.")
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// printFilesLeft names, for each task apply forgot, the files it left on
// disk: forget drops a task from the state and deletes no file.
func printFilesLeft(w io.Writer, plan *planner.Plan, res *planner.ApplyResult) {
	files := map[string][]string{}
	for _, t := range plan.Tasks {
		for _, f := range t.Files {
			if t.Action == planner.ActionForget && f.State != planner.FileMissing {
				files[t.Address] = append(files[t.Address], f.Path)
			}
		}
	}
	var lines []string
	for _, t := range res.Tasks {
		if t.Outcome == planner.AppliedForgotten && len(files[t.Address]) > 0 {
			lines = append(lines, fmt.Sprintf("%s: forgotten; left on disk: %s (delete them yourself if they are no longer wanted)", t.Address, strings.Join(files[t.Address], ", ")))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// printFailedChecks prints the checks that fail after the apply, warnings
// included, and reports whether any fails the run.
func printFailedChecks(w io.Writer, p *planner.Plan) bool {
	var lines []string
	line := func(addr string, c planner.Check) {
		if c.Outcome != planner.OutcomeFailed {
			return
		}
		word := "Check failed"
		if c.Warns() {
			word = "Warning: check failed"
		}
		if addr == "" {
			lines = append(lines, fmt.Sprintf("%s: %s", word, c.Message))
		} else {
			lines = append(lines, fmt.Sprintf("%s: %s: %s: %s", word, addr, c.Name, c.Message))
		}
	}
	for _, c := range p.Checks {
		line("", c)
	}
	for _, t := range p.Tasks {
		for _, c := range t.Checks {
			line(t.Address, c)
		}
	}
	if len(lines) > 0 {
		fmt.Fprintln(w)
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
	for _, f := range p.Failures() {
		if f.Kind == planner.FailureCheck {
			return true
		}
	}
	return false
}

// applyOutcome is how an apply ended, as its closing line says it; only
// applyOK goes with exit code 0.
type applyOutcome int

const (
	applyOK           applyOutcome = iota // "Apply complete"
	applyChecksFailed                     // everything applied, a check fails
	applyErrors                           // a task failed, or the plan held what apply cannot fix
	applyInterrupted                      // Ctrl-C
	applyUnsaved                          // a change is not in the state on disk
)

// applyLostText says what a failed save lost: the tasks that exist at
// Mynth and that the state does not record, with their ids and how to
// record each; "" when every record was written.
func applyLostText(res *planner.ApplyResult, statePath string) string {
	if !res.Unsaved {
		return ""
	}
	where := filepath.ToSlash(statePath)
	if len(res.Unrecorded) == 0 {
		return fmt.Sprintf("Not saved: the last observations and saved files of this apply are not in %s (every task id is); run apply again once the state can be written to record them.", where)
	}
	var b strings.Builder
	exist := "1 task exists"
	if n := len(res.Unrecorded); n != 1 {
		exist = fmt.Sprintf("%d tasks exist", n)
	}
	fmt.Fprintf(&b, "Not recorded: %s at Mynth that %s does not record (Mynth may have charged for them; keep these ids):\n", exist, where)
	for _, u := range res.Unrecorded {
		fmt.Fprintf(&b, "  %s  %s\n", u.Address, u.ID)
	}
	b.WriteString("Once the state can be written, record each with `mynthform import ADDR ID` (for example `mynthform import ")
	fmt.Fprintf(&b, "'%s' %s`), then run apply again.", res.Unrecorded[0].Address, res.Unrecorded[0].ID)
	return b.String()
}

// applySummary is the closing line: "Apply complete: 3 generated, 1
// updated, 0 forgotten. Spent $0.0375. State: mynth.state.json (serial 4)."
// It begins with the outcome, so that the last line never says "complete"
// when the exit code says the run failed.
func applySummary(res *planner.ApplyResult, statePath string, outcome applyOutcome) string {
	var b strings.Builder
	switch outcome {
	case applyUnsaved:
		b.WriteString("Apply failed: the state could not be saved: ")
	case applyInterrupted:
		b.WriteString("Apply interrupted: ")
	case applyErrors:
		b.WriteString("Apply finished with errors: ")
	case applyChecksFailed:
		b.WriteString("Apply finished, but checks failed: ")
	default:
		b.WriteString("Apply complete: ")
	}
	fmt.Fprintf(&b, "%d generated, ", res.Generated)
	if res.Replaced > 0 {
		fmt.Fprintf(&b, "%d replaced, ", res.Replaced)
	}
	if res.Adopted > 0 {
		fmt.Fprintf(&b, "%d adopted, ", res.Adopted)
	}
	fmt.Fprintf(&b, "%d updated, %d forgotten.", res.Updated, res.Forgotten)
	if res.FilesRestored > 0 {
		fmt.Fprintf(&b, " %s restored.", plural.Count(res.FilesRestored, "file"))
	}
	fmt.Fprintf(&b, " Spent %s. State: %s (serial %d).", res.Spent.Dollars(), filepath.ToSlash(statePath), res.Serial)
	return b.String()
}
