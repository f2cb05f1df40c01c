package main

import (
	"fmt"
	"path/filepath"

	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

const showUsage = "show [--json] [PLANFILE]"

func runShow(g *globals, args []string) int {
	var asJSON bool
	var vf varFlags
	fs := newFlagSet("show")
	fs.BoolVar(&asJSON, "json", false, "print JSON: the state file's content, or the saved plan's --json document")
	vf.register(fs)
	if code, done := parseFlags(g, fs, showUsage, args); done {
		return code
	}
	switch fs.NArg() {
	case 0:
		return showState(g, vf, asJSON)
	case 1:
		return showPlanFile(g, fs.Arg(0), asJSON)
	}
	fmt.Fprintf(g.stderr, "mynthform show: too many arguments\nUsage: mynthform %s\n", showUsage)
	return exitError
}

// showPlanFile prints a saved plan as plan printed it.
func showPlanFile(g *globals, path string, asJSON bool) int {
	if !filepath.IsAbs(path) {
		path = filepath.Join(g.dir, path)
	}
	saved, err := planner.ReadSavedPlan(path)
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
		return exitError
	}
	if err := g.newShowView(asJSON).Plan(saved.Plan); err != nil {
		fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
		return exitError
	}
	return exitOK
}

// showState prints the state as an asset manifest, or its JSON.
func showState(g *globals, vf varFlags, asJSON bool) int {
	// The spec says where the state is and which values are sensitive;
	// show works without one (default state path, nothing hidden but
	// what the state never holds).
	sp, diags := loadSpecQuiet(g, vf)
	if diags.HasErrors() {
		sp = nil
	}
	b, closeB, err := openBackend(g, sp, "")
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
		return exitError
	}
	defer closeB()
	path := stateWhere(b)
	st, err := b.Load()
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
		return exitError
	}
	if asJSON {
		if err := g.newShowView(true).StateJSON(redactState(st, sp)); err != nil {
			fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
			return exitError
		}
		return exitOK
	}
	m := render.Manifest{Path: path, Sensitive: sensitiveFields(sp)}
	if err := g.newShowView(false).Manifest(m, st); err != nil {
		fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
		return exitError
	}
	return exitOK
}

// sensitiveFields is what the manifest hides: the request fields the
// spec marks sensitive, by address; nil without a spec.
func sensitiveFields(sp *spec.Spec) func(addr string) map[string]bool {
	if sp == nil {
		return nil
	}
	return func(addr string) map[string]bool {
		if t := sp.Task(addr); t != nil {
			return t.Sensitive
		}
		return nil
	}
}

// redactState returns st with the values the spec marks sensitive replaced
// by "(sensitive)", as state show prints them; st itself is not changed.
func redactState(st *state.File, sp *spec.Spec) *state.File {
	if sp == nil {
		return st
	}
	out := st.Clone()
	for addr, t := range out.Tasks {
		if decl := sp.Task(addr); decl != nil && len(decl.Sensitive) > 0 {
			out.Tasks[addr] = planner.RedactStateTask(t, decl.Sensitive)
		}
	}
	return out
}
