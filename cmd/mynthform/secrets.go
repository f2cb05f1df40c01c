package main

import (
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// protectState tells store the secrets this run holds, which the state
// must never hold: the API key (MYNTH_API_KEY, or the emulator's) and
// every access_token the spec declares. The state is checked against
// these values, never against what text looks like.
func protectState(g *globals, store state.Backend, sp *spec.Spec) {
	values := []string{g.getenv("MYNTH_API_KEY")}
	if g.emulator {
		values = append(values, emulatorKey)
	}
	if sp != nil {
		for _, t := range sp.Tasks {
			if t != nil {
				values = append(values, t.AccessToken)
			}
		}
	}
	store.Protect(values...)
}
