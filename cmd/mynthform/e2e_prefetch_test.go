package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// prefetchE2ESpec declares n tasks pinned by literal ids (tsk_PF0...) and
// task.moved, pinned through a variable; mynth is the mynth block's body.
func prefetchE2ESpec(n int, mynthBody string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "mynth {\n%s}\n\nvariable \"moved\" {\n  default = \"tsk_PFMOVED\"\n}\n\ntask \"moved\" {\n  id     = var.moved\n  prompt = \"moved\"\n  model  = \"google/gemini-3.1-flash-image\"\n  size   = \"square\"\n}\n", mynthBody)
	for i := range n {
		fmt.Fprintf(&b, "\ntask \"p%d\" {\n  id     = \"tsk_PF%d\"\n  prompt = \"photo %d\"\n  model  = \"google/gemini-3.1-flash-image\"\n  size   = \"square\"\n}\n", i, i, i)
	}
	return b.String()
}

// prefetchE2EServer is an emulator holding the completed tasks
// prefetchE2ESpec(n, ...) pins: tsk_PF0 to tsk_PF(n-1) and tsk_PFMOVED.
func prefetchE2EServer(t *testing.T, n int) *mynthtest.Server {
	t.Helper()
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	for i := range n {
		if err := srv.Emulator.AddTask(e2eKey, planTask(srv.URL, fmt.Sprintf("tsk_PF%d", i), fmt.Sprintf("photo %d", i), mynth.StatusCompleted), ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Emulator.AddTask(e2eKey, planTask(srv.URL, "tsk_PFMOVED", "moved", mynth.StatusCompleted), ""); err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestE2EPlanPrefetchedReads: the tasks pinned by literal ids are read
// while the spec loads, from --parallelism and MYNTH_BASE_URL at once or
// from the mynth block's settings; the plan is the same either way, each
// task is read once, and --exclude and --target keep their tasks unread.
func TestE2EPlanPrefetchedReads(t *testing.T) {
	const n = 30
	srv := prefetchE2EServer(t, n)
	env := planAPIEnv(srv)
	reads := func() int { return srv.Emulator.Stats().Requests[mynthtest.EndpointTask] }

	var outputs []string
	for _, tc := range []struct {
		name, mynth string
		args        []string
	}{
		// Two lines each, so that every plan's ranges are the same.
		{"flag", "  # --parallelism\n  # MYNTH_BASE_URL\n", []string{"--parallelism", "4"}},
		{"settings", "  parallelism = 4\n  # MYNTH_BASE_URL\n", nil},
		{"settings, base_url", "  parallelism = 4\n  base_url    = \"" + srv.URL + "\"\n", nil},
	} {
		dir := t.TempDir()
		planWriteSpec(t, dir, prefetchE2ESpec(n, tc.mynth))
		e := env
		if strings.Contains(tc.mynth, "base_url") {
			e = []string{"MYNTH_API_KEY=" + e2eKey}
		}
		before := reads()
		r := runBin(t, dir, e, append([]string{"plan", "--json"}, tc.args...)...)
		mustCode(t, r, exitOK, tc.name)
		if got := reads() - before; got != n+1 {
			t.Errorf("%s: %d task reads, want %d (each task once)", tc.name, got, n+1)
		}
		outputs = append(outputs, r.Stdout)

		before = reads()
		r = runBin(t, dir, e, append([]string{"plan", "--exclude", "task.p1", "--target", "task.p1", "--target", "task.p2", "--target", "task.moved"}, tc.args...)...)
		mustCode(t, r, exitOK, tc.name+" --target")
		if got := reads() - before; got != 2 {
			t.Errorf("%s --target: %d task reads, want 2", tc.name, got)
		}
	}
	for i, out := range outputs[1:] {
		if out != outputs[0] {
			t.Errorf("plan %d differs from the first:\n%s\nfirst:\n%s", i+1, out, outputs[0])
		}
	}
}

// inFlightHandler counts the requests being answered.
type inFlightHandler struct {
	h   http.Handler
	now atomic.Int64
}

func (f *inFlightHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.now.Add(1)
	defer f.now.Add(-1)
	f.h.ServeHTTP(w, r)
}

// TestE2EPlanCtrlCWithReadsInFlight: Ctrl-C while the spec loads, with
// prefetched reads waiting on a Mynth that takes a minute to answer,
// stops the plan at once, as interrupted.
func TestE2EPlanCtrlCWithReadsInFlight(t *testing.T) {
	f := &inFlightHandler{}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	emu, err := mynthtest.New(mynthtest.Options{Latency: time.Minute, BaseURL: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	f.h = emu
	dir := t.TempDir()
	planWriteSpec(t, dir, prefetchE2ESpec(5000, ""))
	cmd := exec.Command(binPath, "plan", "--parallelism", "8")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1", "MYNTH_BASE_URL=" + hs.URL, "MYNTH_API_KEY=" + e2eKey}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); f.now.Load() < 8; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("no reads in flight:\n%s%s", stdout.String(), stderr.String())
		}
	}
	start := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	// Interrupted while the tasks were evaluated (an error diagnostic),
	// or while they were planned.
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitSignal && !(exit.ExitCode() == exitError && strings.Contains(stderr.String(), "Interrupted")) {
		t.Fatalf("after Ctrl-C: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("plan took %s to stop", took)
	}
	if got := f.now.Load(); got > 8 {
		t.Errorf("%d reads in flight, parallelism 8", got)
	}
}

// TestE2EApplyPrefetchedReads: apply reads the tasks pinned by literal
// ids while the spec loads, as plan does: each once, only those in scope,
// and it records them all.
func TestE2EApplyPrefetchedReads(t *testing.T) {
	const n = 12
	srv := prefetchE2EServer(t, n)
	env := planAPIEnv(srv)
	reads := func() int { return srv.Emulator.Stats().Requests[mynthtest.EndpointTask] }
	dir := t.TempDir()
	planWriteSpec(t, dir, prefetchE2ESpec(n, "  parallelism = 4\n"))

	before := reads()
	r := runBin(t, dir, env, "apply", "--auto-approve", "--target", "task.p1", "--target", "task.p2", "--exclude", "task.p2")
	mustCode(t, r, exitOK, "apply --target")
	if got := reads() - before; got != 1 {
		t.Errorf("apply --target: %d task reads, want 1", got)
	}
	before = reads()
	r = runBin(t, dir, env, "apply", "--auto-approve", "--parallelism", "4")
	mustCode(t, r, exitOK, "apply")
	if got := reads() - before; got != n+1 {
		t.Errorf("apply: %d task reads, want %d (each task once)", got, n+1)
	}
	st := loadState(t, dir)
	if len(st.Tasks) != n+1 {
		t.Errorf("the state records %d tasks, want %d", len(st.Tasks), n+1)
	}
	r = runBin(t, dir, env, "plan", "--detailed-exitcode")
	mustCode(t, r, exitOK, "plan after apply")
}
