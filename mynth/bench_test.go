package mynth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// fetchAll reads every task with parallel workers.
func fetchAll(ctx context.Context, c *mynth.Client, ids []string, parallel int) error {
	return readEach(ids, parallel, func(id string) error {
		_, err := c.Task(ctx, id)
		return err
	})
}

// readEach calls read for every id with parallel workers and returns the
// first error; a worker stops at its first.
func readEach(ids []string, parallel int, read func(id string) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var first atomic.Value
	for range parallel {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ids) {
					return
				}
				if err := read(ids[i]); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		return err
	}
	return nil
}

// BenchmarkFetch10000 measures the client reading 10,000 completed tasks
// (GET /tasks/:id, decoded strictly, Raw kept) from the emulator over real
// HTTP on 127.0.0.1, 32 requests in flight. The emulator runs in the same
// process, so cpu-µs/task (the process's CPU time, both sides of the
// connection) and allocs/task count both sides. floor is
// the same reads by the minimal client of scripts/scale (net/http's
// defaults but for a pool of 32, the body read whole, json.Unmarshal of
// the fields plan checks) against the same emulator: the client's figures
// are to be read against it, in the same run.
func BenchmarkFetch10000(b *testing.B) {
	const tasks, parallel = 10000, 32
	srv := mynthtest.NewServer(b, mynthtest.Options{})
	c := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_bench"})
	ctx := context.Background()

	// Seed through the API: create the tasks, then read each once so that
	// the emulator completes them before timing starts.
	ids := make([]string, tasks)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, parallel)
	for range parallel {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= tasks {
					return
				}
				cr, err := c.Generate(ctx, mynth.Request{
					Prompt: &mynth.Prompt{Positive: fmt.Sprintf("product photo %d", i)},
					Size:   &mynth.Size{Preset: "square"},
					Count:  2,
				})
				if err != nil {
					errs <- err
					return
				}
				ids[i] = cr.TaskID
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	if err := fetchAll(ctx, c, ids, parallel); err != nil {
		b.Fatal(err)
	}

	run := func(b *testing.B, fetch func() error) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cpu := processCPU()
		b.ResetTimer()
		for b.Loop() {
			if err := fetch(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu = processCPU() - cpu
		runtime.ReadMemStats(&after)
		fetched := float64(tasks * b.N)
		b.ReportMetric(fetched/b.Elapsed().Seconds(), "tasks/s")
		b.ReportMetric(float64(cpu.Nanoseconds())/1e3/fetched, "cpu-µs/task")
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/fetched, "allocs/task")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/fetched, "B/task")
	}
	b.Run("client", func(b *testing.B) {
		run(b, func() error { return fetchAll(ctx, c, ids, parallel) })
	})
	b.Run("floor", func(b *testing.B) {
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: parallel, MaxConnsPerHost: parallel}}
		defer hc.CloseIdleConnections()
		run(b, func() error { return fetchFloor(hc, srv.URL, "mak_bench", ids, parallel) })
	})
}

// fetchFloor reads every task as scripts/scale's minimal client does.
func fetchFloor(hc *http.Client, base, key string, ids []string, parallel int) error {
	return readEach(ids, parallel, func(id string) error { return readFloor(hc, base, key, id) })
}

// readFloor is one read of the minimal client.
func readFloor(hc *http.Client, base, key, id string) error {
	req, err := http.NewRequest(http.MethodGet, base+"/tasks/"+id, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %v", id, resp.StatusCode, err)
	}
	var t struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Request struct {
			Prompt string `json:"prompt"`
			Model  string `json:"model"`
		} `json:"request"`
		Result struct {
			Images []struct {
				Status string `json:"status"`
			} `json:"images"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return err
	}
	if t.ID != id || t.Status != "completed" {
		return fmt.Errorf("task %s: %s %s", id, t.ID, t.Status)
	}
	return nil
}

// cannedTransport answers every request with the same JSON body, without
// a network or a server, so that a benchmark sees the client's own cost.
type cannedTransport struct{ body []byte }

func (t cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)),
		Request:       r,
	}, nil
}

// BenchmarkTaskClientOnly is the client's share of BenchmarkFetch10000: one
// Task call (request building, strict decoding, Raw kept) against a
// canned answer of the emulator's shape.
func BenchmarkTaskClientOnly(b *testing.B) {
	srv := mynthtest.NewServer(b, mynthtest.Options{})
	c := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_bench"})
	ctx := context.Background()
	cr, err := c.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: "product photo"}, Size: &mynth.Size{Preset: "square"}, Count: 2})
	if err != nil {
		b.Fatal(err)
	}
	task, err := c.Task(ctx, cr.TaskID)
	if err != nil {
		b.Fatal(err)
	}
	canned := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_bench", HTTPClient: &http.Client{Transport: cannedTransport{task.Raw}}})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := canned.Task(ctx, cr.TaskID); err != nil {
			b.Fatal(err)
		}
	}
}
