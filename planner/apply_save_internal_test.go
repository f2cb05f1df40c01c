package planner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
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

// TestSaveSoonSharesWrites checks that saveSoon lets changes made a few
// milliseconds apart share a write (here 32 of them, 2 ms apart, with
// writes of 1 ms: save would write each alone) and still returns only
// once a write holds its change; and that a change nobody else's write
// takes is written within saveSoonWait.
func TestSaveSoonSharesWrites(t *testing.T) {
	store := &slowSaver{delay: time.Millisecond}
	a := &applier{opts: ApplyOptions{Store: store, Parallelism: 32}, st: &state.File{Tasks: map[string]*state.Task{}}, res: &ApplyResult{}}
	const n = 32
	var wg sync.WaitGroup
	for i := range n {
		addr := fmt.Sprintf("t%02d", i)
		a.mu.Lock()
		a.st.Tasks[addr] = &state.Task{ID: "tsk_" + addr}
		a.dirty = true
		a.mu.Unlock()
		wg.Go(func() {
			if err := a.saveSoon(); err != nil {
				t.Errorf("save of %s: %v", addr, err)
			}
			if !store.wrote(addr) {
				t.Errorf("save of %s returned before a write held it", addr)
			}
		})
		time.Sleep(2 * time.Millisecond)
	}
	wg.Wait()
	t.Logf("%d writes", len(store.writes))
	if len(store.writes) > n/4+4 {
		t.Errorf("%d changes 2 ms apart took %d writes, want at most %d (a quarter of the parallelism share one)", n, len(store.writes), n/4+4)
	}

	a.mu.Lock()
	a.st.Tasks["alone"] = &state.Task{ID: "tsk_alone"}
	a.dirty = true
	a.mu.Unlock()
	start := time.Now()
	if err := a.saveSoon(); err != nil || !store.wrote("alone") {
		t.Fatalf("a change alone: %v, written %v", err, store.wrote("alone"))
	}
	if took := time.Since(start); took < saveSoonWait || took > 20*saveSoonWait {
		t.Errorf("a change alone was written after %v, want saveSoonWait (%v) and its write", took, saveSoonWait)
	}
}

// TestSaveSoonAfterAFailedWrite checks that a write that fails covers
// none of the saveSoon callers waiting for it: they write again, and
// succeed only when that write does.
func TestSaveSoonAfterAFailedWrite(t *testing.T) {
	store := &slowSaver{delay: 5 * time.Millisecond}
	// A burst is two callers: the second starts the write.
	a := &applier{opts: ApplyOptions{Store: store, Parallelism: 8}, st: &state.File{Tasks: map[string]*state.Task{}}, res: &ApplyResult{}}
	store.fail.Store(1)
	errs := make(chan error, 2)
	for i := range 2 {
		a.mu.Lock()
		a.st.Tasks[fmt.Sprint("t", i)] = &state.Task{ID: fmt.Sprint("tsk_", i)}
		a.dirty = true
		a.mu.Unlock()
		go func() { errs <- a.saveSoon() }()
		time.Sleep(time.Millisecond)
	}
	failed := 0
	for range 2 {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d of 2 saves failed, want the one whose write failed", failed)
	}
	if !store.wrote("t0") || !store.wrote("t1") {
		t.Errorf("writes %v: want a write holding both tasks after the failed one", store.writes)
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

// delayedStore is a memStore whose writes take a while.
type delayedStore struct {
	inner *memStore
	delay time.Duration
}

func (s *delayedStore) Save(f *state.File) (bool, error) {
	time.Sleep(s.delay)
	return s.inner.Save(f)
}

// windowAPI counts the calls in flight on the fake, and checks at each
// creation request how many write-ahead records on disk belong to
// requests not answered yet.
type windowAPI struct {
	*applyFake
	t        *testing.T
	store    *memStore
	limit    int
	calls    atomic.Int64
	maxCalls atomic.Int64

	// polledOnDisk makes each status read check that the state on disk
	// records the task read.
	polledOnDisk bool
	// latency is how long each call takes.
	latency time.Duration

	mu       sync.Mutex
	order    []string
	answered map[string]bool
}

func (w *windowAPI) enter() func() {
	time.Sleep(w.latency)
	n := w.calls.Add(1)
	for m := w.maxCalls.Load(); n > m && !w.maxCalls.CompareAndSwap(m, n); m = w.maxCalls.Load() {
	}
	return func() { w.calls.Add(-1) }
}

func (w *windowAPI) Generate(ctx context.Context, req mynth.Request) (mynth.Created, error) {
	defer w.enter()()
	w.mu.Lock()
	w.order = append(w.order, req.Prompt.Positive)
	var disk state.File
	if last := w.store.snapshots(); len(last) > 0 {
		if err := json.Unmarshal(last[len(last)-1], &disk); err != nil {
			w.t.Error(err)
		}
	}
	unanswered := 0
	for _, at := range disk.Attempts {
		var r mynth.Request
		if err := json.Unmarshal(at.Request, &r); err != nil {
			w.t.Error(err)
		}
		if !w.answered[r.Prompt.Positive] {
			unanswered++
		}
	}
	if unanswered > w.limit {
		w.t.Errorf("sending %q: %d write-ahead records of unanswered requests on disk, want at most parallelism %d", req.Prompt.Positive, unanswered, w.limit)
	}
	w.mu.Unlock()
	created, err := w.applyFake.Generate(ctx, req)
	w.mu.Lock()
	w.answered[req.Prompt.Positive] = true
	w.mu.Unlock()
	return created, err
}

func (w *windowAPI) Status(ctx context.Context, id, pat string) (mynth.Status, error) {
	defer w.enter()()
	if w.polledOnDisk {
		var disk state.File
		if last := w.store.snapshots(); len(last) > 0 {
			if err := json.Unmarshal(last[len(last)-1], &disk); err != nil {
				w.t.Error(err)
			}
		}
		found := false
		for _, task := range disk.Tasks {
			found = found || task.ID == id
		}
		if !found {
			w.t.Errorf("polling %s before the state on disk records it", id)
		}
	}
	return w.applyFake.Status(ctx, id, pat)
}

func (w *windowAPI) Task(ctx context.Context, id string) (*mynth.Task, error) {
	defer w.enter()()
	return w.applyFake.Task(ctx, id)
}

func (w *windowAPI) Download(ctx context.Context, url string, dst io.Writer, maxBytes int64) (int64, error) {
	defer w.enter()()
	return w.applyFake.Download(ctx, url, dst, maxBytes)
}

// TestApplyCreationWindow checks what apply keeps while creations wait
// for their write-ahead records (which no longer hold an API slot): the
// creations take their API slots in plan order, at most parallelism API
// calls are in flight, and the state on disk never holds more than
// parallelism records of creation requests not yet answered (what a kill
// at that moment leaves as creations of unknown outcome).
//
// The order is checked where apply makes it, when a creation takes its
// API slot (onCreationSlot), not where the fake sees the call: creations
// that hold slots at once call the API concurrently, so which of them
// reaches the fake first is the scheduler's choice (about one run in ten
// under -race saw two neighbours swapped there). The fake checks only
// what the slot order implies: a request overtakes only requests that
// are in flight with it.
func TestApplyCreationWindow(t *testing.T) {
	c := newApplyCase(t)
	const n, par = 24, 3
	var wantAddrs []string
	for i := range n {
		addr := fmt.Sprintf(`task.p["%02d"]`, i)
		c.task(addr, fmt.Sprintf("photo %02d", i), 1, ActionGenerate, fmt.Sprintf("out/%02d.png", i))
		wantAddrs = append(wantAddrs, addr)
	}
	c.api.PollsToDone = 1
	api := &windowAPI{applyFake: c.api, t: t, store: c.store, limit: par, answered: map[string]bool{}}
	opts := c.options()
	opts.Parallelism = par
	opts.API = api
	opts.Store = &delayedStore{inner: c.store, delay: 3 * time.Millisecond}
	var slotMu sync.Mutex
	var slots []string
	opts.onCreationSlot = func(addr string) {
		slotMu.Lock()
		slots = append(slots, addr)
		slotMu.Unlock()
	}
	res := c.apply(context.Background(), opts)
	if res.Failed() || res.Generated != n || res.FilesSaved != n {
		t.Fatalf("result: %+v", res)
	}
	if got := api.maxCalls.Load(); got > par {
		t.Errorf("%d API calls in flight at once, want at most %d", got, par)
	}
	if diff := cmp.Diff(wantAddrs, slots); diff != "" {
		t.Errorf("order of the creations' API slots (-plan +taken):\n%s", diff)
	}
	// Sent in any order among the requests in flight together, so at
	// most parallelism-1 places from plan order.
	if len(api.order) != n {
		t.Fatalf("%d creation requests sent, want %d", len(api.order), n)
	}
	for i, prompt := range api.order {
		var at int
		if _, err := fmt.Sscanf(prompt, "photo %d", &at); err != nil {
			t.Fatal(err)
		}
		if d := at - i; d >= par || -d >= par {
			t.Errorf("request %q sent %d-th: %d places from plan order, want fewer than parallelism %d", prompt, i, d, par)
		}
	}
}

// TestApplyCreatedTasksShareWrites checks apply's creations when the
// records of created tasks wait for company (saveSoon) and the creation
// window lets creations in by bursts (awaitWindowBurst), at a
// parallelism where a burst is four: every created task is on disk
// before apply polls it, no more than parallelism records of unanswered
// requests are ever on disk when a request goes out, and the writes stay
// fewer than one per creation. (TestSaveSoonSharesWrites measures the
// sharing itself; here the fake's timing decides how much there is.)
func TestApplyCreatedTasksShareWrites(t *testing.T) {
	c := newApplyCase(t)
	const n, par = 96, 16
	for i := range n {
		c.task(fmt.Sprintf(`task.p["%02d"]`, i), fmt.Sprintf("photo %02d", i), 1, ActionGenerate, fmt.Sprintf("out/%02d.png", i))
	}
	c.api.PollsToDone = 1
	api := &windowAPI{applyFake: c.api, t: t, store: c.store, limit: par, answered: map[string]bool{}}
	opts := c.options()
	opts.Parallelism = par
	api.polledOnDisk = true
	api.latency = 2 * time.Millisecond
	opts.API = api
	opts.Store = &delayedStore{inner: c.store, delay: time.Millisecond}
	res := c.apply(context.Background(), opts)
	if res.Failed() || res.Generated != n || res.FilesSaved != n {
		t.Fatalf("result: %+v", res)
	}
	writes := len(c.store.snapshots())
	t.Logf("%d creations, %d writes", n, writes)
	if writes > n {
		t.Errorf("%d creations took %d writes, want at most %d", n, writes, n)
	}
}
