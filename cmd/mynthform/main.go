// Command mynthform reconciles Mynth image-generation tasks declared in HCL
// with what the Mynth API holds, and records them in a committed state file.
//
// This package is thin on purpose: it parses flags into structs, wires the
// spec, state, mynth and planner packages together, hands what it decided
// to a view (package planner/render for plans, the state and what a
// command did; internal/cmdhelp for help and completion), and maps
// outcomes to exit codes. Behaviour lives in those packages.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/mattn/go-isatty"
	"github.com/spf13/pflag"

	"github.com/mynthform/mynthform/internal/didyoumean"
	"github.com/mynthform/mynthform/internal/gctune"
	"github.com/mynthform/mynthform/planner/render"
)

// heapFloor is the garbage collector's heap goal below which it does not
// collect (package gctune). Loading a spec of 10,000 tasks builds its live
// heap from nothing, which GOGC=100 alone would mark at 4, 8, 16 and 32 MiB
// on the way: a plan of 10,000 tasks ran 7 cycles, with the floor 2, at
// about the same peak heap. 48 MiB saved less, 64 MiB raised the peak RSS
// of a for_each plan of 10,000 to 89-92 MiB. GOGC or GOMEMLIMIT in the
// environment turns it off.
const heapFloor = 56 << 20

// Exit codes are API: scripts and CI depend on them.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // only with --detailed-exitcode
	exitSignal  = 130
)

func main() {
	stopHeapFloor := gctune.Start(heapFloor)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C cancels ctx: commands stop starting work, record
	// what exists and exit 130. Then the default handling comes back, so a
	// second Ctrl-C ends the process at once; state writes are atomic, so
	// that never corrupts the state file.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := runWithHeapFloor(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, stopHeapFloor)
	stop()
	os.Exit(code)
}

// globals is what every command receives: the parsed global flags and the
// process's streams and environment, injected so that tests can run the
// whole CLI in-process.
type globals struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// getenv reads the environment; tests replace it.
	getenv func(string) string
	// dir is the working directory after -C.
	dir string
	// color is true when output may be colored: a terminal, no NO_COLOR,
	// no --no-color.
	color bool
	// interactive is true when stdin and stdout are terminals (confirmation
	// prompts, live progress).
	interactive bool
	// emulator is --emulator: talk to an in-process emulator.
	emulator bool
	// workspace is --workspace, else MYNTH_WORKSPACE: which state of the
	// PostgreSQL backend to use ("" for the default).
	workspace string
	// conn is the connection to Mynth, made once per run by connect.
	conn *connection
	// globalFlags are the global flags, for the help that lists them.
	globalFlags *pflag.FlagSet
	// applyView, when set, is what apply prints through instead of
	// render.ApplyHuman on stdout and stderr: the tests' fake.
	applyView render.ApplyView
	// stateShowView, when set, is what state show prints through: the
	// tests' fake.
	stateShowView render.StateShowView
	// stateListView, when set, is what state list prints through: the
	// tests' fake.
	stateListView render.StateListView
	// planView, when set, is what plan (and planning for graph, report and
	// apply) prints through: the tests' fake.
	planView render.PlanView
	// showView, when set, is what show prints through: the tests' fake.
	showView render.ShowView
	// stopHeapFloor, when set, ends the garbage collector's heap floor
	// that main started (package gctune); see endHeapFloor.
	stopHeapFloor func()
	// describe, when set, receives a command's flag set from parseFlags,
	// and the command stops there: that is how the command table of help
	// and completion is read (see commandTable).
	describe func(fs *pflag.FlagSet)
}

// command is one top-level command.
type command struct {
	name     string
	synopsis string
	run      func(g *globals, args []string) int
}

func commands() []command {
	return []command{
		{"validate", "Check the spec offline", runValidate},
		{"fmt", "Rewrite spec files in canonical form", runFmt},
		{"plan", "Show what apply would do, and check expectations", runPlan},
		{"apply", "Carry out a plan: record, generate, wait, save images", runApply},
		{"graph", "Print the task graph (DOT or mermaid) with each task's action", runGraph},
		{"show", "Show the state as a manifest, or a saved plan", runShow},
		{"state", "Inspect and edit the state (list, show, rm, mv, pull, push)", runState},
		{"import", "Record an existing task under an address", runImport},
		{"report", "Write the audit as HTML, markdown or JUnit", runReport},
		{"emulator", "Run the local Mynth emulator in the foreground", runEmulator},
		{"version", "Print the version and the state format version", runVersion},
		{"help", "Show the commands, or a command's flags", runHelp},
		{"completion", "Print a shell completion script (bash, zsh, fish)", runCompletion},
	}
}

// runWithEnv is the whole CLI: it parses global flags, picks the command
// and returns the exit code; getenv reads the environment.
func runWithEnv(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return runWithHeapFloor(ctx, args, stdin, stdout, stderr, getenv, nil)
}

// runWithHeapFloor is runWithEnv in the process main starts:
// stopHeapFloor ends the heap floor main set (see globals.endHeapFloor).
func runWithHeapFloor(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, stopHeapFloor func()) int {
	fs := pflag.NewFlagSet("mynthform", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SetInterspersed(false)
	var opts struct {
		chdir     string
		noColor   bool
		emulator  bool
		help      bool
		version   bool
		workspace string
	}
	fs.StringVarP(&opts.chdir, "chdir", "C", "", "run as if started in `DIR`")
	fs.BoolVar(&opts.noColor, "no-color", false, "never color the output")
	fs.BoolVar(&opts.emulator, "emulator", false, "talk to an in-process Mynth emulator instead of the real API")
	fs.StringVar(&opts.workspace, "workspace", "", "use the state of workspace `NAME` of the PostgreSQL backend (default: $MYNTH_WORKSPACE, else \"default\")")
	fs.BoolVarP(&opts.help, "help", "h", false, "show this help")
	fs.BoolVar(&opts.version, "version", false, "print the version")
	if err := fs.Parse(terraformFlags(fs, args, false)); err != nil {
		fmt.Fprintf(stderr, "mynthform: %v%s\n", err, suggestFlag(fs, err))
		fmt.Fprintf(stderr, "Run 'mynthform --help' for usage.\n")
		return exitError
	}
	rest := fs.Args()
	if opts.version {
		rest = []string{"version"}
	}
	if opts.help || len(rest) == 0 {
		// mynthform alone lists the commands, as help does.
		printUsage(stdout, fs)
		return exitOK
	}

	dir := "."
	if opts.chdir != "" {
		dir = opts.chdir
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "mynthform: -C %s: not a directory\n", dir)
		return exitError
	}

	g := &globals{
		ctx:      ctx,
		stdin:    stdin,
		stdout:   stdout,
		stderr:   stderr,
		getenv:   getenv,
		dir:      dir,
		emulator: opts.emulator,

		globalFlags:   fs,
		stopHeapFloor: stopHeapFloor,
	}
	g.workspace = opts.workspace
	if g.workspace == "" {
		g.workspace = getenv(workspaceEnv)
	}
	g.color = !opts.noColor && getenv("NO_COLOR") == "" && isTerminal(stdout)
	g.interactive = isTerminal(stdin) && isTerminal(stdout)

	name := rest[0]
	var names []string
	for _, c := range commands() {
		if c.name == name {
			return c.run(g, rest[1:])
		}
		names = append(names, c.name)
	}
	slices.Sort(names)
	hint := ""
	if s := didyoumean.Nearest(strings.ToLower(name), names, 2); s != "" {
		hint = fmt.Sprintf("; did you mean %q?", s)
	}
	fmt.Fprintf(stderr, "mynthform: unknown command %q%s\n", name, hint)
	fmt.Fprintf(stderr, "Run 'mynthform --help' for usage.\n")
	return exitError
}

// endHeapFloor ends the garbage collector's heap floor for the rest of
// the run, from where a command stops building up what it holds (the spec,
// the state, the plan) and goes on to make mostly garbage: apply when it
// carries out the plan, the emulator when it starts serving. Below the
// floor that garbage would be kept up to the floor's size (apply of 1,000
// new tasks: 83 MiB of RSS instead of 44); from here the runtime's own
// pacing (GOGC=100) holds.
func (g *globals) endHeapFloor() {
	if g.stopHeapFloor != nil {
		g.stopHeapFloor()
	}
}

// newApplyView is the view apply prints through.
func (g *globals) newApplyView() render.ApplyView {
	if g.applyView != nil {
		return g.applyView
	}
	return &render.ApplyHuman{Out: g.stdout, Err: g.stderr, Color: g.color, Live: g.interactive}
}

// newStateShowView is the view state show prints through: the task as
// JSON with --json, else for people.
func (g *globals) newStateShowView(asJSON bool) render.StateShowView {
	switch {
	case g.stateShowView != nil:
		return g.stateShowView
	case asJSON:
		return &render.StateShowJSON{Out: g.stdout, Err: g.stderr}
	}
	return &render.StateShowHuman{Out: g.stdout, Err: g.stderr}
}

// newPlanView is the view plan prints through: the plan as JSON with
// --json, else for people; warnings on stderr.
func (g *globals) newPlanView(asJSON bool) render.PlanView {
	if g.planView != nil {
		return g.planView
	}
	v := &render.PlanPrinter{Out: g.stdout, Err: g.stderr, Renderer: &render.Human{Color: g.color}, JSON: asJSON}
	if asJSON {
		v.Renderer = &render.JSON{}
	}
	return v
}

// newShowView is the view show prints through.
func (g *globals) newShowView(asJSON bool) render.ShowView {
	if g.showView != nil {
		return g.showView
	}
	return &render.ShowPrinter{Out: g.stdout, JSON: asJSON, Color: g.color}
}

// newStateListView is the view state list prints through: a JSON array
// with --json, else one address a line.
func (g *globals) newStateListView(asJSON bool) render.StateListView {
	switch {
	case g.stateListView != nil:
		return g.stateListView
	case asJSON:
		return render.StateListJSON{Out: g.stdout}
	}
	return render.StateListHuman{Out: g.stdout}
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// newFlagSet returns a flag set for a command that reports errors instead
// of exiting; parseFlags prints its usage on --help.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.BoolP("help", "h", false, "show this help")
	fs.Bool("no-color", false, "never color the output (also a global flag)")
	fs.SortFlags = false
	return fs
}

// parseFlags parses args into fs. It prints the command's help and returns
// (exitOK, true) on --help, a one-line error with usage and (exitError,
// true) on a bad flag, and (0, false) when the command should go on.
func parseFlags(g *globals, fs *pflag.FlagSet, usage string, args []string) (int, bool) {
	if g.describe != nil {
		g.describe(fs)
		return exitOK, true
	}
	err := fs.Parse(terraformFlags(fs, args, true))
	if noColor, _ := fs.GetBool("no-color"); noColor {
		g.color = false
	}
	if help, _ := fs.GetBool("help"); help && err == nil {
		printCommandHelp(g.stdout, fs, usage)
		return exitOK, true
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform %s: %v%s\nUsage: mynthform %s\nRun 'mynthform %s --help' for its flags.\n", fs.Name(), err, suggestFlag(fs, err), usage, fs.Name())
		return exitError, true
	}
	return 0, false
}

// suggestFlag returns "; did you mean --NAME?" for an unknown long flag
// that is near one of fs's flags, else "".
func suggestFlag(fs *pflag.FlagSet, err error) string {
	given, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	given, _, _ = strings.Cut(given, "=")
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if best := didyoumean.Nearest(given, names, 2); best != "" {
		return didYouMean("--" + best)
	}
	return ""
}
