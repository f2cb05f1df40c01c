package planner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/spec"
)

// prefetchSpec writes a spec of n tasks pinned by literal ids tsk_P0...,
// and task "moved", whose id is a variable's (tsk_MOVED), and loads it
// with early hooks that add every literal id to pf (nil: no hooks).
func prefetchSpec(t *testing.T, s seeder, n int, pf *planner.Prefetch) *spec.Spec {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("variable \"moved\" {\n  default = \"tsk_MOVED\"\n}\n\ntask \"moved\" {\n  id     = var.moved\n  prompt = \"moved\"\n  model  = \"" + gemini + "\"\n}\n")
	for i := range n {
		fmt.Fprintf(&b, "\ntask \"p%d\" {\n  id     = \"tsk_P%d\"\n  prompt = \"photo %d\"\n  model  = %q\n}\n", i, i, i, gemini)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if s.t != nil {
		s.add(goldenKey, task("tsk_MOVED", mynth.StatusCompleted, req("moved", "", 0), result("", s.image("img_MOVED", "1024x1024", "0.0125"))), "")
		// The id task.moved had before: another task, another request.
		s.add(goldenKey, task("tsk_OLD", mynth.StatusFailed, req("old", "", 0), nil), "")
		for i := range n {
			id := fmt.Sprintf("tsk_P%d", i)
			s.add(goldenKey, task(id, mynth.StatusCompleted, req(fmt.Sprintf("photo %d", i), "", 0), result("", s.image("img_"+id, "1024x1024", "0.0125"))), "")
		}
	}
	var early *spec.Early
	if pf != nil {
		early = &spec.Early{TaskID: func(_, id string) { pf.Add(id) }}
	}
	sp, diags := spec.Load(dir, spec.LoadOptions{Early: early})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return sp
}

func prefetchClient(url string, opts mynth.Options) planner.API {
	opts.BaseURL, opts.Token = url, goldenKey
	if opts.Retry.MaxAttempts == 0 {
		opts.Retry = mynth.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}
	}
	return planner.ClientAPI{Client: mynth.NewClient(opts)}
}

func planJSON(t *testing.T, p *planner.Plan) string {
	t.Helper()
	b, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// taskReads is how many GET /tasks/:id the emulator answered.
func taskReads(srv *mynthtest.Server) int {
	return srv.Emulator.Stats().Requests[mynthtest.EndpointTask]
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPrefetchPlanIsTheSame: a plan made with every literal id read while
// the spec loaded, plus a stale guess for the task whose id a variable
// gives (tsk_OLD; the evaluated id is tsk_MOVED), is the plan made without
// prefetching, byte for byte; the stale result is not used, and no task is
// read twice.
func TestPrefetchPlanIsTheSame(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	s := seeder{t, srv}
	const n = 40
	sp := prefetchSpec(t, s, n, nil)
	api := prefetchClient(srv.URL, mynth.Options{})
	opts := planner.Options{Spec: sp, API: api, Refresh: true, Parallelism: 4, HasAPIKey: true}
	want, err := planner.MakePlan(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if reads := taskReads(srv); reads != n+1 {
		t.Fatalf("the plan without prefetching read %d tasks, want %d", reads, n+1)
	}

	// all: tsk_MOVED is prefetched too, so that the Prefetch reads every
	// task the plan reads and MakePlan plans them with a worker or two,
	// woken a batch of finished reads at a time.
	for _, c := range []struct{ wait, all bool }{{true, false}, {false, false}, {false, true}} {
		wait := c.wait
		before := taskReads(srv)
		pf := planner.NewPrefetch(context.Background())
		pf.Start(api, 4)
		sp := prefetchSpec(t, seeder{}, n, pf)
		pf.Add("tsk_OLD")
		if c.all {
			pf.Add("tsk_MOVED")
		}
		if wait { // every prefetched read done before the plan starts
			waitFor(t, "the prefetched reads", func() bool { return taskReads(srv)-before == n+1 })
		}
		opts.Spec, opts.Prefetch = sp, pf
		got, err := planner.MakePlan(context.Background(), opts)
		pf.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if g, w := planJSON(t, got), planJSON(t, want); g != w {
			t.Errorf("%+v: the plan with prefetching differs:\n%s\nwant:\n%s", c, g, w)
		}
		// Each literal id once, the stale guess once, tsk_MOVED once.
		if reads := taskReads(srv) - before; reads != n+2 {
			t.Errorf("%+v: %d task reads, want %d", c, reads, n+2)
		}
	}
}

// TestPrefetchFailureNamesTheTask: a read that fails while the spec loads
// (a 5xx, a timeout) is the task's error in the plan, naming it, as a read
// made by the plan itself would be; the other tasks are still planned.
func TestPrefetchFailureNamesTheTask(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults mynthtest.Faults
		client mynth.Options
		want   string
	}{
		{"500", mynthtest.Faults{Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{mynthtest.EndpointTask: {Next: []mynthtest.FaultKind{mynthtest.Fault500, mynthtest.Fault500}}}}, mynth.Options{}, "500"},
		{"timeout", mynthtest.Faults{SlowLatency: 2 * time.Second, Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{mynthtest.EndpointTask: {Next: []mynthtest.FaultKind{mynthtest.FaultLatency, mynthtest.FaultLatency}}}}, mynth.Options{Timeout: 200 * time.Millisecond}, "no complete answer within 200ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// plan returns the plan and its JSON, the server's URL
			// replaced.
			plan := func(prefetch bool) (*planner.Plan, string) {
				srv := mynthtest.NewServer(t, mynthtest.Options{})
				s := seeder{t, srv}
				sp := prefetchSpec(t, s, 3, nil)
				api := prefetchClient(srv.URL, tc.client)
				// The first read, and its retry, fail: parallelism 1
				// and one id prefetched make it task.p0's.
				srv.Emulator.SetFaults(tc.faults)
				// task.moved, first in the plan's order, is left out: task.p0
				// is read first with or without prefetching.
				opts := planner.Options{Spec: sp, API: api, Refresh: true, Parallelism: 1, HasAPIKey: true,
					Scope: spec.Scope{Excludes: []spec.Address{spec.AddressOf("task.moved")}}}
				if prefetch {
					pf := planner.NewPrefetch(context.Background())
					defer pf.Stop()
					pf.Start(api, 1)
					pf.Add("tsk_P0")
					waitFor(t, "the prefetched read", func() bool { return taskReads(srv) == 2 })
					opts.Prefetch = pf
				}
				p, err := planner.MakePlan(context.Background(), opts)
				if err != nil {
					t.Fatal(err)
				}
				return p, strings.ReplaceAll(planJSON(t, p), srv.URL, "URL")
			}
			got, gotJSON := plan(true)
			var failed *planner.TaskPlan
			for _, tp := range got.Tasks {
				if tp.Error != nil {
					if failed != nil {
						t.Fatalf("two tasks failed: %s and %s", failed.Address, tp.Address)
					}
					failed = tp
				} else if tp.Status != planner.StatusCompleted {
					t.Errorf("%s: %s, want completed", tp.Address, tp.Status)
				}
			}
			if failed == nil || failed.Address != "task.p0" || failed.Status != planner.StatusUnknown ||
				!strings.Contains(*failed.Error, "task.p0") || !strings.Contains(*failed.Error, tc.want) || !got.Failed() {
				t.Fatalf("the prefetched failure: %+v %s", failed, planJSON(t, got))
			}
			if _, w := plan(false); gotJSON != w {
				t.Errorf("the plan with prefetching differs:\n%s\nwant:\n%s", gotJSON, w)
			}
		})
	}
}

// inFlight counts the requests an emulator is answering, and the most at
// once.
type inFlight struct {
	h         http.Handler
	now, most atomic.Int64
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
	f.h.ServeHTTP(w, r)
}

// countedServer is an emulator behind an inFlight counter.
func countedServer(t *testing.T, latency time.Duration) (*mynthtest.Server, *inFlight) {
	t.Helper()
	f := &inFlight{}
	hs := httptest.NewUnstartedServer(f)
	hs.Start()
	t.Cleanup(hs.Close)
	emu, err := mynthtest.New(mynthtest.Options{Latency: latency, BaseURL: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	f.h = emu
	return &mynthtest.Server{URL: hs.URL, Emulator: emu}, f
}

// TestPrefetchKeepsTheBound: prefetched reads and the plan's own share
// one bound: never more than the parallelism in flight, even while the
// plan runs beside a prefetch still reading.
func TestPrefetchKeepsTheBound(t *testing.T) {
	srv, f := countedServer(t, 20*time.Millisecond)
	s := seeder{t, srv}
	const n, par = 60, 4
	prefetchSpec(t, s, n, nil)
	api := prefetchClient(srv.URL, mynth.Options{})
	pf := planner.NewPrefetch(context.Background())
	defer pf.Stop()
	pf.Start(api, par)
	sp := prefetchSpec(t, seeder{}, n, pf)
	p, err := planner.MakePlan(context.Background(), planner.Options{Spec: sp, API: api, Refresh: true, Parallelism: par, HasAPIKey: true, Prefetch: pf})
	if err != nil {
		t.Fatal(err)
	}
	if p.Failed() {
		t.Fatalf("the plan failed: %s", planJSON(t, p))
	}
	if most := f.most.Load(); most > par {
		t.Errorf("%d reads in flight at once, parallelism %d", most, par)
	}
	if reads := taskReads(srv); reads != n+1 {
		t.Errorf("%d task reads, want %d (each once)", reads, n+1)
	}
}

// prefetchGoroutines lists the goroutines running the Prefetch's code.
//
// A worker that has just returned from wg.Done can still be on its way out
// of work when Stop returns, so the scan is repeated for up to two seconds
// (as goleak does) before what is left counts as leaked.
func prefetchGoroutines() []string {
	var gs []string
	for deadline := time.Now().Add(2 * time.Second); ; {
		if gs = scanPrefetchGoroutines(); len(gs) == 0 || time.Now().After(deadline) {
			return gs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// scanPrefetchGoroutines returns the stacks of the goroutines running in a
// Prefetch now.
func scanPrefetchGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "planner.(*Prefetch)") {
			out = append(out, g)
		}
	}
	return out
}

// TestPrefetchStopEndsReads: reads in flight end when the context does (a
// SIGINT while the spec loads) or when the Prefetch stops, at once, not
// when Mynth answers; Stop leaves no goroutine behind, and a plan waiting
// for a read in flight returns the context's error.
func TestPrefetchStopEndsReads(t *testing.T) {
	for _, how := range []string{"cancel", "stop", "plan"} {
		t.Run(how, func(t *testing.T) {
			srv, f := countedServer(t, time.Minute)
			s := seeder{t, srv}
			sp := prefetchSpec(t, s, 8, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pf := planner.NewPrefetch(ctx)
			pf.Start(prefetchClient(srv.URL, mynth.Options{}), 4)
			for i := range 8 {
				pf.Add(fmt.Sprintf("tsk_P%d", i))
			}
			waitFor(t, "4 reads in flight", func() bool { return f.now.Load() == 4 })
			start := time.Now()
			var planErr error
			var wg sync.WaitGroup
			switch how {
			case "cancel":
				cancel()
			case "plan":
				wg.Go(func() {
					_, planErr = planner.MakePlan(ctx, planner.Options{Spec: sp, API: prefetchClient(srv.URL, mynth.Options{}), Refresh: true, Parallelism: 4, HasAPIKey: true, Prefetch: pf})
				})
				time.Sleep(50 * time.Millisecond)
				cancel()
			}
			wg.Wait()
			pf.Stop()
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Stop took %v", d)
			}
			if how == "plan" && planErr == nil {
				t.Errorf("the plan interrupted while it waited for prefetched reads returned no error")
			}
			if gs := prefetchGoroutines(); len(gs) > 0 {
				t.Errorf("%d goroutines of the Prefetch left after Stop:\n%s", len(gs), strings.Join(gs, "\n\n"))
			}
			// Nothing is read after Stop, and a plan made now reads for
			// itself.
			pf.Add("tsk_P9")
			if gs := prefetchGoroutines(); len(gs) > 0 {
				t.Errorf("Add after Stop started goroutines")
			}
		})
	}
}

// startedAPI is an API whose Task reports each call on started and then
// waits for ctx to end.
type startedAPI struct {
	planner.API
	started chan string
}

func (a startedAPI) Task(ctx context.Context, id string) (*mynth.Task, error) {
	a.started <- id
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestPrefetchAddStartsReadAtOnce holds Add to starting the read of an
// id a worker waits for before it returns, on one processor: the spec's
// parse calls Add while it keeps the processor busy, and a worker woken
// only when the parse is next preempted (a scheduler time slice, 10 ms)
// staggered the first reads of a plan. For each id the caller sleeps (a
// fresh time slice), adds it and spins without blocking for 5 ms, half
// a slice; without the yield no read starts within that. The scheduler
// now and then runs the caller again before the woken worker (it takes
// from its global queue first one time in 61), so the test wants three
// reads in four, not all, to start at once; without the yield it is one
// in four (a preemption falling in the window).
func TestPrefetchAddStartsReadAtOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const n = 16
	api := startedAPI{started: make(chan string, n)}
	pf := planner.NewPrefetch(context.Background())
	defer pf.Stop()
	pf.Start(api, n)
	// Let the workers reach their wait for an id.
	time.Sleep(20 * time.Millisecond)
	prompt := 0
	for i := range n {
		time.Sleep(time.Millisecond)
		pf.Add(fmt.Sprintf("tsk_%d", i))
		for deadline := time.Now().Add(5 * time.Millisecond); time.Now().Before(deadline); {
			if len(api.started) > i {
				prompt++
				break
			}
		}
		for len(api.started) <= i {
			time.Sleep(time.Millisecond) // the read starts once the caller blocks
		}
	}
	if prompt < 3*n/4 {
		t.Fatalf("%d of %d reads started within 5 ms of Add returning, want at least %d", prompt, n, 3*n/4)
	}
}
