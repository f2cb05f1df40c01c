package planner

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// slowAPI is fakeAPI with a fixed latency per read and no HTTP.
type slowAPI struct {
	*fakeAPI
	latency time.Duration
}

func (s slowAPI) Task(ctx context.Context, id string) (*mynth.Task, error) {
	time.Sleep(s.latency)
	return s.fakeAPI.Task(ctx, id)
}

// BenchmarkPlanFakeLatency is BenchmarkPlan10000 without HTTP or an
// emulator: reads sleep 20 ms in-process. It isolates the planner's own
// overhead (scheduling, comparing, checking) from the transport's.
func BenchmarkPlanFakeLatency(b *testing.B) {
	const n, latency, par = 10000, 20 * time.Millisecond, 32
	api := newFakeAPI()
	sp := &spec.Spec{}
	st := state.New("bench")
	for i := range n {
		rt := remoteTask(fmt.Sprintf("tsk_%05d", i), fmt.Sprintf("prompt %d", i), 1)
		api.tasks[rt.ID] = rt
		addr := fmt.Sprintf("task.p[%q]", fmt.Sprint(i))
		s := specTask(addr, "", fmt.Sprintf("prompt %d", i))
		sp.Tasks = append(sp.Tasks, s)
		rec, err := StateTaskFromObserved(rt)
		if err != nil {
			b.Fatal(err)
		}
		st.Tasks[addr] = rec
	}
	ideal := time.Duration(n) * latency / par
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		p, err := MakePlan(context.Background(), Options{Spec: sp, State: st, API: slowAPI{api, latency}, Refresh: true, Parallelism: par, HasAPIKey: true})
		if err != nil || p.Summary.None != n {
			b.Fatalf("plan: %v, %+v", err, p.Summary)
		}
	}
	elapsed := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(elapsed)/float64(ideal), "x-ideal")
}
