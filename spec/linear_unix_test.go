//go:build unix

package spec

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time the process has used, user and system.
func processCPU(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skip("no getrusage:", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestLoadScalesLinearly loads specs of 1,000 and 10,000 tasks and checks
// that the CPU time per task stays about the same. It measures CPU time,
// not wall time, so that a busy machine does not skew it; a quadratic step
// would show as a ratio near 10.
func TestLoadScalesLinearly(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("loads 33,000 tasks; timing means nothing under the race detector")
	}
	perTask := func(n int) time.Duration {
		dir := generatedSpec(t, n)
		best := time.Duration(1 << 62)
		for range 3 {
			runtime.GC()
			start := processCPU(t)
			_, diags := Load(dir, LoadOptions{})
			if d := processCPU(t) - start; d < best {
				best = d
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
		}
		return best / time.Duration(n)
	}
	small, large := perTask(1000), perTask(10000)
	ratio := float64(large) / float64(small)
	t.Logf("CPU per task: %v at 1,000 tasks, %v at 10,000; ratio %.2f", small, large, ratio)
	if ratio > 2 {
		t.Errorf("loading does not scale linearly: %v per task at 1,000 tasks, %v at 10,000 (ratio %.2f)", small, large, ratio)
	}
}
