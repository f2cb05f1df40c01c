package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

// JSON renders the plan as the `plan --json` document described in
// DESIGN.md: one JSON object, indented by two spaces, ending in a newline.
// Arrays are never null, "error" is null or a string, amounts are strings
// with eight decimal places, and sensitive change values are "(sensitive)".
// The document is only ever extended; the README ("plan --json") describes every
// field.
type JSON struct{}

// jsonDoc is the document's shape. It is a copy of the plan model, kept
// separate so that the model can change without changing the document.
type jsonDoc struct {
	FormatVersion string           `json:"format_version"`
	Summary       jsonSummary      `json:"summary"`
	Tasks         []jsonTask       `json:"tasks"`
	Checks        []jsonCheck      `json:"checks"`
	Diagnostics   []jsonDiagnostic `json:"diagnostics"`
}

type jsonSummary struct {
	Generate int          `json:"generate"`
	Adopt    int          `json:"adopt"`
	Replace  int          `json:"replace"`
	Update   int          `json:"update"`
	Forget   int          `json:"forget"`
	None     int          `json:"none"`
	Checks   jsonCounts   `json:"checks"`
	Cost     mynth.Amount `json:"cost"`
	Estimate jsonEstimate `json:"estimate"`
	Failed   bool         `json:"failed"`
}

type jsonEstimate struct {
	Total    mynth.Amount `json:"total"`
	Priced   int          `json:"priced"`
	Unpriced int          `json:"unpriced"`
}

type jsonCounts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
}

type jsonTask struct {
	Address string        `json:"address"`
	ID      *string       `json:"id"`
	Action  string        `json:"action"`
	Reason  string        `json:"reason"`
	Status  string        `json:"status"`
	Model   string        `json:"model"`
	Cost    *mynth.Amount `json:"cost"`
	// Estimate is what apply will spend on the task (see the README).
	Estimate *mynth.Amount `json:"estimate"`
	Images   []jsonImage   `json:"images"`
	Changes  []jsonChange  `json:"changes"`
	Checks   []jsonCheck   `json:"checks"`
	Files    []jsonFile    `json:"files"`
	// Request is what apply sends for a generate or replace, null
	// otherwise; sensitive fields are "(sensitive)".
	Request map[string]any `json:"request"`
	// RequestUnknown are the paths ("request.inputs[0].source.url") of
	// the request's values that apply learns, each "(known after apply)"
	// in Request; empty when every value is known.
	RequestUnknown    []string   `json:"request_unknown"`
	Drift             bool       `json:"drift"`
	RequestVerifiable bool       `json:"request_verifiable"`
	Error             *string    `json:"error"`
	Range             *jsonRange `json:"range"`
}

type jsonImage struct {
	ID     *string       `json:"id"`
	Status string        `json:"status"`
	URL    *string       `json:"url"`
	Size   *string       `json:"size"`
	Cost   *mynth.Amount `json:"cost"`
	Error  *string       `json:"error"`
	File   *string       `json:"file"`
}

// optional is nil for "", else a pointer to s: absent values print as null.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type jsonChange struct {
	Path      string `json:"path"`
	Before    any    `json:"before"`
	After     any    `json:"after"`
	Sensitive bool   `json:"sensitive"`
	// AfterUnknown is true when apply learns the value: After is then
	// the words "(known after apply)", kept for the readers of the
	// first documents.
	AfterUnknown bool `json:"after_unknown"`
}

type jsonCheck struct {
	Name     string `json:"name"`
	Outcome  string `json:"outcome"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

type jsonFile struct {
	Path  string `json:"path"`
	State string `json:"state"`
	// ImageID is null when no image is known for the file.
	ImageID *string `json:"image_id"`
}

type jsonDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Address  string     `json:"address"`
	Range    *jsonRange `json:"range"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func toJSONRange(r *planner.Range) *jsonRange {
	if r == nil {
		return nil
	}
	return &jsonRange{r.Filename, jsonPos(r.Start), jsonPos(r.End)}
}

func toJSONCheck(c planner.Check) jsonCheck {
	return jsonCheck{string(c.Name), string(c.Outcome), c.Message, string(c.Severity.OrError())}
}

func newJSONDoc(p *planner.Plan) (jsonDoc, error) {
	doc := jsonDoc{
		FormatVersion: planner.PlanFormatVersion,
		Summary: jsonSummary{
			Generate: p.Summary.Generate, Adopt: p.Summary.Adopt, Replace: p.Summary.Replace,
			Update: p.Summary.Update, Forget: p.Summary.Forget, None: p.Summary.None,
			Checks:   jsonCounts(p.Summary.Checks),
			Cost:     p.Summary.Cost,
			Estimate: jsonEstimate(p.Summary.Estimate),
			Failed:   p.Failed(),
		},
		Tasks:       make([]jsonTask, 0, len(p.Tasks)),
		Checks:      make([]jsonCheck, 0, len(p.Checks)),
		Diagnostics: make([]jsonDiagnostic, 0, len(p.Diagnostics)),
	}
	for _, t := range p.Tasks {
		jt := jsonTask{
			Address: t.Address, Action: string(t.Action), Reason: t.Reason,
			Status: string(t.Status), Model: t.Model, Cost: t.Cost, Estimate: t.Estimate,
			Images:  make([]jsonImage, 0, len(t.Images)),
			Changes: make([]jsonChange, 0, len(t.Changes)),
			Checks:  make([]jsonCheck, 0, len(t.Checks)),
			Files:   make([]jsonFile, 0, len(t.Files)),
			Drift:   t.Drift, RequestVerifiable: t.RequestVerifiable,
			Error: t.Error, Range: toJSONRange(t.Range),
		}
		jt.ID = optional(t.ID)
		req, err := jsonRequest(t)
		if err != nil {
			return doc, err
		}
		jt.Request = req
		jt.RequestUnknown = unknownPaths("request", req)
		for _, im := range t.Images {
			jt.Images = append(jt.Images, jsonImage{
				ID: optional(im.ID), Status: im.Status, URL: optional(im.URL), Size: optional(im.Size),
				Cost: im.Cost, Error: optional(im.Error), File: optional(im.File),
			})
		}
		for _, c := range t.Changes {
			jc := jsonChange{Path: c.Path, Before: c.Before, After: c.After, Sensitive: c.Sensitive, AfterUnknown: c.AfterUnknown}
			if c.Sensitive {
				jc.Before, jc.After = sensitiveText, sensitiveText
			}
			jt.Changes = append(jt.Changes, jc)
		}
		for _, c := range t.Checks {
			jt.Checks = append(jt.Checks, toJSONCheck(c))
		}
		for _, f := range t.Files {
			jt.Files = append(jt.Files, jsonFile{Path: f.Path, State: f.State, ImageID: optional(f.ImageID)})
		}
		doc.Tasks = append(doc.Tasks, jt)
	}
	for _, c := range p.Checks {
		doc.Checks = append(doc.Checks, toJSONCheck(c))
	}
	for _, d := range p.Diagnostics {
		doc.Diagnostics = append(doc.Diagnostics, jsonDiagnostic{string(d.Severity), d.Summary, d.Detail, d.Address, toJSONRange(d.Range)})
	}
	return doc, nil
}

// Render writes the JSON document to w.
func (JSON) Render(w io.Writer, p *planner.Plan) error {
	// Compact first, then indented in one pass into a buffer sized for
	// it: the very bytes of an Encoder with SetIndent (which indents the
	// same way, see json.Indent), without the copies of a buffer growing
	// by appends, which were most of the memory a large plan took.
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	doc, err := newJSONDoc(p)
	if err != nil {
		return fmt.Errorf("encoding the plan as JSON: %w", err)
	}
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encoding the plan as JSON: %w", err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, compact.Bytes(), "", "  "); err != nil {
		return fmt.Errorf("encoding the plan as JSON: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the JSON plan: %w", err)
	}
	return nil
}
