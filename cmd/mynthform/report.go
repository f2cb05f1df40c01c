package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/state"
)

// readBaseState reads the base branch's state file of --compare-to (a
// path relative to the spec directory, or absolute) without locking or
// writing anything; a missing, truncated or unreadable file is an error,
// never an empty base.
func readBaseState(dir, name string) (*state.File, error) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the base state --compare-to %s: %w", name, err)
	}
	f, err := state.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("reading the base state --compare-to %s: %w", name, err)
	}
	return f, nil
}

const reportUsage = "report --format html|markdown|junit|json [-o FILE] [--compare-to STATE_FILE [--compare-files DIR]] [--target ADDR]... [--exclude ADDR]... [--refresh=false] [--parallelism N] [--var NAME=VALUE]... [--var-file FILE]..."

// reportFormats are the formats of report, by name.
var reportFormats = []string{"html", "markdown", "junit", "json"}

// reportArgs are report's flags.
type reportArgs struct {
	planArgs
	format    string
	out       string
	compareTo string
	// compareFiles is the base branch's spec directory, whose saved images
	// the HTML comparison embeds for the base side.
	compareFiles string
}

// newReportRenderer returns the renderer of a format, or nil.
func newReportRenderer(format, dir string) render.Renderer {
	switch format {
	case "html":
		return &render.HTML{Dir: dir}
	case "markdown", "md":
		return &render.Markdown{}
	case "junit", "xml":
		return render.JUnit{}
	case "json":
		return render.JSON{}
	}
	return nil
}

// runReport plans like `plan` and writes the plan as a report: an HTML
// gallery, a markdown summary for pull requests, or JUnit XML. The report
// goes to stdout, or atomically to -o FILE. The exit code is plan's: 1 when
// the plan failed (the report is written first), else 0.
func runReport(g *globals, args []string) int {
	var a reportArgs
	fs := newFlagSet("report")
	fs.StringVar(&a.format, "format", "", "the report's `FORMAT`: html, markdown, junit, or json (with --compare-to)")
	fs.StringVarP(&a.out, "out", "o", "", "write the report to `FILE` (atomically) instead of stdout")
	fs.StringVar(&a.compareTo, "compare-to", "", "compare with the base branch's state `FILE`: tasks added, replaced and removed, and the cost change (read only)")
	fs.StringVar(&a.compareFiles, "compare-files", "", "with --compare-to and html: the base branch's spec `DIR` (a checkout of it), whose saved images, checked by their sha256, show the base side when its URLs no longer load")
	a.register(fs)
	if code, done := parseFlags(g, fs, reportUsage, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(g.stderr, "mynthform report: unexpected argument %q\nUsage: mynthform %s\n", fs.Arg(0), reportUsage)
		return exitError
	}
	r := newReportRenderer(strings.ToLower(a.format), g.dir)
	if r == nil {
		if a.format != "" {
			return unknownName(g.stderr, "mynthform report", "--format", a.format, reportFormats, "mynthform report --help")
		}
		fmt.Fprintf(g.stderr, "mynthform report: --format is required; choose one of %s\nUsage: mynthform %s\n", strings.Join(reportFormats, ", "), reportUsage)
		return exitError
	}

	format := strings.ToLower(a.format)
	cr, compares := r.(render.ComparisonRenderer)
	if a.compareTo != "" && !compares {
		fmt.Fprintf(g.stderr, "mynthform report: --compare-to writes markdown, html or json, not %s\nUsage: mynthform %s\n", a.format, reportUsage)
		return exitError
	}
	if a.compareTo == "" && format == "json" {
		fmt.Fprintf(g.stderr, "mynthform report: --format json is the comparison of --compare-to; the plan as JSON is `mynthform plan --json`\nUsage: mynthform %s\n", reportUsage)
		return exitError
	}
	if a.compareFiles != "" {
		if a.compareTo == "" {
			fmt.Fprintf(g.stderr, "mynthform report: --compare-files needs --compare-to\nUsage: mynthform %s\n", reportUsage)
			return exitError
		}
		path := a.compareFiles
		if !filepath.IsAbs(path) {
			path = filepath.Join(g.dir, path)
		}
		if st, err := os.Stat(path); err != nil || !st.IsDir() {
			fmt.Fprintf(g.stderr, "mynthform report: --compare-files %s: not a directory\n", a.compareFiles)
			return exitError
		}
		if h, ok := r.(*render.HTML); ok {
			h.BaseDir = path
		}
	}
	// The base is read first, and only read: no lock, no write.
	var base *state.File
	if a.compareTo != "" {
		var err error
		if base, err = readBaseState(g.dir, a.compareTo); err != nil {
			fmt.Fprintf(g.stderr, "mynthform report: %v\n", err)
			return exitError
		}
	}

	// stdout is the report's: whatever planning prints (the emulator's
	// notice) goes to stderr.
	pg := *g
	pg.stdout = g.stderr
	p, sp, branch, _, code := computePlan(&pg, a.planArgs)
	if pg.conn != nil {
		defer pg.conn.close()
	}
	if p == nil {
		return code
	}

	var buf bytes.Buffer
	var err error
	written := render.ReportWritten{Format: a.format, Tasks: len(p.Tasks), Path: a.out}
	if base != nil {
		c := planner.Compare(base, branch, p, sensitiveFields(sp))
		err = cr.RenderComparison(&buf, c)
		written.Comparison = &c.Summary
	} else {
		err = r.Render(&buf, p)
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform report: %v\n", err)
		return exitError
	}
	if a.out == "" {
		if _, err := g.stdout.Write(buf.Bytes()); err != nil {
			fmt.Fprintf(g.stderr, "mynthform report: writing the report: %v\n", err)
			return exitError
		}
	} else {
		path := a.out
		if !filepath.IsAbs(path) {
			path = filepath.Join(g.dir, path)
		}
		err := os.MkdirAll(filepath.Dir(path), 0o755)
		if err == nil {
			err = atomicfile.WriteFile(path, buf.Bytes(), 0o644)
		}
		if err != nil {
			fmt.Fprintf(g.stderr, "mynthform report: writing %s: %v\n", a.out, err)
			return exitError
		}
		_ = written.Render(g.stderr)
	}
	if p.Failed() {
		return exitError
	}
	return exitOK
}
