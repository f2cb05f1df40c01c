package render

// This file is `mynthform state list`'s view: the addresses the state
// records. cmd/mynthform picks and sorts them; these views only write.

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/mynthform/mynthform/mynth"
)

// StateEntry is one task of state list: an address, its task's id and
// status ("" id for a creation of unknown outcome).
type StateEntry struct {
	Address string       `json:"address"`
	ID      string       `json:"id"`
	Status  mynth.Status `json:"status"`
}

// StateListView is what `state list` prints. StateListHuman and
// StateListJSON are its views; the command's tests use a fake that
// records the entries.
type StateListView interface {
	// List prints the entries, in the order given.
	List(entries []StateEntry) error
}

// Compile-time checks that both views are StateListViews.
var (
	_ StateListView = StateListHuman{}
	_ StateListView = StateListJSON{}
)

// StateListHuman prints one address a line on Out.
type StateListHuman struct {
	Out io.Writer
}

// List implements StateListView.
func (v StateListHuman) List(entries []StateEntry) error {
	out := newErrWriter(v.Out)
	for _, e := range entries {
		out.printf("%s\n", e.Address)
	}
	return out.flush()
}

// StateListJSON prints the entries on Out as an indented JSON array of
// {address, id, status}; [] when there are none.
type StateListJSON struct {
	Out io.Writer
}

// List implements StateListView.
func (v StateListJSON) List(entries []StateEntry) error {
	if entries == nil {
		entries = []StateEntry{}
	}
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the list: %w", err)
	}
	return writeOnce(v.Out, "the list", string(b)+"\n")
}
