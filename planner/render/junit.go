package render

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/mynthform/mynthform/planner"
)

// JUnit renders the plan as JUnit XML for CI test views: one <testsuite>
// for the plan, one test case per task (classname = the task's address,
// name "task"; it fails when the task could not be read, drifted, or has a
// failed error-severity check) and one per check (classname = the address,
// or "plan" for plan-wide checks such as the budget; name = the check's
// name). A failed check carries its message; a pending check is skipped; a
// failed warning passes with the warning in <system-out>. Error
// diagnostics become failed test cases of their own.
type JUnit struct{}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Render writes the JUnit XML document to w.
func (JUnit) Render(w io.Writer, p *planner.Plan) error {
	suite := junitSuite{
		Name: "mynthform plan",
		Properties: []junitProperty{
			{"cost", p.Summary.Cost.String()},
			{"summary", summaryLine(p)},
		},
	}
	add := func(c junitCase) {
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Skipped != nil {
			suite.Skipped++
		}
	}
	checkCase := func(class string, c planner.Check) junitCase {
		jc := junitCase{ClassName: class, Name: string(c.Name)}
		switch {
		case c.Fails():
			jc.Failure = &junitMessage{Message: c.Message, Type: "check", Text: c.Message}
		case c.Warns():
			jc.SystemOut = "warning: " + c.Message
		case c.Outcome == planner.OutcomePending:
			jc.Skipped = &junitMessage{Message: c.Message}
		default:
			jc.SystemOut = c.Message
		}
		return jc
	}
	for _, c := range p.Checks {
		add(checkCase("plan", c))
	}
	for _, t := range p.Tasks {
		tc := junitCase{ClassName: t.Address, Name: "task"}
		var about []string
		about = append(about, "action: "+string(t.Action))
		if t.Reason != "" {
			about[0] += " (" + t.Reason + ")"
		}
		if t.ID != "" {
			about = append(about, "id: "+t.ID)
		}
		about = append(about, "status: "+string(t.Status))
		if t.Cost != nil {
			about = append(about, "cost: "+money(t.Cost))
		}
		for _, im := range t.Images {
			if im.URL != "" {
				about = append(about, "image: "+im.URL)
			} else if im.Error != "" {
				about = append(about, "image failed: "+im.Error)
			}
		}
		for _, c := range t.Changes {
			about = append(about, fmt.Sprintf("change %s: %s → %s", c.Path, formatValue(c.Before, c.Sensitive), formatValue(c.After, c.Sensitive)))
		}
		tc.SystemOut = strings.Join(about, "\n")
		if reasons := junitReasons(t); len(reasons) > 0 {
			tc.Failure = &junitMessage{Message: reasons[0], Type: "task", Text: strings.Join(reasons, "\n")}
		}
		add(tc)
		for _, c := range t.Checks {
			add(checkCase(t.Address, c))
		}
	}
	for _, f := range failuresOf(p, planner.FailureDiagnostic) {
		d := f.Diagnostic
		text := d.Summary
		if d.Detail != "" {
			text += "\n" + d.Detail
		}
		if r := rangeText(d.Range); r != "" {
			text += "\non " + r
		}
		add(junitCase{ClassName: orPlan(d.Address), Name: "error: " + d.Summary,
			Failure: &junitMessage{Message: d.Summary, Type: "error", Text: text}})
	}
	doc := junitSuites{
		Name: "mynthform", Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped,
		Suites: []junitSuite{suite},
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encoding the JUnit report: %w", err)
	}
	buf.WriteString("\n")
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	return nil
}

// junitReasons lists, in short phrases, why a task fails the run.
func junitReasons(t *planner.TaskPlan) []string {
	var out []string
	for _, f := range t.Failures() {
		switch f.Kind {
		case planner.FailureUnreadable:
			out = append(out, "unreadable: "+*t.Error)
		case planner.FailureDrift:
			out = append(out, "drift: the request differs from the pinned task")
		case planner.FailureCheck:
			out = append(out, string(f.Check.Name)+": "+f.Check.Message)
		}
	}
	return out
}
