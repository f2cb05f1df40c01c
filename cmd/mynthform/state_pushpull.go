package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/state"
)

// pusher is a backend that state push can upload to.
type pusher interface {
	Push(f *state.File, force bool) (uint64, error)
}

func runStatePull(g *globals, args []string) int {
	const usage = "state pull [flags]"
	fs := newFlagSet("state pull")
	var sf stateFlags
	sf.register(fs)
	if code, done := parseFlags(g, fs, usage, args); done {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(g.stderr, "mynthform state pull: want no arguments, got %d\nUsage: mynthform %s\n", fs.NArg(), usage)
		return exitError
	}
	store, closeStore, ok := sf.store(g, "state pull")
	if !ok {
		return exitError
	}
	defer closeStore()
	st, err := store.Load()
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform state pull: %v\n", err)
		return exitError
	}
	if noStateYet(store, st) {
		fmt.Fprintf(g.stderr, "mynthform state pull: the %s holds no state yet.\n", store.Describe())
		return exitOK
	}
	data, err := state.Encode(st)
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform state pull: %v\n", err)
		return exitError
	}
	if _, err := g.stdout.Write(data); err != nil {
		fmt.Fprintf(g.stderr, "mynthform state pull: %v\n", err)
		return exitError
	}
	return exitOK
}

func runStatePush(g *globals, args []string) int {
	const usage = "state push [--force] [--lock-timeout D] FILE"
	fs := newFlagSet("state push")
	var sf stateFlags
	var force bool
	var lockTimeout time.Duration
	fs.BoolVar(&force, "force", false, "replace the stored state even when FILE is of another lineage or an older serial")
	registerLockTimeout(fs, &lockTimeout)
	sf.vars.register(fs)
	if code, done := parseFlags(g, fs, usage, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(g.stderr, "mynthform state push: want one state file (or - for stdin), got %d arguments\nUsage: mynthform %s\n", fs.NArg(), usage)
		return exitError
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(g.stderr, "mynthform state push: "+format+"\n", args...)
		return exitError
	}
	name := fs.Arg(0)
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(g.stdin)
	} else {
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(g.dir, path)
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return fail("reading %s: %v", name, err)
	}
	f, err := state.Decode(data)
	if err != nil {
		if se, ok := err.(*state.Error); ok {
			c := *se
			c.Path = name
			err = &c
		}
		return fail("%v", err)
	}

	store, closeStore, ok := sf.store(g, "state push")
	if !ok {
		return exitError
	}
	defer closeStore()
	p, ok := unwrapBackend(store).(pusher)
	if !ok {
		return fail("this spec keeps its state in the %s: state push uploads to the PostgreSQL backend (a backend \"pg\" block in the mynth block). To replace a state file, copy the file over it", store.Describe())
	}
	unlock, err := lockState(g, "state push", store, lockTimeout)
	if err != nil {
		return fail("%v", err)
	}
	defer unlock()
	serial, err := p.Push(f, force)
	if err != nil {
		return fail("%v", err)
	}
	f.Serial = serial
	if err := syncManifest(store, f); err != nil {
		return fail("%v", err)
	}
	_ = render.StatePushed{File: name, Backend: store.Describe(), Serial: serial, Tasks: len(f.Tasks)}.Render(g.stdout)
	return exitOK
}
