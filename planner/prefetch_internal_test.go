package planner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
)

// gatedAPI is an API whose Task reports each call on started and answers
// only once release is closed (or its context ends).
type gatedAPI struct {
	API
	started chan string
	release chan struct{}
	calls   *atomic.Int32
}

func (a gatedAPI) Task(ctx context.Context, id string) (*mynth.Task, error) {
	a.calls.Add(1)
	a.started <- id
	select {
	case <-a.release:
		return &mynth.Task{ID: id, Status: mynth.StatusCompleted}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestPrefetchWaitersShareOneRead: readers of an id whose read is in
// flight wait for that one read (on the Prefetch's batch channel) and
// all get its task, woken though fewer than a batch of reads finished;
// a reader whose context ends while it waits
// returns at once with the context's error and the others still get the
// task; a reader after the read finished gets the task without a wait,
// and nothing is read twice.
func TestPrefetchWaitersShareOneRead(t *testing.T) {
	calls := new(atomic.Int32)
	api := gatedAPI{started: make(chan string, 4), release: make(chan struct{}), calls: calls}
	pf := NewPrefetch(context.Background())
	defer pf.Stop()
	pf.Start(api, 2)
	pf.Add("tsk_A")
	select {
	case <-api.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the prefetch did not start reading tsk_A")
	}

	const waiters = 3
	var wg sync.WaitGroup
	got := make([]*mynth.Task, waiters)
	errs := make([]error, waiters)
	for i := range waiters {
		wg.Go(func() { got[i], errs[i] = pf.read(context.Background(), api, "tsk_A") })
	}
	ctx, cancel := context.WithCancel(context.Background())
	interrupted := make(chan error, 1)
	go func() {
		_, err := pf.read(ctx, api, "tsk_A")
		interrupted <- err
	}()
	// Every reader is waiting (or about to): the read is still in flight.
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-interrupted:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("a reader interrupted while it waited returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a reader whose context ended kept waiting for the read in flight")
	}

	close(api.release)
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatal("the readers waiting for tsk_A were not woken when its read finished")
	}
	for i := range waiters {
		if errs[i] != nil || got[i] == nil || got[i].ID != "tsk_A" {
			t.Errorf("waiter %d: %v, %v; want task tsk_A", i, got[i], errs[i])
		}
	}
	after, err := pf.read(context.Background(), api, "tsk_A")
	if err != nil || after == nil || after.ID != "tsk_A" || after != got[0] {
		t.Errorf("a read after the prefetch finished: %v, %v; want the same task", after, err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("tsk_A was read %d times, want once", n)
	}
}
