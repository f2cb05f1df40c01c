package main

// End-to-end runs of the binary with the state in PostgreSQL: a real
// server (internal/pgtest), the emulator over HTTP, separate processes.

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mynthform/mynthform/internal/pgtest"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/state"
)

// pgEnv is a test's connection to the server: the environment that
// points the binary at a fresh schema, and the password that must never
// show.
type pgEnv struct {
	conn, schema, password string
}

func newPGEnv(t *testing.T) pgEnv {
	t.Helper()
	conn := pgtest.ConnStr(t)
	e := pgEnv{conn: conn, schema: pgtest.Schema(t, conn)}
	if u, err := url.Parse(conn); err == nil && u.User != nil {
		e.password, _ = u.User.Password()
	}
	return e
}

// env is the binary's environment: the emulator, the key, PG_CONN_STR.
func (e pgEnv) env(srv *mynthtest.Server) []string {
	return append(applyEnv(srv), "PG_CONN_STR="+e.conn)
}

// mynthBlock is the spec's mynth block keeping the state in e's schema
// (the connection string from PG_CONN_STR), with a manifest.
func (e pgEnv) mynthBlock() string {
	return fmt.Sprintf("mynth {\n  manifest = \"mynth.manifest.json\"\n  backend \"pg\" {\n    schema_name = %q\n  }\n}\n", e.schema)
}

// noPassword fails when the password shows in any output or in any file
// under dir.
func (e pgEnv) noPassword(t *testing.T, dir string, results ...binResult) {
	t.Helper()
	if e.password == "" {
		return
	}
	for _, r := range results {
		if strings.Contains(r.Stdout+r.Stderr, e.password) {
			t.Fatalf("the password appears in the output:\n%s\n%s", r.Stdout, r.Stderr)
		}
	}
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(e.password)) {
			t.Fatalf("the password appears in %s", path)
		}
		return nil
	})
}

// pull returns the state as `state pull` prints it.
func pull(t *testing.T, dir string, env []string, args ...string) (*state.File, binResult) {
	t.Helper()
	r := runBin(t, dir, env, append(args, "state", "pull")...)
	mustCode(t, r, 0, "state pull")
	f, err := state.Decode([]byte(r.Stdout))
	if err != nil {
		t.Fatalf("state pull printed no state: %v\n%s", err, r.Stdout)
	}
	return f, r
}

func TestPGE2EApplyPlanRoundTrip(t *testing.T) {
	e := newPGEnv(t)
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := e.env(srv)
	writeSpec(t, dir, e.mynthBlock()+productSpec(map[string]string{"mug": "a mug", "bowl": "a bowl"}, ""))
	var all []binResult
	run := func(want int, args ...string) binResult {
		t.Helper()
		r := runBin(t, dir, env, args...)
		mustCode(t, r, want, strings.Join(args, " "))
		all = append(all, r)
		return r
	}
	r := run(0, "apply", "--auto-approve")
	if !strings.Contains(r.Stdout, "State: PostgreSQL workspace default (schema "+e.schema+") (serial") {
		t.Errorf("apply summary:\n%s", r.Stdout)
	}
	run(0, "plan", "--detailed-exitcode")
	if _, err := os.Stat(filepath.Join(dir, "mynth.state.json")); err == nil {
		t.Error("a state file was written beside the PostgreSQL backend")
	}
	st, pr := pull(t, dir, env)
	all = append(all, pr)
	if len(st.Tasks) != 2 {
		t.Fatalf("pulled %v", st.Addresses())
	}
	checkFilesMatchState(t, dir, st)
	// The manifest is the state, byte for byte as a state file holds it.
	manifest, err := os.ReadFile(filepath.Join(dir, "mynth.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := state.Encode(st); !bytes.Equal(manifest, want) || pr.Stdout != string(want) {
		t.Fatalf("manifest:\n%s\nstate pull:\n%s\nwant:\n%s", manifest, pr.Stdout, want)
	}

	// Every state command works on the backend.
	if r := run(0, "state", "list"); r.Stdout != "task.product[\"bowl\"]\ntask.product[\"mug\"]\n" {
		t.Errorf("state list:\n%s", r.Stdout)
	}
	run(0, "state", "show", `task.product["mug"]`)
	if r := run(0, "show"); !strings.Contains(r.Stdout, "a mug") {
		t.Errorf("show:\n%s", r.Stdout)
	}
	r = run(0, "state", "mv", `task.product["mug"]`, `task.product["cup"]`)
	if !strings.Contains(r.Stdout, "Saved the state in PostgreSQL workspace default") {
		t.Errorf("state mv:\n%s", r.Stdout)
	}
	run(0, "state", "rm", `task.product["cup"]`)
	after, _ := pull(t, dir, env)
	if len(after.Tasks) != 1 || after.Serial <= st.Serial {
		t.Fatalf("after mv and rm: %v at serial %d", after.Addresses(), after.Serial)
	}
	// The manifest follows every write, not only apply's.
	manifest, _ = os.ReadFile(filepath.Join(dir, "mynth.manifest.json"))
	if want, _ := state.Encode(after); !bytes.Equal(manifest, want) {
		t.Errorf("manifest after state rm:\n%s", manifest)
	}
	// Apply generates the removed one again; plan is then clean.
	run(0, "apply", "--auto-approve")
	run(0, "plan", "--detailed-exitcode")
	noSecrets(t, dir, all...)
	e.noPassword(t, dir, all...)
}

func TestPGE2EWorkspaces(t *testing.T) {
	e := newPGEnv(t)
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := e.env(srv)
	writeSpec(t, dir, e.mynthBlock()+productSpec(map[string]string{"mug": "a mug"}, ""))
	mustCode(t, runBin(t, dir, env, "--workspace", "staging", "apply", "--auto-approve"), 0, "apply in staging")
	// The default workspace has nothing; MYNTH_WORKSPACE chooses too.
	r := runBin(t, dir, env, "state", "list")
	mustCode(t, r, 0, "state list default")
	if r.Stdout != "" {
		t.Errorf("default workspace lists:\n%s", r.Stdout)
	}
	r = runBin(t, dir, append(env, "MYNTH_WORKSPACE=staging"), "state", "list")
	if r.Stdout != "task.product[\"mug\"]\n" {
		t.Errorf("staging lists:\n%s%s", r.Stdout, r.Stderr)
	}
	r = runBin(t, dir, env, "--workspace", "bad name", "plan")
	mustCode(t, r, 1, "bad workspace name")
	// The file backend has no workspaces: choosing one is an error, not
	// a silent write into the one file.
	fileDir := t.TempDir()
	writeSpec(t, fileDir, productSpec(map[string]string{"mug": "a mug"}, ""))
	r = runBin(t, fileDir, append(env, "MYNTH_WORKSPACE=staging"), "apply", "--auto-approve")
	mustCode(t, r, 1, "workspace with the file backend")
	if !strings.Contains(r.Stderr, "workspaces need the PostgreSQL backend") || srv.Emulator.Stats().Created != 1 {
		t.Errorf("file backend with a workspace:\n%s", r.Stderr)
	}
}

// startApply starts `apply --auto-approve` in dir and waits until the
// emulator has seen created creations.
func startApply(t *testing.T, dir string, env []string, srv *mynthtest.Server, created int, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"apply", "--auto-approve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for srv.Emulator.Stats().Created < created {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("the apply did not create %d tasks in time:\n%s", created, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, &out
}

func TestPGE2ESecondApplyWaitsAndNamesTheHolder(t *testing.T) {
	e := newPGEnv(t)
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: 3 * time.Second})
	dir := t.TempDir()
	env := e.env(srv)
	writeSpec(t, dir, e.mynthBlock()+productSpec(map[string]string{"a": "a"}, ""))
	first, out := startApply(t, dir, env, srv, 1)
	// Another checkout of the same spec, as on another CI runner.
	other := t.TempDir()
	writeSpec(t, other, e.mynthBlock()+productSpec(map[string]string{"a": "a"}, ""))
	start := time.Now()
	second := runBin(t, other, env, "apply", "--auto-approve", "--lock-timeout", "700ms")
	waited := time.Since(start)
	mustCode(t, second, 1, "second apply")
	host, _ := os.Hostname()
	want := fmt.Sprintf("locked by apply (pid %d on host %s since ", first.Process.Pid, host)
	if !strings.Contains(second.Stderr, want) || waited < 700*time.Millisecond {
		t.Errorf("after %s the second apply said:\n%s\nwant %q", waited, second.Stderr, want)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first apply: %v\n%s", err, out.String())
	}
	if srv.Emulator.Stats().Created != 1 {
		t.Error("the second apply created a task")
	}
	// Given time, the second one waits for the first and goes on, seeing
	// what the first recorded.
	spec := e.mynthBlock() + productSpec(map[string]string{"a": "a", "b": "b"}, "")
	writeSpec(t, dir, spec)
	writeSpec(t, other, spec)
	third, out3 := startApply(t, dir, env, srv, 2)
	r := runBin(t, other, env, "apply", "--auto-approve", "--lock-timeout", "60s")
	mustCode(t, r, 0, "apply waiting for the lock")
	if err := third.Wait(); err != nil {
		t.Fatalf("third apply: %v\n%s", err, out3.String())
	}
	if n := srv.Emulator.Stats().Created; n != 2 {
		t.Errorf("%d tasks created, want 2: the waiting apply did not see the first one's", n)
	}
	e.noPassword(t, dir, second, r)
}

func TestPGE2EKilledApplyFreesTheLock(t *testing.T) {
	e := newPGEnv(t)
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: time.Hour})
	dir := t.TempDir()
	env := e.env(srv)
	writeSpec(t, dir, e.mynthBlock()+productSpec(map[string]string{"a": "a", "b": "b", "c": "c"}, ""))
	cmd, _ := startApply(t, dir, env, srv, 3)
	deadline := time.Now().Add(20 * time.Second)
	for srv.Emulator.Stats().Requests[mynthtest.EndpointStatus] < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// The server released the dead connection's lock: the next apply
	// takes it at once, and finds every task the killed one created.
	start := time.Now()
	r := runBin(t, dir, env, "apply", "--auto-approve", "--wait=false", "--lock-timeout", "10s")
	mustCode(t, r, 0, "apply after kill -9")
	t.Logf("the next apply ran %s after the kill", time.Since(start).Round(time.Millisecond))
	if n := srv.Emulator.Stats().Created; n != 3 {
		t.Errorf("the emulator created %d tasks, want 3: the killed apply's were not all recorded", n)
	}
	st, _ := pull(t, dir, env)
	if len(st.Tasks) != 3 {
		t.Errorf("the state holds %v", st.Addresses())
	}
}

func TestPGE2EConcurrentImportsLoseNothing(t *testing.T) {
	e := newPGEnv(t)
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	const n = 8
	var spec strings.Builder
	spec.WriteString(e.mynthBlock())
	for i := range n {
		id := fmt.Sprintf("tsk_PGIMPORT%d", i)
		planSeedTask(t, srv, planTask(srv.URL, id, fmt.Sprintf("thing %d", i), mynth.StatusCompleted), "")
		fmt.Fprintf(&spec, "task \"t%d\" {\n  prompt = \"thing %d\"\n  size   = \"square\"\n}\n", i, i)
	}
	env := append(planAPIEnv(srv), "PG_CONN_STR="+e.conn)
	// Eight checkouts, eight processes at once, as eight CI runners.
	results := make([]binResult, n)
	var wg sync.WaitGroup
	for i := range n {
		dir := t.TempDir()
		writeSpec(t, dir, spec.String())
		wg.Go(func() {
			results[i] = runBin(t, dir, env, "import", "--lock-timeout", "2m", fmt.Sprintf("task.t%d", i), fmt.Sprintf("tsk_PGIMPORT%d", i))
		})
	}
	wg.Wait()
	for i, r := range results {
		mustCode(t, r, 0, fmt.Sprintf("import %d", i))
	}
	dir := t.TempDir()
	writeSpec(t, dir, spec.String())
	st, _ := pull(t, dir, env)
	if len(st.Tasks) != n || st.Serial != n {
		t.Fatalf("after %d imports: %v at serial %d", n, st.Addresses(), st.Serial)
	}
	for i := range n {
		if got := st.Tasks[fmt.Sprintf("task.t%d", i)]; got == nil || got.ID != fmt.Sprintf("tsk_PGIMPORT%d", i) {
			t.Errorf("task.t%d: %+v", i, got)
		}
	}
	e.noPassword(t, dir, results...)
}

func TestPGE2EPushAndPull(t *testing.T) {
	e := newPGEnv(t)
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := e.env(srv)
	spec := productSpec(map[string]string{"mug": "a mug", "bowl": "a bowl"}, "")
	// A local state to move in; state pull works on the file too.
	writeSpec(t, dir, spec)
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply to the file")
	local, err := os.ReadFile(filepath.Join(dir, "mynth.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r := runBin(t, dir, env, "state", "pull"); r.Code != 0 || r.Stdout != string(local) {
		t.Fatalf("state pull of the file: code %d\n%s\nwant\n%s", r.Code, r.Stdout, local)
	}
	if r := runBin(t, dir, env, "state", "push", "mynth.state.json"); r.Code != 1 || !strings.Contains(r.Stderr, "state push uploads to the PostgreSQL backend") {
		t.Errorf("push with the file backend: %d\n%s", r.Code, r.Stderr)
	}

	// Switch the spec to the backend and push the file.
	writeSpec(t, dir, e.mynthBlock()+spec)
	r := runBin(t, dir, env, "state", "pull")
	mustCode(t, r, 0, "pull of an empty workspace")
	if r.Stdout != "" || !strings.Contains(r.Stderr, "holds no state yet") {
		t.Errorf("pull of an empty workspace:\n%s%s", r.Stdout, r.Stderr)
	}
	push := runBin(t, dir, env, "state", "push", "mynth.state.json")
	mustCode(t, push, 0, "state push")
	if _, r := pull(t, dir, env); r.Stdout != string(local) {
		t.Fatalf("pulled after push:\n%s\nwant the file:\n%s", r.Stdout, local)
	}
	if m, _ := os.ReadFile(filepath.Join(dir, "mynth.manifest.json")); !bytes.Equal(m, local) {
		t.Errorf("the manifest after push:\n%s", m)
	}
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after the move")
	mustCode(t, runBin(t, dir, env, "state", "push", "mynth.state.json"), 0, "pushing the same file again")

	// The stored state moves on; the old file is refused, then forced.
	mustCode(t, runBin(t, dir, env, "state", "rm", `task.product["mug"]`), 0, "state rm")
	old := runBin(t, dir, env, "state", "push", "mynth.state.json")
	mustCode(t, old, 1, "pushing an older serial")
	if !strings.Contains(old.Stderr, "the stored state is newer") || !strings.Contains(old.Stderr, "--force") {
		t.Errorf("older serial:\n%s", old.Stderr)
	}
	other := state.New("x")
	other.Tasks["task.product[\"mug\"]"] = &state.Task{ID: "tsk_OTHER", Status: mynth.StatusCompleted}
	data, _ := state.Encode(other)
	writeFile(t, filepath.Join(dir, "other.json"), data)
	lin := runBin(t, dir, env, "state", "push", "other.json")
	mustCode(t, lin, 1, "pushing another lineage")
	if !strings.Contains(lin.Stderr, "another one (lineage") {
		t.Errorf("another lineage:\n%s", lin.Stderr)
	}
	forced := runBin(t, dir, env, "state", "push", "--force", "mynth.state.json")
	mustCode(t, forced, 0, "forced push")
	st, _ := pull(t, dir, env)
	if len(st.Tasks) != 2 {
		t.Errorf("after the forced push: %v", st.Addresses())
	}
	// A damaged file is refused before anything is touched.
	writeFile(t, filepath.Join(dir, "bad.json"), []byte(`{"version": 1, "tasks": `))
	bad := runBin(t, dir, env, "state", "push", "bad.json")
	mustCode(t, bad, 1, "pushing a damaged file")
	if !strings.Contains(bad.Stderr, "bad.json") {
		t.Errorf("damaged file:\n%s", bad.Stderr)
	}
	e.noPassword(t, dir, push, old, lin, forced, bad)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The password is never printed, whatever goes wrong with the connection:
// a wrong password, an unreachable server, conn_str written in the spec.
func TestPGE2EPasswordNeverPrinted(t *testing.T) {
	e := newPGEnv(t)
	u, err := url.Parse(e.conn)
	if err != nil || u.User == nil {
		t.Skip("PG_CONN_STR is not a URL with a user")
	}
	const wrong = "Wrong-e2e-Password-4711"
	u.User = url.UserPassword(u.User.Username(), wrong)
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	writeSpec(t, dir, e.mynthBlock()+productSpec(map[string]string{"mug": "a mug"}, ""))
	var all []binResult
	for _, args := range [][]string{{"apply", "--auto-approve"}, {"plan"}, {"state", "list"}, {"state", "pull"}, {"show"}, {"import", "task.product[\"mug\"]", "tsk_X"}} {
		r := runBin(t, dir, append(applyEnv(srv), "PG_CONN_STR="+u.String()), args...)
		mustCode(t, r, 1, strings.Join(args, " ")+" with a wrong password")
		if !strings.Contains(r.Stderr, "password authentication failed") {
			t.Errorf("%v: %s", args, r.Stderr)
		}
		all = append(all, r)
	}
	// conn_str in the spec, to a server that is not there.
	dir2 := t.TempDir()
	writeSpec(t, dir2, fmt.Sprintf("mynth {\n  backend \"pg\" {\n    conn_str = \"postgres://someone:%s@127.0.0.1:1/db?connect_timeout=2\"\n  }\n}\n", wrong)+productSpec(map[string]string{"mug": "a mug"}, ""))
	r := runBin(t, dir2, applyEnv(srv), "plan")
	mustCode(t, r, 1, "plan against no server")
	all = append(all, r)
	// No connection string at all says where one comes from.
	r = runBin(t, dir, applyEnv(srv), "plan")
	mustCode(t, r, 1, "plan without PG_CONN_STR")
	if !strings.Contains(r.Stderr, "PG_CONN_STR") {
		t.Errorf("no connection string: %s", r.Stderr)
	}
	for _, r := range all {
		if strings.Contains(r.Stdout+r.Stderr, wrong) {
			t.Fatalf("the password is in the output:\n%s%s", r.Stdout, r.Stderr)
		}
	}
	(pgEnv{password: wrong}).noPassword(t, dir, all...)
	if srv.Emulator.Stats().Created != 0 {
		t.Error("a task was created without a state")
	}
}

// A saved plan made against an empty workspace applies (the workspace
// takes the plan's lineage), and is refused once the state moved on.
func TestPGE2ESavedPlan(t *testing.T) {
	e := newPGEnv(t)
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := e.env(srv)
	writeSpec(t, dir, e.mynthBlock()+productSpec(map[string]string{"mug": "a mug"}, ""))
	mustCode(t, runBin(t, dir, env, "plan", "--out", "first.plan"), 0, "plan --out on an empty workspace")
	mustCode(t, runBin(t, dir, env, "plan", "--out", "second.plan"), 0, "another plan --out")
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve", "first.plan"), 0, "apply the saved plan")
	r := runBin(t, dir, env, "apply", "--auto-approve", "second.plan")
	mustCode(t, r, 1, "apply a plan made before the state moved on")
	if !strings.Contains(r.Stderr, "refusing the saved plan") {
		t.Errorf("stale saved plan:\n%s", r.Stderr)
	}
	if n := srv.Emulator.Stats().Created; n != 1 {
		t.Errorf("%d tasks created, want 1", n)
	}
	// The saved plans hold no trace of the connection string.
	e.noPassword(t, dir, r)
}
