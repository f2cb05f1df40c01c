package planner_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// BenchmarkPlan10000 plans 10,000 recorded tasks against the emulator with
// 20 ms of latency per request at parallelism 32, and reports how close
// the run comes to the ideal N × latency / parallelism (6.25 s), the
// planner's CPU per task and its peak memory.
//
// The emulator runs as a separate process (`mynthform emulator`), so that
// the CPU and memory measured are the planner's and its HTTP client's
// alone. Run it with:
//
//	go test -run '^$' -bench BenchmarkPlan10000 -benchtime 1x ./planner/
func BenchmarkPlan10000(b *testing.B) {
	const (
		n           = 10000
		latency     = 20 * time.Millisecond
		parallelism = 32
		key         = "mak_bench"
	)
	dir := b.TempDir()
	bin := filepath.Join(dir, "mynthform")
	build := exec.Command("go", "build", "-o", bin, "../cmd/mynthform")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatalf("building mynthform: %v", err)
	}

	// The seed, the spec and the state: n completed tasks, all recorded.
	sp := &spec.Spec{Dir: dir, Settings: spec.Settings{Parallelism: parallelism}}
	st := state.New("bench")
	var tasks []json.RawMessage
	for i := range n {
		id := fmt.Sprintf("tsk_BENCH%05d", i)
		cost := mynth.MustParseAmount("0.0125")
		t := mynth.Task{ID: id, Status: mynth.StatusCompleted, Type: "image.generate",
			CreatedAt: "2026-01-15T10:30:00.000Z", UpdatedAt: "2026-01-15T10:30:12.000Z",
			Request: &mynth.Request{Prompt: &mynth.Prompt{Positive: fmt.Sprintf("product photo %d", i)}, Model: "google/gemini-3.1-flash-image", Size: &mynth.Size{Preset: "square"}},
			Result: &mynth.Result{Model: "google/gemini-3.1-flash-image", Cost: &mynth.Cost{Images: cost, Total: cost},
				Images: []mynth.Image{{Status: mynth.ImageSucceeded, ID: fmt.Sprintf("img_BENCH%05d", i), URL: fmt.Sprintf("https://cdn.example/img_BENCH%05d.png", i), Cost: &cost, Size: "1024x1024"}}},
		}
		raw, err := json.Marshal(t)
		if err != nil {
			b.Fatal(err)
		}
		tasks = append(tasks, raw)
		addr := fmt.Sprintf("task.product[%q]", fmt.Sprint(i))
		sp.Tasks = append(sp.Tasks, &spec.Task{Address: addr, Name: "product", Key: fmt.Sprint(i), HasKey: true,
			Request: *t.Request, Expect: &spec.Expect{Status: mynth.StatusCompleted, Images: 1, Severity: spec.SeverityError}})
		t.Raw = raw
		rec, err := planner.StateTaskFromObserved(&t)
		if err != nil {
			b.Fatal(err)
		}
		st.Tasks[addr] = rec
	}
	seed, err := json.Marshal(map[string]any{"version": 1, "accounts": []any{map[string]any{"api_key": key, "tasks": tasks}}})
	if err != nil {
		b.Fatal(err)
	}
	seedPath := filepath.Join(dir, "seed.json")
	if err := os.WriteFile(seedPath, seed, 0o644); err != nil {
		b.Fatal(err)
	}
	url, emuPid := startEmulatorProcess(b, bin, "--addr", "127.0.0.1:0", "--seed", seedPath, "--latency", latency.String())

	client := mynth.NewClient(mynth.Options{BaseURL: url, Token: key})
	timed := &timedAPI{API: planner.ClientAPI{Client: client}}
	opts := planner.Options{Spec: sp, State: st, API: timed, Refresh: true,
		Parallelism: parallelism, HasAPIKey: true, Dir: dir}
	ideal := time.Duration(n) * latency / parallelism

	runtime.GC()
	var peak atomic.Uint64
	stop := sampleHeap(&peak)
	cpu0, _ := selfUsage()
	emuCPU0 := processCPU(emuPid)
	b.ResetTimer()
	start := time.Now()
	var p *planner.Plan
	for range b.N {
		p, err = planner.MakePlan(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start) / time.Duration(b.N)
	b.StopTimer()
	cpu1, maxRSS := selfUsage()
	emuCPU := (processCPU(emuPid) - emuCPU0) / time.Duration(b.N)
	stop()

	if len(p.Tasks) != n || p.Summary.None != n || p.Failed() {
		b.Fatalf("plan: %d tasks, %d unchanged, failed %v; want %d unchanged", len(p.Tasks), p.Summary.None, p.Failed(), n)
	}
	cpu := (cpu1 - cpu0) / time.Duration(b.N)
	ratio := float64(elapsed) / float64(ideal)
	b.ReportMetric(elapsed.Seconds(), "s/plan")
	b.ReportMetric(ratio, "x-ideal")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/task")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(maxRSS)/(1<<20), "maxrss-MiB")
	b.ReportMetric(float64(emuCPU.Microseconds())/n, "emulator-cpu-µs/req")
	mean, p99 := timed.stats()
	b.ReportMetric(float64(mean.Microseconds())/1000, "read-ms-mean")
	load, _ := os.ReadFile("/proc/loadavg")
	b.Logf("%d tasks, latency %s, parallelism %d: %s (ideal %s, %.3f× ideal); CPU %s (%.0f µs/task); peak heap %.1f MiB; max RSS %.1f MiB; emulator CPU %.0f µs/request; reads took %s on average (p99 %s) against 20ms of emulated latency; %d CPUs, load average %s",
		n, latency, parallelism, elapsed.Round(time.Millisecond), ideal, ratio, cpu.Round(time.Millisecond),
		float64(cpu.Microseconds())/n, float64(peak.Load())/(1<<20), float64(maxRSS)/(1<<20),
		float64(emuCPU.Microseconds())/n, mean.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), runtime.NumCPU(), strings.Join(strings.Fields(string(load))[:3], " "))
	if ratio > 1.2 {
		b.Errorf("planning took %.3f× the ideal %s; the bound is 1.2×", ratio, ideal)
	}
}

// sampleHeap records the highest heap in use, sampled every 5 ms, until
// the returned stop is called.
func sampleHeap(peak *atomic.Uint64) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// startEmulatorProcess runs `mynthform emulator` with args and returns the
// URL it listens on; the process is stopped when the benchmark ends.
func startEmulatorProcess(b *testing.B, bin string, args ...string) (string, int) {
	b.Helper()
	cmd := exec.Command(bin, append([]string{"emulator"}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	// The emulator logs every request on stderr; that is not what is
	// measured here.
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting the emulator: %v", err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if url, ok := strings.CutPrefix(sc.Text(), "Mynth emulator listening on "); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return strings.TrimSpace(url), cmd.Process.Pid
		}
	}
	b.Fatalf("the emulator did not say where it listens")
	return "", 0
}

// processCPU is the user and system time process pid has used, from
// /proc/PID/stat (0 where there is no /proc).
func processCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis. utime and stime are fields 14 and 15.
	_, rest, ok := strings.Cut(string(data), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / ticksPerSecond
}

// timedAPI records how long each Task read takes, as the planner sees it.
type timedAPI struct {
	planner.API
	mu    sync.Mutex
	times []time.Duration
}

func (a *timedAPI) Task(ctx context.Context, id string) (*mynth.Task, error) {
	start := time.Now()
	t, err := a.API.Task(ctx, id)
	d := time.Since(start)
	a.mu.Lock()
	a.times = append(a.times, d)
	a.mu.Unlock()
	return t, err
}

// stats returns the mean and 99th percentile of the reads.
func (a *timedAPI) stats() (mean, p99 time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.times) == 0 {
		return 0, 0
	}
	sorted := slices.Clone(a.times)
	slices.Sort(sorted)
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	return sum / time.Duration(len(sorted)), sorted[len(sorted)*99/100]
}
