package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/state"
)

// crashKillsEnv sets how many times TestApplyE2ECrashAtRandomMoments kills
// apply: the default keeps `go test -race ./...` quick; the figure
// is MYNTHFORM_CRASH_KILLS=120.
const crashKillsEnv = "MYNTHFORM_CRASH_KILLS"

// slowCreations is the server of the crash test: the emulator behind a
// front that, for POST /image/generate, lets the emulator create the task
// (and charge for it) first and answers only after a delay, whether or
// not the client is still there. It records every task it created, with
// the prompt it was asked for: the ground truth the state is compared
// with.
type slowCreations struct {
	em       *mynthtest.Emulator
	delay    func() time.Duration
	inFlight atomic.Int32
	statuses atomic.Int32 // status and task reads
	images   atomic.Int32 // image downloads

	mu      sync.Mutex
	created map[string][]string // prompt -> ids created for it
}

func (s *slowCreations) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/image/generate":
	case strings.HasPrefix(r.URL.Path, "/images/"):
		s.images.Add(1)
		s.em.ServeHTTP(w, r)
		return
	default:
		s.statuses.Add(1)
		s.em.ServeHTTP(w, r)
		return
	}
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	body, _ := io.ReadAll(r.Body)
	var req mynth.Request
	_ = json.Unmarshal(body, &req)
	// The emulator creates the task whatever becomes of the client.
	inner := r.Clone(context.WithoutCancel(r.Context()))
	inner.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	s.em.ServeHTTP(rec, inner)
	if rec.Code/100 == 2 && req.Prompt != nil {
		if c, err := mynth.DecodeCreated(rec.Body.Bytes()); err == nil {
			s.mu.Lock()
			s.created[req.Prompt.Positive] = append(s.created[req.Prompt.Positive], c.TaskID)
			s.mu.Unlock()
		}
	}
	time.Sleep(s.delay())
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// idsFor returns the ids of the tasks created for prompt.
func (s *slowCreations) idsFor(prompt string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.created[prompt]...)
}

// crashTally counts what the crash test saw.
type crashTally struct {
	kills                       map[string]int // by phase
	rounds                      int
	created, imported, cleared  int
	missing, twice, unparseable int
}

func (c *crashTally) String() string {
	phases := make([]string, 0, len(c.kills))
	total := 0
	for p, n := range c.kills {
		phases = append(phases, fmt.Sprintf("%s %d", p, n))
		total += n
	}
	sort.Strings(phases)
	return fmt.Sprintf("%d kills (%s); %d rounds, %d tasks created by the server; unknown outcomes resolved: %d imported, %d cleared (never sent); "+
		"missing from the state: %d; created twice: %d; unparseable states: %d",
		total, strings.Join(phases, ", "), c.rounds, c.created, c.imported, c.cleared, c.missing, c.twice, c.unparseable)
}

// TestApplyE2ECrashAtRandomMoments kills the real apply with SIGKILL at
// random moments, while it creates (a creation request in flight, the
// task already made and charged by the server), waits, downloads, and
// saves the state, against a server that takes its time to answer
// creations. After every kill the state must parse and account for every
// task the server created: recorded by id, or covered by a write-ahead
// record at its address. The unknown outcomes are then resolved as the
// user is told to (import the task found, or clear a record whose request
// never arrived), and apply runs on. At the end of each round no task is
// missing from the state and none was created twice.
func TestApplyE2ECrashAtRandomMoments(t *testing.T) {
	kills := 12
	if v := os.Getenv(crashKillsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", crashKillsEnv, v)
		}
		kills = n
	}
	em, err := mynthtest.New(mynthtest.Options{Delay: 250 * time.Millisecond, Latency: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	var rngMu sync.Mutex
	randDur := func(max time.Duration) time.Duration {
		rngMu.Lock()
		defer rngMu.Unlock()
		return time.Duration(rng.Int64N(int64(max) + 1))
	}
	front := &slowCreations{em: em, created: map[string][]string{}, delay: func() time.Duration { return 50*time.Millisecond + randDur(250*time.Millisecond) }}
	srv := httptest.NewServer(front)
	defer srv.Close()
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=" + applyKey}

	tally := &crashTally{kills: map[string]int{}}
	phases := []string{"creating", "waiting", "downloading", "saving", "any moment"}
	const perRound = 6
	attempt := 0
	for round := 1; sumKills(tally) < kills; round++ {
		tally.rounds++
		dir := t.TempDir()
		prompts := map[string]string{}
		var b strings.Builder
		b.WriteString("locals {\n  items = {\n")
		for i := range perRound {
			p := fmt.Sprintf("crash round %d item %d", round, i)
			prompts[fmt.Sprintf(`task.item["t%d"]`, i)] = p
			fmt.Fprintf(&b, "    t%d = %q\n", i, p)
		}
		b.WriteString("  }\n}\n\n" + `task "item" {
  for_each = local.items
  prompt   = each.value
  model    = "google/gemini-3.1-flash-image"
  size     = "square"
  output {
    format = "png"
  }
  files = ["out/${each.key}.png"]
}
`)
		writeSpec(t, dir, b.String())
		for runs := 1; ; runs++ {
			if runs > 60 {
				t.Fatalf("round %d: apply did not finish in 60 runs", round)
			}
			// Every phase in turn, so that even a short run covers each.
			phase := "end"
			if sumKills(tally) < kills {
				phase = phases[attempt%len(phases)]
				attempt++
			}
			code, killed := runApplyKilledAt(t, dir, env, front, phase, randDur)
			if killed {
				tally.kills[phase]++
			}
			checkCrashState(t, dir, front, prompts, tally, round)
			if !killed && code == 0 {
				break
			}
			// The unknown outcomes, resolved as the plan says.
			resolveUnknownOutcomes(t, dir, env, front, prompts, tally)
		}
		// Re-running apply creates nothing more; every task is recorded
		// once, with its file.
		mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply after the round")
		st := loadState(t, dir)
		if len(st.Attempts) != 0 || len(st.Tasks) != perRound {
			t.Fatalf("round %d ends with %d tasks and attempts %v", round, len(st.Tasks), st.Attempts)
		}
		for addr, p := range prompts {
			ids := front.idsFor(p)
			tally.created += len(ids)
			if len(ids) != 1 {
				tally.twice++
				t.Errorf("round %d: %s was created %d times: %v", round, addr, len(ids), ids)
			} else if st.Tasks[addr] == nil || st.Tasks[addr].ID != ids[0] {
				tally.missing++
				t.Errorf("round %d: %s: the server created %s, the state records %v", round, addr, ids[0], st.Tasks[addr])
			}
		}
		checkFilesMatchState(t, dir, st)
	}
	t.Logf("crash test: %s", tally)
	if tally.missing != 0 || tally.twice != 0 || tally.unparseable != 0 {
		t.Fatalf("crash test failed: %s", tally)
	}
}

func sumKills(c *crashTally) int {
	n := 0
	for _, k := range c.kills {
		n += k
	}
	return n
}

// runApplyKilledAt runs apply in dir and kills it with SIGKILL once phase
// is reached ("end" never kills). It reports the exit code and whether it
// killed the process (false when apply ended first).
func runApplyKilledAt(t *testing.T, dir string, env []string, front *slowCreations, phase string, randDur func(time.Duration) time.Duration) (int, bool) {
	t.Helper()
	cmd := exec.Command(binPath, "apply", "--auto-approve", "--parallelism", "3")
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	statuses, images := front.statuses.Load(), front.images.Load()
	statePath := filepath.Join(dir, "mynth.state.json")
	before := fileStamp(statePath)
	start := time.Now()
	anyMoment := randDur(1500 * time.Millisecond)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	reached := func() bool {
		switch phase {
		case "creating":
			return front.inFlight.Load() > 0
		case "waiting":
			return front.statuses.Load() > statuses+1
		case "downloading":
			return front.images.Load() > images
		case "saving":
			return fileStamp(statePath) != before || hasTempFile(dir)
		case "any moment":
			return time.Since(start) >= anyMoment
		}
		return false
	}
	for {
		select {
		case err := <-done:
			return exitCodeOf(t, err, out.String()), false
		default:
		}
		if reached() {
			if phase == "creating" || phase == "downloading" {
				time.Sleep(randDur(40 * time.Millisecond))
			}
			_ = cmd.Process.Signal(syscall.SIGKILL)
			err := <-done
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return -1, true
			}
			return exitCodeOf(t, err, out.String()), false
		}
		time.Sleep(500 * time.Microsecond)
	}
}

func exitCodeOf(t *testing.T, err error, out string) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ee.ExitCode() != exitError {
			t.Fatalf("apply exited %d:\n%s", ee.ExitCode(), out)
		}
		return ee.ExitCode()
	}
	t.Fatalf("apply: %v", err)
	return 0
}

// fileStamp identifies a version of a file: size and modification time.
func fileStamp(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprint(info.Size(), info.ModTime().UnixNano())
}

// hasTempFile reports whether a state write is under way in dir.
func hasTempFile(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".mynth.state.json") {
			return true
		}
	}
	return false
}

// checkCrashState checks the state after a run: it parses, and every task
// the server created for the round is recorded by id or covered by a
// write-ahead record at its address.
func checkCrashState(t *testing.T, dir string, front *slowCreations, prompts map[string]string, tally *crashTally, round int) {
	t.Helper()
	st, err := state.Open(filepath.Join(dir, "mynth.state.json")).Load()
	if err != nil {
		tally.unparseable++
		t.Fatalf("round %d: the state after a kill cannot be read: %v", round, err)
	}
	// Creations still in flight at the server finish first.
	for front.inFlight.Load() > 0 {
		time.Sleep(time.Millisecond)
	}
	for addr, p := range prompts {
		ids := front.idsFor(p)
		if len(ids) > 1 {
			tally.twice++
			t.Errorf("round %d: %s created %d times: %v", round, addr, len(ids), ids)
		}
		for _, id := range ids {
			recorded := st.Tasks[addr] != nil && st.Tasks[addr].ID == id
			if !recorded && st.Attempts[addr] == nil {
				tally.missing++
				t.Errorf("round %d: task %s (%s) exists at the server and the state knows nothing of it", round, id, addr)
			}
		}
	}
}

// resolveUnknownOutcomes does what plan tells the user for each write-ahead
// record: import the task the server created for it, or clear the record
// when its request never arrived.
func resolveUnknownOutcomes(t *testing.T, dir string, env []string, front *slowCreations, prompts map[string]string, tally *crashTally) {
	t.Helper()
	st := loadState(t, dir)
	for _, addr := range st.AttemptAddresses() {
		var unrecorded []string
		for _, id := range front.idsFor(prompts[addr]) {
			if st.Tasks[addr] == nil || st.Tasks[addr].ID != id {
				unrecorded = append(unrecorded, id)
			}
		}
		switch len(unrecorded) {
		case 0:
			mustCode(t, runBin(t, dir, env, "state", "rm", addr), 0, "state rm "+addr)
			tally.cleared++
		case 1:
			mustCode(t, runBin(t, dir, env, "import", addr, unrecorded[0]), 0, "import "+addr)
			tally.imported++
		default:
			t.Fatalf("%s: the server created %v", addr, unrecorded)
		}
	}
}
