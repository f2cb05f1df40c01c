package planner

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// BenchmarkApplyEmulator applies a plan that generates N tasks (one image
// each, saved to a file) against the emulator over real HTTP with 20 ms of
// latency per request, parallelism 32, and the real state store (a save
// after every created and every finished task). It reports the wall time
// against the ideal of 4 requests per task (create, status, task,
// download) × latency / parallelism.
//
//	go test -run '^$' -bench ApplyEmulator -benchtime 1x ./planner/
func BenchmarkApplyEmulator(b *testing.B) {
	for _, n := range []int{100, 500} {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			const latency = 20 * time.Millisecond
			const par = 32
			for b.Loop() {
				srv := mynthtest.NewServer(b, mynthtest.Options{Latency: latency})
				client := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_bench"})
				dir := b.TempDir()
				sp := &spec.Spec{}
				plan := &Plan{}
				for i := range n {
					req := mynth.Request{Prompt: &mynth.Prompt{Positive: fmt.Sprintf("bench %d", i)}, Size: &mynth.Size{Preset: "32x32"}}
					addr := fmt.Sprintf("task.b[\"%04d\"]", i)
					sp.Tasks = append(sp.Tasks, &spec.Task{Address: addr, Request: req, Files: []string{fmt.Sprintf("out/%04d.png", i)}})
					plan.Tasks = append(plan.Tasks, &TaskPlan{Address: addr, Action: ActionGenerate, Request: &req})
				}
				store := state.Open(filepath.Join(dir, "mynth.state.json"))
				st, err := store.Load()
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				res, err := Apply(context.Background(), ApplyOptions{
					Plan: plan, Spec: sp, Store: store, State: st, API: ClientAPI{Client: client},
					Parallelism: par, Wait: true, Poll: mynth.PollSchedule{Fast: 10 * time.Millisecond, FastFor: time.Minute, Slow: 10 * time.Millisecond},
					Dir: dir,
				})
				if err != nil || res.Failed() || res.Generated != n || res.FilesSaved != n {
					b.Fatalf("apply: %v, %+v", err, res)
				}
				took := time.Since(start)
				ideal := time.Duration(n) * 4 * latency / par
				b.ReportMetric(took.Seconds()/ideal.Seconds(), "x_ideal")
				b.ReportMetric(float64(res.Serial), "state_writes")
			}
		})
	}
}
