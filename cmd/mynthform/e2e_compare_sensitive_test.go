package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// comparePromptSpec takes a task's prompt from a sensitive variable.
const comparePromptSpec = `
variable "secret" {
  sensitive = true
}
task "hidden" {
  prompt = var.secret
}
`

// TestE2ECompareHidesBaseSecret: report --compare-to hides the base side
// of a replaced task where the branch's spec marks the field sensitive,
// though the base state, which carries no marks, records it in the clear:
// the base's prompt "SECRET-canary-base" and the branch's new one are in
// no format of the comparison.
func TestE2ECompareHidesBaseSecret(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	writeSpec(t, dir, comparePromptSpec)
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=mak_e2ecmp", "MYNTH_VAR_secret=SECRET-canary-base"}
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	recorded, err := os.ReadFile(filepath.Join(dir, "mynth.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(recorded), "SECRET-canary-base") {
		t.Fatalf("the state does not record the base's prompt, so the test proves nothing:\n%s", recorded)
	}
	base := filepath.Join(dir, "base.json")
	if err := os.WriteFile(base, recorded, 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(env, "MYNTH_VAR_secret=SECRET-canary-branch")
	for _, format := range []string{"markdown", "html", "json"} {
		r := runBin(t, dir, env, "report", "--format", format, "--compare-to", base)
		mustCode(t, r, 0, "report --compare-to --format "+format)
		out := r.Stdout + r.Stderr
		if !strings.Contains(out, "replaced") {
			t.Errorf("--format %s does not report the task replaced, so the test proves nothing:\n%s", format, out)
		}
		if !strings.Contains(out, "(sensitive)") {
			t.Errorf("--format %s does not say (sensitive):\n%s", format, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "canary") {
				t.Errorf("--format %s shows a sensitive prompt: %s", format, strings.TrimSpace(line))
			}
		}
	}
}
