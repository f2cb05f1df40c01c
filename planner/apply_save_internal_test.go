package planner

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mynthform/mynthform/state"
)

// slowSaver is a StateSaver whose writes take a while, as an fsync on a
// busy disk does. It records every write's task addresses and can fail the
// writes it is told to.
type slowSaver struct {
	delay  time.Duration
	fail   atomic.Int32 // how many of the next writes fail
	mu     sync.Mutex
	writes [][]string
}

func (s *slowSaver) Save(f *state.File) (bool, error) {
	time.Sleep(s.delay)
	if s.fail.Load() > 0 {
		s.fail.Add(-1)
		return false, errors.New("disk full")
	}
	var addrs []string
	for a := range f.Tasks {
		addrs = append(addrs, a)
	}
	s.mu.Lock()
	s.writes = append(s.writes, addrs)
	s.mu.Unlock()
	return true, nil
}

// wrote reports whether a finished write held addr.
func (s *slowSaver) wrote(addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.writes {
		for _, got := range w {
			if got == addr {
				return true
			}
		}
	}
	return false
}

// record puts a task at addr, as apply records a creation, and saves.
func record(a *applier, addr string) error {
	a.mu.Lock()
	a.st.Tasks[addr] = &state.Task{ID: "tsk_" + addr}
	a.dirty = true
	a.mu.Unlock()
	return a.save()
}

// TestSaveIsAGroupCommit checks that concurrent saves share writes: 32
// goroutines that each record a change and save, ten times over, a few
// milliseconds apart, so that others keep changing the state, return after a write that holds their
// change instead of each queuing a write of its own (which is what a
// plain mutex around the write gives: 320 writes); and that every save
// returns only once a finished write holds its change.
func TestSaveIsAGroupCommit(t *testing.T) {
	store := &slowSaver{delay: 5 * time.Millisecond}
	a := &applier{opts: ApplyOptions{Store: store}, st: &state.File{Tasks: map[string]*state.Task{}}, res: &ApplyResult{}}
	const n, rounds = 32, 10
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for r := range rounds {
				addr := fmt.Sprintf("t%02d.%d", i, r)
				if err := record(a, addr); err != nil {
					t.Errorf("save of %s: %v", addr, err)
					return
				}
				if !store.wrote(addr) {
					t.Errorf("save of %s returned before a write held it", addr)
				}
				// The next request: the goroutines change the state at
				// different moments, as answers arrive.
				time.Sleep(time.Duration(i%7) * time.Millisecond)
			}
		})
	}
	wg.Wait()
	t.Logf("%d writes", len(store.writes))
	if len(store.writes) > 9*rounds/2 {
		t.Errorf("%d saves made %d writes, want at most %d: a write covers every change made before it", n*rounds, len(store.writes), 9*rounds/2)
	}
	if last := store.writes[len(store.writes)-1]; len(last) != n*rounds {
		t.Errorf("the last write holds %d tasks, want %d", len(last), n*rounds)
	}
}

// TestSaveAfterAFailedGroupWrite checks that a write that fails covers no
// one: the saves waiting on it write again, and report success only when
// that write succeeds.
func TestSaveAfterAFailedGroupWrite(t *testing.T) {
	store := &slowSaver{delay: 20 * time.Millisecond}
	a := &applier{opts: ApplyOptions{Store: store}, st: &state.File{Tasks: map[string]*state.Task{}}, res: &ApplyResult{}}
	store.fail.Store(1)
	errs := make(chan error, 8)
	for i := range 8 {
		go func() { errs <- record(a, fmt.Sprintf("t%d", i)) }()
	}
	failed := 0
	for range 8 {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if failed == 0 || failed == 8 {
		t.Errorf("%d of 8 saves failed; want the one whose write failed (and those it took) to fail and the others to write again", failed)
	}
	if len(store.writes) == 0 || len(store.writes[len(store.writes)-1]) != 8 {
		t.Errorf("writes %v: want a last write holding all 8 tasks", store.writes)
	}
}
