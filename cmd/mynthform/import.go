package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/mynthform/mynthform/internal/didyoumean"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

const importUsage = "import [--lock-timeout D] [--var NAME=VALUE]... [--var-file FILE]... ADDR TASK_ID"

func runImport(g *globals, args []string) int {
	var vf varFlags
	var lockTimeout time.Duration
	fs := newFlagSet("import")
	registerLockTimeout(fs, &lockTimeout)
	vf.register(fs)
	if code, done := parseFlags(g, fs, importUsage, args); done {
		return code
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(g.stderr, "mynthform import: want an address and a task id, got %d arguments\nUsage: mynthform %s\n", fs.NArg(), importUsage)
		return exitError
	}
	errorf := func(format string, args ...any) int {
		fmt.Fprintf(g.stderr, "mynthform import: "+format+"\n", args...)
		return exitError
	}
	parsed, err := spec.ParseAddress(fs.Arg(0))
	if err != nil {
		return errorf("%v", err)
	}
	addr, id := parsed.String(), fs.Arg(1)
	if !strings.HasPrefix(id, "tsk_") {
		return errorf("%q is not a task id (task ids start with tsk_)", id)
	}
	sp, ok := loadSpec(g, vf)
	if !ok {
		return exitError
	}
	t := sp.Task(addr)
	if t == nil {
		var known []string
		for _, st := range sp.Tasks {
			known = append(known, st.Address)
		}
		return errorf("%s is not declared in the spec%s\nDeclare a task block for it first: import records a task under a declared address.", addr, didYouMean(didyoumean.Nearest(addr, known, 3)))
	}
	// Where the spec pins its id from a sensitive value, no id is
	// printed, as the plan prints none: not the pinned one, nor the one
	// given (the same, unless refused here), nor the one recorded.
	shown := func(id string) string { return id }
	if t.Sensitive["id"] {
		shown = func(string) string { return "(sensitive)" }
	}
	if t.ID != "" && t.ID != id {
		if t.Sensitive["id"] {
			return errorf("%s pins another id in the spec (sensitive, not printed); import that id, or change the spec's id", addr)
		}
		return errorf("%s pins id %s in the spec; import %s, or change the spec's id", addr, t.ID, t.ID)
	}

	api, hasKey, closeAPI, err := connect(g, sp)
	if err != nil {
		return errorf("%v", err)
	}
	defer closeAPI()
	if !hasKey {
		return errorf("MYNTH_API_KEY is not set: import reads the whole task, which needs the API key of the account that owns it")
	}

	store, closeStore, err := openBackend(g, sp, "")
	if err != nil {
		return errorf("%v", err)
	}
	defer closeStore()
	unlock, err := lockState(g, "import", store, lockTimeout)
	if err != nil {
		return errorf("%v", err)
	}
	defer unlock()
	st, err := store.Load()
	if err != nil {
		return errorf("%v", err)
	}
	// A creation of unknown outcome at addr is what import resolves: the
	// task found in Mynth replaces its record (and the task it was to
	// replace, if one is recorded there).
	attempt := st.Attempts[addr]
	if prev, ok := st.Tasks[addr]; ok && attempt == nil {
		return errorf("%s is already in the state (task %s)\nTo record another task there, run `mynthform state rm %s` first.", addr, shown(prev.ID), addr)
	}
	for a, rt := range st.Tasks {
		if rt.ID == id {
			_ = render.AlsoRecorded{ID: shown(id), Address: a}.Render(g.stderr)
		}
	}

	task, err := api.Task(g.ctx, id)
	if err != nil {
		return errorf("reading task %s: %s", shown(id), strings.ReplaceAll(err.Error(), id, shown(id)))
	}
	rec, err := planner.StateTaskFromObserved(task)
	if err != nil {
		return errorf("%v", err)
	}
	// Files already in place with the bytes of their image are recorded
	// as saved, as apply would have: an import of a task whose images
	// are in the repository plans clean.
	var found []planner.ImportedFile
	rec.Files, found = planner.FindSavedFiles(g.ctx, api, g.dir, t.Files, task, 0)
	prev := st.Tasks[addr]
	if prev != nil && prev.ID != id {
		// The creation import resolves was to replace prev, a task that
		// was paid for: it goes to the ledger, as apply's replacement
		// would have put it.
		st.Supersede(addr, state.SupersededReplaced, id, time.Now().UTC().Format(time.RFC3339))
	}
	st.Tasks[addr] = rec
	delete(st.Attempts, addr)
	st.ToolVersion = toolVersion()
	if _, err := store.Save(st); err != nil {
		return errorf("%v", err)
	}

	v := render.Imported{ID: shown(id), Address: addr, Task: task, Files: found, State: stateWhere(store)}
	if attempt != nil {
		v.Attempt = attempt.ID
		if prev != nil && prev.ID != id {
			v.Replaced = shown(prev.ID)
		}
	}
	// The task is recorded whatever becomes of the report.
	_ = v.Render(g.stdout)
	return exitOK
}
