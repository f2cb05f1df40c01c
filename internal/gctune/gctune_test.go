package gctune

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

const (
	floor = 48 << 20
	mib   = 1 << 20
)

// The child scenarios run in a process of their own (the test binary again,
// with childEnv naming the scenario), so that each starts from a fresh heap
// and the runtime reads GOGC and GOMEMLIMIT from a real environment.
const childEnv = "GCTUNE_TEST_CHILD"

// result is what a child scenario reports on its stdout.
type result struct {
	Cycles    uint64  // GC cycles during the allocation
	PeakHeap  uint64  // the largest heap (objects, live and dead) seen after any chunk
	Worst     string  // the sample furthest over the bound, if any
	Percent   int64   // the GC percent at the end
	Goal      uint64  // the heap goal at the end
	Live      uint64  // the live heap of the last cycle
	StartGoal uint64  // the heap goal right after Start
	Limit     uint64  // the memory limit at the end
	GoalRatio float64 // the largest heap goal seen over max(2 x floor, 2 x kept)
}

// runChild runs scenario in a child process with env added to an
// environment without GOGC, GOMEMLIMIT or GODEBUG, and decodes its result.
func runChild(t *testing.T, scenario string, env ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") && !strings.HasPrefix(kv, "GODEBUG=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, childEnv+"="+scenario)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child %s %v: %v\n%s", scenario, env, err, out)
	}
	for line := range strings.Lines(string(out)) {
		if r, ok := strings.CutPrefix(line, "result: "); ok {
			var res result
			if err := json.Unmarshal([]byte(r), &res); err != nil {
				t.Fatalf("child %s: %v", scenario, err)
			}
			t.Logf("%s %v: %+v", scenario, env, res)
			return res
		}
	}
	t.Fatalf("child %s %v printed no result:\n%s", scenario, env, out)
	return result{}
}

// TestChild is the child side of runChild; without childEnv it is skipped.
func TestChild(t *testing.T) {
	scenario := os.Getenv(childEnv)
	if scenario == "" {
		t.Skip("run by the other tests in a child process")
	}
	var res result
	tuned, what, _ := strings.Cut(scenario, "/")
	switch tuned {
	case "tuned":
		Start(floor)
	case "late":
		// A tuner whose hook never runs: the percent of an empty heap for
		// good, with the backstop.
		(&tuner{floor: floor}).tune(percentFor(floor, 0))
	case "late-without-backstop":
		debug.SetGCPercent(percentFor(floor, 0))
	}
	res.StartGoal = read("/gc/heap/goal:bytes")
	switch what {
	case "grow":
		// 40 MiB of live data, all kept: what loading a spec does.
		res.Cycles, res.PeakHeap, res.Worst, res.GoalRatio = allocate(40*mib, 0)
	case "beyond":
		// 200 MiB kept and as much garbage: far past the floor.
		res.Cycles, res.PeakHeap, res.Worst, res.GoalRatio = allocate(200*mib, 1)
	default:
		t.Fatalf("unknown scenario %q", scenario)
	}
	res.Percent = int64(read("/gc/gogc:percent"))
	res.Goal = read("/gc/heap/goal:bytes")
	res.Live = read("/gc/heap/live:bytes")
	res.Limit = read("/gc/gomemlimit:bytes")
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("result: %s\n", b)
}

// kept is where allocate keeps its live data reachable.
var kept [][]byte

// allocate keeps live bytes in 256 KiB chunks, with garbage chunks of
// garbage times that size made between them, and returns the GC cycles it
// took, the largest heap seen after a chunk, the sample that most exceeded
// max(2 x floor, 2 x kept) x 1.3 + 4 MiB (the bound of a heap paced by
// GOGC=100 or held by the tuner's backstop of twice the floor, with room
// for what is allocated while a cycle marks: it counts as live in that
// cycle), and the largest heap goal seen over max(2 x floor, 2 x kept).
func allocate(live uint64, garbage int) (cycles, peak uint64, worst string, goalRatio float64) {
	const chunk = 256 << 10
	start := read("/gc/cycles/total:gc-cycles")
	var sink []byte
	var over float64
	for n := uint64(0); n < live; n += chunk {
		kept = append(kept, make([]byte, chunk))
		for range garbage {
			sink = make([]byte, chunk)
		}
		heap := read("/memory/classes/heap/objects:bytes")
		peak = max(peak, heap)
		paced := float64(max(2*floor, 2*(n+chunk)))
		goalRatio = max(goalRatio, float64(read("/gc/heap/goal:bytes"))/paced)
		bound := paced*1.3 + 4*mib
		if r := float64(heap) / bound; r > 1 && r > over {
			over = r
			worst = fmt.Sprintf("heap %d MiB with %d MiB kept (bound %.0f MiB)", heap/mib, (n+chunk)/mib, bound/mib)
		}
	}
	runtime.KeepAlive(sink)
	return read("/gc/cycles/total:gc-cycles") - start, peak, worst, goalRatio
}

// read reads one runtime metric of kind uint64.
func read(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestFloorSavesEarlyCycles: 40 MiB of growing live data, below the
// floor, takes no more than one collection with the tuner, and the several
// of GOGC=100 (at 4, 8, 16 and 32 MiB) without it.
func TestFloorSavesEarlyCycles(t *testing.T) {
	tuned := runChild(t, "tuned/grow")
	plain := runChild(t, "plain/grow")
	if tuned.StartGoal < floor {
		t.Errorf("heap goal after Start is %d MiB, want the floor, %d MiB", tuned.StartGoal/mib, floor/mib)
	}
	if tuned.Cycles > 1 {
		t.Errorf("with the tuner, 40 MiB below a %d MiB floor took %d GC cycles, want at most 1", floor/mib, tuned.Cycles)
	}
	if plain.Cycles < 3 {
		t.Errorf("without the tuner, 40 MiB took %d GC cycles, want 3 or more (is the test still measuring anything?)", plain.Cycles)
	}
}

// TestAboveFloorTracksTwiceLive: far above the floor the heap is paced as
// GOGC=100 paces it: no runaway from a percent set for a small heap, the
// percent back at 100, and a goal of about twice the live heap.
func TestAboveFloorTracksTwiceLive(t *testing.T) {
	tuned := runChild(t, "tuned/beyond")
	plain := runChild(t, "plain/beyond")
	if tuned.Worst != "" {
		t.Errorf("with the tuner the heap outgrew GOGC=100's pacing: %s", tuned.Worst)
	}
	if tuned.Percent != 100 || tuned.Limit != math.MaxInt64 {
		t.Errorf("GC percent %d and memory limit %d with a live heap of %d MiB, want 100 and none (the backstop lifted)", tuned.Percent, tuned.Limit, tuned.Live/mib)
	}
	if lim := 2*tuned.Live + 4*mib; tuned.Goal > lim {
		t.Errorf("heap goal %d MiB for a live heap of %d MiB, want at most %d MiB", tuned.Goal/mib, tuned.Live/mib, lim/mib)
	}
	if lim := plain.PeakHeap + plain.PeakHeap/2; tuned.PeakHeap > lim {
		t.Errorf("peak heap %d MiB with the tuner, %d MiB without: want at most %d MiB", tuned.PeakHeap/mib, plain.PeakHeap/mib, lim/mib)
	}
	if plain.Worst != "" {
		t.Errorf("the bound does not hold even without the tuner (is it right?): %s", plain.Worst)
	}
}

// TestLateHookIsBounded: should the hook never run after the first cycle,
// the percent set for an empty heap would pace a heap of 200 MiB; the
// backstop memory limit keeps the heap goal at twice the floor or twice
// what is kept, where without it the goal runs away (13 times the live
// heap).
func TestLateHookIsBounded(t *testing.T) {
	if res := runChild(t, "late/beyond"); res.Worst != "" || res.GoalRatio > 1.1 {
		t.Errorf("with the hook stuck, the heap outgrew GOGC=100's pacing: %s; the heap goal reached %.2f times max(2 x floor, 2 x kept), want at most 1.1", res.Worst, res.GoalRatio)
	}
	if res := runChild(t, "late-without-backstop/beyond"); res.GoalRatio < 2 {
		t.Errorf("with the hook stuck and no backstop the heap goal reached only %.2f times max(2 x floor, 2 x kept): the test tests nothing", res.GoalRatio)
	}
}

// TestEnvironmentTurnsItOff: a GOGC or GOMEMLIMIT of the user's leaves the
// runtime as the user set it: the early cycles happen, at the user's GOGC.
func TestEnvironmentTurnsItOff(t *testing.T) {
	for _, tc := range []struct {
		env     string
		percent int64
		limit   uint64
	}{
		{"GOGC=50", 50, math.MaxInt64},
		{"GOGC=100", 100, math.MaxInt64},
		{"GOMEMLIMIT=1GiB", 100, 1 << 30},
	} {
		res := runChild(t, "tuned/grow", tc.env)
		if res.Percent != tc.percent || res.Limit != tc.limit {
			t.Errorf("%s: GC percent %d and memory limit %d, want %d and %d", tc.env, res.Percent, res.Limit, tc.percent, tc.limit)
		}
		if res.StartGoal >= floor {
			t.Errorf("%s: heap goal after Start %d MiB, want the runtime's own (4 MiB)", tc.env, res.StartGoal/mib)
		}
		if res.Cycles < 3 {
			t.Errorf("%s: 40 MiB took %d GC cycles, want 3 or more, as without the tuner", tc.env, res.Cycles)
		}
	}
}

// startForTest starts a tuner in this process and returns a channel that
// receives after each cycle it tunes. It restores the GC percent when the
// test ends.
func startForTest(t *testing.T, floor uint64) <-chan uint64 {
	t.Helper()
	cycled := make(chan uint64, 64)
	stop := start(floor, func(string) string { return "" }, func(cycles uint64) {
		select {
		case cycled <- cycles:
		default:
		}
	})
	t.Cleanup(func() {
		stop()
		debug.SetGCPercent(100)
	})
	return cycled
}

// awaitCycle runs a collection and waits for the tuner to have tuned after
// it (the hook runs on the runtime's cleanup goroutine, and reports the
// cycle count it read with the live heap).
func awaitCycle(t *testing.T, cycled <-chan uint64) {
	t.Helper()
	runtime.GC()
	n := read("/gc/cycles/total:gc-cycles")
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c := <-cycled:
			if c >= n {
				return
			}
		case <-timeout:
			t.Fatalf("the tuner did not run after collection %d", n)
		}
	}
}

// TestTunesAfterEachCycle: after every collection the percent is the one
// whose goal reaches the floor for the live heap of that collection, and
// it falls to 100 once twice the live heap is past the floor.
func TestTunesAfterEachCycle(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("child")
	}
	const floor = 256 << 20 // far above what the test binary holds
	cycled := startForTest(t, floor)
	var hold [][]byte
	for _, liveMiB := range []int{0, 16, 64, 100, 140} {
		for len(hold) < liveMiB {
			hold = append(hold, make([]byte, mib))
		}
		awaitCycle(t, cycled)
		live := read("/gc/heap/live:bytes")
		got := int(read("/gc/gogc:percent"))
		if want := percentFor(floor, live); got != want {
			t.Errorf("live %d MiB: GC percent %d, want %d", live/mib, got, want)
		}
		goal := read("/gc/heap/goal:bytes")
		if goal < floor {
			t.Errorf("live %d MiB: heap goal %d MiB, below the %d MiB floor", live/mib, goal/mib, floor/mib)
		}
		if lim := max(floor+4*mib, 2*live+4*mib); goal > lim {
			t.Errorf("live %d MiB: heap goal %d MiB, want at most %d MiB", live/mib, goal/mib, lim/mib)
		}
		if liveMiB >= 140 && got != 100 {
			t.Errorf("live %d MiB, past half the floor: GC percent %d, want 100", live/mib, got)
		}
	}
	runtime.KeepAlive(hold)
}

// TestLeavesAnotherSettingAlone: a GC percent set by someone else after
// Start stands; the tuner stops at the next cycle. And stop puts back the
// percent Start found.
func TestLeavesAnotherSettingAlone(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("child")
	}
	cycled := startForTest(t, floor)
	awaitCycle(t, cycled)
	debug.SetGCPercent(300)
	awaitCycle(t, cycled)
	runtime.GC()
	runtime.GC()
	if got := read("/gc/gogc:percent"); got != 300 {
		t.Errorf("GC percent %d after someone set 300, want 300", got)
	}
	if got := read("/gc/gomemlimit:bytes"); got != math.MaxInt64 {
		t.Errorf("memory limit %d after the tuner stopped, want none (the backstop lifted)", got)
	}

	// Someone sets a memory limit: it stands, and the percent goes back.
	debug.SetGCPercent(100)
	cycled = startForTest(t, floor)
	awaitCycle(t, cycled)
	debug.SetMemoryLimit(1 << 30)
	t.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })
	awaitCycle(t, cycled)
	runtime.GC()
	runtime.GC()
	if p, l := read("/gc/gogc:percent"), read("/gc/gomemlimit:bytes"); p != 100 || l != 1<<30 {
		t.Errorf("GC percent %d and memory limit %d after someone set a limit of 1 GiB, want 100 and 1 GiB", p, l)
	}
	stop := start(floor, func(string) string { return "" }, nil)
	if got := read("/gc/gogc:percent"); got != 100 {
		t.Errorf("GC percent %d after start under a limit the program set, want 100: start does nothing", got)
	}
	stop()
	debug.SetMemoryLimit(math.MaxInt64)

	debug.SetGCPercent(100)
	stop = start(floor, func(string) string { return "" }, nil)
	if got := read("/gc/gogc:percent"); got == 100 {
		t.Fatalf("GC percent 100 after start, want %d", percentFor(floor, 0))
	}
	stop()
	if got := read("/gc/gogc:percent"); got != 100 {
		t.Errorf("GC percent %d after stop, want 100, as before start", got)
	}
}

// TestPercentFor checks the percent against its promises for live heaps
// from nothing to past the floor: never below 100, a goal (live + live x
// percent / 100, or the minimum heap) at least the floor, a minimum heap of
// at most the floor, and exactly 100 from half the floor on.
func TestPercentFor(t *testing.T) {
	for _, floor := range []uint64{8 * mib, 32 * mib, 48 * mib, 64 * mib, 1 << 30} {
		for live := uint64(0); live <= 2*floor; live += max(1, floor/997) {
			p := uint64(percentFor(floor, live))
			if p < 100 {
				t.Fatalf("floor %d, live %d: percent %d, below 100", floor, live, p)
			}
			minHeap := minHeapAt100 * p / 100
			if minHeap > floor {
				t.Fatalf("floor %d, live %d: percent %d makes a minimum heap of %d, above the floor", floor, live, p, minHeap)
			}
			if goal := max(live+live*p/100, minHeap); goal < floor {
				t.Fatalf("floor %d, live %d: percent %d gives a goal of %d, below the floor", floor, live, p, goal)
			}
			if 2*live >= floor && p != 100 {
				t.Fatalf("floor %d, live %d: percent %d, want 100 past half the floor", floor, live, p)
			}
		}
	}
}
