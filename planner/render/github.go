package render

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/mynthform/mynthform/internal/termtext"
	"github.com/mynthform/mynthform/planner"
)

// GitHubAnnotations renders the plan's problems as GitHub Actions workflow
// commands, which GitHub shows as annotations on the pull request's files:
// `::error` for failed error-severity checks, drifted and unreadable tasks
// and error diagnostics, `::warning` for failed warning checks and warning
// diagnostics. A check points at the attribute that set it (Check.Range),
// a drifted task at each attribute that drifted (Change.Range), anything
// else of a task at the task's block (TaskPlan.Range). Values are escaped
// by GitHub's rules.
// Errors come first, then warnings; GitHub shows at most ten of each per
// step, so a longer list ends with one annotation that counts the rest.
type GitHubAnnotations struct {
	// Dir is the spec directory relative to the repository root ("" when
	// the spec is at the root), so that file= names a repository path.
	Dir string
}

// Render writes one workflow command per problem to w.
func (a GitHubAnnotations) Render(w io.Writer, p *planner.Plan) error {
	var errs, warns []string
	line := func(kind string, r *planner.Range, title, msg string) {
		props := []string{}
		if r != nil && r.Filename != "" {
			file := filepath.ToSlash(r.Filename)
			if a.Dir != "" && a.Dir != "." && !path.IsAbs(file) {
				file = path.Join(filepath.ToSlash(a.Dir), file)
			}
			props = append(props, "file="+ghProperty(file))
			if r.Start.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", r.Start.Line))
				if r.End.Line >= r.Start.Line {
					props = append(props, fmt.Sprintf("endLine=%d", r.End.Line))
				}
			}
		}
		props = append(props, "title="+ghProperty(title))
		cmd := fmt.Sprintf("::%s %s::%s\n", kind, strings.Join(props, ","), ghMessage(msg))
		if kind == "error" {
			errs = append(errs, cmd)
		} else {
			warns = append(warns, cmd)
		}
	}
	for _, c := range p.Checks {
		switch {
		case c.Fails():
			line("error", c.Range, "mynthform: "+string(c.Name)+" check failed", c.Message)
		case c.Warns():
			line("warning", c.Range, "mynthform: "+string(c.Name)+" check failed", c.Message)
		}
	}
	// A check points at its attribute, else at its task's block.
	checkRange := func(t *planner.TaskPlan, c *planner.Check) *planner.Range {
		if c.Range != nil {
			return c.Range
		}
		return t.Range
	}
	for _, t := range p.Tasks {
		for _, f := range t.Failures() {
			switch f.Kind {
			case planner.FailureUnreadable:
				line("error", t.Range, "mynthform: "+t.Address+" could not be read", *t.Error)
			case planner.FailureDrift:
				for _, d := range driftAnnotations(t) {
					line("error", d.at, "mynthform: "+t.Address+" drifted", d.msg)
				}
			case planner.FailureCheck:
				line("error", checkRange(t, f.Check), "mynthform: "+t.Address+" "+string(f.Check.Name)+" check failed", f.Check.Message)
			}
		}
		for i := range t.Checks {
			if c := &t.Checks[i]; c.Warns() {
				line("warning", checkRange(t, c), "mynthform: "+t.Address+" "+string(c.Name)+" check failed", c.Message)
			}
		}
	}
	for _, d := range p.Diagnostics {
		kind := "warning"
		if d.Fails() {
			kind = "error"
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += "\n" + d.Detail
		}
		title := "mynthform"
		if d.Address != "" {
			title += ": " + d.Address
		}
		line(kind, d.Range, title, msg)
	}
	var buf bytes.Buffer
	for _, list := range []struct {
		kind string
		cmds []string
	}{{"error", errs}, {"warning", warns}} {
		cmds := list.cmds
		if len(cmds) > GitHubAnnotationLimit {
			rest := len(cmds) - (GitHubAnnotationLimit - 1)
			cmds = append(cmds[:GitHubAnnotationLimit-1:GitHubAnnotationLimit-1],
				fmt.Sprintf("::%s title=%s::%s\n", list.kind, ghProperty(fmt.Sprintf("mynthform: %d more", rest)),
					ghMessage(fmt.Sprintf("%d more %ss; the job summary and `mynthform plan` list them all.", rest, list.kind))))
		}
		for _, c := range cmds {
			buf.WriteString(c)
		}
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing GitHub annotations: %w", err)
	}
	return nil
}

// driftAnnotation is one annotation of a drifted task: where, and what.
type driftAnnotation struct {
	at  *planner.Range
	msg string
}

// driftAnnotations are the annotations of drifted task t: one per spec
// attribute that drifted (Change.Range), with the changes found there and
// their values as the pinned task has them, in the order of t.Changes;
// the changes with no attribute together at the task's block.
func driftAnnotations(t *planner.TaskPlan) []driftAnnotation {
	type group struct {
		at      *planner.Range
		changes []planner.Change
	}
	var groups []*group
	byLine := map[string]*group{}
	for _, c := range t.Changes {
		at, key := t.Range, ""
		if c.Range != nil {
			at, key = c.Range, fmt.Sprintf("%s:%d:%d", c.Range.Filename, c.Range.Start.Line, c.Range.Start.Column)
		}
		g := byLine[key]
		if g == nil {
			g = &group{at: at}
			byLine[key] = g
			groups = append(groups, g)
		}
		g.changes = append(g.changes, c)
	}
	const fix = " Change the spec back, or remove the id to generate a new task."
	if len(groups) == 0 {
		return []driftAnnotation{{t.Range, fmt.Sprintf("The request of the pinned task %s differs from the spec.", t.ID) + fix}}
	}
	out := make([]driftAnnotation, 0, len(groups))
	for _, g := range groups {
		var parts []string
		for _, c := range g.changes {
			before, after := changeValues(c)
			parts = append(parts, fmt.Sprintf("%s is %s in the pinned task, %s in the spec", c.Path,
				truncate(before, 120), truncate(after, 120)))
		}
		out = append(out, driftAnnotation{g.at, fmt.Sprintf("The request of the pinned task %s differs from the spec: %s.", t.ID, strings.Join(parts, "; ")) + fix})
	}
	return out
}

// GitHubAnnotationLimit is how many annotations of each kind GitHub shows
// for one step. Beyond it, GitHubAnnotations writes the first
// GitHubAnnotationLimit-1 and one more that counts the rest.
const GitHubAnnotationLimit = 10

// ghMessage escapes a workflow command's message: what GitHub decodes
// (newlines included), then the other control characters, which GitHub
// would pass on to the log viewer (an ESC sequence).
func ghMessage(s string) string {
	return termtext.Line(strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s))
}

// ghProperty escapes a workflow command's property value, as ghMessage
// does and with ":" and "," too.
func ghProperty(s string) string {
	return termtext.Line(strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s))
}

// GitHub does what `plan` does under GitHub Actions (GITHUB_ACTIONS=true):
// it writes the annotations to w (the step's output, where the runner
// picks them up) and, when summaryPath ($GITHUB_STEP_SUMMARY) is not empty,
// appends the markdown report to that file. specDir is the spec directory
// relative to the repository root, as in GitHubAnnotations.Dir.
func GitHub(w io.Writer, summaryPath string, p *planner.Plan, specDir string) error {
	if err := (&GitHubAnnotations{Dir: specDir}).Render(w, p); err != nil {
		return err
	}
	if summaryPath == "" {
		return nil
	}
	var buf bytes.Buffer
	if err := (&Markdown{}).Render(&buf, p); err != nil {
		return err
	}
	buf.WriteString("\n")
	f, err := os.OpenFile(summaryPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("appending to the step summary: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("appending to the step summary %s: %w", summaryPath, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("appending to the step summary %s: %w", summaryPath, err)
	}
	return nil
}

// RepoRelative returns specDir relative to the repository root workspace
// ($GITHUB_WORKSPACE), with forward slashes; "" when specDir is the root,
// and specDir itself when it is not inside workspace or either is unknown.
func RepoRelative(specDir, workspace string) string {
	if workspace == "" {
		return filepath.ToSlash(filepath.Clean(specDir))
	}
	abs, err := filepath.Abs(specDir)
	if err != nil {
		return filepath.ToSlash(filepath.Clean(specDir))
	}
	ws, err := filepath.Abs(workspace)
	if err != nil {
		return filepath.ToSlash(filepath.Clean(specDir))
	}
	rel, err := filepath.Rel(ws, abs)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return filepath.ToSlash(filepath.Clean(specDir))
	}
	if rel == "." {
		return ""
	}
	return filepath.ToSlash(rel)
}
