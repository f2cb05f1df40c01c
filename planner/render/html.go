package render

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

// HTML renders the plan as one self-contained page: a header with the
// verdict, totals and cost, the failures, filter buttons by status, and a
// gallery card per task with its images, status, prompt, model, size, cost,
// checks (failed ones in red) and changes. The page loads nothing but the
// image URLs themselves: its CSS and its small filter script are inline.
// Every value is escaped by html/template.
type HTML struct {
	// Dir is the spec directory. When set, images saved there by apply are
	// embedded as data: URIs (up to EmbedMaxFile each and EmbedMaxTotal in
	// all) instead of linking to their URLs, so that the page keeps
	// working when the URLs expire.
	Dir string
}

// Limits on the images HTML embeds from Dir.
const (
	EmbedMaxFile  = 2 << 20  // one file
	EmbedMaxTotal = 64 << 20 // every file of the page together
)

//go:embed html.tmpl
var htmlSource string

// htmlTemplate is parsed once; a parsed template is safe for concurrent
// execution and is never modified, so this is not mutable global state.
var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

type htmlPage struct {
	Failed        bool
	Verdict       string
	Headline      string
	Detail        string
	Summary       string
	Cost          string
	FormatVersion string
	Stats         []htmlStat
	Filters       []htmlFilter
	Failures      []htmlFailure
	Warnings      []htmlFailure
	Cards         []htmlCard
}

type htmlStat struct {
	Label, Value, Sub, Tone string
}

type htmlFilter struct {
	Key, Label string
	Count      int
}

type htmlFailure struct {
	Address, What, Message string
}

type htmlCard struct {
	Address, ID, Action, Symbol, Reason string
	Status, StatusLabel                 string
	Failing, Changed, Warned            bool
	Prompt, Negative, Model, Size, Cost string
	Thumbs                              []htmlThumb
	Checks                              []htmlCheck
	Changes                             []htmlChange
	Files                               []planner.FileStatus
	Error                               string
	Drift                               bool
	PATOnly                             bool
}

type htmlThumb struct {
	URL    string       // an image URL, sanitized by html/template
	Data   template.URL // a data: URI built here from a saved file
	Link   string       // where a click goes (the image URL)
	Alt    string
	Label  string
	Failed bool
	Error  string
	Empty  string // placeholder text when there is no image
}

type htmlCheck struct {
	Name, Message, Class, Mark string
}

type htmlChange struct {
	Path, Before, After, Symbol string
}

// Render writes the HTML page to w.
func (h HTML) Render(w io.Writer, p *planner.Plan) error {
	page := h.page(p)
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, page); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

func (h HTML) page(p *planner.Plan) htmlPage {
	g := groupChecks(p)
	failed := p.Failed()
	page := htmlPage{
		Failed:        failed,
		Summary:       summaryLine(p),
		Cost:          "$" + p.Summary.Cost.String(),
		FormatVersion: planner.PlanFormatVersion,
	}
	failing := failingTasks(p)
	if failed {
		var parts []string
		if n := len(failing); n > 0 {
			parts = append(parts, plural(n, "failing task"))
		}
		if n := len(g.Failed); n > 0 {
			parts = append(parts, plural(n, "failed check"))
		}
		if n := len(errorDiagnostics(p)); n > 0 {
			parts = append(parts, plural(n, "error"))
		}
		page.Headline = "Plan failed"
		page.Detail = strings.Join(parts, " · ")
	} else {
		page.Headline = "Plan passed"
		page.Detail = plural(g.Passed, "check") + " passed"
		if n := len(g.Warnings); n > 0 {
			page.Detail += " · " + plural(n, "warning")
		}
		if n := len(g.Pending); n > 0 {
			page.Detail += fmt.Sprintf(" · %d pending", n)
		}
		if !p.HasChanges() {
			page.Detail += " · no changes"
		}
	}
	page.Verdict = page.Headline + ": " + page.Detail

	images, imagesFailed := 0, 0
	changed := 0
	for _, t := range p.Tasks {
		for _, im := range t.Images {
			if im.Status == string(mynth.ImageSucceeded) {
				images++
			} else {
				imagesFailed++
			}
		}
		if t.Action != planner.ActionNone {
			changed++
		}
	}
	imgSub, imgTone := "all succeeded", ""
	if imagesFailed > 0 {
		imgSub, imgTone = fmt.Sprintf("%d failed", imagesFailed), "warn"
	}
	if images+imagesFailed == 0 {
		imgSub = "none yet"
	}
	checkValue, checkTone := fmt.Sprintf("%d passed", g.Passed), "good"
	switch {
	case len(g.Failed) > 0:
		checkValue, checkTone = fmt.Sprintf("%d failed", len(g.Failed)), "bad"
	case len(g.Warnings) > 0:
		checkValue, checkTone = plural(len(g.Warnings), "warning"), "warn"
	}
	checkSub := fmt.Sprintf("%d passed · %d failed", g.Passed, len(g.Failed))
	if n := len(g.Warnings); n > 0 {
		checkSub += " · " + plural(n, "warning")
	}
	checkSub += fmt.Sprintf(" · %d pending", len(g.Pending))
	s := p.Summary
	changeTone := ""
	if changed > 0 {
		changeTone = "warn"
	}
	statusSub := []string{}
	counts := statusCounts(p)
	for _, st := range []planner.Status{planner.StatusCompleted, planner.StatusPending, planner.StatusFailed, planner.StatusUnknown, planner.StatusNotCreated} {
		if n := counts[st]; n > 0 {
			statusSub = append(statusSub, fmt.Sprintf("%d %s", n, strings.ToLower(statusLabel(st))))
		}
	}
	page.Stats = []htmlStat{
		{"Tasks", fmt.Sprint(len(p.Tasks)), strings.Join(statusSub, " · "), ""},
		{"Images", fmt.Sprint(images), imgSub, imgTone},
		{"Total cost", page.Cost, "over " + plural(costedTasks(p), "task"), ""},
		{"Checks", checkValue, checkSub, checkTone},
		{"Changes", fmt.Sprint(changed), changeSub(s), changeTone},
	}

	page.Filters = []htmlFilter{{"all", "All", len(p.Tasks)}}
	for _, s := range []planner.Status{planner.StatusCompleted, planner.StatusPending, planner.StatusFailed, planner.StatusUnknown, planner.StatusNotCreated} {
		if counts[s] > 0 || s != planner.StatusNotCreated {
			page.Filters = append(page.Filters, htmlFilter{string(s), statusLabel(s), counts[s]})
		}
	}
	page.Filters = append(page.Filters,
		htmlFilter{"changes", "Changes", changed},
		htmlFilter{"failing", "Failing", len(failing)})

	for _, t := range p.Tasks {
		if t.Error != nil {
			page.Failures = append(page.Failures, htmlFailure{t.Address, "could not be read", *t.Error})
		}
		if t.Drift {
			page.Failures = append(page.Failures, htmlFailure{t.Address, "drift", "the request differs from the pinned task " + t.ID})
		}
	}
	for _, c := range g.Failed {
		page.Failures = append(page.Failures, htmlFailure{orPlan(c.Address), "check " + c.Name, c.Message})
	}
	for _, c := range g.Warnings {
		page.Warnings = append(page.Warnings, htmlFailure{orPlan(c.Address), "check " + c.Name, c.Message})
	}
	for _, d := range p.Diagnostics {
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if r := rangeText(d.Range); r != "" {
			msg += " (" + r + ")"
		}
		f := htmlFailure{orPlan(d.Address), d.Severity, msg}
		if d.Severity == "error" {
			page.Failures = append(page.Failures, f)
		} else {
			page.Warnings = append(page.Warnings, f)
		}
	}

	embedded := int64(0)
	for _, t := range p.Tasks {
		page.Cards = append(page.Cards, h.card(t, &embedded))
	}
	return page
}

func statusLabel(s planner.Status) string {
	switch s {
	case planner.StatusNotCreated:
		return "Not created"
	case "":
		return "Unknown"
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

func (h HTML) card(t *planner.TaskPlan, embedded *int64) htmlCard {
	c := htmlCard{
		Address: t.Address, ID: t.ID, Action: string(t.Action), Symbol: strings.TrimSpace(t.Action.Symbol()),
		Reason: t.Reason, Status: string(t.Status), StatusLabel: statusLabel(t.Status),
		Failing: taskFailed(t), Changed: t.Action != planner.ActionNone, Warned: hasWarnings(t),
		Model: t.Model, Files: t.Files, Drift: t.Drift,
		PATOnly: !t.RequestVerifiable && t.Error == nil && t.Status != planner.StatusNotCreated && t.Action != planner.ActionForget,
	}
	if t.Cost != nil {
		c.Cost = "$" + t.Cost.String()
	}
	if t.Error != nil {
		c.Error = *t.Error
	}
	if r := t.Request; r != nil {
		if r.Prompt != nil {
			c.Prompt, c.Negative = r.Prompt.Positive, r.Prompt.Negative
		}
		if r.Size != nil {
			c.Size = r.Size.String()
		}
		if c.Model == "" {
			c.Model = r.Model
		}
	}
	for _, im := range t.Images {
		if im.Size != "" && c.Size != im.Size {
			if c.Size == "" {
				c.Size = im.Size
			} else if !strings.Contains(c.Size, im.Size) {
				c.Size += " (" + im.Size + ")"
			}
			break
		}
	}
	for i, im := range t.Images {
		th := htmlThumb{Label: fmt.Sprintf("image %d", i+1), Alt: fmt.Sprintf("%s image %d", t.Address, i+1)}
		if im.ID != "" {
			th.Label = im.ID
		}
		if im.Status != string(mynth.ImageSucceeded) {
			th.Failed = true
			th.Error = im.Error
			if th.Error == "" {
				th.Error = "the image failed"
			}
			c.Thumbs = append(c.Thumbs, th)
			continue
		}
		th.URL, th.Link = im.URL, im.URL
		if data, ok := h.embed(t, im, embedded); ok {
			th.Data = data
		}
		if th.URL == "" && th.Data == "" {
			th.Empty = "no URL"
		}
		c.Thumbs = append(c.Thumbs, th)
	}
	if len(c.Thumbs) == 0 {
		empty := "No images"
		switch t.Status {
		case planner.StatusNotCreated:
			empty = "Not generated yet"
		case planner.StatusPending:
			empty = "Generating…"
		case planner.StatusUnknown:
			empty = "Could not be read"
		case planner.StatusFailed:
			empty = "The task failed"
		}
		c.Thumbs = []htmlThumb{{Empty: empty}}
	}
	for _, ch := range t.Checks {
		hc := htmlCheck{Name: ch.Name, Message: ch.Message}
		switch {
		case checkFails(ch):
			hc.Class, hc.Mark = "failed", "✗"
		case checkWarns(ch):
			hc.Class, hc.Mark = "warning", "!"
		case ch.Outcome == planner.OutcomePending:
			hc.Class, hc.Mark = "pending", "…"
		default:
			hc.Class, hc.Mark = "passed", "✓"
		}
		c.Checks = append(c.Checks, hc)
	}
	// Failed checks first.
	ordered := make([]htmlCheck, 0, len(c.Checks))
	for _, class := range []string{"failed", "warning", "pending", "passed"} {
		for _, hc := range c.Checks {
			if hc.Class == class {
				ordered = append(ordered, hc)
			}
		}
	}
	c.Checks = ordered
	for _, ch := range t.Changes {
		sym := "~"
		switch {
		case ch.Before == nil && ch.After != nil:
			sym = "+"
		case ch.Before != nil && ch.After == nil:
			sym = "-"
		}
		c.Changes = append(c.Changes, htmlChange{ch.Path,
			truncate(formatValue(ch.Before, ch.Sensitive), 300),
			truncate(formatValue(ch.After, ch.Sensitive), 300), sym})
	}
	return c
}

// embed returns the saved file of an image as a data: URI, when Dir is set,
// the file is inside Dir, the plan found it unchanged, it is an image, and
// it fits the limits.
func (h HTML) embed(t *planner.TaskPlan, im planner.Image, embedded *int64) (template.URL, bool) {
	if h.Dir == "" {
		return "", false
	}
	file := im.File
	if file == "" && im.ID != "" {
		for _, f := range t.Files {
			if f.ImageID == im.ID {
				file = f.Path
			}
		}
	}
	if file == "" || !filepath.IsLocal(filepath.FromSlash(file)) {
		return "", false
	}
	for _, f := range t.Files {
		// A missing or modified file is not the image: show the URL.
		if f.Path == file && f.State != "ok" {
			return "", false
		}
	}
	path := filepath.Join(h.Dir, filepath.FromSlash(file))
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() > EmbedMaxFile || *embedded+st.Size() > EmbedMaxTotal {
		return "", false
	}
	data, err := os.ReadFile(path)
	if err != nil || int64(len(data)) > EmbedMaxFile {
		return "", false
	}
	mime := http.DetectContentType(data)
	switch mime {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return "", false
	}
	*embedded += int64(len(data))
	// The URI is built here from bytes and a fixed set of MIME types, so
	// it is safe to mark as trusted.
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data)), true
}

// changeSub details the changes by action, naming only those that occur.
func changeSub(s planner.Summary) string {
	var parts []string
	for _, c := range []struct {
		n    int
		verb string
	}{{s.Generate, "generate"}, {s.Adopt, "adopt"}, {s.Replace, "replace"}, {s.Update, "update"}, {s.Forget, "forget"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.verb))
		}
	}
	if len(parts) == 0 {
		return "nothing to apply"
	}
	return strings.Join(parts, " · ")
}
