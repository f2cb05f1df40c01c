// Package gctune gives the garbage collector a floor on its heap goal, so
// that a process that builds up a few tens of MiB of live data at start-up
// (mynthform loading a spec of thousands of tasks) does not pay for the
// collections of a 4, 8, 16 and 32 MiB heap that is nearly all live and
// growing, while a larger heap is paced by GOGC=100 as usual.
//
// # Why a floor, and how
//
// With the default GOGC=100 the runtime starts collecting at a 4 MiB heap
// and then whenever the heap has doubled since the last collection. A
// process whose live heap grows from nothing to 40 MiB thus marks 2, 4, 8,
// 16 and 32 MiB of live data on the way: nearly as much marking as its
// whole live heap again, for no garbage found. A higher GOGC removes those
// collections but also raises every later heap goal, so peak memory grows
// with it. A floor removes only the early ones: below the floor the goal is
// the floor, above it the goal is what GOGC=100 gives (twice the live heap,
// plus stacks and globals), so memory stays linear in the live heap and the
// peak of a heap that outgrows the floor is about what it was.
//
// The runtime has no floor setting of its own. [Start] builds one from
// three pieces:
//
//   - The GC percent of [debug.SetGCPercent] sets the goal of the next cycle
//     as the last marked heap L plus L times the percent over 100, and a
//     minimum heap of 4 MiB times the percent over 100 (so 4 MiB at
//     GOGC=100). After each cycle the tuner reads L from [runtime/metrics]
//     (/gc/heap/live:bytes) and sets the smallest percent, never below 100,
//     whose goal reaches the floor; at L >= floor/2 that is 100 itself. The
//     percent is also capped so that the minimum heap stays at the floor:
//     before the first cycle (L = 0) the goal is the floor through that
//     minimum. (That scaling of the minimum is how the runtime has worked
//     since Go 1.5 rather than a documented promise: TestFloorSavesEarlyCycles
//     fails if it changes.)
//   - The hook after each cycle is a sentinel object with a cleanup
//     ([runtime.AddCleanup]): the sentinel is unreachable as soon as it is
//     made, so its cleanup runs once the next cycle has swept it; the cleanup
//     retunes and makes the next sentinel. One small allocation and one
//     metrics read per cycle: the tuner never runs between cycles, so it
//     cannot spin.
//   - A backstop for a hook that runs late. The cleanup runs on the
//     runtime's cleanup goroutine once the sentinel's span is swept, which
//     under load can be well into the next cycle, and until then the
//     percent set for a small live heap (up to 1,400 at a 56 MiB floor)
//     applies to a large one. So while the percent is above 100 the tuner
//     also sets a memory limit ([debug.SetMemoryLimit]) of twice the floor,
//     which a heap paced as above does not reach (below half the floor,
//     twice the live heap is below the floor), and lifts it when the
//     percent is back at 100. A late hook costs at most a heap of about
//     twice the floor, not a goal of fifteen times the live heap
//     (TestLateHookIsBounded).
//
// The Go compiler starts the same way (AdjustStartingHeap in
// cmd/compile/internal/base: a re-arming finalizer, GOGC raised until the
// live heap is half the requested goal). This tuner keeps the floor for
// the whole process instead, so that a heap that shrinks again is not
// collected below it; a command whose later work is mostly garbage ends it
// with the function Start returns.
//
// The alternative of a memory limit alone (GOGC off and a limit of the
// floor until the live heap is half of it) was not taken: a memory limit
// counts all of the runtime's memory, not the heap, and with a late hook a
// live heap near the limit makes the runtime collect back to back. With the
// percent first, a late hook means one larger goal (bounded by the
// backstop), not extra collections.
//
// # What the user keeps
//
// A GOGC or GOMEMLIMIT in the environment is the user's choice, and Start
// then does nothing; so does a memory limit the program set before Start.
// A later debug.SetGCPercent or debug.SetMemoryLimit by anyone else is seen
// at the next cycle (the setting is not the one the tuner made): the tuner
// stops there, leaves that setting alone and puts back the other.
package gctune

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// minHeapAt100 is the runtime's minimum heap goal at GOGC=100, which it
// scales with the GC percent (defaultHeapMinimum in runtime/mgcpacer.go).
const minHeapAt100 = 4 << 20

// Start sets a floor of floor bytes on the garbage collector's heap goal
// for the rest of the process, unless GOGC or GOMEMLIMIT is set in the
// environment (then it does nothing), and returns a function that stops the
// tuner and restores the GC percent it found. Call it once, early in main.
// A floor at or below 4 MiB, the runtime's own minimum, does nothing.
func Start(floor uint64) (stop func()) {
	return start(floor, os.Getenv, nil)
}

// start is Start reading the environment through getenv, calling
// afterCycle (if not nil) at the end of each cycle's tuning with the count
// of cycles it read with the live heap: the tests' way to wait for the
// hook, which runs on the runtime's cleanup goroutine.
func start(floor uint64, getenv func(string) string, afterCycle func(cycles uint64)) (stop func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" || floor <= minHeapAt100 {
		return func() {}
	}
	if debug.SetMemoryLimit(-1) != noLimit {
		return func() {} // a limit set by the program: the user's
	}
	t := &tuner{floor: floor, afterCycle: afterCycle}
	t.samples = []metrics.Sample{{Name: liveMetric}, {Name: percentMetric}, {Name: cyclesMetric}, {Name: limitMetric}}
	t.found = t.tune(percentFor(floor, 0))
	t.arm()
	return t.stop
}

// noLimit is the memory limit of a runtime without one (GOMEMLIMIT unset).
const noLimit = math.MaxInt64

// tune sets the GC percent p, and the backstop memory limit of twice the
// floor while p is above 100 (none from 100 on), and returns the percent
// before.
func (t *tuner) tune(p int) (before int) {
	before = debug.SetGCPercent(p)
	debug.SetMemoryLimit(t.limitFor(p))
	t.set = p
	return before
}

// limitFor is the memory limit that goes with the GC percent p: the
// backstop of twice the floor above 100, none from 100 on.
func (t *tuner) limitFor(p int) int64 {
	if p > 100 {
		return int64(2 * t.floor)
	}
	return noLimit
}

const (
	liveMetric    = "/gc/heap/live:bytes"
	percentMetric = "/gc/gogc:percent"
	cyclesMetric  = "/gc/cycles/total:gc-cycles"
	limitMetric   = "/gc/gomemlimit:bytes"
)

// tuner is the state of one Start: it lives in the cleanup of its sentinel,
// not in a package variable.
type tuner struct {
	floor      uint64
	samples    []metrics.Sample
	afterCycle func(cycles uint64)

	mu      sync.Mutex
	set     int  // the percent the tuner last set (and with it the limit, limitFor)
	found   int  // the percent before Start, for stop
	stopped bool // by stop, or because someone else set the percent
}

// sentinel is what the tuner's cleanup is attached to. It has a pointer so
// that it is not a tiny allocation: the runtime batches tiny objects into
// one block, which would keep it alive with its neighbours.
type sentinel struct {
	_ *int
	_ [16]byte
}

// arm makes a sentinel whose cleanup runs after the next cycle.
func (t *tuner) arm() {
	runtime.AddCleanup(new(sentinel), (*tuner).cycle, t)
}

// cycle runs after each collection: it reads the live heap, sets the
// percent whose goal reaches the floor, and arms the next cycle.
func (t *tuner) cycle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.samples)
	if t.afterCycle != nil {
		defer t.afterCycle(t.samples[2].Value.Uint64())
	}
	live := t.samples[0].Value.Uint64()
	if !t.percentOurs() || !t.limitOurs() {
		t.end() // set by someone else: theirs stands
		return
	}
	if p := percentFor(t.floor, live); p != t.set {
		t.tune(p)
	}
	t.arm()
}

// percentOurs and limitOurs report whether the GC percent and the memory
// limit last read are the ones the tuner set.
func (t *tuner) percentOurs() bool { return int(t.samples[1].Value.Uint64()) == t.set }
func (t *tuner) limitOurs() bool {
	return int64(t.samples[3].Value.Uint64()) == t.limitFor(t.set)
}

// end stops the tuner: the percent goes back to the one Start found and
// the backstop limit is lifted, each only where it is still the tuner's.
func (t *tuner) end() {
	t.stopped = true
	if t.percentOurs() {
		debug.SetGCPercent(t.found)
	}
	if t.limitOurs() {
		debug.SetMemoryLimit(noLimit)
	}
}

// stop ends the tuner and puts back the percent Start found, unless someone
// else has changed it since.
func (t *tuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.samples)
	t.end()
}

// percentFor is the GC percent whose heap goal after a cycle that marked
// live bytes is at least floor: the smallest p >= 100 with
// live + live*p/100 >= floor, at most the p whose minimum heap
// (4 MiB * p/100) is the floor.
func percentFor(floor, live uint64) int {
	maxP := floor * 100 / minHeapAt100
	p := uint64(100)
	if live == 0 {
		p = maxP
	} else if 2*live < floor {
		p = min((floor-live)*100/live+1, maxP)
	}
	return int(max(p, 100))
}
