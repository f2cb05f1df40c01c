package mynth_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// TestTaskReadAllocs holds a task read's allocations to a budget, as the
// number beyond those of the bare net/http read it is made of (the
// request, its Authorization header, Do, the body read whole) against the
// same canned answer: what the client adds (the per-attempt timeout, its
// headers, the body buffer, strict decoding with Raw kept) is counted
// alone, whatever net/http's own count in this Go version. The decoding
// of the task's body is budgeted on its own too.
func TestTaskReadAllocs(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	c := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_allocs"})
	ctx := context.Background()
	cr, err := c.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: "product photo"}, Size: &mynth.Size{Preset: "square"}})
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.Task(ctx, cr.TaskID)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: cannedTransport{task.Raw}}
	canned := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_allocs", HTTPClient: hc})
	url := srv.URL + "/tasks/" + cr.TaskID

	read := testing.AllocsPerRun(200, func() {
		if _, err := canned.Task(ctx, cr.TaskID); err != nil {
			t.Fatal(err)
		}
	})
	bare := testing.AllocsPerRun(200, func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer mak_allocs")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	})
	decode := testing.AllocsPerRun(200, func() {
		if _, err := mynth.DecodeTask(task.Raw); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("a task read: %.0f allocations, %.0f beyond the bare read's %.0f; decoding alone %.0f", read, read-bare, bare, decode)
	// Budgets, with the figures when they were set (go1.26, one image):
	// beyond the bare read 12 (10 with -race): the decoding's (the task
	// and the values it points to in one allocation, its strings in
	// another, its amounts), the attempt's timeout (context and timer)
	// and net/http's cancellation of a request whose context can be
	// cancelled, less the bare read's io.ReadAll growing its buffer where
	// the client reads Content-Length bytes at once; the decoding 11 with
	// DecodeTask's copy of Raw. Before the task's values were allocated
	// together: 20 and 19.
	const overBudget, decodeBudget = 14, 12
	if read-bare > overBudget {
		t.Errorf("a task read allocates %.0f times beyond the bare read's %.0f, budget %d", read-bare, bare, overBudget)
	}
	if decode > decodeBudget {
		t.Errorf("decoding a task allocates %.0f times, budget %d", decode, decodeBudget)
	}
}
