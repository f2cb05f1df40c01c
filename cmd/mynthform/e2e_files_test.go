package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// These tests try to make mynthform write where it must not: onto its own
// state through a link, into .git, through a committed lock link, outside
// the spec directory. Each runs the real binary against the emulator.

// linkOrSkip makes a symbolic link, or skips the test where there are
// none.
func linkOrSkip(t *testing.T, dest, link string) {
	t.Helper()
	if err := os.Symlink(dest, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
}

// readOrEmpty reads path, "" when it does not exist.
func readOrEmpty(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// TestFilesE2EImageNeverLandsOnTheState: files = ["sub/mynth.state.json"]
// with sub -> . used to overwrite the state with a PNG. Now validate,
// plan and apply refuse it, nothing is created, and the state written by
// an earlier apply stays whole.
func TestFilesE2EImageNeverLandsOnTheState(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, "task \"a\" {\n  prompt = \"one\"\n  files  = [\"a.png\"]\n}\n")
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "first apply")
	before := readOrEmpty(t, filepath.Join(dir, "mynth.state.json"))

	linkOrSkip(t, ".", filepath.Join(dir, "sub"))
	for _, target := range []string{"sub/mynth.state.json", "sub/mynth.state.json.backup", "sub/mynth.state.json.lock", "sub/main.mynth.hcl"} {
		writeSpec(t, dir, "task \"a\" {\n  prompt = \"one\"\n  files  = [\"a.png\"]\n}\ntask \"x\" {\n  prompt = \"hostile\"\n  files  = [\""+target+"\"]\n}\n")
		spec := readOrEmpty(t, filepath.Join(dir, "main.mynth.hcl"))
		for _, args := range [][]string{{"validate"}, {"plan"}, {"apply", "--auto-approve"}} {
			r := runBin(t, dir, env, args...)
			mustCode(t, r, 1, target+": "+args[0])
			if !strings.Contains(r.Stderr, "Invalid file path") || !strings.Contains(r.Stderr, "line 7") {
				t.Errorf("%s: %s does not point at the files attribute:\n%s", target, args[0], r.Stderr)
			}
		}
		if got := readOrEmpty(t, filepath.Join(dir, "mynth.state.json")); got != before {
			t.Fatalf("%s: the state changed:\n%.200q", target, got)
		}
		if got := readOrEmpty(t, filepath.Join(dir, "main.mynth.hcl")); got != spec {
			t.Fatalf("%s: the spec changed", target)
		}
	}
	if n := srv.Emulator.Stats().Created; n != 1 {
		t.Errorf("the emulator created %d tasks, want only the first apply's", n)
	}
	loadState(t, dir)
}

// TestFilesE2EGitIsNeverWritten: files = [".git/HEAD"] used to replace
// the repository's HEAD with a PNG. Now it is a diagnostic, also through
// a link to .git, and the repository is untouched.
func TestFilesE2EGitIsNeverWritten(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	for _, path := range []string{".git/HEAD", "g/HEAD", "nested/.git/config"} {
		t.Run(path, func(t *testing.T) {
			dir := t.TempDir()
			for _, p := range []string{".git/HEAD", "nested/.git/config"} {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, p), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			linkOrSkip(t, ".git", filepath.Join(dir, "g"))
			writeSpec(t, dir, "task \"a\" {\n  prompt = \"one\"\n  files  = [\""+path+"\"]\n}\n")
			r := runBin(t, dir, applyEnv(srv), "apply", "--auto-approve")
			mustCode(t, r, 1, "apply")
			if !strings.Contains(strings.Join(strings.Fields(r.Stderr), " "), "lies in .git/") {
				t.Errorf("the refusal does not say why:\n%s", r.Stderr)
			}
			for _, p := range []string{".git/HEAD", "nested/.git/config"} {
				if got := readOrEmpty(t, filepath.Join(dir, p)); got != "ref: refs/heads/main\n" {
					t.Errorf("%s now holds %.40q", p, got)
				}
			}
		})
	}
	if n := srv.Emulator.Stats().Created; n != 0 {
		t.Errorf("the emulator created %d tasks", n)
	}
}

// TestFilesE2ELockLinkIsNeverFollowed: a committed symlink
// mynth.state.json.lock -> ../x used to make even state rm --dry-run
// overwrite ../x with the lock record. Now every command that locks
// refuses it, says what to do, and ../x and the link stay as they were.
func TestFilesE2ELockLinkIsNeverFollowed(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	base := t.TempDir()
	dir := filepath.Join(base, "spec")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(base, "x")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeSpec(t, dir, "task \"a\" {\n  prompt = \"one\"\n}\n")
	mustCode(t, runBin(t, dir, applyEnv(srv), "apply", "--auto-approve"), 0, "apply")
	// A second task to create, and to import.
	writeSpec(t, dir, "task \"a\" {\n  prompt = \"one\"\n}\ntask \"b\" {\n  prompt = \"two\"\n}\n")
	lock := filepath.Join(dir, "mynth.state.json.lock")
	for _, dest := range []string{"../x", victim, "mynth.state.json"} {
		_ = os.Remove(lock)
		linkOrSkip(t, dest, lock)
		state := readOrEmpty(t, filepath.Join(dir, "mynth.state.json"))
		for _, args := range [][]string{
			{"state", "rm", "--dry-run", "task.a"},
			{"state", "mv", "task.a", "task.b"},
			{"apply", "--auto-approve"},
			{"import", "task.b", "tsk_x"},
		} {
			r := runBin(t, dir, applyEnv(srv), args...)
			mustCode(t, r, 1, strings.Join(args, " "))
			if !strings.Contains(r.Stderr, "mynth.state.json.lock is a symbolic link") {
				t.Errorf("%v with a lock link to %s:\n%s", args, dest, r.Stderr)
			}
		}
		if got := readOrEmpty(t, victim); got != "precious\n" {
			t.Fatalf("../x now holds %q", got)
		}
		if got := readOrEmpty(t, filepath.Join(dir, "mynth.state.json")); got != state {
			t.Fatalf("the state changed through the lock link to %s", dest)
		}
		if info, err := os.Lstat(lock); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("the lock link was replaced: %v", err)
		}
	}
	if n := srv.Emulator.Stats().Created; n != 1 {
		t.Errorf("the emulator created %d tasks, want 1", n)
	}
}

// TestFilesE2EStateStaysInTheSpecDir: a state path outside the spec
// directory is refused unless named on the command line.
func TestFilesE2EStateStaysInTheSpecDir(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	base := t.TempDir()
	dir := filepath.Join(base, "spec")
	shared := filepath.Join(base, "shared")
	for _, d := range []string{dir, shared} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	linkOrSkip(t, shared, filepath.Join(dir, "out"))
	for _, state := range []string{"../shared/s.json", filepath.ToSlash(filepath.Join(shared, "s.json")), "out/s.json"} {
		writeSpec(t, dir, "mynth {\n  state = \""+state+"\"\n}\ntask \"a\" {\n  prompt = \"one\"\n}\n")
		r := runBin(t, dir, applyEnv(srv), "apply", "--auto-approve")
		mustCode(t, r, 1, "apply with state "+state)
		if !strings.Contains(r.Stderr, "Invalid state path") || !strings.Contains(r.Stderr, "line 2") {
			t.Errorf("state %s:\n%s", state, r.Stderr)
		}
	}
	if entries, _ := os.ReadDir(shared); len(entries) != 0 {
		t.Fatalf("written outside the spec directory: %v", entries)
	}
	if n := srv.Emulator.Stats().Created; n != 0 {
		t.Errorf("the emulator created %d tasks", n)
	}

	// The default state as a link to a file outside: refused too.
	writeSpec(t, dir, "task \"a\" {\n  prompt = \"one\"\n}\n")
	linkOrSkip(t, filepath.Join(shared, "s.json"), filepath.Join(dir, "mynth.state.json"))
	r := runBin(t, dir, applyEnv(srv), "apply", "--auto-approve")
	mustCode(t, r, 1, "apply with a state link leading outside")
	if !strings.Contains(r.Stderr, "through the symbolic link mynth.state.json") {
		t.Errorf("stderr:\n%s", r.Stderr)
	}
	if entries, _ := os.ReadDir(shared); len(entries) != 0 {
		t.Fatalf("written outside the spec directory: %v", entries)
	}

	// Named on the command line, a state elsewhere is the user's choice.
	st := `{"lineage":"l1","serial":1,"tasks":{"task.a":{"id":"tsk_a","status":"pending","request":{"prompt":"one"}}},"version":1}`
	if err := os.WriteFile(filepath.Join(shared, "named.json"), []byte(st), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runBin(t, dir, nil, "state", "rm", "--state", filepath.Join(shared, "named.json"), "task.a")
	mustCode(t, r, 0, "state rm --state outside")
	var after struct{ Tasks map[string]any }
	if err := json.Unmarshal([]byte(readOrEmpty(t, filepath.Join(shared, "named.json"))), &after); err != nil || len(after.Tasks) != 0 {
		t.Errorf("the named state was not edited: %v %v", after, err)
	}
}

// TestFilesE2EStrayDownloadsCleaned: an apply killed while it downloads
// leaves its temporary file beside the image; the next apply removes it
// (and only such files).
func TestFilesE2EStrayDownloadsCleaned(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	srv.Emulator.SetFaults(mynthtest.Faults{
		SlowLatency: time.Minute,
		Endpoints:   map[mynthtest.Endpoint]mynthtest.FaultRule{mynthtest.EndpointImage: {Rate: 1, Kinds: []mynthtest.FaultKind{mynthtest.FaultLatency}}},
	})
	dir := t.TempDir()
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug", "bowl": "a bowl"}, ""))
	cmd := exec.Command(binPath, "apply", "--auto-approve")
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, applyEnv(srv)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	assets := filepath.Join(dir, "assets")
	strays := func() []string {
		var got []string
		entries, _ := os.ReadDir(assets)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tmp") {
				got = append(got, e.Name())
			}
		}
		return got
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(strays()) < 2 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("apply made no temporary files in time:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed := strays()
	if len(killed) != 2 {
		t.Fatalf("after the kill: %v", killed)
	}
	// Files of the user's that look alike stay.
	keep := []string{".mug.png.tmp", ".notes123.tmp", "mug.png123.tmp"}
	for _, k := range keep {
		if err := os.WriteFile(filepath.Join(assets, k), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	srv.Emulator.SetFaults(mynthtest.Faults{})
	r := runBin(t, dir, applyEnv(srv), "apply", "--auto-approve")
	mustCode(t, r, 0, "apply after the kill")
	got := strays()
	if strings.Join(got, ",") != ".mug.png.tmp,.notes123.tmp,mug.png123.tmp" {
		t.Errorf("temporary files after the next apply: %v (killed run left %v)", got, killed)
	}
	if n := checkFilesMatchState(t, dir, loadState(t, dir)); n != 2 {
		t.Errorf("%d files saved, want 2", n)
	}
}

// TestFilesE2EEmulatorStoreStaysInside: with .mynthform a link to a
// directory outside, --emulator refuses to write its store there.
func TestFilesE2EEmulatorStoreStaysInside(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "spec")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{dir, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	linkOrSkip(t, outside, filepath.Join(dir, ".mynthform"))
	writeSpec(t, dir, "task \"a\" {\n  prompt = \"one\"\n}\n")
	r := runBin(t, dir, nil, "--emulator", "plan")
	mustCode(t, r, 1, "plan --emulator")
	if !strings.Contains(r.Stderr, "leads outside") {
		t.Errorf("stderr:\n%s", r.Stderr)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written outside the spec directory: %v", entries)
	}
}

// TestFilesE2ESavedPlanAndReportStayInTheirDirectory: plan --out and
// report -o write the path named, never through a link to another
// directory.
func TestFilesE2ESavedPlanAndReportStayInTheirDirectory(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	base := t.TempDir()
	dir := filepath.Join(base, "spec")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{dir, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeSpec(t, dir, "task \"a\" {\n  prompt = \"one\"\n}\n")
	linkOrSkip(t, victim, filepath.Join(dir, "plan.json"))
	linkOrSkip(t, victim, filepath.Join(dir, "report.md"))
	r := runBin(t, dir, applyEnv(srv), "plan", "--out", "plan.json")
	mustCode(t, r, 1, "plan --out through a link")
	r = runBin(t, dir, applyEnv(srv), "report", "--format", "markdown", "-o", "report.md")
	mustCode(t, r, 1, "report -o through a link")
	if !strings.Contains(r.Stderr, "leads outside") {
		t.Errorf("stderr:\n%s", r.Stderr)
	}
	if got := readOrEmpty(t, victim); got != "precious\n" {
		t.Fatalf("the file outside now holds %.60q", got)
	}
	// Paths named elsewhere are written there.
	mustCode(t, runBin(t, dir, applyEnv(srv), "plan", "--out", filepath.Join(outside, "p.json")), 0, "plan --out elsewhere")
	if _, err := os.Stat(filepath.Join(outside, "p.json")); err != nil {
		t.Error(err)
	}
}
