package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// diagSpec has a task whose max_cost and a budget whose max_total the
// seeded task (cost 0.0125) breaks; the attributes stand well below the
// first line of their blocks.
const diagSpec = `
budget {
  unpriced  = "warn"

  max_total = "0.01"
}

task "mug" {
  id     = "tsk_DIAGMUG"
  prompt = "a ceramic mug"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"

  expect {
    status = "completed"
    images = 1

    max_cost = "0.01"
  }
}
`

// lineOf is the 1-based line of the first line of src that holds s.
func lineOf(t *testing.T, src, s string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the spec", s)
	return 0
}

// TestE2EAnnotationPointsAtAttribute: under GitHub Actions, the real
// binary annotates a failed max_cost check at the max_cost line and the
// budget check at the max_total line, not at the first line of their
// blocks.
func TestE2EAnnotationPointsAtAttribute(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	planSeedTask(t, srv, planTask(srv.URL, "tsk_DIAGMUG", "a ceramic mug", mynth.StatusCompleted), "")
	dir := t.TempDir()
	planWriteSpec(t, dir, diagSpec)
	r := runBin(t, dir, append(planAPIEnv(srv), "GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=", "GITHUB_WORKSPACE="+filepath.Dir(dir)), "plan")
	if r.Code != exitError {
		t.Fatalf("plan: exit %d, want 1\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	file := filepath.Base(dir) + "/main.mynth.hcl"
	for _, c := range []struct{ title, attr string }{
		{"task.mug max_cost check failed", "max_cost ="},
		{"budget check failed", "max_total ="},
	} {
		re := regexp.MustCompile(`(?m)^::error file=([^,]*),line=(\d+),endLine=\d+,title=mynthform%3A ` + regexp.QuoteMeta(c.title) + `::`)
		m := re.FindStringSubmatch(r.Stdout)
		if m == nil {
			t.Errorf("no annotation titled %q:\n%s", c.title, r.Stdout)
			continue
		}
		want := lineOf(t, diagSpec, c.attr)
		if got, _ := strconv.Atoi(m[2]); got != want || m[1] != file {
			t.Errorf("%s: annotated at %s line %s, want %s line %d (%q)", c.title, m[1], m[2], file, want, c.attr)
		}
	}
}
