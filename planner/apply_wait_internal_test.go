package planner

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
)

// statusStub answers every status read with err, else pending, and
// records when each read came. Only Status is implemented: wait reads
// nothing else of a task that never finishes.
type statusStub struct {
	API
	err error

	mu    sync.Mutex
	reads []time.Time
}

func (s *statusStub) Status(ctx context.Context, id, pat string) (mynth.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads = append(s.reads, time.Now())
	if s.err != nil {
		return "", s.err
	}
	return mynth.StatusPending, nil
}

// waitOn runs apply's wait for one task against api until it gives up.
func waitOn(api API, poll mynth.PollSchedule, timeout time.Duration) error {
	a := &applier{
		opts: ApplyOptions{API: api, Poll: poll.WithDefaults(), WaitTimeout: timeout},
		now:  time.Now,
		sem:  make(chan struct{}, 1),
	}
	_, err := a.wait(context.Background(), "tsk_1", "", "", nil)
	return err
}

// TestApplyPollsBySchedule: apply's wait polls by the mynth.PollSchedule it
// is given, fast while the wait is young and slow after FastFor, as
// mynth.Wait does.
func TestApplyPollsBySchedule(t *testing.T) {
	// The fast phase is long enough that a loaded machine still polls in
	// it more than once.
	poll := mynth.PollSchedule{Fast: 20 * time.Millisecond, FastFor: 400 * time.Millisecond, Slow: 150 * time.Millisecond}
	api := &statusStub{}
	start := time.Now()
	if err := waitOn(api, poll, time.Second); !errors.Is(err, errApplyWaitTimeout) {
		t.Fatalf("wait = %v, want the wait timeout", err)
	}
	var fast, slow int
	for i := 1; i < len(api.reads); i++ {
		since := api.reads[i-1].Sub(start)
		gap := api.reads[i].Sub(api.reads[i-1])
		want := poll.Slow
		if since < poll.FastFor {
			want = poll.Fast
			fast++
		} else {
			slow++
		}
		if gap < want {
			t.Errorf("read %d came %s after the one at %s, want at least %s", i, gap, since, want)
		}
	}
	// Ideally 20 fast polls; fewer than 5 is a wait that polled slowly
	// from the start.
	if fast < 5 || slow < 1 {
		t.Errorf("%d fast and %d slow polls, want both phases", fast, slow)
	}
}

// TestApplyGivesUpAfterFailedReads: a read that keeps failing ends the
// wait after maxPollErrors reads, with the read's error.
func TestApplyGivesUpAfterFailedReads(t *testing.T) {
	broken := errors.New("503 after the client's retries")
	api := &statusStub{err: broken}
	err := waitOn(api, mynth.PollSchedule{Fast: time.Millisecond, Slow: time.Millisecond}, time.Minute)
	if !errors.Is(err, broken) {
		t.Fatalf("wait = %v, want the read's error", err)
	}
	if len(api.reads) != maxPollErrors {
		t.Errorf("%d reads, want %d", len(api.reads), maxPollErrors)
	}
}
