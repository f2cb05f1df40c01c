package state

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
)

// The tests below run this test binary again as a helper process (the
// os.Args[0] pattern): STATE_TEST_HELPER says what the helper does.
const helperEnv = "STATE_TEST_HELPER"

// TestHelperProcess is not a test: it is the helper process's body.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("only run as a helper process")
	}
	path := os.Getenv("STATE_TEST_PATH")
	s := Open(path)
	switch mode {
	case "lock":
		// Take the lock, say so, hold it until stdin closes.
		timeout, _ := time.ParseDuration(os.Getenv("STATE_TEST_TIMEOUT"))
		l, err := s.Lock(context.Background(), "apply", timeout)
		if err != nil {
			fmt.Printf("FAILED %v\n", err)
			os.Exit(3)
		}
		fmt.Printf("LOCKED %d\n", os.Getpid())
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := l.Unlock(); err != nil {
			fmt.Printf("UNLOCK FAILED %v\n", err)
			os.Exit(4)
		}
		os.Exit(0)
	case "writer":
		// Under the lock, save a new large state again and again until
		// killed; the state of serial n always holds crashTasks(n).
		l, err := s.Lock(context.Background(), "apply", 30*time.Second)
		if err != nil {
			fmt.Printf("FAILED %v\n", err)
			os.Exit(3)
		}
		defer l.Unlock()
		for i := 0; ; i++ {
			f, err := s.Load()
			if err != nil {
				fmt.Printf("FAILED %v\n", err)
				os.Exit(3)
			}
			f.Tasks = crashTasks(f.Serial + 1)
			if _, err := s.Save(f); err != nil {
				fmt.Printf("FAILED %v\n", err)
				os.Exit(3)
			}
			if i == 0 {
				fmt.Println("READY")
			}
		}
	}
	t.Fatalf("unknown helper mode %q", mode)
}

// helper starts the test binary as a helper process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

func startHelper(t *testing.T, mode, path string, env ...string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "STATE_TEST_PATH="+path)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout)}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return h
}

// line returns the helper's next line of output, "" at its end.
func (h *helper) line() string {
	if h.lines.Scan() {
		return h.lines.Text()
	}
	return ""
}

func TestLockBetweenGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mynth.state.json")
	const n = 8

	// All try at once without waiting: exactly one gets the lock, the
	// others are told who holds it.
	var (
		wg      sync.WaitGroup
		got     atomic.Int32
		start   = make(chan struct{})
		release = make(chan struct{})
		errs    = make(chan error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			l, err := Open(path).Lock(t.Context(), fmt.Sprintf("op%d", i), 0)
			if err != nil {
				errs <- err
				return
			}
			got.Add(1)
			<-release
			if err := l.Unlock(); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	for range n - 1 {
		err := <-errs
		var le *LockError
		if !errors.As(err, &le) || le.Holder == nil || le.Holder.PID != os.Getpid() || !strings.HasPrefix(le.Holder.Operation, "op") {
			t.Errorf("a loser's error does not name the holder: %v", err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("(pid %d on host ", os.Getpid())) {
			t.Errorf("message: %v", err)
		}
	}
	close(release)
	wg.Wait()
	if got.Load() != 1 {
		t.Fatalf("%d goroutines got the lock at once", got.Load())
	}
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("the lock file is left after unlocking: %v", err)
	}

	// All wait: each gets it in turn, never two at once.
	var inside, max atomic.Int32
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				l, err := Open(path).Lock(t.Context(), "apply", 30*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				if v := inside.Add(1); v > max.Load() {
					max.Store(v)
				}
				time.Sleep(100 * time.Microsecond)
				inside.Add(-1)
				if err := l.Unlock(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if max.Load() != 1 {
		t.Errorf("%d holders at once", max.Load())
	}
}

func TestLockTimeoutAndContext(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "mynth.state.json"))
	l, err := s.Lock(t.Context(), "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	begin := time.Now()
	_, err = Open(s.Path()).Lock(t.Context(), "state rm", 300*time.Millisecond)
	waited := time.Since(begin)
	var le *LockError
	if !errors.As(err, &le) || waited < 300*time.Millisecond || waited > 2*time.Second {
		t.Fatalf("after %v: %v", waited, err)
	}
	want := fmt.Sprintf("the state is locked by apply (pid %d on host %s since %s); waited ", os.Getpid(), hostname(), l.Holder.Time.Format(time.RFC3339))
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message:\n got %s\nwant %s...", err, want)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := Open(s.Path()).Lock(ctx, "x", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled wait: %v", err)
	}
	var h Holder
	b, _ := os.ReadFile(s.LockPath())
	if err := json.Unmarshal(b, &h); err != nil || h != l.Holder {
		t.Errorf("the lock file records %s (%v), want %+v", b, err, l.Holder)
	}
	if !strings.HasPrefix(string(b), `{"host":`) {
		t.Errorf("holder keys are not sorted: %s", b)
	}
}

func TestLockBetweenProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mynth.state.json")
	a := startHelper(t, "lock", path, "STATE_TEST_TIMEOUT=1s")
	b := startHelper(t, "lock", path, "STATE_TEST_TIMEOUT=1s")
	la, lb := a.line(), b.line()
	winner, loser, wline, lline := a, b, la, lb
	if strings.HasPrefix(lb, "LOCKED") {
		winner, loser, wline, lline = b, a, lb, la
	}
	if !strings.HasPrefix(wline, "LOCKED") || !strings.HasPrefix(lline, "FAILED") {
		t.Fatalf("want exactly one to proceed; got %q and %q", la, lb)
	}
	_ = loser.cmd.Wait()
	pid := winner.cmd.Process.Pid
	if !strings.Contains(lline, fmt.Sprintf("the state is locked by apply (pid %d on host %s since ", pid, hostname())) {
		t.Errorf("the loser does not name the holder: %s", lline)
	}

	// A third waits, and gets the lock when the holder unlocks.
	c := startHelper(t, "lock", path, "STATE_TEST_TIMEOUT=30s")
	time.Sleep(200 * time.Millisecond)
	_ = winner.stdin.Close()
	if l := c.line(); !strings.HasPrefix(l, "LOCKED") {
		t.Fatalf("the waiter: %q", l)
	}
	if err := winner.cmd.Wait(); err != nil {
		t.Errorf("the first holder: %v", err)
	}

	// Killed with SIGKILL, the holder releases the lock at once.
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
	begin := time.Now()
	l, err := Open(path).Lock(t.Context(), "apply", 10*time.Second)
	if err != nil {
		t.Fatalf("after kill -9 of the holder: %v", err)
	}
	if d := time.Since(begin); d > time.Second {
		t.Errorf("took %v to get the lock of a killed holder", d)
	}
	if err := l.Unlock(); err != nil {
		t.Error(err)
	}
}

// crashTasks is the content of the crash test's state of serial n: 60 to
// 90 tasks of a few kilobytes (about 250 KB in all), different for every n.
func crashTasks(n uint64) map[string]*Task {
	tasks := map[string]*Task{}
	count := 60 + int(n%31)
	for i := range count {
		req, _ := json.Marshal(map[string]any{
			"prompt": fmt.Sprintf("serial %d image %d %s", n, i, strings.Repeat("lorem ipsum ", 250)),
			"count":  i%4 + 1,
			"model":  "google/gemini-3.1-flash-image",
		})
		res, _ := json.Marshal(map[string]any{
			"images": []map[string]any{{"id": fmt.Sprintf("img_%d_%d", n, i), "status": "succeeded", "url": "https://cdn.example/" + strconv.Itoa(i), "cost": "0.01250000"}},
			"cost":   map[string]string{"images": "0.01250000", "total": "0.01250000"},
		})
		tasks[fmt.Sprintf(`task.img["%03d"]`, i)] = &Task{
			ID: fmt.Sprintf("tsk_%d_%d", n, i), Status: mynth.StatusCompleted,
			CreatedAt: "2026-01-02T10:00:00Z", Request: req, Result: res,
		}
	}
	return tasks
}

// checkCrashState loads the state at path and checks that it is whole:
// the content written for its serial.
func checkCrashState(t *testing.T, path, lineage string) uint64 {
	t.Helper()
	f, err := Open(path).Load()
	if err != nil {
		t.Fatalf("after a kill, the state does not load: %v", err)
	}
	want := &File{Version: FormatVersion, Lineage: lineage, Tasks: crashTasks(f.Serial)}
	if !f.ContentEqual(want) {
		t.Fatalf("after a kill, the state of serial %d is not the one written for it", f.Serial)
	}
	return f.Serial
}

func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a writing process 50 times")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "mynth.state.json")
	f := New("test")
	f.Tasks = crashTasks(1)
	if _, err := Open(path).Save(f); err != nil {
		t.Fatal(err)
	}
	lineage := f.Lineage
	last := uint64(1)
	rng := rand.New(rand.NewPCG(1, 2))
	kills := 50
	progressed, midWrite := 0, 0
	for i := range kills {
		t0 := time.Now()
		w := startHelper(t, "writer", path)
		if l := w.line(); l != "READY" {
			t.Fatalf("writer %d: %q", i, l)
		}
		time.Sleep(time.Duration(rng.IntN(40_000)) * time.Microsecond)
		if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = w.cmd.Wait()

		t1 := time.Now()
		if entries, err := os.ReadDir(dir); err == nil {
			for _, e := range entries {
				if tempPattern(path).MatchString(e.Name()) {
					midWrite++ // the kill fell while a temporary file was being written
					break
				}
			}
		}
		serial := checkCrashState(t, path, lineage)
		if testing.Verbose() && i < 5 {
			t.Logf("kill %d: writer ran %v, check took %v", i, t1.Sub(t0), time.Since(t1))
		}
		if serial < last {
			t.Fatalf("kill %d: serial went back from %d to %d", i, last, serial)
		}
		if serial > last+1 {
			progressed++
		}
		last = serial
		b, err := Open(path + ".backup").Load()
		if err != nil {
			t.Fatalf("kill %d: the backup does not load: %v", i, err)
		}
		if b.Serial != serial && b.Serial != serial-1 {
			t.Fatalf("kill %d: backup serial %d beside state serial %d", i, b.Serial, serial)
		}
		if !b.ContentEqual(&File{Version: FormatVersion, Lineage: lineage, Tasks: crashTasks(b.Serial)}) {
			t.Fatalf("kill %d: the backup of serial %d is torn", i, b.Serial)
		}
	}
	t.Logf("%d kills; the writers saved %d states in all; %d kills fell after more than one save; %d left a temporary file behind (killed mid-write)", kills, last-1, progressed, midWrite)

	// A later holder of the lock cleans up what the killed writers left.
	s := Open(path)
	l, err := s.Lock(t.Context(), "apply", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := s.Load()
	g.Tasks = crashTasks(g.Serial + 1)
	if _, err := s.Save(g); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 {
		t.Errorf("files left beside the state: %v", names)
	}
}
