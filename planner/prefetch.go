package planner

import (
	"context"
	"runtime"
	"sync"

	"github.com/mynthform/mynthform/mynth"
)

// Prefetch reads tasks by id ahead of MakePlan, while the spec is still
// loading: ids known early (a literal id in the spec) are read as they are
// added, at most par at a time, and MakePlan takes the result of a task it
// refreshes from here instead of reading it again. A result is keyed by id
// alone: what GET /tasks/:id returns depends on nothing else, so a task
// whose evaluated id differs from the one prefetched is simply read as
// usual, and the prefetched read is unused. MakePlan's own reads go
// through the same bound, so that no more than par reads are ever in
// flight; reads are made with the API key only (Task).
//
// Add may be called from any goroutine, before and during MakePlan. Stop
// ends what is still queued or in flight and waits for it; it must be
// called once the Prefetch is no longer needed (a plan made, a load that
// failed or was interrupted).
type Prefetch struct {
	ctx    context.Context
	cancel context.CancelFunc
	// slots bounds the reads in flight, the prefetched ones and
	// MakePlan's own.
	slots chan struct{}
	wg    sync.WaitGroup

	mu    sync.Mutex
	api   API // nil until Start
	par   int
	byID  map[string]*prefetched
	queue []*prefetched // in the order added; claimed entries are skipped
	wake  *sync.Cond
	// idle counts the workers waiting on wake for an id to read.
	idle int
	// unclaimed counts the queued entries no one has claimed yet.
	unclaimed int
	// batch is closed, and replaced, to wake the readers waiting for
	// reads in flight (nil while none waits): once every par reads
	// finish, at every finish once nothing is left unclaimed, and at
	// Stop. MakePlan and the prefetch go through the tasks together, so
	// a reader woken at every finish was a goroutine switch per task;
	// woken once a batch, MakePlan's few workers plan a batch of
	// finished reads each time (see planWorkers).
	batch      chan struct{}
	sinceBatch int
	stopped    bool
}

// prefetched is one task read: claimed by whoever reads it (a prefetch
// worker or MakePlan), finished once it is read. Its fields are guarded
// by the Prefetch's mu; a reader that finds it claimed and not finished
// waits on the Prefetch's batch (there is no channel per id).
type prefetched struct {
	id       string
	claimed  bool
	finished bool
	task     *mynth.Task
	err      error
}

// NewPrefetch returns a Prefetch whose reads end when ctx does. It reads
// nothing until Start.
func NewPrefetch(ctx context.Context) *Prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &Prefetch{ctx: ctx, cancel: cancel, byID: map[string]*prefetched{}}
	p.wake = sync.NewCond(&p.mu)
	return p
}

// Add queues the read of task id. An id already added is not read twice.
//
// When a worker was waiting for an id, Add yields the processor to it,
// so that its request is sent at once: the woken worker would otherwise
// wait until the caller blocks or is preempted, and the spec's parse,
// which calls Add, runs on every core without blocking for up to a
// scheduler time slice (10 ms), which staggered the first reads of a
// plan over 30 ms (TestPrefetchAddStartsReadAtOnce).
func (p *Prefetch) Add(id string) {
	if p == nil || id == "" {
		return
	}
	if p.add(id) {
		runtime.Gosched()
	}
}

// add queues id and reports whether a waiting worker was woken for it.
func (p *Prefetch) add(id string) (woke bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.byID[id] != nil {
		return false
	}
	e := &prefetched{id: id}
	p.byID[id] = e
	p.queue = append(p.queue, e)
	p.unclaimed++
	p.wake.Signal()
	return p.idle > 0
}

// Start begins reading the queued ids, and those added later, through api,
// at most par at a time (par is MakePlan's parallelism: the same bound
// covers the plan's own reads). A second Start does nothing.
func (p *Prefetch) Start(api API, par int) {
	if p == nil || api == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.api != nil {
		return
	}
	p.api, p.par = api, max(1, par)
	p.slots = make(chan struct{}, p.par)
	for range p.par {
		p.wg.Add(1)
		go p.work()
	}
}

// Stop cancels the reads still queued or in flight and waits for every
// goroutine of p to return. Results already read stay available to a
// MakePlan that has them; nothing new is read.
func (p *Prefetch) Stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.stopped = true
	p.wake.Broadcast()
	p.wakeReaders()
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
}

// work reads queued ids until p stops.
func (p *Prefetch) work() {
	defer p.wg.Done()
	var e *prefetched
	var t *mynth.Task
	var err error
	for {
		if e = p.next(e, t, err); e == nil {
			return
		}
		t, err = p.readInSlot(p.ctx, p.api, e.id)
	}
}

// next finishes the entry read last, if any, with its result, and claims
// the first unclaimed queued entry, waiting for one; nil once p stops.
// Both under one lock: a worker takes p.mu once per task.
func (p *Prefetch) next(last *prefetched, t *mynth.Task, err error) *prefetched {
	p.mu.Lock()
	defer p.mu.Unlock()
	if last != nil {
		p.finishLocked(last, t, err)
	}
	for {
		if p.stopped {
			return nil
		}
		for len(p.queue) > 0 {
			e := p.queue[0]
			p.queue[0] = nil
			p.queue = p.queue[1:]
			if !e.claimed {
				e.claimed = true
				p.unclaimed--
				return e
			}
		}
		p.idle++
		p.wake.Wait()
		p.idle--
	}
}

// finish records the result of e's read and wakes its waiters.
func (p *Prefetch) finish(e *prefetched, t *mynth.Task, err error) {
	p.mu.Lock()
	p.finishLocked(e, t, err)
	p.mu.Unlock()
}

// finishLocked is finish with p.mu held: it wakes the waiting readers
// once a batch of par reads has finished since they were last woken, or
// when nothing queued is left unclaimed (no further batch may come).
func (p *Prefetch) finishLocked(e *prefetched, t *mynth.Task, err error) {
	e.task, e.err, e.finished = t, err, true
	if p.sinceBatch++; p.sinceBatch >= p.par || p.unclaimed == 0 || p.stopped {
		p.wakeReaders()
	}
}

// wakeReaders wakes every reader waiting for a read in flight; p.mu is
// held.
func (p *Prefetch) wakeReaders() {
	p.sinceBatch = 0
	if p.batch != nil {
		close(p.batch)
		p.batch = nil
	}
}

// acquire takes a slot, waiting for one until ctx ends. A free slot is
// taken without a select.
func (p *Prefetch) acquire(ctx context.Context) bool {
	select {
	case p.slots <- struct{}{}:
		return true
	default:
	}
	select {
	case p.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (p *Prefetch) release() { <-p.slots }

// read returns task id as p read it, waiting for a read in flight; an id
// p has not started reading is read here, through api, in one of p's
// slots. A Prefetch that was never started, or is stopped, reads through
// api directly, as MakePlan would without it.
func (p *Prefetch) read(ctx context.Context, api API, id string) (*mynth.Task, error) {
	p.mu.Lock()
	if p.api == nil || p.stopped {
		p.mu.Unlock()
		return api.Task(ctx, id)
	}
	e := p.byID[id]
	if e != nil && e.claimed {
		for !e.finished {
			if p.batch == nil {
				p.batch = make(chan struct{})
			}
			batch := p.batch
			p.mu.Unlock()
			select {
			case <-batch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			p.mu.Lock()
		}
		t, err := e.task, e.err
		p.mu.Unlock()
		if err != nil && p.ctx.Err() != nil && ctx.Err() == nil {
			// Stopped under the plan's feet (its context ended, the
			// plan's did not): read it again.
			return p.readInSlot(ctx, api, id)
		}
		return t, err
	}
	if e == nil {
		e = &prefetched{id: id}
		p.byID[id] = e
	} else {
		p.unclaimed-- // queued, and now MakePlan's
	}
	e.claimed = true
	p.mu.Unlock()
	t, err := p.readInSlot(ctx, api, id)
	p.finish(e, t, err)
	return t, err
}

// planWorkers is how many workers MakePlan needs for work: when p reads
// every task work reads (the plan's own reads are then only those p was
// stopped under) and no task declares files (whose checks read and hash
// each saved file, I/O that par workers overlap), about one per
// processor, which plan the reads p has finished a batch at a time;
// else par, MakePlan's parallelism.
func (p *Prefetch) planWorkers(work []*taskWork, par int) int {
	if p == nil {
		return par
	}
	for _, w := range work {
		if w.spec != nil && len(w.spec.Files) > 0 {
			return par
		}
	}
	// Under the lock only what the workers' reads change: the lookups.
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.api == nil || p.stopped {
		return par
	}
	for _, w := range work {
		if w.readID != "" && p.byID[w.readID] == nil {
			return par
		}
	}
	return min(par, runtime.GOMAXPROCS(0))
}

// readInSlot reads id through api in one of p's slots.
func (p *Prefetch) readInSlot(ctx context.Context, api API, id string) (*mynth.Task, error) {
	if !p.acquire(ctx) {
		return nil, ctx.Err()
	}
	defer p.release()
	return api.Task(ctx, id)
}

// prefetchAPI is an API whose Task reads go through a Prefetch.
type prefetchAPI struct {
	API
	p *Prefetch
}

// Task returns the task as the Prefetch read it, or reads it.
func (a prefetchAPI) Task(ctx context.Context, id string) (*mynth.Task, error) {
	return a.p.read(ctx, a.API, id)
}
