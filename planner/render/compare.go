package render

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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

// ComparisonRenderer writes one view of a comparison of a branch with its
// base (`report --compare-to`).
type ComparisonRenderer interface {
	RenderComparison(w io.Writer, c *planner.Comparison) error
}

// Compile-time checks that every comparison view is a ComparisonRenderer.
var (
	_ ComparisonRenderer = (*Markdown)(nil)
	_ ComparisonRenderer = (*HTML)(nil)
	_ ComparisonRenderer = JSON{}
)

// comparisonHeadline is the comparison's first line: the counts and the
// cost change.
func comparisonHeadline(c *planner.Comparison) string {
	s := c.Summary
	line := fmt.Sprintf("%d added, %d replaced, %d removed, %d unchanged. Cost: %s → %s (%s)",
		s.Added, s.Replaced, s.Removed, s.Unchanged, s.CostBefore.Dollars(), s.CostAfter.Dollars(), signedDollars(s.CostChange))
	if s.Unpriced > 0 {
		line += fmt.Sprintf(", plus %s of unknown price", plural.Count(s.Unpriced, "task"))
	}
	return line + "."
}

// signedDollars is an amount of change: "+$0.0125", "-$0.05", "±$0.00".
func signedDollars(a mynth.Amount) string {
	switch {
	case a.IsZero():
		return "±" + a.Dollars()
	case a.IsNegative():
		return a.Dollars()
	}
	return "+" + a.Dollars()
}

// sideCost is a side's cost as the views print it.
func sideCost(s *planner.ComparedSide) string {
	switch {
	case s == nil:
		return "—"
	case s.ToGenerate && s.Cost == nil:
		return "unknown (to generate)"
	case s.ToGenerate:
		return s.Cost.Dollars() + " (estimate)"
	}
	return money(s.Cost)
}

// DefaultComparisonLimit is the default size of the markdown comparison:
// under GitHub's comment limit by enough for the plan's verdict line and a
// few more above it in the same comment.
const DefaultComparisonLimit = 60000

// RenderComparison writes the comparison as markdown for a pull-request
// comment: the counts and cost change, then a row per added, replaced and
// removed task with its images before and after (thumbnails as the plan
// report shows them), its prompt (a word-level diff when replaced) and its
// cost. It stays under Limit (DefaultComparisonLimit when 0): the
// thumbnails go first, then rows, counted.
func (m Markdown) RenderComparison(w io.Writer, c *planner.Comparison) error {
	limit := m.Limit
	if limit <= 0 {
		limit = DefaultComparisonLimit
	}
	// The thumbnails go before any row does.
	out, cut := m.buildComparison(c, true, limit)
	if cut {
		out, _ = m.buildComparison(c, false, limit)
	}
	if _, err := io.WriteString(w, out); err != nil {
		return fmt.Errorf("writing the markdown comparison: %w", err)
	}
	return nil
}

const mdCompareHeader = "| Task | Change | Before | After | Prompt | Cost |\n| --- | --- | --- | --- | --- | --- |\n"

// buildComparison renders the comparison with or without thumbnails,
// cutting rows to fit under limit; cut says whether it had to.
func (m Markdown) buildComparison(c *planner.Comparison, thumbs bool, limit int) (string, bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "**mynthform: compared with the base branch**: %s\n", mdCell(comparisonHeadline(c), 400))
	if len(c.Tasks) == 0 {
		b.WriteString("\nThis branch changes no task.\n")
		return b.String(), false
	}
	b.WriteString("\n" + mdCompareHeader)
	left, cut := 0, false
	for i, t := range c.Tasks {
		row := mdCompareRow(t, thumbs)
		if b.Len()+len(row)+300 > limit {
			fmt.Fprintf(&b, "\n…and %s more (cut to stay under the size limit; `report --compare-to --format json` lists them all).\n", plural.Count(len(c.Tasks)-i, "task"))
			cut = true
			break
		}
		b.WriteString(row)
	}
	if !thumbs {
		for _, t := range c.Tasks {
			left += compareThumbs(t.Before) + compareThumbs(t.After)
		}
		if left > 0 {
			fmt.Fprintf(&b, "\n%s left out to stay under the size limit (the HTML comparison shows them).\n", plural.Count(left, "thumbnail"))
		}
	}
	return b.String(), cut
}

// compareThumbs counts the thumbnails of a side.
func compareThumbs(s *planner.ComparedSide) int {
	if s == nil {
		return 0
	}
	_, n := mdThumbs(&planner.TaskPlan{Images: s.Images})
	return n
}

func mdCompareRow(t planner.ComparedTask, thumbs bool) string {
	side := func(s *planner.ComparedSide) string {
		switch {
		case s == nil:
			return "—"
		case s.ToGenerate:
			return "to generate"
		}
		cell, n := "", 0
		if thumbs {
			cell, n = mdThumbs(&planner.TaskPlan{Images: s.Images})
		}
		if n == 0 {
			cell = plural.Count(len(s.Images), "image")
		}
		if s.ID != "" {
			cell += "<br>" + mdCode(s.ID)
		}
		return cell
	}
	prompt := "—"
	switch {
	case t.Before != nil && t.After != nil && t.Before.Prompt != t.After.Prompt:
		prompt = mdWordDiff(t.Before.Prompt, t.After.Prompt)
	case t.After != nil && t.After.Prompt != "":
		prompt = mdCell(t.After.Prompt, 200)
	case t.Before != nil && t.Before.Prompt != "":
		prompt = mdCell(t.Before.Prompt, 200)
	}
	cost := sideCost(t.Before) + " → " + sideCost(t.After)
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", mdCode(t.Address), t.Change, side(t.Before), side(t.After), prompt, mdCell(cost, 80))
}

// RenderComparison writes the comparison as one indented JSON document
// (planner.Comparison, format_version "1").
func (JSON) RenderComparison(w io.Writer, c *planner.Comparison) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("encoding the comparison: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the comparison: %w", err)
	}
	return nil
}

//go:embed compare.tmpl
var compareSource string

// compareTemplate is the comparison page's template, parsed the first
// time a page is written (see htmlTemplate) and never modified.
var compareTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("compare").Funcs(template.FuncMap{"dict": compareDict}).Parse(compareSource))
})

// compareDict builds the map a sub-template takes: key, value, ….
func compareDict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		m[k] = kv[i+1]
	}
	return m
}

type comparePage struct {
	Headline string
	Summary  planner.ComparisonSummary
	Change   string
	Rows     []compareRow
}

type compareRow struct {
	Address, Change     string
	Before, After       *compareSide
	PromptDiff          []compareWord
	BeforeCost, AfterCo string
}

type compareSide struct {
	ID, Status, Prompt, Model, Cost string
	ToGenerate                      bool
	Thumbs                          []htmlThumb
}

type compareWord struct {
	Kind, Text string
}

// RenderComparison writes the comparison as one self-contained page: the
// counts and cost change, then a row per added, replaced and removed task
// with its images before and after side by side, the prompt's word-level
// diff and the cost on both sides. A saved image file (in Dir, or for the
// base side in BaseDir, with the hash its side's state recorded) is
// embedded instead of its URL, so that
// the page shows it when the URL no longer loads (an emulator that is
// gone, an expired link).
func (h HTML) RenderComparison(w io.Writer, c *planner.Comparison) error {
	page := comparePage{Headline: comparisonHeadline(c), Summary: c.Summary, Change: signedDollars(c.Summary.CostChange)}
	embedded := int64(0)
	for _, t := range c.Tasks {
		row := compareRow{Address: t.Address, Change: t.Change,
			Before: h.compareSide(t.Before, []string{h.BaseDir, h.Dir}, &embedded), After: h.compareSide(t.After, []string{h.Dir}, &embedded),
			BeforeCost: sideCost(t.Before), AfterCo: sideCost(t.After)}
		if t.Before != nil && t.After != nil && t.Before.Prompt != t.After.Prompt {
			for _, r := range wordDiff(t.Before.Prompt, t.After.Prompt) {
				kind := map[diffKind]string{diffSame: "same", diffRemoved: "del", diffAdded: "ins"}[r.kind]
				row.PromptDiff = append(row.PromptDiff, compareWord{kind, strings.Join(r.words, " ")})
			}
		}
		page.Rows = append(page.Rows, row)
	}
	var buf bytes.Buffer
	if err := compareTemplate().Execute(&buf, page); err != nil {
		return fmt.Errorf("rendering the HTML comparison: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the HTML comparison: %w", err)
	}
	return nil
}

// compareSide is one side of a compared task; its saved files are looked
// for in dirs, in order ("" is skipped).
func (h HTML) compareSide(s *planner.ComparedSide, dirs []string, embedded *int64) *compareSide {
	if s == nil {
		return nil
	}
	cs := &compareSide{ID: s.ID, Status: string(s.Status), Prompt: s.Prompt, Model: s.Model, Cost: sideCost(s), ToGenerate: s.ToGenerate}
	for i, im := range s.Images {
		th := htmlThumb{Label: im.ID, Alt: fmt.Sprintf("image %d", i+1)}
		if im.Status != string(mynth.ImageSucceeded) {
			th.Failed, th.Error = true, im.Error
			cs.Thumbs = append(cs.Thumbs, th)
			continue
		}
		th.URL, th.Link = im.URL, im.URL
		for _, f := range s.Files {
			if f.ImageID != im.ID || im.ID == "" || th.Data != "" {
				continue
			}
			for _, dir := range dirs {
				if data, ok := embedVerified(dir, f, embedded); ok {
					th.Data = data
					break
				}
			}
		}
		if th.URL == "" && th.Data == "" {
			th.Empty = "no URL"
		}
		cs.Thumbs = append(cs.Thumbs, th)
	}
	return cs
}

// embedVerified returns a saved file as a data: URI when dir is set, the
// file is inside it, its sha256 is the one recorded (so that a file since
// overwritten by another image is never shown as this one), it is an image
// and it fits the limits.
func embedVerified(dir string, f planner.ComparedFile, embedded *int64) (template.URL, bool) {
	if dir == "" || f.SHA256 == "" || !filepath.IsLocal(filepath.FromSlash(f.Path)) {
		return "", false
	}
	path := filepath.Join(dir, filepath.FromSlash(f.Path))
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() > EmbedMaxFile || *embedded+st.Size() > EmbedMaxTotal {
		return "", false
	}
	data, err := os.ReadFile(path)
	if err != nil || int64(len(data)) > EmbedMaxFile {
		return "", false
	}
	sum := sha256.Sum256(data)
	if !strings.EqualFold(hex.EncodeToString(sum[:]), strings.TrimPrefix(f.SHA256, "sha256:")) {
		return "", false
	}
	mime := http.DetectContentType(data)
	switch mime {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return "", false
	}
	*embedded += int64(len(data))
	// Built here from bytes and a fixed set of MIME types.
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data)), true
}
