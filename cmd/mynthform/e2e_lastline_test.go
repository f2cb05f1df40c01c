package main

import (
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// lastLine is the last non-empty line of out.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestE2ELastLineMatchesExitCode: the last line of plan and apply states
// the outcome once, and agrees with the exit code: never "Apply complete"
// with exit 1, never "No changes. ... agree" beside a failure.
func TestE2ELastLineMatchesExitCode(t *testing.T) {
	const agree = "No changes. The spec, the state and Mynth agree."
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	env := applyEnv(srv)
	dir := t.TempDir()
	writeSpec(t, dir, `task "ok" {
  prompt = "a mug"
}

task "dear" {
  prompt = "a bowl"
  expect {
    max_cost = "0.001"
  }
}

task "bad" {
  prompt = "a vase [[fail]]"
}
`)
	type want struct {
		code   int
		prefix string
	}
	step := func(name string, w want, args ...string) binResult {
		t.Helper()
		r := runBin(t, dir, env, args...)
		if r.Code != w.code || !strings.HasPrefix(lastLine(r.Stdout), w.prefix) {
			t.Errorf("%s: exit %d, last line %q; want exit %d and a line starting %q\nstdout:\n%s\nstderr:\n%s",
				name, r.Code, lastLine(r.Stdout), w.code, w.prefix, r.Stdout, r.Stderr)
		}
		if w.code != 0 && strings.Contains(r.Stdout, agree) {
			t.Errorf("%s: exit %d, yet it says %q:\n%s", name, r.Code, agree, r.Stdout)
		}
		if w.code != 0 && strings.Contains(r.Stdout, "Apply complete") {
			t.Errorf("%s: exit %d, yet it says Apply complete:\n%s", name, r.Code, r.Stdout)
		}
		return r
	}
	step("apply a task that succeeds", want{0, "Apply complete: 1 generated"}, "apply", "--auto-approve", "--target", "task.ok")
	step("plan of what was applied", want{0, "Plan: 0 to generate"}, "plan", "--target", "task.ok")
	if r := runBin(t, dir, env, "plan", "--target", "task.ok"); !strings.Contains(r.Stdout, agree) {
		t.Errorf("a plan with nothing to do and nothing failed should say %q:\n%s", agree, r.Stdout)
	}
	step("apply whose check fails afterwards", want{1, "Apply finished, but checks failed: 1 generated"}, "apply", "--auto-approve", "--target", "task.dear")
	step("apply again: nothing to do, the check still fails", want{1, "Apply finished, but checks failed: 0 generated"}, "apply", "--auto-approve", "--target", "task.dear")
	step("plan: nothing to do, a check fails", want{1, "The plan failed: 1 check failed; see above."}, "plan", "--target", "task.dear")
	step("apply --target of a task that fails", want{1, "Apply finished with errors: 1 generated"}, "apply", "--auto-approve", "--target", "task.bad")

	// A task that cannot be read is not agreement, even with nothing to do.
	srv.Emulator.SetFaults(mynthtest.Faults{Rate: 1, Kinds: []mynthtest.FaultKind{mynthtest.Fault500}})
	step("plan: a task cannot be read", want{1, "The plan failed: 1 task could not be read"}, "plan", "--target", "task.ok")
	step("apply: a task cannot be read", want{1, "Apply finished with errors: 0 generated"}, "apply", "--auto-approve", "--target", "task.ok")
}
