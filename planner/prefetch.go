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
	idle    int
	stopped bool
}

// prefetched is one task read: claimed by whoever reads it (a prefetch
// worker or MakePlan), finished once it is read. Its fields are guarded
// by the Prefetch's mu. done is made only for a reader that finds the
// read claimed and not finished, and closed when it finishes: most reads
// are never waited for (at 0 ms, MakePlan finds them finished), and a
// channel per id was an allocation, a close and a select per task.
type prefetched struct {
	id       string
	claimed  bool
	finished bool
	done     chan struct{} // nil until a reader waits
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

// finishLocked is finish with p.mu held.
func (p *Prefetch) finishLocked(e *prefetched, t *mynth.Task, err error) {
	e.task, e.err, e.finished = t, err, true
	if e.done != nil {
		close(e.done)
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
		finished := e.finished
		if !finished && e.done == nil {
			e.done = make(chan struct{})
		}
		done := e.done
		p.mu.Unlock()
		if !finished {
			select {
			case <-done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		// The result was written before finished was set (under p.mu)
		// and before done was closed, and is never written again.
		t, err := e.task, e.err
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
	}
	e.claimed = true
	p.mu.Unlock()
	t, err := p.readInSlot(ctx, api, id)
	p.finish(e, t, err)
	return t, err
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
