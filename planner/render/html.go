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
	"sync"

	"github.com/mynthform/mynthform/internal/plural"
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
	// BaseDir, for RenderComparison only, is the base branch's spec
	// directory (a checkout of it): the base side's saved files are looked
	// for there first, then in Dir. Either way a file is embedded only
	// when its sha256 is the one the base's state recorded.
	BaseDir string
}

// Limits on the images HTML embeds from Dir.
const (
	EmbedMaxFile  = 2 << 20  // one file
	EmbedMaxTotal = 64 << 20 // every file of the page together
)

//go:embed html.tmpl
var htmlSource string

// htmlTemplate is the report's template, parsed the first time a report
// is written, not when the program starts: every other command would pay
// for it (0.3-0.4 ms and 2,000 allocations of package init, with the
// compare page's). A parsed template is safe for concurrent use and is
// never modified.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Parse(htmlSource))
})

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
	Failures      []problem
	Warnings      []problem
	Cards         []htmlCard
}

type htmlStat struct {
	Label, Value, Sub, Tone string
}

type htmlFilter struct {
	Key, Label string
	Count      int
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
	if err := htmlTemplate().Execute(&buf, page); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

// page gathers what the template shows: the verdict, the stats, the
// filters, the failures and warnings, and a card per task.
func (h HTML) page(p *planner.Plan) htmlPage {
	g := groupChecks(p)
	counts := statusCounts(p)
	failing := len(p.FailingTasks())
	changed := changedTasks(p)
	page := htmlPage{
		Failed:        p.Failed(),
		Summary:       summaryLine(p),
		Cost:          p.Summary.Cost.Dollars(),
		FormatVersion: planner.PlanFormatVersion,
	}
	page.Headline, page.Detail = htmlVerdict(p)
	page.Verdict = page.Headline + ": " + page.Detail
	page.Stats = htmlStats(p, g, counts, changed)
	page.Filters = htmlFilters(p, counts, changed, failing)
	page.Failures, page.Warnings = htmlFailures(p, g)

	embedded := int64(0)
	for _, t := range p.Tasks {
		page.Cards = append(page.Cards, h.card(t, &embedded))
	}
	return page
}

// changedTasks counts the tasks that apply would act on.
func changedTasks(p *planner.Plan) int {
	n := 0
	for _, t := range p.Tasks {
		if t.Action != planner.ActionNone {
			n++
		}
	}
	return n
}

// htmlVerdict is the page's headline and the detail after it: what fails,
// or how many checks passed (verdictParts), and "no changes" when so.
func htmlVerdict(p *planner.Plan) (headline, detail string) {
	detail = strings.Join(verdictParts(p), " · ")
	if p.Failed() {
		return "Plan failed", detail
	}
	if !p.HasChanges() {
		detail += " · no changes"
	}
	return "Plan passed", detail
}

// htmlStats are the header's tiles: tasks by status, images, total cost,
// checks and changes; changed counts the tasks apply would act on.
func htmlStats(p *planner.Plan, g checkGroups, counts map[planner.Status]int, changed int) []htmlStat {
	var statusSub []string
	for _, st := range statusOrder {
		if n := counts[st]; n > 0 {
			statusSub = append(statusSub, fmt.Sprintf("%d %s", n, strings.ToLower(statusLabel(st))))
		}
	}
	changeTone := ""
	if changed > 0 {
		changeTone = "warn"
	}
	return []htmlStat{
		{"Tasks", fmt.Sprint(len(p.Tasks)), strings.Join(statusSub, " · "), ""},
		imagesStat(p),
		{"Total cost", p.Summary.Cost.Dollars(), "over " + plural.Count(costedTasks(p), "task"), ""},
		checksStat(p.Tally()),
		{"Changes", fmt.Sprint(changed), changeSub(p.Summary), changeTone},
	}
}

// imagesStat counts the succeeded images, and the others as failed.
func imagesStat(p *planner.Plan) htmlStat {
	succeeded, failed := 0, 0
	for _, t := range p.Tasks {
		for _, im := range t.Images {
			if im.Status == string(mynth.ImageSucceeded) {
				succeeded++
			} else {
				failed++
			}
		}
	}
	sub, tone := "all succeeded", ""
	if failed > 0 {
		sub, tone = fmt.Sprintf("%d failed", failed), "warn"
	}
	if succeeded+failed == 0 {
		sub = "none yet"
	}
	return htmlStat{"Images", fmt.Sprint(succeeded), sub, tone}
}

// checksStat shows the failed checks when one fails the run, else the
// warnings, else the passed checks, with every count below.
func checksStat(n planner.CheckTally) htmlStat {
	value, tone := fmt.Sprintf("%d passed", n.Passed), "good"
	switch {
	case n.Failed > n.Warnings:
		value, tone = fmt.Sprintf("%d failed", n.Failed), "bad"
	case n.Warnings > 0:
		value, tone = plural.Count(n.Warnings, "warning"), "warn"
	}
	return htmlStat{"Checks", value, checkCounts(n, " · "), tone}
}

// htmlFilters are the filter buttons: all, each status (not created and
// unknown outcome only when some task is), changes and failing.
func htmlFilters(p *planner.Plan, counts map[planner.Status]int, changed, failing int) []htmlFilter {
	filters := []htmlFilter{{"all", "All", len(p.Tasks)}}
	for _, s := range statusOrder {
		if counts[s] > 0 || (s != planner.StatusNotCreated && s != planner.StatusUnknownOutcome) {
			filters = append(filters, htmlFilter{string(s), statusLabel(s), counts[s]})
		}
	}
	return append(filters,
		htmlFilter{"changes", "Changes", changed},
		htmlFilter{"failing", "Failing", failing})
}

// htmlFailures lists what fails the plan (unreadable and drifted tasks,
// failed checks, error diagnostics) and what only warns (checks of
// severity warning, other diagnostics).
func htmlFailures(p *planner.Plan, g checkGroups) (failures, warnings []problem) {
	failures = failureRows(p, "could not be read")
	for _, c := range g.Warnings {
		warnings = append(warnings, problem{orPlan(c.Address), "check " + string(c.Name), c.Message})
	}
	for _, d := range p.Diagnostics {
		if !d.Fails() {
			warnings = append(warnings, problem{orPlan(d.Address), string(d.Severity), diagnosticText(d)})
		}
	}
	return failures, warnings
}

// statusLabel is a status as the page names it ("Not created").
func statusLabel(s planner.Status) string {
	switch s {
	case planner.StatusNotCreated:
		return "Not created"
	case planner.StatusUnknownOutcome:
		return "Unknown outcome"
	case "":
		return "Unknown"
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// card gathers one task's card: its heading, request, thumbnails, checks
// and changes. embedded is what the page has embedded so far.
func (h HTML) card(t *planner.TaskPlan, embedded *int64) htmlCard {
	c := htmlCard{
		Address: t.Address, ID: t.ID, Action: string(t.Action), Symbol: strings.TrimSpace(t.Action.Symbol()),
		Reason: t.Reason, Status: string(t.Status), StatusLabel: statusLabel(t.Status),
		Failing: t.Fails(), Changed: t.Action != planner.ActionNone, Warned: t.Warns(),
		Model: t.Model, Files: t.Files, Drift: t.Drift,
		PATOnly: !t.RequestVerifiable && t.Error == nil && t.Status != planner.StatusNotCreated && t.Action != planner.ActionForget,
		Size:    cardSize(t),
	}
	if t.Cost != nil {
		c.Cost = t.Cost.Dollars()
	}
	if t.Error != nil {
		c.Error = *t.Error
	}
	if r := t.Request; r != nil {
		if r.Prompt != nil {
			c.Prompt, c.Negative = r.Prompt.Positive, r.Prompt.Negative
		}
		if c.Model == "" {
			c.Model = r.Model
		}
	}
	c.Thumbs = h.thumbs(t, embedded)
	c.Checks = cardChecks(t.Checks)
	for _, ch := range t.Changes {
		c.Changes = append(c.Changes, cardChange(ch))
	}
	return c
}

// cardSize is the requested size, with the first image's size added (or
// used alone) when it is not the same.
func cardSize(t *planner.TaskPlan) string {
	size := ""
	if t.Request != nil && t.Request.Size != nil {
		size = t.Request.Size.String()
	}
	for _, im := range t.Images {
		if im.Size != "" && size != im.Size {
			if size == "" {
				size = im.Size
			} else if !strings.Contains(size, im.Size) {
				size += " (" + im.Size + ")"
			}
			break
		}
	}
	return size
}

// thumbs are a card's thumbnails, one per image, or one placeholder that
// says why there is none.
func (h HTML) thumbs(t *planner.TaskPlan, embedded *int64) []htmlThumb {
	var thumbs []htmlThumb
	for i, im := range t.Images {
		thumbs = append(thumbs, h.thumb(t, i, im, embedded))
	}
	if len(thumbs) > 0 {
		return thumbs
	}
	empty := "No images"
	switch t.Status {
	case planner.StatusNotCreated:
		empty = "Not generated yet"
	case planner.StatusPending:
		empty = "Generating…"
	case planner.StatusUnknown:
		empty = "Could not be read"
	case planner.StatusUnknownOutcome:
		empty = "Creation of unknown outcome"
	case planner.StatusFailed:
		empty = "The task failed"
	}
	return []htmlThumb{{Empty: empty}}
}

// thumb is the thumbnail of t's image i: its error when it failed, else
// the saved file embedded when it can be, and its URL.
func (h HTML) thumb(t *planner.TaskPlan, i int, im planner.Image, embedded *int64) htmlThumb {
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
		return th
	}
	th.URL, th.Link = im.URL, im.URL
	if data, ok := h.embed(t, im, embedded); ok {
		th.Data = data
	}
	if th.URL == "" && th.Data == "" {
		th.Empty = "no URL"
	}
	return th
}

// cardChecks are a task's checks as the card lists them: failed first, then
// warnings, pending and passed, each group in plan order.
func cardChecks(checks []planner.Check) []htmlCheck {
	all := make([]htmlCheck, 0, len(checks))
	for _, ch := range checks {
		hc := htmlCheck{Name: string(ch.Name), Message: ch.Message}
		switch {
		case ch.Fails():
			hc.Class, hc.Mark = "failed", "✗"
		case ch.Warns():
			hc.Class, hc.Mark = "warning", "!"
		case ch.Outcome == planner.OutcomePending:
			hc.Class, hc.Mark = "pending", "…"
		default:
			hc.Class, hc.Mark = "passed", "✓"
		}
		all = append(all, hc)
	}
	ordered := make([]htmlCheck, 0, len(all))
	for _, class := range []string{"failed", "warning", "pending", "passed"} {
		for _, hc := range all {
			if hc.Class == class {
				ordered = append(ordered, hc)
			}
		}
	}
	return ordered
}

// cardChange is one change as the card shows it, its values cut to 300
// runes.
func cardChange(ch planner.Change) htmlChange {
	sym := "~"
	switch {
	case ch.Before == nil && ch.After != nil:
		sym = "+"
	case ch.Before != nil && ch.After == nil:
		sym = "-"
	}
	before, after := changeValues(ch)
	return htmlChange{ch.Path, truncate(before, 300), truncate(after, 300), sym}
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
