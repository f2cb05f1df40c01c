package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// appliedToolVersion applies a one-task spec against the built-in emulator
// with bin and returns the tool_version the state records.
func appliedToolVersion(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir()
	writeSpec(t, dir, "task \"one\" {\n  prompt = \"a mug\"\n}\n")
	cmd := exec.Command(bin, "--emulator", "apply", "--auto-approve")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "mynth.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		ToolVersion string `json:"tool_version"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st.ToolVersion
}

// TestE2EVersionWithoutBuildInfo: a build with no version information
// (-buildvcs=false, as these machines set, or go run) says so, and the
// state records the same words, not a bare "dev".
func TestE2EVersionWithoutBuildInfo(t *testing.T) {
	t.Parallel()
	bin := binPath // built with -buildvcs=false by TestMain
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	const want = "dev (no version information in this build)"
	if got := string(out); got != "mynthform "+want+"\nstate format version 3\n" {
		t.Errorf("version prints %q", got)
	}
	if got := appliedToolVersion(t, bin); got != want {
		t.Errorf("the state records tool_version %q, want %q", got, want)
	}
}

// TestE2EVersionRecordsTheRevision builds the current source inside a
// fresh git repository with -buildvcs=true, as the README tells users to,
// and checks that the version and the state name the commit.
func TestE2EVersionRecordsTheRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary a second time inside a git repository; skipped with -short")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git on PATH: cannot build with VCS information")
	}
	t.Parallel()
	root := filepath.Join("..", "..")
	repo := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum", "cmd", "internal", "mynth", "planner", "spec", "state"} {
		from := filepath.Join(root, name)
		st, err := os.Stat(from)
		if err != nil {
			t.Fatal(err)
		}
		if st.IsDir() {
			copyDir(t, from, filepath.Join(repo, name))
			continue
		}
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "source")
	rev := git("rev-parse", "HEAD")

	bin := filepath.Join(t.TempDir(), "mynthform")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/mynthform")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := bytes.Cut(out, []byte("\n"))
	got := strings.TrimPrefix(string(first), "mynthform ")
	if !strings.Contains(got, rev[:12]) || strings.Contains(got, "no version information") {
		t.Fatalf("version prints %q, want it to name revision %s", first, rev[:12])
	}
	if tv := appliedToolVersion(t, bin); tv != got {
		t.Errorf("the state records tool_version %q, the binary says %q", tv, got)
	}
}
