package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/planner"
)

// verdictCounts is what a plan holds, counted from its fields without the
// verdict's helpers: the checks by outcome, the failed ones of severity
// warning, the failing tasks, and the diagnostics by severity.
type verdictCounts struct {
	passed, failed, warnings, pending int
	failing, unreadable, drift        int
	errors, warnDiags                 int
}

func countPlan(p *planner.Plan) verdictCounts {
	var n verdictCounts
	check := func(c planner.Check) (fails bool) {
		switch c.Outcome {
		case planner.OutcomePassed:
			n.passed++
		case planner.OutcomeFailed:
			n.failed++
			if c.Severity == "warning" {
				n.warnings++
				return false
			}
			return true
		case planner.OutcomePending:
			n.pending++
		}
		return false
	}
	for _, c := range p.Checks {
		check(c)
	}
	for _, t := range p.Tasks {
		failing := t.Error != nil || t.Drift
		if t.Error != nil {
			n.unreadable++
		}
		if t.Drift {
			n.drift++
		}
		for _, c := range t.Checks {
			if check(c) {
				failing = true
			}
		}
		if failing {
			n.failing++
		}
	}
	for _, d := range p.Diagnostics {
		if d.Severity == "warning" {
			n.warnDiags++
		} else {
			n.errors++
		}
	}
	return n
}

// errorChecks are the failed checks that fail the run.
func (n verdictCounts) errorChecks() int { return n.failed - n.warnings }

// fails is whether the run fails: the exit code's 1.
func (n verdictCounts) fails() bool {
	return n.errorChecks()+n.unreadable+n.drift+n.errors > 0
}

// countsText is the counts line every view prints, joined by sep.
func (n verdictCounts) countsText(sep string) string {
	s := fmt.Sprintf("%d passed%s%d failed%s%d pending", n.passed, sep, n.failed, sep, n.pending)
	if n.warnings > 0 {
		s += " (" + plural.Count(n.warnings, "warning") + ")"
	}
	return s
}

// specWarningPlan is the mixed plan (failed checks of both severities, an
// unreadable and a drifted task, an error and a warning diagnostic) with a
// warning of the spec too, carried as plan carries it (DiagnosticsOf).
func specWarningPlan() *planner.Plan {
	p := mixedPlan(goldenBase)
	subject := hcl.Range{Filename: "x.mynthvars.hcl", Start: hcl.Pos{Line: 1, Column: 1}, End: hcl.Pos{Line: 1, Column: 7}}
	p.Diagnostics = append(p.Diagnostics, planner.DiagnosticsOf(hcl.Diagnostics{{
		Severity: hcl.DiagWarning, Summary: "Value for undeclared variable",
		Detail: `The variable file x.mynthvars.hcl sets "unknwn", but no variable of that name is declared.`, Subject: &subject,
	}}, "")...)
	return p
}

// TestViewsCountChecksAlike renders every fixture plan in every view and
// checks that they agree with each other, with the JSON summary and with
// the exit code (Plan.Failed, which plan and report return as 1): the
// check counts (a failed check of severity warning counts as failed, and
// again as a warning), pass or fail, JUnit's failed and skipped cases, and
// the GitHub annotations' errors and warnings. (The markdown and HTML
// reports once left the warnings out of "failed", so that the report said
// 5 failed checks where the human plan said 6.)
func TestViewsCountChecksAlike(t *testing.T) {
	plans := fixturePlans(goldenBase)
	for name, p := range loadPlanFixtures(t) {
		plans[name] = p
	}
	plans["mixed with a spec warning"] = specWarningPlan()
	var covered verdictCounts
	for _, name := range slices.Sorted(maps.Keys(plans)) {
		p := plans[name]
		n := countPlan(p)
		covered.errors += n.errors
		covered.warnDiags += n.warnDiags
		covered.warnings += n.warnings
		covered.failed += n.errorChecks()
		t.Run(name, func(t *testing.T) {
			render := func(r Renderer) string {
				var buf bytes.Buffer
				if err := r.Render(&buf, p); err != nil {
					t.Fatal(err)
				}
				return buf.String()
			}
			if p.Failed() != n.fails() {
				t.Errorf("the exit code's verdict Plan.Failed() = %v, the plan's fields say %v", p.Failed(), n.fails())
			}

			human := render(Human{})
			if n.passed+n.failed+n.pending > 0 && !strings.Contains(human, n.countsText(", ")+".") {
				t.Errorf("the human plan lacks %q:\n%s", n.countsText(", "), human)
			}
			if got := strings.Contains(human, "The plan failed: "); got != n.fails() {
				t.Errorf("the human plan says it failed: %v, want %v", got, n.fails())
			}

			page := render(HTML{})
			if want := n.countsText(" · "); !strings.Contains(page, want) {
				t.Errorf("the HTML report lacks %q", want)
			}
			if got := strings.Contains(page, "Plan failed"); got != n.fails() {
				t.Errorf("the HTML report says Plan failed: %v, want %v", got, n.fails())
			}

			md := render(Markdown{})
			if want := "**Checks:** " + n.countsText(", "); !strings.Contains(md, want) {
				t.Errorf("the markdown report lacks %q", want)
			}
			if want := "Checks: " + n.countsText(", "); !strings.Contains((Markdown{}).countsLine(p), want) {
				t.Errorf("the compact markdown counts %q, want %q", (Markdown{}).countsLine(p), want)
			}
			first := strings.SplitN(md, "\n", 2)[0]
			if got := strings.HasPrefix(first, "❌"); got != n.fails() {
				t.Errorf("the markdown verdict %q: failed %v, want %v", first, got, n.fails())
			}
			if n.fails() && n.failed > 0 && !strings.Contains(first, plural.Count(n.failed, "failed check")) {
				t.Errorf("the markdown verdict %q does not say %s", first, plural.Count(n.failed, "failed check"))
			}
			if n.fails() && n.errors > 0 && !strings.Contains(first, plural.Count(n.errors, "error")) {
				t.Errorf("the markdown verdict %q does not say %s", first, plural.Count(n.errors, "error"))
			}

			var doc struct {
				Summary struct {
					Checks struct{ Passed, Failed, Pending int }
					Failed bool
				}
			}
			if err := json.Unmarshal([]byte(render(JSON{})), &doc); err != nil {
				t.Fatal(err)
			}
			if c := doc.Summary.Checks; c.Passed != n.passed || c.Failed != n.failed || c.Pending != n.pending {
				t.Errorf("JSON summary counts %+v, want %s", c, n.countsText(", "))
			}
			if doc.Summary.Failed != n.fails() {
				t.Errorf("JSON summary.failed = %v, want %v", doc.Summary.Failed, n.fails())
			}

			checkJUnitCounts(t, render(JUnit{}), n)
			checkAnnotationCounts(t, render(GitHubAnnotations{}), n)
		})
	}
	// The fixtures hold every kind the views must agree on.
	if covered.failed == 0 || covered.warnings == 0 || covered.errors == 0 || covered.warnDiags < 2 {
		t.Errorf("the fixtures lack a failed check, a warning, an error diagnostic or a spec warning: %+v", covered)
	}
}

// checkJUnitCounts checks the JUnit report's cases against n: a failed
// case per failing task, per failed check of severity error and per error
// diagnostic, a skipped case per pending check, and a warning in the
// output of a passing case per failed check of severity warning.
func checkJUnitCounts(t *testing.T, out string, n verdictCounts) {
	t.Helper()
	var doc struct {
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Type string `xml:"type,attr"`
				} `xml:"failure"`
				Skipped   *struct{} `xml:"skipped"`
				SystemOut string    `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JUnit: %v", err)
	}
	got := map[string]int{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				got["failed "+c.Failure.Type]++
			case c.Skipped != nil:
				got["skipped"]++
			case strings.HasPrefix(c.SystemOut, "warning: "):
				got["warning"]++
			}
		}
	}
	want := map[string]int{"failed task": n.failing, "failed check": n.errorChecks(), "failed error": n.errors, "skipped": n.pending, "warning": n.warnings}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("JUnit: %d cases %s, want %d", got[k], k, v)
		}
	}
	if f := n.failing + n.errorChecks() + n.errors; doc.Failures != f || doc.Skipped != n.pending {
		t.Errorf("JUnit counts %d failures and %d skipped, want %d and %d", doc.Failures, doc.Skipped, f, n.pending)
	}
	if (doc.Failures > 0) != n.fails() {
		t.Errorf("JUnit: %d failures for a plan that fails: %v", doc.Failures, n.fails())
	}
}

// checkAnnotationCounts checks the GitHub annotations against n: an error
// per unreadable or drifted task, failed check of severity error and error
// diagnostic, a warning per failed warning check and warning diagnostic,
// each kind cut to GitHubAnnotationLimit.
func checkAnnotationCounts(t *testing.T, out string, n verdictCounts) {
	t.Helper()
	errs, warns := 0, 0
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "::error "):
			errs++
		case strings.HasPrefix(l, "::warning "):
			warns++
		}
	}
	wantErrs := min(n.unreadable+n.drift+n.errorChecks()+n.errors, GitHubAnnotationLimit)
	wantWarns := min(n.warnings+n.warnDiags, GitHubAnnotationLimit)
	if errs != wantErrs || warns != wantWarns {
		t.Errorf("GitHub: %d errors and %d warnings, want %d and %d:\n%s", errs, warns, wantErrs, wantWarns, out)
	}
	if (errs > 0) != n.fails() {
		t.Errorf("GitHub: %d errors for a plan that fails: %v", errs, n.fails())
	}
}
