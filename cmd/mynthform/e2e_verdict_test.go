package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// verdictSpec has a task whose max_cost check fails (severity error), one
// whose max_cost check fails with severity warning, and one that passes;
// the seeded tasks cost 0.0125 each.
const verdictSpec = `
task "mug" {
  id     = "tsk_VMUG"
  prompt = "a ceramic mug"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
  expect {
    max_cost = "0.01"
  }
}

task "cup" {
  id     = "tsk_VCUP"
  prompt = "a paper cup"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
  expect {
    severity = "warning"
    max_cost = "0.01"
  }
}

task "plate" {
  id     = "tsk_VPLATE"
  prompt = "a plate"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
}
`

// verdictDoc is what TestE2EViewsAgree reads of plan --json.
type verdictDoc struct {
	Summary struct {
		Checks struct{ Passed, Failed, Pending int }
		Failed bool
	}
	Tasks []struct {
		Checks []struct{ Outcome, Severity string }
	}
	Diagnostics []struct{ Severity, Summary string }
}

// counts is the counts line every view prints, its parts joined by sep,
// and the failed checks of severity warning.
func (d verdictDoc) counts(sep string) (line string, warnings int) {
	for _, t := range d.Tasks {
		for _, c := range t.Checks {
			if c.Outcome == "failed" && c.Severity == "warning" {
				warnings++
			}
		}
	}
	c := d.Summary.Checks
	line = fmt.Sprintf("%d passed%s%d failed%s%d pending", c.Passed, sep, c.Failed, sep, c.Pending)
	if warnings == 1 {
		line += " (1 warning)"
	} else if warnings > 1 {
		line += fmt.Sprintf(" (%d warnings)", warnings)
	}
	return line, warnings
}

// diagnostics counts the document's diagnostics by severity.
func (d verdictDoc) diagnostics() (errors, warnings int) {
	for _, g := range d.Diagnostics {
		if g.Severity == "warning" {
			warnings++
		} else {
			errors++
		}
	}
	return errors, warnings
}

// TestE2EViewsAgree runs the real binary on a plan with a failed check, a
// failed warning, a spec warning and (with --replace of a pinned task) an
// error diagnostic, and checks that the human plan, plan --json, the
// GitHub annotations and step summary, and the markdown, JUnit and HTML
// reports count the checks alike, and that each exits 1; then that apply
// passes with only the warning failing, and fails with the error.
func TestE2EViewsAgree(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	for id, prompt := range map[string]string{"tsk_VMUG": "a ceramic mug", "tsk_VCUP": "a paper cup", "tsk_VPLATE": "a plate"} {
		planSeedTask(t, srv, planTask(srv.URL, id, prompt, mynth.StatusCompleted), "")
	}
	dir := t.TempDir()
	planWriteSpec(t, dir, verdictSpec)
	if err := os.WriteFile(filepath.Join(dir, "x.mynthvars.hcl"), []byte("unknwn = \"v\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := planAPIEnv(srv)
	run := func(env []string, args ...string) binResult {
		t.Helper()
		r := runBin(t, dir, env, append(args, "--var-file", "x.mynthvars.hcl")...)
		if r.Code != exitError {
			t.Errorf("%v: exit %d, want 1 for a failed check\n%s%s", args, r.Code, r.Stdout, r.Stderr)
		}
		return r
	}
	document := func(extra ...string) verdictDoc {
		t.Helper()
		r := run(env, append([]string{"plan", "--json"}, extra...)...)
		var d verdictDoc
		if err := json.Unmarshal([]byte(r.Stdout), &d); err != nil {
			t.Fatalf("plan --json: %v\n%s", err, r.Stdout)
		}
		if !d.Summary.Failed {
			t.Errorf("plan --json: summary.failed is false")
		}
		return d
	}

	t.Run("plan", func(t *testing.T) {
		replace := []string{"--replace", "task.plate"}
		d := document(replace...)
		line, warnings := d.counts(", ")
		errs, warnDiags := d.diagnostics()
		if d.Summary.Checks.Failed != 2 || warnings != 1 || errs != 1 || warnDiags != 1 {
			t.Fatalf("the plan holds %+v, %d warnings, %d errors and %d warning diagnostics; want 2 failed checks, one a warning, an error and a spec warning", d.Summary.Checks, warnings, errs, warnDiags)
		}
		human := run(env, append([]string{"plan"}, replace...)...)
		if !strings.Contains(human.Stdout, line+".") || !strings.Contains(human.Stdout, "The plan failed: 1 check failed, 1 error") {
			t.Errorf("the human plan lacks %q or its verdict:\n%s", line, human.Stdout)
		}
		summary := filepath.Join(t.TempDir(), "summary.md")
		gh := run(append(env, "GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY="+summary, "GITHUB_WORKSPACE="+filepath.Dir(dir)), append([]string{"plan"}, replace...)...)
		// An error for the failed check and the diagnostic; a warning for
		// the failed warning and the spec's.
		var e, w int
		for _, l := range strings.Split(gh.Stdout, "\n") {
			switch {
			case strings.HasPrefix(l, "::error "):
				e++
			case strings.HasPrefix(l, "::warning "):
				w++
			}
		}
		if e != 2 || w != 2 {
			t.Errorf("annotations: %d errors and %d warnings, want 2 and 2:\n%s", e, w, gh.Stdout)
		}
		md, err := os.ReadFile(summary)
		if err != nil {
			t.Fatal(err)
		}
		first := strings.SplitN(string(md), "\n", 2)[0]
		if !strings.Contains(string(md), "**Checks:** "+line) || !strings.Contains(first, "2 failed checks (1 warning)") || !strings.Contains(first, "1 error") {
			t.Errorf("the step summary lacks %q or its verdict says otherwise (%q)", line, first)
		}
	})

	t.Run("report", func(t *testing.T) {
		d := document()
		line, warnings := d.counts(", ")
		if errs, warnDiags := d.diagnostics(); d.Summary.Checks.Failed != 2 || warnings != 1 || errs != 0 || warnDiags != 1 {
			t.Fatalf("the plan holds %+v and %d warnings, %d errors, %d warning diagnostics", d.Summary.Checks, warnings, errs, warnDiags)
		}
		md := run(env, "report", "--format", "markdown").Stdout
		if first := strings.SplitN(md, "\n", 2)[0]; !strings.Contains(md, "**Checks:** "+line) || !strings.Contains(first, "2 failed checks (1 warning)") {
			t.Errorf("the markdown report lacks %q or its verdict (%q)", line, first)
		}
		html := run(env, "report", "--format", "html").Stdout
		if dotted, _ := d.counts(" · "); !strings.Contains(html, dotted) || !strings.Contains(html, "Plan failed") {
			t.Errorf("the HTML report lacks %q or its verdict", dotted)
		}
		var junit struct {
			Failures int `xml:"failures,attr"`
			Skipped  int `xml:"skipped,attr"`
		}
		out := run(env, "report", "--format", "junit").Stdout
		if err := xml.Unmarshal([]byte(out), &junit); err != nil {
			t.Fatalf("JUnit: %v", err)
		}
		// task.mug fails, and so does its max_cost check; the warning
		// passes.
		if junit.Failures != 2 || junit.Skipped != d.Summary.Checks.Pending {
			t.Errorf("JUnit: %d failures and %d skipped, want 2 and %d:\n%s", junit.Failures, junit.Skipped, d.Summary.Checks.Pending, out)
		}
	})

	// Apply's check once it is done reads the same verdict: a failed
	// warning is reported and the run passes; a failed error check fails
	// it.
	t.Run("apply", func(t *testing.T) {
		for _, tc := range []struct {
			target, last string
			code         int
		}{
			{"task.cup", "Apply complete: ", exitOK},
			{"task.mug", "Apply finished, but checks failed: ", exitError},
		} {
			r := runBin(t, dir, env, "apply", "--auto-approve", "--target", tc.target, "--var-file", "x.mynthvars.hcl")
			if r.Code != tc.code || !strings.HasPrefix(lastLine(r.Stdout), tc.last) {
				t.Errorf("apply --target %s: exit %d, last line %q; want %d and %q\n%s%s", tc.target, r.Code, lastLine(r.Stdout), tc.code, tc.last, r.Stdout, r.Stderr)
			}
		}
	})
}
