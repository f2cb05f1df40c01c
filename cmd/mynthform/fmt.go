package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
)

const fmtUsage = "fmt [--check] [--diff] [FILES]... | fmt -"

// fmtArgs are the flags and arguments of fmt.
type fmtArgs struct {
	check bool
	diff  bool
	files []string
}

// runFmt rewrites spec and variable files in canonical form.
func runFmt(g *globals, args []string) int {
	var a fmtArgs
	fs := newFlagSet("fmt")
	fs.BoolVar(&a.check, "check", false, "write nothing; list the files that are not formatted and exit 1 if there are any")
	fs.BoolVar(&a.diff, "diff", false, "print the changes as a unified diff")
	if code, done := parseFlags(g, fs, fmtUsage, args); done {
		return code
	}
	a.files = fs.Args()
	if len(a.files) == 1 && a.files[0] == "-" {
		return fmtStdin(g, a)
	}

	paths, err := fmtTargets(g.dir, a.files)
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform fmt: %v\n", err)
		return exitError
	}
	if len(paths) == 0 && len(a.files) == 0 {
		fmt.Fprintf(g.stderr, "mynthform fmt: no *%s or *%s files in %s\n", spec.SpecSuffix, spec.VarFileSuffix, g.dir)
		return exitError
	}

	code := exitOK
	files := map[string]*hcl.File{}
	var diags hcl.Diagnostics
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(g.stderr, "mynthform fmt: %v\n", err)
			code = exitError
			continue
		}
		files[path] = &hcl.File{Bytes: src}
		out, d := spec.Format(src, path)
		diags = append(diags, d...)
		if d.HasErrors() {
			code = exitError
			continue
		}
		if bytes.Equal(src, out) {
			continue
		}
		_ = render.Reformatted{Path: path}.Render(g.stdout)
		if a.diff {
			_ = render.UnifiedDiff(g.stdout, path, src, out)
		}
		if a.check {
			code = exitError
			continue
		}
		// An existing file keeps its permissions.
		if err := atomicfile.WriteFile(path, out, 0o644); err != nil {
			fmt.Fprintf(g.stderr, "mynthform fmt: writing %s: %v\n", path, err)
			code = exitError
		}
	}
	printDiagnostics(g, files, diags)
	return code
}

// fmtStdin is `fmt -`, as `terraform fmt -`: the spec on standard input,
// the formatted spec on standard output (with --check, nothing; exit 1 when
// it is not formatted). A syntax error is a diagnostic naming <stdin>, and
// nothing is written to standard output.
func fmtStdin(g *globals, a fmtArgs) int {
	const name = "<stdin>"
	src, err := io.ReadAll(g.stdin)
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform fmt: reading standard input: %v\n", err)
		return exitError
	}
	out, diags := spec.Format(src, name)
	if diags.HasErrors() {
		printDiagnostics(g, map[string]*hcl.File{name: {Bytes: src}}, diags)
		return exitError
	}
	switch {
	case a.diff:
		if !bytes.Equal(src, out) {
			_ = render.UnifiedDiff(g.stdout, name, src, out)
		}
	case !a.check:
		if _, err := g.stdout.Write(out); err != nil {
			fmt.Fprintf(g.stderr, "mynthform fmt: writing standard output: %v\n", err)
			return exitError
		}
	}
	if a.check && !bytes.Equal(src, out) {
		return exitError
	}
	return exitOK
}

// fmtTargets lists the files fmt works on: the arguments (files, or
// directories whose spec and variable files are taken), relative to dir;
// or, with none, the spec and variable files of dir.
func fmtTargets(dir string, args []string) ([]string, error) {
	if len(args) == 0 {
		return formattableFiles(dir)
	}
	var out []string
	for _, a := range args {
		p := a
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		if st.IsDir() {
			files, err := formattableFiles(p)
			if err != nil {
				return nil, err
			}
			out = append(out, files...)
			continue
		}
		if strings.HasSuffix(p, ".json") {
			return nil, fmt.Errorf("%s: fmt formats HCL's native syntax only, not JSON", a)
		}
		// Only HCL files: another file that happens to parse (a shell
		// .env, say, named by "mynthform fmt *") must not be rewritten.
		if !strings.HasSuffix(p, ".hcl") {
			return nil, fmt.Errorf("%s: fmt formats *.hcl files only (*%s, *%s); rename the file or leave it out", a, spec.SpecSuffix, spec.VarFileSuffix)
		}
		out = append(out, p)
	}
	return out, nil
}

func formattableFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		if strings.HasSuffix(n, spec.SpecSuffix) || strings.HasSuffix(n, spec.VarFileSuffix) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}
