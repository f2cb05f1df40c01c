package state_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// A command that changes the state holds the lock from before it reads the
// state until after it has saved it.
func Example() {
	dir, _ := os.MkdirTemp("", "state-example-")
	defer os.RemoveAll(dir)

	store := state.Open(filepath.Join(dir, "mynth.state.json"))
	lock, err := store.Lock(context.Background(), "apply", 10*time.Second)
	if err != nil {
		fmt.Println(err) // names the holder: "the state is locked by apply (pid ...)"
		return
	}
	defer lock.Unlock()

	st, err := store.Load() // no file yet: an empty state
	if err != nil {
		fmt.Println(err) // a refusal, with a recovery hint
		return
	}
	st.ToolVersion = "v0.1.0"
	st.Tasks["task.hero"] = &state.Task{
		ID:      "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP",
		Status:  mynth.StatusPending,
		Request: json.RawMessage(`{"prompt":"a mug","model":"google/gemini-3.1-flash-image"}`),
	}
	wrote, err := store.Save(st)
	fmt.Println(wrote, err, st.Serial)

	// Saving the same content again writes nothing.
	wrote, err = store.Save(st)
	fmt.Println(wrote, err, st.Serial)
	fmt.Println(st.Addresses())
	// Output:
	// true <nil> 1
	// false <nil> 1
	// [task.hero]
}

// Canonical sorts keys and removes spacing, keeping numbers exactly.
func ExampleCanonical() {
	c, _ := state.Canonical(json.RawMessage(`{"size": "square", "count": 2, "cost": 0.01250000}`))
	fmt.Println(string(c))
	// Output: {"cost":0.01250000,"count":2,"size":"square"}
}
