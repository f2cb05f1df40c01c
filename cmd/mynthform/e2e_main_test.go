package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mynthform/mynthform/internal/pgtest"
)

// binPath is the mynthform binary built once for the end-to-end tests,
// which run it as a real subprocess.
var binPath string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mynthform-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "mynthform")
	// -buildvcs=false whatever the environment says, so that the binary
	// is the same everywhere: a build without version information.
	build := exec.Command("go", "build", "-buildvcs=false", "-o", binPath, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building mynthform for end-to-end tests: %v\n", err)
		return 1
	}
	return pgtest.Main(m)
}

// binResult is what one run of the binary produced.
type binResult struct {
	Stdout, Stderr string
	Code           int
}

// runBin runs the built binary in dir with env (added to a minimal
// environment without MYNTH_* variables from the caller's) and args.
func runBin(t testing.TB, dir string, env []string, args ...string) binResult {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("running mynthform %v: %v", args, err)
		}
		code = exit.ExitCode()
	}
	return binResult{Stdout: stdout.String(), Stderr: stderr.String(), Code: code}
}

func TestBinaryVersion(t *testing.T) {
	r := runBin(t, t.TempDir(), nil, "version")
	if r.Code != 0 || !bytes.Contains([]byte(r.Stdout), []byte("state format version 3")) {
		t.Fatalf("version: code %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = runBin(t, t.TempDir(), nil, "nosuch")
	if r.Code != exitError || r.Stderr == "" {
		t.Fatalf("unknown command: code %d, stderr %q", r.Code, r.Stderr)
	}
}
