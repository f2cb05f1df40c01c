package main

import (
	"encoding/json"
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

// TestE2ECompareTotalsFromShownCosts pins what compare-to's cost totals
// are made of when a task's count and model are sensitive (README: "What
// the cost totals hold"): cost_before is the base's recorded cost, which
// the base side shows too (an observation of Mynth's, as the plan shows
// it), and cost_after leaves out the replacement, whose estimate would be
// computed from the secret count: it is unpriced. No total, change or
// estimate built from the new count (3 images, $0.0375) appears.
func TestE2ECompareTotalsFromShownCosts(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	writeSpec(t, dir, `
variable "n" {
  sensitive = true
}
variable "m" {
  sensitive = true
}
task "hidden" {
  prompt = "a chair"
  model  = var.m
  count  = var.n
}
`)
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=mak_e2ecmptotal", "MYNTH_VAR_n=2", "MYNTH_VAR_m=google/gemini-3.1-flash-image"}
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	recorded, err := os.ReadFile(filepath.Join(dir, "mynth.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "base.json")
	if err := os.WriteFile(base, recorded, 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(env, "MYNTH_VAR_n=3")
	r := runBin(t, dir, env, "report", "--format", "json", "--compare-to", base)
	mustCode(t, r, 0, "report --compare-to --format json")
	var c struct {
		Summary struct {
			Replaced   int    `json:"replaced"`
			Unpriced   int    `json:"unpriced"`
			CostBefore string `json:"cost_before"`
			CostAfter  string `json:"cost_after"`
		} `json:"summary"`
		Tasks []struct {
			Before struct {
				Cost *string `json:"cost"`
			} `json:"before"`
			After struct {
				Cost *string `json:"cost"`
			} `json:"after"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &c); err != nil {
		t.Fatalf("%v\n%s", err, r.Stdout)
	}
	s := c.Summary
	if s.Replaced != 1 || len(c.Tasks) != 1 {
		t.Fatalf("the task is not replaced, so the test proves nothing:\n%s", r.Stdout)
	}
	if s.Unpriced != 1 || s.CostAfter != "0.00000000" || c.Tasks[0].After.Cost != nil {
		t.Errorf("the replacement of a sensitive count is priced: unpriced %d, cost_after %s, after.cost %v", s.Unpriced, s.CostAfter, c.Tasks[0].After.Cost)
	}
	if b := c.Tasks[0].Before.Cost; b == nil || *b != s.CostBefore || s.CostBefore != "0.02500000" {
		t.Errorf("cost_before %s is not the base side's shown cost %v", s.CostBefore, b)
	}
	for _, format := range []string{"markdown", "html", "json"} {
		r := runBin(t, dir, env, "report", "--format", format, "--compare-to", base)
		mustCode(t, r, 0, "report --format "+format)
		if strings.Contains(r.Stdout, "0.0375") || strings.Contains(r.Stdout, "google/gemini") {
			t.Errorf("--format %s shows the new count's price or the sensitive model:\n%s", format, r.Stdout)
		}
	}
}
