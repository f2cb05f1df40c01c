package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// TestE2EShowHidesSensitiveValues: show, in both forms, prints
// "(sensitive)" for a request built from a sensitive variable, as state
// show does, though the state file itself records what Mynth returned.
func TestE2EShowHidesSensitiveValues(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	spec := `
variable "secret_word" {
  sensitive = true
}

task "hidden" {
  prompt = "a chair, ${var.secret_word}"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=mak_e2eshow", "MYNTH_VAR_secret_word=" + e2eSensitive}
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	for _, args := range [][]string{{"show"}, {"show", "--json"}, {"state", "show", "--json", "task.hidden"}} {
		r := runBin(t, dir, env, args...)
		mustCode(t, r, 0, strings.Join(args, " "))
		if strings.Contains(r.Stdout+r.Stderr, e2eSensitive) {
			t.Errorf("%s printed the sensitive value:\n%s", strings.Join(args, " "), r.Stdout)
		}
		if !strings.Contains(r.Stdout, "(sensitive)") {
			t.Errorf("%s does not say (sensitive):\n%s", strings.Join(args, " "), r.Stdout)
		}
	}
}
