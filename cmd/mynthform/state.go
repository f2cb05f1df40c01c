package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mynthform/mynthform/internal/cmdhelp"
	"github.com/mynthform/mynthform/internal/didyoumean"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// subcommand is one subcommand of state.
type subcommand struct {
	name, args, synopsis string
	run                  func(g *globals, args []string) int
}

// stateSubcommands is the table that runState dispatches on and that help
// and completion list.
func stateSubcommands() []subcommand {
	return []subcommand{
		{"list", "[ADDR...]", "list the recorded addresses, one per line, sorted", runStateList},
		{"show", "ADDR", "show one recorded task", runStateShow},
		{"rm", "ADDR...", "forget recorded tasks (Mynth keeps them)", runStateRm},
		{"mv", "FROM TO", "record a task under another address", runStateMv},
		{"pull", "", "print the state as JSON, as a state file holds it", runStatePull},
		{"push", "FILE", "upload a state file to the PostgreSQL backend", runStatePush},
	}
}

// printStateUsage lists the state subcommands.
func printStateUsage(w io.Writer) {
	var subs []cmdhelp.Command
	for _, s := range stateSubcommands() {
		subs = append(subs, cmdhelp.Command{Name: s.name, Args: s.args, Synopsis: s.synopsis})
	}
	_ = cmdhelp.Subcommands(w, "state", subs)
}

func runState(g *globals, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		if len(args) > 1 && args[0] == "help" {
			return runHelp(g, append([]string{"state"}, args[1:]...))
		}
		printStateUsage(g.stdout)
		return exitOK
	}
	var names []string
	for _, s := range stateSubcommands() {
		if s.name == args[0] {
			return s.run(g, args[1:])
		}
		names = append(names, s.name)
	}
	return unknownName(g.stderr, "mynthform state", "subcommand", args[0], names, "mynthform help state")
}

// stateFlags are the flags every state subcommand has.
type stateFlags struct {
	statePath string
	vars      varFlags
}

func (f *stateFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.statePath, "state", "", fmt.Sprintf("the state file `PATH`, relative to -C DIR (default: the mynth block's state, else %s)", spec.DefaultStatePath))
	f.vars.register(fs)
}

// store opens the state: --state, else the spec's mynth block (its
// backend, or its state file), else the default file. The state commands
// work when the spec has errors: the spec loader returns its settings as
// far as it could read them. On failure it prints why, with op.
func (f *stateFlags) store(g *globals, op string) (state.Backend, func(), bool) {
	b, _, closer, ok := f.storeAndSpec(g, op)
	return b, closer, ok
}

// storeAndSpec is store, and the spec as far as it could be read (for
// which values are sensitive).
func (f *stateFlags) storeAndSpec(g *globals, op string) (state.Backend, *spec.Spec, func(), bool) {
	sp, diags := spec.Load(g.dir, f.vars.loadOptions(g))
	b, closer, err := openBackend(g, sp, f.statePath)
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform %s: %v\n", op, err)
		return nil, sp, nil, false
	}
	if f.statePath == "" && diags.HasErrors() && len(sp.Files) > 0 {
		// Say which state is used: an error in the mynth block itself
		// would leave the default.
		_ = render.SpecHasErrors{Backend: b.Describe()}.Render(g.stderr)
	}
	return b, sp, closer, true
}

// stateEditFlags are the flags of the subcommands that change the state.
type stateEditFlags struct {
	stateFlags
	lockTimeout time.Duration
	dryRun      bool
}

// register adds the flags; done says what --dry-run would report
// ("removed", "moved").
func (f *stateEditFlags) register(fs *pflag.FlagSet, done string) {
	registerLockTimeout(fs, &f.lockTimeout)
	fs.BoolVar(&f.dryRun, "dry-run", false, "say what would be "+done+", change nothing")
	f.stateFlags.register(fs)
}

func runStateList(g *globals, args []string) int {
	const usage = "state list [flags] [ADDR...]"
	fs := newFlagSet("state list")
	var sf stateFlags
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, "print a JSON array of {address, id, status}")
	sf.register(fs)
	if code, done := parseFlags(g, fs, usage, args); done {
		return code
	}
	filters, err := parseAddresses(fs.Args())
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform state list: %v\n", err)
		return exitError
	}
	store, closeStore, ok := sf.store(g, "state list")
	if !ok {
		return exitError
	}
	defer closeStore()
	st, err := store.Load()
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform state list: %v\n", err)
		return exitError
	}
	var entries []render.StateEntry
	for _, addr := range st.Addresses() {
		if len(filters) > 0 && !spec.MatchAny(filters, spec.AddressOf(addr)) {
			continue
		}
		t := st.Tasks[addr]
		entries = append(entries, render.StateEntry{Address: addr, ID: t.ID, Status: t.Status})
	}
	// A creation of unknown outcome is listed too, without an id.
	for _, addr := range st.AttemptAddresses() {
		if st.Tasks[addr] != nil || (len(filters) > 0 && !spec.MatchAny(filters, spec.AddressOf(addr))) {
			continue
		}
		entries = append(entries, render.StateEntry{Address: addr, Status: mynth.Status(planner.StatusUnknownOutcome)})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Address < entries[j].Address })
	if err := g.newStateListView(asJSON).List(entries); err != nil {
		fmt.Fprintf(g.stderr, "mynthform state list: %v\n", err)
		return exitError
	}
	return exitOK
}

func runStateShow(g *globals, args []string) int {
	const usage = "state show [flags] ADDR"
	fs := newFlagSet("state show")
	var sf stateFlags
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, "print the task as the state records it")
	sf.register(fs)
	if code, done := parseFlags(g, fs, usage, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(g.stderr, "mynthform state show: want one address, got %d\nUsage: mynthform %s\n", fs.NArg(), usage)
		return exitError
	}
	v := g.newStateShowView(asJSON)
	parsed, err := spec.ParseAddress(fs.Arg(0))
	if err != nil {
		v.Error(err)
		return exitError
	}
	addr := parsed.String()
	store, sp, closeStore, ok := sf.storeAndSpec(g, "state show")
	if !ok {
		return exitError
	}
	defer closeStore()
	st, err := store.Load()
	if err != nil {
		v.Error(err)
		return exitError
	}
	t, ok := st.Tasks[addr]
	if !ok {
		if instances := recordedMatching(st.Addresses(), parsed); len(instances) > 0 {
			v.Instances(addr, instances)
		} else {
			v.Error(fmt.Errorf("%s is not in the state%s", addr, suggestRecorded(addr, st)))
		}
		return exitError
	}
	var sensitive map[string]bool
	if decl := sp.Task(addr); decl != nil {
		sensitive = decl.Sensitive
	}
	if err := v.Task(addr, t, sensitive); err != nil {
		v.Error(err)
		return exitError
	}
	return exitOK
}

func runStateRm(g *globals, args []string) int {
	const usage = "state rm [flags] ADDR..."
	fs := newFlagSet("state rm")
	var ef stateEditFlags
	ef.register(fs, "removed")
	if code, done := parseFlags(g, fs, usage, args); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(g.stderr, "mynthform state rm: want at least one address\nUsage: mynthform %s\n", usage)
		return exitError
	}
	addrs, err := parseAddresses(fs.Args())
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform state rm: %v\n", err)
		return exitError
	}
	return editState(g, "state rm", ef, func(st *state.File) ([]render.StateChange, error) {
		var gone []render.StateChange
		seen := map[string]bool{}
		for _, addr := range addrs {
			matched := recordedMatching(st.Addresses(), addr)
			for _, m := range recordedMatching(st.AttemptAddresses(), addr) {
				if st.Tasks[m] == nil {
					matched = append(matched, m)
				}
			}
			if len(matched) == 0 {
				return nil, fmt.Errorf("%s is not in the state%s", addr, suggestRecorded(addr.String(), st))
			}
			for _, m := range matched {
				if seen[m] {
					continue
				}
				seen[m] = true
				c := render.StateChange{Address: m}
				if t := st.Tasks[m]; t != nil {
					c.TaskID = t.ID
				}
				if at := st.Attempts[m]; at != nil {
					c.Attempt = at.ID
				}
				gone = append(gone, c)
			}
		}
		for m := range seen {
			delete(st.Tasks, m)
			delete(st.Attempts, m)
		}
		return gone, nil
	})
}

func runStateMv(g *globals, args []string) int {
	const usage = "state mv [flags] FROM TO"
	fs := newFlagSet("state mv")
	var ef stateEditFlags
	ef.register(fs, "moved")
	if code, done := parseFlags(g, fs, usage, args); done {
		return code
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(g.stderr, "mynthform state mv: want two addresses, FROM and TO, got %d\nUsage: mynthform %s\n", fs.NArg(), usage)
		return exitError
	}
	from, err := spec.ParseAddress(fs.Arg(0))
	var to spec.Address
	if err == nil {
		to, err = spec.ParseAddress(fs.Arg(1))
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform state mv: %v\n", err)
		return exitError
	}
	return editState(g, "state mv", ef, func(st *state.File) ([]render.StateChange, error) {
		return moveStateTasks(st, from, to)
	})
}

// moveStateTasks moves one task, or every instance of a task block when from
// and to are both task.NAME and the state holds instances of from.
func moveStateTasks(st *state.File, from, to spec.Address) ([]render.StateChange, error) {
	if from == to {
		return nil, fmt.Errorf("%s and %s are the same address", from, to)
	}
	moves := map[string]string{}
	if _, ok := st.Tasks[from.String()]; ok {
		moves[from.String()] = to.String()
	} else if !from.HasKey && !to.HasKey {
		for _, m := range recordedMatching(st.Addresses(), from) {
			dst := spec.AddressOf(m)
			dst.Name = to.Name
			moves[m] = dst.String()
		}
	}
	if len(moves) == 0 {
		return nil, fmt.Errorf("%s is not in the state%s", from, suggestRecorded(from.String(), st))
	}
	var done []render.StateChange
	for src, dst := range moves {
		if _, taken := st.Tasks[dst]; taken {
			return nil, fmt.Errorf("%s is already in the state (task %s); remove it first with `mynthform state rm %s`", dst, st.Tasks[dst].ID, render.ShellQuoteAddress(dst))
		}
		done = append(done, render.StateChange{Address: src, To: dst, TaskID: st.Tasks[src].ID})
	}
	for src, dst := range moves {
		st.Tasks[dst] = st.Tasks[src]
		delete(st.Tasks, src)
	}
	return done, nil
}

// lockState takes store's lock for op, waiting at most timeout. The
// returned unlock releases it, reporting a failure on stderr.
func lockState(g *globals, op string, store state.Backend, timeout time.Duration) (unlock func(), err error) {
	lock, err := store.LockState(g.ctx, op, timeout)
	if err != nil {
		return nil, err
	}
	return func() {
		if err := lock.Unlock(); err != nil {
			fmt.Fprintf(g.stderr, "mynthform %s: %v\n", op, err)
		}
	}, nil
}

// editState runs edit on the state under the lock, saves the result
// atomically (with a backup) and prints what changed (render.StateEdited).
func editState(g *globals, op string, ef stateEditFlags, edit func(*state.File) ([]render.StateChange, error)) int {
	fail := func(err error) int {
		fmt.Fprintf(g.stderr, "mynthform %s: %v\n", op, err)
		return exitError
	}
	store, closeStore, ok := ef.store(g, op)
	if !ok {
		return exitError
	}
	defer closeStore()
	unlock, err := lockState(g, op, store, ef.lockTimeout)
	if err != nil {
		return fail(err)
	}
	defer unlock()
	st, err := store.Load()
	if err != nil {
		return fail(err)
	}
	changes, err := edit(st)
	if err != nil {
		return fail(err)
	}
	v := render.StateEdited{Changes: changes, DryRun: ef.dryRun}
	if ef.dryRun {
		_ = v.Render(g.stdout)
		return exitOK
	}
	st.ToolVersion = toolVersion()
	if _, err := store.Save(st); err != nil {
		return fail(err)
	}
	v.Serial, v.Tasks = st.Serial, len(st.Tasks)
	if s, ok := unwrapBackend(store).(*state.Store); ok {
		v.Path, v.Backup = s.Path(), s.BackupPath()
	} else {
		v.Backend = store.Describe()
	}
	_ = v.Render(g.stdout)
	return exitOK
}

// recordedMatching returns the addresses among recorded that pattern
// selects: pattern itself when recorded holds it, else every instance of
// the task block pattern names (task.NAME selects task.NAME["KEY"]).
func recordedMatching(recorded []string, pattern spec.Address) []string {
	if want := pattern.String(); slices.Contains(recorded, want) {
		return []string{want}
	}
	var out []string
	for _, a := range recorded {
		if pattern.Match(spec.AddressOf(a)) {
			out = append(out, a)
		}
	}
	return out
}

// parseAddresses is spec.ParseAddress of each of args; it stops at the
// first that is not an address.
func parseAddresses(args []string) ([]spec.Address, error) {
	out := make([]spec.Address, 0, len(args))
	for _, a := range args {
		addr, err := spec.ParseAddress(a)
		if err != nil {
			return nil, err
		}
		out = append(out, addr)
	}
	return out, nil
}

// suggestRecorded returns "; did you mean ...?" naming the recorded address
// nearest to addr, or "" when none is near.
func suggestRecorded(addr string, st *state.File) string {
	if len(st.Tasks) == 0 {
		return " (the state records no tasks)"
	}
	// Candidates are the recorded addresses and the blocks they belong to
	// (task.NAME selects every task.NAME["KEY"]). Longer addresses allow
	// more edits.
	var candidates []string
	seen := map[string]bool{}
	for _, a := range st.Addresses() {
		block, _, _ := strings.Cut(a, "[")
		for _, c := range []string{a, block} {
			// Never suggest what was typed.
			if !seen[c] && c != addr {
				seen[c] = true
				candidates = append(candidates, c)
			}
		}
	}
	return didYouMean(didyoumean.Nearest(addr, candidates, max(3, len(addr)/4)))
}
