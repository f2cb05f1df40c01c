package pgstate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mynthform/mynthform/internal/pgtest"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperProcess())
	}
	os.Exit(pgtest.Main(m))
}

// open opens a Backend on a fresh schema of the test server.
func open(t *testing.T, workspace string) (*Backend, Config) {
	t.Helper()
	conn := pgtest.ConnStr(t)
	cfg := Config{ConnStr: conn, Schema: pgtest.Schema(t, conn), Workspace: workspace}
	b := reopen(t, cfg)
	return b, cfg
}

func reopen(t *testing.T, cfg Config) *Backend {
	t.Helper()
	b, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func task(id string) *state.Task {
	return &state.Task{ID: id, Status: mynth.StatusCompleted, CreatedAt: "2026-01-02T03:04:05Z"}
}

func TestLoadSaveRoundTripIsTheStateFileFormat(t *testing.T) {
	b, cfg := open(t, "")
	f, err := b.Load()
	if err != nil {
		t.Fatal(err)
	}
	if f.Serial != 0 || len(f.Tasks) != 0 || f.Lineage == "" {
		t.Fatalf("new workspace: %+v", f)
	}
	// No task, no state yet: nothing is written.
	if wrote, err := b.Save(f); err != nil || wrote {
		t.Fatalf("saving an empty new state: wrote %v, %v", wrote, err)
	}
	f.Tasks["task.hero"] = task("tsk_1")
	f.ToolVersion = "test"
	if wrote, err := b.Save(f); err != nil || !wrote || f.Serial != 1 {
		t.Fatalf("first save: wrote %v, serial %d, %v", wrote, f.Serial, err)
	}
	if wrote, err := b.Save(f); err != nil || wrote {
		t.Fatalf("saving the same content again: wrote %v, %v", wrote, err)
	}
	// Another connection (another machine) reads the same state.
	g, err := reopen(t, cfg).Load()
	if err != nil {
		t.Fatal(err)
	}
	if !g.Equal(f) {
		t.Fatalf("read back %+v, want %+v", g, f)
	}
	// Stored exactly as a state file holds it.
	want, err := state.Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	var data string
	if err := b.conn.QueryRow(context.Background(), `SELECT data FROM `+b.table("states")+` WHERE workspace = 'default'`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if data != string(want) {
		t.Fatalf("stored:\n%s\nwant the state file's bytes:\n%s", data, want)
	}
	var v int
	if err := b.conn.QueryRow(context.Background(), `SELECT version FROM `+b.table("schema_version")).Scan(&v); err != nil || v != SchemaVersion {
		t.Fatalf("schema version %d, %v", v, err)
	}
}

func TestWorkspacesAreSeparateStates(t *testing.T) {
	a, cfg := open(t, "")
	cfg.Workspace = "staging"
	s := reopen(t, cfg)
	fa, _ := a.Load()
	fa.Tasks["task.a"] = task("tsk_a")
	if _, err := a.Save(fa); err != nil {
		t.Fatal(err)
	}
	fs, err := s.Load()
	if err != nil || len(fs.Tasks) != 0 {
		t.Fatalf("staging sees %v, %v", fs.Tasks, err)
	}
	// And their locks are separate.
	la, err := a.Lock(context.Background(), "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer la.Unlock()
	ls, err := s.Lock(context.Background(), "apply", 0)
	if err != nil {
		t.Fatalf("the default workspace's lock kept staging's: %v", err)
	}
	_ = ls.Unlock()
}

func TestCASRefusesAStaleWriter(t *testing.T) {
	a, cfg := open(t, "")
	b := reopen(t, cfg)
	f, _ := a.Load()
	f.Tasks["task.a"] = task("tsk_a")
	if _, err := a.Save(f); err != nil {
		t.Fatal(err)
	}
	// Both read serial 1.
	fa, _ := a.Load()
	fb, _ := b.Load()
	fa.Tasks["task.b"] = task("tsk_b")
	if _, err := a.Save(fa); err != nil {
		t.Fatal(err)
	}
	fb.Tasks["task.c"] = task("tsk_c")
	_, err := b.Save(fb)
	if !errors.Is(err, state.ErrSerial) {
		t.Fatalf("stale writer: %v, want ErrSerial", err)
	}
	if !strings.Contains(err.Error(), "PostgreSQL workspace default") || !strings.Contains(err.Error(), "serial 2") {
		t.Fatalf("message: %v", err)
	}
	// Another lineage is refused too.
	other := state.New("")
	other.Serial = 5
	other.Tasks["task.x"] = task("tsk_x")
	if _, err := b.Save(other); !errors.Is(err, state.ErrLineage) {
		t.Fatalf("another lineage: %v, want ErrLineage", err)
	}
	got, _ := reopen(t, cfg).Load()
	if got.Serial != 2 || got.Tasks["task.b"] == nil || got.Tasks["task.c"] != nil {
		t.Fatalf("stored state changed by a refused writer: serial %d, %v", got.Serial, got.Addresses())
	}
}

// TestCASRefusesARacingFirstWrite: two writers that both found no state
// cannot both create it.
func TestCASRefusesARacingFirstWrite(t *testing.T) {
	a, cfg := open(t, "")
	b := reopen(t, cfg)
	fa, _ := a.Load()
	fb, _ := b.Load()
	fb.Lineage = fa.Lineage
	fa.Tasks["task.a"] = task("tsk_a")
	fb.Tasks["task.b"] = task("tsk_b")
	if _, err := a.Save(fa); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Save(fb); !errors.Is(err, state.ErrSerial) {
		t.Fatalf("second first write: %v, want ErrSerial", err)
	}
}

func TestCorruptStoredStateIsRefusedNotEmpty(t *testing.T) {
	b, _ := open(t, "")
	f, _ := b.Load()
	f.Tasks["task.a"] = task("tsk_a")
	if _, err := b.Save(f); err != nil {
		t.Fatal(err)
	}
	if _, err := b.conn.Exec(context.Background(), `UPDATE `+b.table("states")+` SET data = '{"version": 1, "tasks": {'`); err != nil {
		t.Fatal(err)
	}
	b.last.file = nil
	if _, err := b.Load(); !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), "state push --force") {
		t.Fatalf("corrupt: %v", err)
	}
	f.Tasks["task.b"] = task("tsk_b")
	if _, err := b.Save(f); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("saving over a corrupt state: %v", err)
	}
}

func TestLockExcludesAndNamesTheHolder(t *testing.T) {
	a, cfg := open(t, "")
	b := reopen(t, cfg)
	l, err := a.Lock(context.Background(), "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = b.Lock(context.Background(), "import", 300*time.Millisecond)
	var le *LockError
	if !errors.As(err, &le) {
		t.Fatalf("second lock: %v, want a *LockError", err)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Fatalf("gave up after %s, before the timeout", time.Since(start))
	}
	if le.Holder == nil || le.Holder.PID != os.Getpid() || le.Holder.Operation != "apply" {
		t.Fatalf("holder %+v", le.Holder)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("apply (pid %d on host", os.Getpid())) || !strings.Contains(msg, "--lock-timeout") {
		t.Fatalf("message: %s", msg)
	}
	// Released: the waiter gets it within its timeout.
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = l.Unlock()
	}()
	l2, err := b.Lock(context.Background(), "import", 5*time.Second)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	if err := l2.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l2.Unlock(); err != nil {
		t.Fatalf("unlocking twice: %v", err)
	}
}

func TestLockWaitIsInterruptible(t *testing.T) {
	a, cfg := open(t, "")
	b := reopen(t, cfg)
	l, err := a.Lock(context.Background(), "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(ctx, "apply", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("interrupted wait: %v", err)
	}
}

// The helper process: LOCK takes the lock and holds it until killed.
const helperEnv = "PGSTATE_TEST_HELPER"

func helperProcess() int {
	cfg := Config{ConnStr: os.Getenv("PGSTATE_TEST_CONN"), Schema: os.Getenv("PGSTATE_TEST_SCHEMA")}
	b, err := Open(context.Background(), cfg)
	if err != nil {
		fmt.Println("FAILED", err)
		return 3
	}
	if _, err := b.Lock(context.Background(), "apply", 0); err != nil {
		fmt.Println("FAILED", err)
		return 3
	}
	fmt.Println("LOCKED")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

func TestKilledHoldersLockIsFreed(t *testing.T) {
	b, cfg := open(t, "")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"=1", "PGSTATE_TEST_CONN="+cfg.ConnStr, "PGSTATE_TEST_SCHEMA="+cfg.Schema)
	stdin, _ := cmd.StdinPipe()
	defer stdin.Close()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "LOCKED" {
		_ = cmd.Process.Kill()
		t.Fatalf("helper: %q", line)
	}
	_, err := b.Lock(context.Background(), "apply", 100*time.Millisecond)
	var le *LockError
	if !errors.As(err, &le) || le.Holder == nil || le.Holder.PID != cmd.Process.Pid {
		t.Fatalf("while the helper holds it: %v (holder %+v)", err, le)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()
	start := time.Now()
	l, err := b.Lock(context.Background(), "apply", 10*time.Second)
	if err != nil {
		t.Fatalf("after kill -9 of the holder: %v", err)
	}
	t.Logf("lock free %s after the holder was killed", time.Since(start).Round(time.Millisecond))
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	// The killed holder's record is not taken for a live holder.
	if h, err := b.holder(context.Background()); err != nil || h != nil {
		t.Fatalf("holder after the kill: %+v, %v", h, err)
	}
}

func TestConcurrentWritersLoseNoUpdate(t *testing.T) {
	_, cfg := open(t, "")
	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			b, err := Open(context.Background(), cfg)
			if err != nil {
				errs <- err
				return
			}
			defer b.Close()
			for i := range each {
				l, err := b.Lock(context.Background(), "import", 30*time.Second)
				if err != nil {
					errs <- err
					return
				}
				f, err := b.Load()
				if err == nil {
					f.Tasks[fmt.Sprintf("task.w%d_%d", w, i)] = task(fmt.Sprintf("tsk_%d_%d", w, i))
					_, err = b.Save(f)
				}
				_ = l.Unlock()
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	f, err := reopen(t, cfg).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tasks) != writers*each || f.Serial != writers*each {
		t.Fatalf("%d tasks at serial %d, want %d at %d", len(f.Tasks), f.Serial, writers*each, writers*each)
	}
}

func TestPush(t *testing.T) {
	b, _ := open(t, "")
	local := state.New("test")
	local.Serial = 7
	local.Tasks["task.a"] = task("tsk_a")
	serial, err := b.Push(local, false)
	if err != nil || serial != 7 {
		t.Fatalf("push into an empty workspace: serial %d, %v", serial, err)
	}
	got, _ := b.Load()
	if !got.Equal(local) {
		t.Fatalf("pulled %+v, want the pushed file", got)
	}
	// The same file again: nothing to do.
	if serial, err := b.Push(local, false); err != nil || serial != 7 {
		t.Fatalf("same file: serial %d, %v", serial, err)
	}
	older := local.Clone()
	older.Serial = 3
	if _, err := b.Push(older, false); !errors.Is(err, state.ErrSerial) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("older serial: %v", err)
	}
	diverged := local.Clone()
	diverged.Tasks["task.b"] = task("tsk_b")
	if _, err := b.Push(diverged, false); !errors.Is(err, state.ErrSerial) {
		t.Fatalf("same serial, other content: %v", err)
	}
	other := state.New("test")
	other.Serial = 50
	other.Tasks["task.z"] = task("tsk_z")
	if _, err := b.Push(other, false); !errors.Is(err, state.ErrLineage) {
		t.Fatalf("other lineage: %v", err)
	}
	// --force: stored above every serial seen, so a writer that read the
	// old state cannot write over it.
	stale, _ := b.Load()
	serial, err = b.Push(older, true)
	if err != nil || serial != 8 {
		t.Fatalf("forced older push: serial %d, %v", serial, err)
	}
	stale.Tasks["task.c"] = task("tsk_c")
	if _, err := b.Save(stale); !errors.Is(err, state.ErrSerial) {
		t.Fatalf("a writer that read before the push: %v", err)
	}
	if serial, err := b.Push(other, true); err != nil || serial != 50 {
		t.Fatalf("forced other lineage: %d, %v", serial, err)
	}
	// A pushed secret is refused, by value: text that only looks like a
	// key is the user's.
	key := "mak_" + strings.Repeat("a", 40)
	b.Protect(key)
	bad := other.Clone()
	bad.Serial = 60
	bad.Tasks["task.z"].ID = key
	if _, err := b.Push(bad, false); !errors.Is(err, state.ErrSecret) {
		t.Fatalf("secret: %v", err)
	}
	bad.Tasks["task.z"].ID = "mak_" + strings.Repeat("b", 40)
	if _, err := b.Push(bad, false); err != nil {
		t.Fatalf("a value that only looks like a key: %v", err)
	}
	// And a stored one is refused on read.
	b.Protect(bad.Tasks["task.z"].ID)
	if _, err := b.Load(); !errors.Is(err, state.ErrSecret) {
		t.Fatalf("loading a state that holds a protected value: %v", err)
	}
}

func TestPasswordNeverInMessages(t *testing.T) {
	conn := pgtest.ConnStr(t)
	u, err := url.Parse(conn)
	if err != nil || u.User == nil {
		t.Skipf("PG_CONN_STR is not a URL with a user: cannot make a wrong password")
	}
	const wrong = "Wr0ng-Pa55word-never-printed"
	u.User = url.UserPassword(u.User.Username(), wrong)
	for name, cs := range map[string]string{
		"wrong password URL":  u.String(),
		"wrong password kv":   fmt.Sprintf("host=%s port=%s user=%s password='%s' dbname=postgres sslmode=disable", u.Hostname(), u.Port(), u.User.Username(), wrong),
		"unreadable":          "postgres://user:" + wrong + "@host:notaport/db",
		"unreadable kv":       "host=x password=" + wrong + " port=banana",
		"unreachable":         "postgres://user:" + wrong + "@127.0.0.1:1/db?connect_timeout=2",
		"bad schema and pass": "postgres://user:" + wrong + "@127.0.0.1:1/db",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(context.Background(), Config{ConnStr: cs, Schema: "mynthform"})
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), url.QueryEscape(wrong)) {
				t.Fatalf("the password is in: %v", err)
			}
			t.Log(err)
		})
	}
	if _, err := Open(context.Background(), Config{ConnStr: conn, Schema: "no such; schema"}); err == nil || !strings.Contains(err.Error(), "schema_name") {
		t.Fatalf("bad schema name: %v", err)
	}
}

func TestMaskSecrets(t *testing.T) {
	for _, tc := range []struct{ conn, msg, want string }{
		{"postgres://u:p%40ss@h/db", "bad p@ss and p%40ss", "bad xxxxx and xxxxx"},
		{`host=h password='a\'b' user=u`, `saw a'b`, "saw xxxxx"},
		{"postgres://h/db?password=secret1", "secret1!", "xxxxx!"},
	} {
		if got := maskSecrets(tc.msg, connSecrets(tc.conn)); got != tc.want {
			t.Errorf("%s: %q -> %q, want %q", tc.conn, tc.msg, got, tc.want)
		}
	}
}
