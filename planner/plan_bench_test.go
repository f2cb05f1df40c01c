package planner_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
)

// adoptFixture is the scale script's plan run (scripts/scale -steps plan,
// blocks shape) without HTTP: n task blocks each pinning the id of a
// completed task, an empty state, and the bodies Mynth returns for them.
type adoptFixture struct {
	sp     *spec.Spec
	bodies map[string][]byte
}

func newAdoptFixture(tb testing.TB, n int) *adoptFixture {
	tb.Helper()
	const model = "google/gemini-3.1-flash-image"
	dir := tb.TempDir()
	var src strings.Builder
	src.WriteString("mynth {\n  parallelism = 32\n}\n")
	bodies := make(map[string][]byte, n)
	for i := range n {
		key, id := fmt.Sprintf("p%05d", i), fmt.Sprintf("tsk_SCALE%05d", i)
		prompt := "Studio photo of product " + key
		fmt.Fprintf(&src, "\ntask %q {\n  id     = %q\n  prompt = %q\n  model  = %q\n  size   = \"square\"\n}\n", key, id, prompt, model)
		bodies[id] = fmt.Appendf(nil, `{"id":%q,"status":"completed","type":"image.generate","createdAt":"2026-01-15T10:30:00.000Z","updatedAt":"2026-01-15T10:30:12.000Z","request":{"count":1,"model":%q,"prompt":%q,"size":"square"},"result":{"cost":{"images":"0.01250000","total":"0.01250000"},"images":[{"status":"succeeded","id":"img_SCALE%05d","url":"http://127.0.0.1:1/images/img_SCALE%05d.png","cost":"0.01250000","size":"1024x1024"}],"model":%q}}`,
			id, model, prompt, i, i, model)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	sp, diags := spec.Load(dir, spec.LoadOptions{})
	if diags.HasErrors() {
		tb.Fatal(diags)
	}
	return &adoptFixture{sp: sp, bodies: bodies}
}

// decodedAPI serves tasks decoded beforehand, as a client would have
// decoded them, so that a benchmark measures the planner alone.
type decodedAPI struct {
	planner.API
	tasks map[string]*mynth.Task
}

func (a decodedAPI) Task(_ context.Context, id string) (*mynth.Task, error) {
	t := a.tasks[id]
	if t == nil {
		return nil, fmt.Errorf("task %s: %w", id, mynth.ErrNotFound)
	}
	return t, nil
}

// api decodes every body afresh: a plan may keep what it reads.
func (f *adoptFixture) api(tb testing.TB) decodedAPI {
	tb.Helper()
	a := decodedAPI{tasks: make(map[string]*mynth.Task, len(f.bodies))}
	for id, body := range f.bodies {
		t, err := mynth.DecodeTask(body)
		if err != nil {
			tb.Fatal(err)
		}
		a.tasks[id] = t
	}
	return a
}

func (f *adoptFixture) plan(tb testing.TB, api planner.API) *planner.Plan {
	tb.Helper()
	p, err := planner.MakePlan(context.Background(), planner.Options{Spec: f.sp, API: api, Refresh: true, Parallelism: 32, HasAPIKey: true, Dir: f.sp.Dir})
	if err != nil {
		tb.Fatal(err)
	}
	if n := len(f.bodies); len(p.Tasks) != n || p.Summary.Adopt != n || p.Failed() {
		tb.Fatalf("plan: %d tasks, %d to adopt, failed %v; want %d to adopt", len(p.Tasks), p.Summary.Adopt, p.Failed(), n)
	}
	return p
}

// BenchmarkPlanAdopt10k plans what `scripts/scale -steps plan` plans (10,000
// pinned tasks to adopt, no state) from tasks already read and decoded,
// and then prints it as `mynthform plan` does: the planner's and the human
// view's own CPU, allocations and retained memory per task, with neither
// the spec's loading nor the client's reads. retained-B/task is the heap
// the plan holds once made (what the CLI keeps until it has printed it).
//
//	go test -run '^$' -bench BenchmarkPlanAdopt10k -count 6 ./planner/
func BenchmarkPlanAdopt10k(b *testing.B) {
	const n = 10000
	f := newAdoptFixture(b, n)
	perTask := func(b *testing.B, allocs, bytes uint64) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/task")
		b.ReportMetric(float64(allocs)/float64(b.N)/n, "allocs/task")
		b.ReportMetric(float64(bytes)/float64(b.N)/n, "B/task")
	}
	b.Run("plan", func(b *testing.B) {
		var allocs, bytes, retained uint64
		for range b.N {
			b.StopTimer()
			api := f.api(b)
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			b.StartTimer()
			p := f.plan(b, api)
			b.StopTimer()
			runtime.ReadMemStats(&m1)
			allocs += m1.Mallocs - m0.Mallocs
			bytes += m1.TotalAlloc - m0.TotalAlloc
			api = decodedAPI{}
			runtime.GC()
			runtime.ReadMemStats(&m1)
			retained += m1.HeapAlloc - min(m1.HeapAlloc, m0.HeapAlloc)
			runtime.KeepAlive(p)
			b.StartTimer()
		}
		perTask(b, allocs, bytes)
		b.ReportMetric(float64(retained)/float64(b.N)/n, "retained-B/task")
	})
	b.Run("prefetched", func(b *testing.B) {
		// The plan step's reads as the CLI makes them: every id added to
		// a Prefetch (as the spec's load does) and taken from it by
		// MakePlan. Against "plan", the Prefetch's own bookkeeping.
		var allocs, bytes uint64
		for range b.N {
			b.StopTimer()
			api := f.api(b)
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			b.StartTimer()
			pf := planner.NewPrefetch(context.Background())
			pf.Start(api, 32)
			for _, t := range f.sp.Tasks {
				pf.Add(t.ID)
			}
			p, err := planner.MakePlan(context.Background(), planner.Options{Spec: f.sp, API: api, Refresh: true, Parallelism: 32, HasAPIKey: true, Dir: f.sp.Dir, Prefetch: pf})
			pf.Stop()
			b.StopTimer()
			runtime.ReadMemStats(&m1)
			if err != nil || p.Summary.Adopt != n {
				b.Fatalf("plan: %v, %d to adopt", err, p.Summary.Adopt)
			}
			allocs += m1.Mallocs - m0.Mallocs
			bytes += m1.TotalAlloc - m0.TotalAlloc
			b.StartTimer()
		}
		perTask(b, allocs, bytes)
	})
	b.Run("human", func(b *testing.B) {
		p := f.plan(b, f.api(b))
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		b.ResetTimer()
		for range b.N {
			if err := (render.Human{}).Render(io.Discard, p); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.ReadMemStats(&m1)
		perTask(b, m1.Mallocs-m0.Mallocs, m1.TotalAlloc-m0.TotalAlloc)
	})
}

// TestPlanAdoptAllocations holds planning to its allocations per task,
// on the benchmark's plan (BenchmarkPlanAdopt10k): what a plan keeps per
// task, and the garbage it makes, is the heap the collector walks and
// the process's peak memory. The bound has room over the count measured
// (7 allocations per task) for the race detector's own, not for a
// formatted string or a copied slice per task more.
func TestPlanAdoptAllocations(t *testing.T) {
	const n, bound = 1000, 10
	f := newAdoptFixture(t, n)
	api := f.api(t)
	f.plan(t, api) // warm up
	allocs := testing.AllocsPerRun(3, func() { f.plan(t, api) })
	if perTask := allocs / n; perTask > bound {
		t.Errorf("planning allocates %.1f times per task, more than %d", perTask, bound)
	} else {
		t.Logf("%.2f allocations per task", perTask)
	}
}
