package main

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/spf13/pflag"

	"github.com/mynthform/mynthform/internal/didyoumean"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

const planUsage = "plan [-o FILE] [--json] [--detailed-exitcode] [--target ADDR]... [--exclude ADDR]... [--replace ADDR]... [--refresh=false] [--parallelism N] [--var NAME=VALUE]... [--var-file FILE]..."

// planArgs are the flags that shape a plan, shared by plan, apply and
// report.
type planArgs struct {
	vars        varFlags
	targets     addressList
	excludes    addressList
	replaces    addressList
	refresh     bool
	parallelism parallelismValue
}

// register adds the shared plan flags to fs.
func (a *planArgs) register(fs *pflag.FlagSet) {
	fs.Var(&a.targets, "target", "plan only this `ADDR` (task.NAME also selects every task.NAME[\"KEY\"]); repeatable")
	fs.Var(&a.excludes, "exclude", "leave this `ADDR` out of the plan; repeatable")
	fs.BoolVar(&a.refresh, "refresh", true, "read every task from Mynth; --refresh=false plans from the state alone")
	fs.Var(&a.parallelism, "parallelism", fmt.Sprintf("read at most `N` tasks at a time (default: the mynth block's parallelism, %d)", spec.DefaultParallelism))
	a.vars.register(fs)
}

// registerReplace adds --replace to fs: plan and apply have it, report
// does not.
func (a *planArgs) registerReplace(fs *pflag.FlagSet) {
	fs.Var(&a.replaces, "replace", "generate this `ADDR` again even when nothing changed (a failed task, an image nobody likes); task.NAME also selects every task.NAME[\"KEY\"]; repeatable")
}

// scope is the --target and --exclude addresses.
func (a planArgs) scope() spec.Scope {
	return spec.Scope{Targets: a.targets.addresses(), Excludes: a.excludes.addresses()}
}

// shapesPlan reports whether a flag that shapes a new plan was given.
func (a planArgs) shapesPlan() bool {
	return len(a.targets.args) > 0 || len(a.excludes.args) > 0 || len(a.replaces.args) > 0 || !a.refresh
}

// options are the planner options for sp and st.
func (a planArgs) options(g *globals, sp *spec.Spec, st *state.File, api planner.API, hasKey bool) planner.Options {
	return planner.Options{
		Spec: sp, State: st, API: api, Refresh: a.refresh,
		Parallelism: int(a.parallelism),
		Scope:       a.scope(),
		Replace:     a.replaces.addresses(),
		HasAPIKey:   hasKey, Dir: g.dir,
	}
}

// loadSpecState reads the spec's state from its backend, without the lock.
func loadSpecState(g *globals, sp *spec.Spec) (*state.File, error) {
	b, closeB, err := openBackend(g, sp, "")
	if err != nil {
		return nil, err
	}
	defer closeB()
	return b.Load()
}

// checkAddresses refuses the values of the address flag --flag that are
// not addresses and warns about those that select nothing.
func checkAddresses(g *globals, flag string, list addressList, sp *spec.Spec, st *state.File) bool {
	ok := true
	for _, arg := range list.args {
		if arg.err != nil {
			fmt.Fprintf(g.stderr, "mynthform: --%s %v\n", flag, arg.err)
			ok = false
			continue
		}
		if !selectsAny(arg.addr, sp, st) {
			g.newPlanView(false).Warn(render.NoMatch{Flag: flag, Address: arg.addr.String(), Suggestion: didyoumean.Nearest(arg.addr.String(), knownAddresses(sp, st), 3)})
		}
	}
	return ok
}

// checkPlanAddresses checks the --target, --exclude and --replace
// addresses of a, printing every problem.
func checkPlanAddresses(g *globals, a planArgs, sp *spec.Spec, st *state.File) bool {
	ok := checkAddresses(g, "target", a.targets, sp, st)
	ok = checkAddresses(g, "exclude", a.excludes, sp, st) && ok
	return checkAddresses(g, "replace", a.replaces, sp, st) && ok
}

// knownAddresses are the addresses of the spec's tasks and their blocks,
// and those the state records (a task or a creation of unknown outcome),
// sorted.
func knownAddresses(sp *spec.Spec, st *state.File) []string {
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if sp != nil {
		for _, t := range sp.Tasks {
			add(t.Address)
			add(spec.AddressOf(t.Address).Block().String())
		}
	}
	if st != nil {
		for a := range st.Tasks {
			add(a)
		}
		for a := range st.Attempts {
			add(a)
		}
	}
	sort.Strings(out)
	return out
}

// selectsAny reports whether the pattern addr selects an address of the
// spec or the state.
func selectsAny(addr spec.Address, sp *spec.Spec, st *state.File) bool {
	for _, a := range knownAddresses(sp, st) {
		if addr.Match(spec.AddressOf(a)) {
			return true
		}
	}
	return false
}

// computePlan loads the spec and the state, connects (unless refresh is
// off and there is no emulator) and makes the plan. The spec's warnings
// are printed, with their source snippets, as the spec is read, and
// carried at the end of the plan's diagnostics (for --json, annotations,
// reports and saved plans); specWarnings counts them, so that the human
// plan does not print them a second time. On failure it has printed why
// and returns a nil plan with the exit code. The connection, if any, stays
// open for the caller (g.conn); connect's closer releases it.
func computePlan(g *globals, a planArgs) (p *planner.Plan, sp *spec.Spec, st *state.File, specWarnings int, code int) {
	early, prefetch := prefetchFor(g, a)
	defer prefetch.Stop()
	lo := a.vars.loadOptions(g)
	lo.Early = early
	sp, diags := spec.Load(g.dir, lo)
	printDiagnostics(g, sp.Files, diags)
	if diags.HasErrors() {
		return nil, sp, nil, 0, exitError
	}
	st, err := loadSpecState(g, sp)
	if err != nil {
		printError(g, "", err)
		return nil, sp, nil, 0, exitError
	}
	if !checkPlanAddresses(g, a, sp, st) {
		return nil, sp, st, 0, exitError
	}
	var api planner.API
	hasKey := false
	if a.refresh || g.emulator {
		if api, hasKey, _, err = connect(g, sp); err != nil {
			printError(g, "", err)
			return nil, sp, st, 0, exitError
		}
		if !hasKey {
			g.newPlanView(false).Warn(render.NoAPIKey{})
		}
	}
	opts := a.options(g, sp, st, api, hasKey)
	opts.Prefetch = prefetch
	p, err = planner.MakePlan(g.ctx, opts)
	if err != nil {
		if g.ctx.Err() != nil {
			g.newPlanView(false).Interrupted()
			return nil, sp, st, 0, exitSignal
		}
		printError(g, "planning: ", err)
		return nil, sp, st, 0, exitError
	}
	p.Diagnostics = append(p.Diagnostics, planner.DiagnosticsOf(diags, g.dir)...)
	return p, sp, st, len(diags), exitOK
}

// planCommandArgs are plan's own flags besides the shared ones.
type planCommandArgs struct {
	planArgs
	out              string
	json             bool
	detailedExitcode bool
}

// registerPlanCommand adds plan's flags to fs.
func registerPlanCommand(fs *pflag.FlagSet, a *planCommandArgs) {
	fs.StringVarP(&a.out, "out", "o", "", "save the plan to `FILE` for `mynthform apply FILE`")
	fs.BoolVar(&a.json, "json", false, "print the plan as one JSON document")
	fs.BoolVar(&a.detailedExitcode, "detailed-exitcode", false, "exit 2 when the plan succeeds and has changes (0: no changes, 1: error)")
	a.register(fs)
	a.registerReplace(fs)
}

func runPlan(g *globals, args []string) int {
	a := planCommandArgs{}
	fs := newFlagSet("plan")
	registerPlanCommand(fs, &a)
	if code, done := parseFlags(g, fs, planUsage, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(g.stderr, "mynthform plan: unexpected argument %q\nUsage: mynthform %s\n", fs.Arg(0), planUsage)
		return exitError
	}
	// With --json, stdout is one JSON document: whatever planning prints
	// (the emulator's notice) goes to stderr.
	pg := g
	if a.json {
		c := *g
		c.stdout = g.stderr
		pg = &c
	}
	p, sp, st, specWarnings, code := computePlan(pg, a.planArgs)
	if pg.conn != nil {
		defer pg.conn.close()
	}
	if p == nil {
		return code
	}
	v := g.newPlanView(a.json)
	shown := p
	if !a.json {
		// The spec's warnings are on stderr already, with their snippets.
		hp := *p
		hp.Diagnostics = p.Diagnostics[:len(p.Diagnostics)-specWarnings]
		shown = &hp
	}
	if err := v.Plan(shown); err != nil {
		fmt.Fprintf(g.stderr, "mynthform plan: printing the plan: %v\n", err)
		return exitError
	}
	if g.getenv("GITHUB_ACTIONS") == "true" {
		w := g.stdout
		if a.json {
			w = g.stderr
		}
		dir := render.RepoRelative(g.dir, g.getenv("GITHUB_WORKSPACE"))
		if err := render.GitHub(w, g.getenv("GITHUB_STEP_SUMMARY"), p, dir); err != nil {
			fmt.Fprintf(g.stderr, "mynthform plan: %v\n", err)
		}
	}
	if a.out != "" {
		path := a.out
		if !filepath.IsAbs(path) {
			path = filepath.Join(g.dir, path)
		}
		saved, err := planner.NewSavedPlan(p, st, a.options(g, sp, st, nil, false), toolVersion())
		if err == nil {
			err = saved.Write(path)
		}
		if err != nil {
			fmt.Fprintf(g.stderr, "mynthform plan: %v\n", err)
			return exitError
		}
		v.Saved(a.out)
	}
	switch {
	case p.Failed():
		return exitError
	case a.detailedExitcode && p.HasChanges():
		return exitChanges
	}
	return exitOK
}
