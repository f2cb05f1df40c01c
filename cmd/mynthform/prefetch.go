package main

import (
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/spec"
)

// prefetchFor returns the spec.Early hooks that start reading the plan's
// tasks while the spec loads, and the Prefetch that MakePlan then takes
// them from; both nil when nothing is read early: refresh is off, the
// emulator runs in-process (it starts, and says so, once the spec is
// loaded), or there is no API key (tasks are then read with their access
// tokens, which only the evaluated spec holds).
//
// The reads start as soon as the API's address and the parallelism are
// known: at once when MYNTH_BASE_URL and --parallelism give them (the
// spec's settings cannot change them), else once the spec's mynth block
// is decoded, before its tasks are evaluated. Only the literal ids of the
// tasks in scope (--target, --exclude) are read early. The caller must
// Stop the Prefetch.
func prefetchFor(g *globals, a planArgs) (*spec.Early, *planner.Prefetch) {
	if !a.refresh || g.emulator || g.getenv("MYNTH_API_KEY") == "" {
		return nil, nil
	}
	pf := planner.NewPrefetch(g.ctx)
	start := func(sp *spec.Spec) {
		api, hasKey, _, err := connect(g, sp)
		if err != nil || !hasKey {
			return
		}
		pf.Start(api, sp.Parallelism(int(a.parallelism)))
	}
	scope := a.scope()
	early := &spec.Early{
		TaskID: func(addr, id string) {
			if scope.ContainsAddress(addr) {
				pf.Add(id)
			}
		},
		Settings: func(s spec.Settings) { start(&spec.Spec{Settings: s}) },
	}
	if g.getenv("MYNTH_BASE_URL") != "" && a.parallelism > 0 {
		start(nil)
	}
	return early, pf
}
