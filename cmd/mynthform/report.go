package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/planner/render"
)

const reportUsage = "report --format html|markdown|junit [-o FILE] [--target ADDR]... [--exclude ADDR]... [--refresh=false] [--parallelism N] [--var NAME=VALUE]... [--var-file FILE]..."

// reportFormats are the formats of report, by name.
var reportFormats = []string{"html", "markdown", "junit"}

// reportArgs are report's flags.
type reportArgs struct {
	planArgs
	format string
	out    string
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
	fs.StringVar(&a.format, "format", "", "the report's `FORMAT`: html, markdown or junit")
	fs.StringVarP(&a.out, "out", "o", "", "write the report to `FILE` (atomically) instead of stdout")
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
		msg := "--format is required"
		if a.format != "" {
			msg = fmt.Sprintf("unknown --format %q", a.format)
			if s := suggest(strings.ToLower(a.format), reportFormats, 2); s != "" {
				msg += " (did you mean " + s + "?)"
			}
		}
		fmt.Fprintf(g.stderr, "mynthform report: %s; choose one of %s\nUsage: mynthform %s\n", msg, strings.Join(reportFormats, ", "), reportUsage)
		return exitError
	}

	// stdout is the report's: whatever planning prints (the emulator's
	// notice) goes to stderr.
	pg := *g
	pg.stdout = g.stderr
	p, _, _, code := computePlan(&pg, a.planArgs)
	if pg.conn != nil {
		defer pg.conn.close()
	}
	if p == nil {
		return code
	}

	var buf bytes.Buffer
	if err := r.Render(&buf, p); err != nil {
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
		fmt.Fprintf(g.stderr, "Wrote the %s report of %d tasks to %s.\n", a.format, len(p.Tasks), a.out)
	}
	if p.Failed() {
		return exitError
	}
	return exitOK
}
