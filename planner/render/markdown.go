package render

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/internal/termtext"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

// Markdown renders the plan for a pull-request comment or
// $GITHUB_STEP_SUMMARY: a one-line verdict, the failures (failed checks,
// unreadable and drifted tasks), a table of the tasks, the pending checks
// and the total cost.
//
// Every succeeded image with an http(s) URL is shown as a thumbnail
// (<img src="URL" width="160">): the gallery of the tasks with changes,
// failures or warnings comes first, open; the thumbnails of the other
// tasks are collapsed in <details> with their table.
//
// The result stays under Limit characters (bytes). It first drops the
// thumbnails of unchanged tasks (and says how many), then collapses detail
// (unchanged tasks and pending checks become counts, the gallery is cut to
// what fits), then truncates the task table and shortens messages, then
// names the failing tasks as a compact comma-separated list instead of a
// table. The verdict, the summary and the names of the failing tasks are
// kept at every level; only when the failing addresses alone cannot fit is
// that list cut, with a count of the rest.
type Markdown struct {
	// Limit is the largest output in bytes; 0 means DefaultMarkdownLimit.
	Limit int
}

// DefaultMarkdownLimit is GitHub's limit on the size of a comment.
const DefaultMarkdownLimit = 65536

// Levels of detail, most first.
const (
	mdFull         = iota // everything; unchanged tasks, their thumbnails and pending checks in <details>
	mdQuietNoThumb        // as mdFull without the thumbnails of unchanged tasks, counted instead
	mdCollapsed           // unchanged tasks and pending checks counted only; the gallery cut to fit
	mdTruncated           // task table cut to fit, messages shortened
	mdCompact             // failing tasks as a comma-separated list, no task table
	mdLevels              // number of levels
	mdMessageShort = 120  // message length at mdTruncated and below
	mdMessageFull  = 500  // message length otherwise
	mdChangesShown = 3    // changes listed per task in the table
)

// Render writes the markdown report to w.
func (m Markdown) Render(w io.Writer, p *planner.Plan) error {
	limit := m.Limit
	if limit <= 0 {
		limit = DefaultMarkdownLimit
	}
	var out string
	for level := range mdLevels {
		out = m.build(p, level, limit)
		if len(out) <= limit {
			break
		}
	}
	if len(out) > limit {
		// Only the verdict and summary are left; cut at a line boundary.
		out = cutAtLine(out, limit)
	}
	if _, err := io.WriteString(w, out); err != nil {
		return fmt.Errorf("writing the markdown report: %w", err)
	}
	return nil
}

// cutAtLine returns s cut to at most n bytes, at the end of a line when
// there is one.
func cutAtLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[:i+1]
	}
	// Not even the verdict fits: keep what does, whole characters only.
	return strings.ToValidUTF8(s, "")
}

// verdict is the report's first line.
func verdict(p *planner.Plan) string {
	// costLine: the verdict stays short enough for the smallest comment;
	// the estimate is in the plan's own views.
	if p.Failed() {
		return fmt.Sprintf("❌ **mynthform plan failed**: %s, %d passed. %s",
			strings.Join(verdictParts(p), ", "), p.Tally().Passed, costLine(p))
	}
	return fmt.Sprintf("✅ **mynthform plan passed**: %s. %s", strings.Join(verdictParts(p), ", "), costLine(p))
}

// build renders the report at one level of detail; limit is what the
// truncated and compact levels cut their tables to.
func (m Markdown) build(p *planner.Plan, level, limit int) string {
	var b strings.Builder
	b.WriteString(verdict(p))
	b.WriteString("\n")

	msgLen := mdMessageFull
	if level >= mdTruncated {
		msgLen = mdMessageShort
	}
	g := groupChecks(p)
	failures := failureRows(p, "unreadable")
	// The closing lines, written last but reserved for now.
	closing := fmt.Sprintf("\n**Checks:** %s. **Total cost:** %s over %s.\n", checkCounts(p.Tally(), ", "), p.Summary.Cost.Dollars(), plural.Count(costedTasks(p), "task"))

	shown, quiet := splitQuiet(p)
	if level >= mdCompact {
		m.writeCompact(&b, p, shown, quiet, failures, msgLen, limit, closing)
		return b.String()
	}
	// Failures first, then warnings, the tasks and the pending checks.
	if len(failures) > 0 {
		fmt.Fprintf(&b, "\n### Failures (%d)\n\n%s", len(failures), mdFailureHeader)
		for _, f := range failures {
			b.WriteString(mdFailureRow(f, msgLen))
		}
	}
	if len(g.Warnings) > 0 {
		fmt.Fprintf(&b, "\n### Warnings (%d)\n\n%s", len(g.Warnings), mdCheckHeader)
		for _, c := range g.Warnings {
			b.WriteString(mdCheckRow(c, msgLen))
		}
	}
	// The gallery comes next. At mdFull and mdQuietNoThumb it is whole (a
	// level that does not fit gives way to the next); at mdCollapsed it
	// gets what the whole task table leaves; at mdTruncated, where the
	// table is cut anyway, up to a quarter of the limit before the table.
	switch level {
	case mdFull, mdQuietNoThumb:
		b.WriteString(mdGallery(shown, -1))
	case mdTruncated:
		b.WriteString(mdGallery(shown, min(limit/4, limit-b.Len()-len(closing)-mdTruncatedKeep)))
	}
	galleryAt := b.Len()
	m.writeTasks(&b, shown, quiet, level, limit, msgLen, len(closing))
	writePendingChecks(&b, g.Pending, level, msgLen)
	b.WriteString(closing)
	out := b.String()
	if level == mdCollapsed {
		gallery := mdGallery(shown, limit-len(out))
		out = out[:galleryAt] + gallery + out[galleryAt:]
	}
	return out
}

// splitQuiet splits the tasks into those with changes, failures or
// warnings (shown open) and the others (quiet), each in plan order.
func splitQuiet(p *planner.Plan) (shown, quiet []*planner.TaskPlan) {
	for _, t := range p.Tasks {
		if t.Action != planner.ActionNone || t.Fails() || t.Warns() {
			shown = append(shown, t)
		} else {
			quiet = append(quiet, t)
		}
	}
	return shown, quiet
}

// Thumbnails of the markdown report.
const (
	mdThumbWidth    = 160 // pixels
	mdGalleryHead   = "| Task | Images |\n| --- | --- |\n"
	mdGalleryReady  = 200  // bytes kept free for the line that counts what was left out
	mdTruncatedKeep = 8000 // bytes the gallery leaves to the task table at mdTruncated
)

// mdThumbs are the thumbnails of a task's succeeded images that have an
// http(s) URL, as HTML for a table cell, and how many there are.
func mdThumbs(t *planner.TaskPlan) (string, int) {
	var parts []string
	for _, im := range t.Images {
		if im.Status != string(mynth.ImageSucceeded) {
			continue
		}
		src, ok := mdImageURL(im.URL)
		if !ok {
			continue
		}
		alt := im.ID
		if alt == "" {
			alt = fmt.Sprintf("image %d", len(parts)+1)
		}
		parts = append(parts, fmt.Sprintf(`<img src="%s" width="%d" alt="%s">`, src, mdThumbWidth, mdAttr(alt)))
	}
	return strings.Join(parts, " "), len(parts)
}

// countThumbs counts the thumbnails of tasks.
func countThumbs(tasks []*planner.TaskPlan) int {
	n := 0
	for _, t := range tasks {
		_, k := mdThumbs(t)
		n += k
	}
	return n
}

// mdImageURL returns an image URL fit for the src attribute of a
// thumbnail in a table cell, or false: only absolute http and https URLs
// with a host and no user name or password, printable ASCII or UTF-8
// without spaces; the characters that would end the attribute, the cell
// or the tag are percent-encoded, & is escaped.
func mdImageURL(raw string) (string, bool) {
	if raw == "" || len(raw) > 2048 || !utf8.ValidString(raw) {
		return "", false
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.IsSpace(r) {
			return "", false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '"', '\'', '<', '>', '|', '`', '\\':
			fmt.Fprintf(&b, "%%%02X", c)
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// mdAttr escapes text for an HTML attribute inside a markdown table cell.
func mdAttr(s string) string {
	s = termtext.Line(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '|':
			b.WriteString("&#124;")
		case '@':
			b.WriteString("&#64;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdGallery is the gallery of the tasks with changes or failures: a row
// per task with thumbnails. With budget >= 0 it is cut to budget bytes,
// and says how many thumbnails it left out; it is "" when it has no
// thumbnail or not one row fits.
func mdGallery(tasks []*planner.TaskPlan, budget int) string {
	total := countThumbs(tasks)
	if total == 0 {
		return ""
	}
	head := fmt.Sprintf("\n### Images of tasks with changes or failures (%s)\n\n%s", plural.Count(total, "image"), mdGalleryHead)
	var rows strings.Builder
	shown := 0
	for _, t := range tasks {
		cell, n := mdThumbs(t)
		if n == 0 {
			continue
		}
		row := fmt.Sprintf("| %s | %s |\n", mdCode(t.Address), cell)
		if budget >= 0 && len(head)+rows.Len()+len(row)+mdGalleryReady > budget {
			break
		}
		rows.WriteString(row)
		shown += n
	}
	if shown == 0 {
		note := fmt.Sprintf("\n%s of tasks with changes or failures left out to stay under the size limit (the HTML report shows them).\n", plural.Count(total, "thumbnail"))
		if len(note) <= budget {
			return note
		}
		return ""
	}
	out := head + rows.String()
	if shown < total {
		out += fmt.Sprintf("\n…and %s left out to stay under the size limit (the HTML report shows them).\n", plural.Count(total-shown, "more thumbnail"))
	}
	return out
}

// Table headers of the report.
const (
	mdFailureHeader = "| Task | Problem | Message |\n| --- | --- | --- |\n"
	mdCheckHeader   = "| Task | Check | Message |\n| --- | --- | --- |\n"
	mdTaskHeader    = "| Task | Action | Status | Checks | Images | Cost | Changes |\n| --- | --- | --- | --- | --- | --- | --- |\n"
)

// mdFailureRow is a row of the failures table, its message cut to msgLen
// runes.
func mdFailureRow(f problem, msgLen int) string {
	return fmt.Sprintf("| %s | %s | %s |\n", mdCode(f.Address), mdCell(f.What, 80), mdCell(f.Message, msgLen))
}

// mdCheckRow is a check as a row of a warnings or pending table.
func mdCheckRow(c addressedCheck, msgLen int) string {
	return fmt.Sprintf("| %s | %s | %s |\n", mdCode(orPlan(c.Address)), mdCell(string(c.Name), 80), mdCell(c.Message, msgLen))
}

// writeCompact writes the rest of the compact level: the failing tasks as
// a list, as many failure details as fit, as much of the gallery of shown
// as fits, the count of the thumbnails of quiet left out, the counts, and
// the closing lines.
func (m Markdown) writeCompact(b *strings.Builder, p *planner.Plan, shown, quiet []*planner.TaskPlan, failures []problem, msgLen, limit int, closing string) {
	failing := p.FailingTasks()
	counts := "\n" + m.countsLine(p) + "\n"
	if len(failing) > 0 || len(failures) > 0 {
		b.WriteString(m.compactFailing(p, failing, limit-b.Len()-len(closing)-len(counts)-120))
	}
	quietNote := ""
	if n := countThumbs(quiet); n > 0 {
		quietNote = fmt.Sprintf("\n%s of unchanged tasks left out to stay under the size limit.\n", plural.Count(n, "thumbnail"))
	}
	if len(failures) > 0 {
		writeFailureDetails(b, failures, msgLen, limit, len(counts)+len(closing)+len(quietNote)+mdGalleryReady+200)
	}
	b.WriteString(mdGallery(shown, limit-b.Len()-len(counts)-len(closing)-len(quietNote)))
	if b.Len()+len(quietNote)+len(counts)+len(closing) <= limit {
		b.WriteString(quietNote)
	}
	b.WriteString(counts)
	b.WriteString(closing)
}

// writeFailureDetails writes as many rows of the failures table as fit
// under limit with reserve bytes left over, and counts the rest; it writes
// nothing when not one row fits.
func writeFailureDetails(b *strings.Builder, failures []problem, msgLen, limit, reserve int) {
	head := "\n### Failure details\n\n" + mdFailureHeader
	if b.Len()+len(head)+reserve >= limit {
		return
	}
	var rows strings.Builder
	shown := 0
	for _, f := range failures {
		row := mdFailureRow(f, msgLen)
		if b.Len()+len(head)+rows.Len()+len(row)+reserve > limit {
			break
		}
		rows.WriteString(row)
		shown++
	}
	if shown == 0 {
		return
	}
	b.WriteString(head)
	b.WriteString(rows.String())
	if shown < len(failures) {
		fmt.Fprintf(b, "\n…and %d more failures (the HTML report and `plan --json` list them all).\n", len(failures)-shown)
	}
}

// writeTasks writes the task table: tasks with changes, failures or
// warnings open, cut at mdTruncated so that closingLen bytes and the rest
// of the report still fit under limit; the tasks with no changes in
// <details> (with their thumbnails at mdFull) at mdFull and
// mdQuietNoThumb, and counted otherwise.
func (m Markdown) writeTasks(b *strings.Builder, shown, quiet []*planner.TaskPlan, level, limit, msgLen, closingLen int) {
	if len(shown) > 0 {
		fmt.Fprintf(b, "\n### Tasks with changes or failures (%d)\n\n%s", len(shown), mdTaskHeader)
		reserve := closingLen + 400
		for i, t := range shown {
			row := m.taskRow(t, msgLen)
			if level >= mdTruncated && b.Len()+len(row)+reserve > limit {
				fmt.Fprintf(b, "\n…and %d more tasks with changes or failures (the HTML report and `plan --json` list them all).\n", len(shown)-i)
				break
			}
			b.WriteString(row)
		}
	}
	if len(quiet) == 0 {
		return
	}
	thumbs := countThumbs(quiet)
	if level > mdQuietNoThumb {
		fmt.Fprintf(b, "\n%s with no changes", plural.Count(len(quiet), "task"))
		if thumbs > 0 {
			fmt.Fprintf(b, " (%s left out)", plural.Count(thumbs, "thumbnail"))
		}
		b.WriteString(".\n")
		return
	}
	fmt.Fprintf(b, "\n<details><summary>%s with no changes</summary>\n\n%s", plural.Count(len(quiet), "task"), mdTaskHeader)
	for _, t := range quiet {
		b.WriteString(m.taskRow(t, msgLen))
	}
	switch {
	case thumbs > 0 && level == mdFull:
		fmt.Fprintf(b, "\n%s", mdGalleryHead)
		for _, t := range quiet {
			if cell, n := mdThumbs(t); n > 0 {
				fmt.Fprintf(b, "| %s | %s |\n", mdCode(t.Address), cell)
			}
		}
	case thumbs > 0:
		fmt.Fprintf(b, "\n%s of unchanged tasks left out to stay under the size limit (the HTML report shows them).\n", plural.Count(thumbs, "thumbnail"))
	}
	b.WriteString("\n</details>\n")
}

// writePendingChecks writes the pending checks: a table in <details> at
// mdFull and mdQuietNoThumb, a count otherwise.
func writePendingChecks(b *strings.Builder, pending []addressedCheck, level, msgLen int) {
	if len(pending) == 0 {
		return
	}
	if level > mdQuietNoThumb {
		fmt.Fprintf(b, "\n%s pending (the tasks have not finished).\n", plural.Count(len(pending), "check"))
		return
	}
	fmt.Fprintf(b, "\n<details><summary>%s pending</summary>\n\n%s", plural.Count(len(pending), "check"), mdCheckHeader)
	for _, c := range pending {
		b.WriteString(mdCheckRow(c, msgLen))
	}
	b.WriteString("\n</details>\n")
}

// countsLine counts tasks by status and checks by outcome, for the compact
// level.
func (m Markdown) countsLine(p *planner.Plan) string {
	counts := statusCounts(p)
	var parts []string
	for _, s := range statusOrder {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(s), "_", " ")))
		}
	}
	return fmt.Sprintf("%s: %s. Checks: %s. The HTML report and `plan --json` have the details.",
		plural.Count(len(p.Tasks), "task"), strings.Join(parts, ", "), checkCounts(p.Tally(), ", "))
}

// compactFailing names the failing tasks, and plan-wide failures, as a
// comma-separated list in a code block, cut with a count of the rest only
// when it cannot fit in budget bytes.
func (m Markdown) compactFailing(p *planner.Plan, failing []*planner.TaskPlan, budget int) string {
	names := make([]string, 0, len(failing)+1)
	for _, f := range p.Failures() {
		if f.Address == "" {
			names = append(names, "plan")
			break
		}
	}
	for _, t := range failing {
		names = append(names, t.Address)
	}
	fence := "```"
	for _, n := range names {
		for strings.Contains(n, fence) {
			fence += "`"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n### Failing (%d)\n\n%s\n", len(names), fence)
	overhead := b.Len() + len(fence) + 120
	line := 0
	for i, n := range names {
		sep := ""
		if i > 0 {
			sep = ", "
			if line+len(n) > 100 {
				sep = ",\n"
				line = 0
			}
		}
		if b.Len()+len(sep)+len(n)+overhead > budget {
			fmt.Fprintf(&b, "\n%s\n…and %d more failing (cut to stay under the size limit).\n", fence, len(names)-i)
			return b.String()
		}
		b.WriteString(sep + n)
		line += len(sep) + len(n)
	}
	fmt.Fprintf(&b, "\n%s\n", fence)
	return b.String()
}

// statusMarks are the marks of the status column: the status alone, never
// the verdict (the checks column has that).
var statusMarks = map[planner.Status]string{
	planner.StatusCompleted:      "✅ ",
	planner.StatusPending:        "⏳ ",
	planner.StatusFailed:         "❌ ",
	planner.StatusUnknown:        "❓ ",
	planner.StatusUnknownOutcome: "❓ ",
}

// mdStatus is a status as the task table shows it: "✅ completed".
func mdStatus(s planner.Status) string {
	return statusMarks[s] + strings.ReplaceAll(string(s), "_", " ")
}

// mdChecks is the checks column of a task: what fails it (❌), else what
// warns (⚠️), else how many checks passed and are pending.
func mdChecks(t *planner.TaskPlan) string {
	var failing, warning []string
	for _, f := range t.Failures() {
		switch f.Kind {
		case planner.FailureUnreadable:
			failing = append(failing, "unreadable")
		case planner.FailureDrift:
			failing = append(failing, "drift")
		case planner.FailureCheck:
			failing = append(failing, mdCell(string(f.Check.Name), 40))
		}
	}
	passedN, pendingN := 0, 0
	for _, c := range t.Checks {
		switch {
		case c.Warns():
			warning = append(warning, mdCell(string(c.Name), 40))
		case c.Outcome == planner.OutcomePassed:
			passedN++
		case c.Outcome == planner.OutcomePending:
			pendingN++
		}
	}
	var parts []string
	if len(failing) > 0 {
		parts = append(parts, "❌ "+strings.Join(failing, ", "))
	}
	if len(warning) > 0 {
		parts = append(parts, "⚠️ "+strings.Join(warning, ", "))
	}
	if len(parts) == 0 && passedN > 0 {
		parts = append(parts, fmt.Sprintf("✅ %d passed", passedN))
	}
	if pendingN > 0 {
		parts = append(parts, fmt.Sprintf("⏳ %d pending", pendingN))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "<br>")
}

// mdChange is one change as the task table shows it: a word-level diff
// when both sides are text, before → after otherwise.
func mdChange(c planner.Change) string {
	path := mdCode(c.Path) + ": "
	b, bok := c.Before.(string)
	a, aok := c.After.(string)
	if c.Sensitive || !bok || !aok {
		return path + mdCell(formatValue(c.Before, c.Sensitive), 60) + " → " + mdCell(formatValue(c.After, c.Sensitive), 60)
	}
	return path + mdWordDiff(b, a)
}

// taskRow is one row of the task table.
func (m Markdown) taskRow(t *planner.TaskPlan, msgLen int) string {
	images := "—"
	if len(t.Images) > 0 {
		images = fmt.Sprintf("%d/%d", succeededImages(t), len(t.Images))
	}
	var changes []string
	for i, c := range t.Changes {
		if i == mdChangesShown {
			changes = append(changes, fmt.Sprintf("+%d more", len(t.Changes)-i))
			break
		}
		changes = append(changes, mdChange(c))
	}
	ch := strings.Join(changes, "<br>")
	if ch == "" {
		ch = "—"
	}
	action := string(t.Action)
	if t.Reason != "" {
		action += ": " + mdCell(t.Reason, msgLen)
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |\n", mdCode(t.Address), action, mdStatus(t.Status), mdChecks(t), images, money(t.Cost), ch)
}

// mdCode prints s as inline code fit for a table cell.
func mdCode(s string) string {
	if strings.ContainsAny(s, "`\n\r") {
		return mdCell(s, 200)
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// mdCell escapes s for a markdown table cell: one line, no markup, no
// HTML, no @mentions, no control characters, cut to n runes.
func mdCell(s string, n int) string {
	s = truncate(termtext.Line(strings.Join(strings.Fields(s), " ")), n)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '#', '~', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '@':
			b.WriteString("&#64;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
