package planner

import (
	"encoding/json"

	"github.com/mynthform/mynthform/state"
)

// canonical is state.Canonical: the state file's canonical form is the
// only one used.
func canonical(raw json.RawMessage) (json.RawMessage, error) { return state.Canonical(raw) }
