package main

import (
	"bytes"
	"fmt"
	"io"
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// diagnosticWriter prints diagnostics with source snippets exactly as
// hcl.NewDiagnosticTextWriter does, in time that does not grow with the
// size of the file. hcl's writer finds a snippet's lines by scanning its
// file from the first byte, grapheme by grapheme, for every diagnostic:
// about 40 ms per diagnostic on a 100 KB file, so a broken file of
// thousands of blocks took minutes to report. This one indexes each
// file's lines once and reads only the lines it prints; everything after
// the snippet (the values of the expression's variables, the wrapped
// detail) is hcl's own writer's text, asked for without the file.
type diagnosticWriter struct {
	wr    io.Writer
	files map[string]*hcl.File
	width uint
	color bool
	lines map[string]*lineIndex
}

// newDiagnosticWriter returns a writer of diagnostics to wr, with the
// source snippets of files, the detail wrapped to width.
func newDiagnosticWriter(wr io.Writer, files map[string]*hcl.File, width uint, color bool) *diagnosticWriter {
	return &diagnosticWriter{wr: wr, files: files, width: width, color: color, lines: map[string]*lineIndex{}}
}

// WriteDiagnostics writes each of diags.
func (w *diagnosticWriter) WriteDiagnostics(diags hcl.Diagnostics) error {
	for _, d := range diags {
		if err := w.WriteDiagnostic(d); err != nil {
			return err
		}
	}
	return nil
}

// WriteDiagnostic writes d: what hcl's text writer writes for it.
func (w *diagnosticWriter) WriteDiagnostic(d *hcl.Diagnostic) error {
	if d == nil || d.Subject == nil {
		return hcl.NewDiagnosticTextWriter(w.wr, nil, w.width, w.color).WriteDiagnostic(d)
	}
	file := w.files[d.Subject.Filename]
	if file == nil || file.Bytes == nil {
		return hcl.NewDiagnosticTextWriter(w.wr, nil, w.width, w.color).WriteDiagnostic(d)
	}
	if d.Subject.End.Byte < d.Subject.Start.Byte || d.Context != nil && d.Context.End.Byte < d.Context.Start.Byte {
		// A range that ends before it starts may overlap lines anywhere
		// in hcl's arithmetic: let hcl scan for them.
		return hcl.NewDiagnosticTextWriter(w.wr, w.files, w.width, w.color).WriteDiagnostic(d)
	}
	// hcl's writer without the file prints the header, a line saying the
	// source is not available, then the tail: cut that line out and put
	// the location and snippet in its place.
	var full, bare bytes.Buffer
	plain := *d
	plain.Expression, plain.EvalContext, plain.Detail = nil, nil, ""
	if err := hcl.NewDiagnosticTextWriter(&full, nil, w.width, w.color).WriteDiagnostic(d); err != nil {
		return err
	}
	if err := hcl.NewDiagnosticTextWriter(&bare, nil, w.width, w.color).WriteDiagnostic(&plain); err != nil {
		return err
	}
	missing := fmt.Sprintf("  on %s line %d:\n  (source code not available)\n\n", d.Subject.Filename, d.Subject.Start.Line)
	head, ok := bytes.CutSuffix(bare.Bytes(), []byte(missing))
	tail, ok2 := bytes.CutPrefix(full.Bytes(), bare.Bytes())
	if !ok || !ok2 { // not the text this writer knows: let hcl print it
		return hcl.NewDiagnosticTextWriter(w.wr, w.files, w.width, w.color).WriteDiagnostic(d)
	}
	var b bytes.Buffer
	b.Write(head)
	w.snippet(&b, d, file)
	b.Write(tail)
	if _, err := w.wr.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write failed: %w", err)
	}
	return nil
}

// snippet writes the location line of d and the lines of file its
// subject and context cover, the subject highlighted, as hcl's writer
// does.
func (w *diagnosticWriter) snippet(b *bytes.Buffer, d *hcl.Diagnostic, file *hcl.File) {
	var highlightCode, resetCode string
	if w.color {
		highlightCode, resetCode = "\x1b[1;4m", "\x1b[0m"
	}
	snipRange := *d.Subject
	highlightRange := snipRange
	if d.Context != nil {
		snipRange = hcl.RangeOver(snipRange, *d.Context)
	}
	if snipRange.Empty() {
		snipRange.End.Byte++
		snipRange.End.Column++
	}
	if highlightRange.Empty() {
		highlightRange.End.Byte++
		highlightRange.End.Column++
	}
	context := ""
	if cs, ok := file.Nav.(interface{ ContextString(int) string }); ok {
		if s := cs.ContextString(d.Subject.Start.Byte); s != "" {
			context = ", in " + s
		}
	}
	fmt.Fprintf(b, "  on %s line %d%s:\n", d.Subject.Filename, d.Subject.Start.Line, context)

	src := file.Bytes
	idx := w.lines[d.Subject.Filename]
	if idx == nil {
		idx = newLineIndex(src)
		w.lines[d.Subject.Filename] = idx
	}
	// A line overlaps the snippet only if it starts at or before the
	// snippet's end and ends at or after its start.
	first := sort.Search(len(idx.start), func(i int) bool { return idx.end(i, src) >= snipRange.Start.Byte }) - 1
	first = max(first, 0)
	for i := first; i < len(idx.start) && idx.start[i] <= snipRange.End.Byte; i++ {
		lineRange := hcl.Range{
			Filename: d.Subject.Filename,
			Start:    hcl.Pos{Line: idx.line[i], Byte: idx.start[i]},
			End:      hcl.Pos{Line: idx.line[i], Byte: idx.end(i, src)},
		}
		if !lineRange.Overlaps(snipRange) {
			continue
		}
		before, highlighted, after := lineRange.PartitionAround(highlightRange)
		if highlighted.Empty() {
			fmt.Fprintf(b, "%4d: %s\n", idx.line[i], lineRange.SliceBytes(src))
			continue
		}
		fmt.Fprintf(b, "%4d: %s%s%s%s%s\n", idx.line[i],
			before.SliceBytes(src), highlightCode, highlighted.SliceBytes(src), resetCode, after.SliceBytes(src))
	}
	b.WriteByte('\n')
}

// lineIndex holds where each line of a file starts, as hcl's range
// scanner splits lines (bufio.ScanLines), and the line number that
// scanner gives it: it counts a carriage return not followed by a
// newline as a line break too.
type lineIndex struct {
	start []int
	line  []int
}

func newLineIndex(src []byte) *lineIndex {
	idx := &lineIndex{}
	line := 1
	for i := 0; i < len(src); {
		idx.start = append(idx.start, i)
		idx.line = append(idx.line, line)
		j := bytes.IndexByte(src[i:], '\n')
		end := len(src)
		if j >= 0 {
			end = i + j + 1
		}
		line += bytes.Count(src[i:end], []byte{'\r'}) - bytes.Count(src[i:end], []byte("\r\n"))
		if j >= 0 {
			line++
		}
		i = end
	}
	return idx
}

// end is the offset just past line i's text: before its newline, and
// before the carriage return in front of that newline (or at the end of
// the file).
func (idx *lineIndex) end(i int, src []byte) int {
	e := len(src)
	if i+1 < len(idx.start) {
		e = idx.start[i+1]
	}
	if e > idx.start[i] && src[e-1] == '\n' {
		e--
	}
	if e > idx.start[i] && src[e-1] == '\r' {
		e--
	}
	return e
}
