package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EPlanWithoutKeySaysHowToSetOne: a plan with no MYNTH_API_KEY (and
// no --emulator) warns once, on stderr, and names both ways out.
func TestE2EPlanWithoutKeySaysHowToSetOne(t *testing.T) {
	dir := t.TempDir()
	spec := "task \"hero\" {\n  id     = \"tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP\"\n  prompt = \"a mug\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runBin(t, dir, []string{"MYNTH_BASE_URL=http://127.0.0.1:1"}, "plan")
	if r.Code != exitError {
		t.Errorf("exit %d, want %d", r.Code, exitError)
	}
	if strings.Count(r.Stderr, "MYNTH_API_KEY is not set") != 1 || !strings.Contains(r.Stderr, "--emulator") {
		t.Errorf("stderr does not warn once about the missing key:\n%s", r.Stderr)
	}
	if strings.Contains(r.Stdout, "Warning: MYNTH_API_KEY") {
		t.Errorf("the warning went to stdout:\n%s", r.Stdout)
	}
}
