package render

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestViewsDecideNoVerdict reads the source of the views and of the
// command line and fails on any place that decides for itself whether a
// check or a diagnostic fails the run: a comparison or switch on a
// Severity, an Outcome compared with OutcomeFailed, or, in cmd, a failure
// kind picked out of Plan.Failures. Those decisions belong to the plan
// model (planner/verdict.go: Check.Fails and Warns, Diagnostic.Fails,
// Plan.Failures, Plan.ChecksFail); views only format what it says.
func TestViewsDecideNoVerdict(t *testing.T) {
	dirs := map[string]bool{".": false, filepath.Join("..", "..", "cmd", "mynthform"): true}
	for dir, isCmd := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, at := range verdictDecisions(f, isCmd) {
				t.Errorf("%s: %s decides a verdict; ask the plan model (planner/verdict.go)", fset.Position(at.Pos()), at.what)
			}
		}
	}
}

// decision is a place verdictDecisions found, and what it is.
type decision struct {
	ast.Node
	what string
}

// verdictDecisions finds the decisions TestViewsDecideNoVerdict forbids in
// f; kinds also counts uses of the failure kinds (for cmd).
func verdictDecisions(f *ast.File, kinds bool) []decision {
	var out []decision
	field := func(e ast.Expr, name string) bool {
		s, ok := e.(*ast.SelectorExpr)
		return ok && s.Sel.Name == name
	}
	named := func(e ast.Expr, name string) bool {
		switch e := e.(type) {
		case *ast.SelectorExpr:
			return e.Sel.Name == name
		case *ast.Ident:
			return e.Name == name
		}
		return false
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if n.Op != token.EQL && n.Op != token.NEQ {
				return true
			}
			switch {
			case field(n.X, "Severity") || field(n.Y, "Severity"):
				out = append(out, decision{n, "a comparison of a Severity"})
			case named(n.X, "OutcomeFailed") || named(n.Y, "OutcomeFailed"):
				out = append(out, decision{n, "a comparison with OutcomeFailed"})
			}
		case *ast.SwitchStmt:
			if n.Tag != nil && field(n.Tag, "Severity") {
				out = append(out, decision{n, "a switch on a Severity"})
			}
		case *ast.CaseClause:
			for _, e := range n.List {
				if named(e, "OutcomeFailed") {
					out = append(out, decision{e, "a case of OutcomeFailed"})
				}
			}
		case *ast.SelectorExpr:
			if kinds && strings.HasPrefix(n.Sel.Name, "Failure") && named(n.X, "planner") {
				out = append(out, decision{n, "planner." + n.Sel.Name})
			}
		}
		return true
	})
	return out
}

// TestVerdictDecisionsFound proves that verdictDecisions finds each kind
// of decision it forbids, so that TestViewsDecideNoVerdict can fail.
func TestVerdictDecisionsFound(t *testing.T) {
	src := `package x
func a(d planner.Diagnostic, c planner.Check, p *planner.Plan) {
	_ = d.Severity == "error"
	_ = "warning" != c.Severity
	_ = c.Outcome == planner.OutcomeFailed
	switch c.Severity {
	}
	switch c.Outcome {
	case planner.OutcomeFailed:
	}
	for _, f := range p.Failures() {
		_ = f.Kind == planner.FailureCheck
	}
	_ = c.Fails() || d.Fails() || c.Outcome == planner.OutcomePending
}`
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range verdictDecisions(f, true) {
		got = append(got, d.what)
	}
	want := []string{
		"a comparison of a Severity", "a comparison of a Severity", "a comparison with OutcomeFailed",
		"a switch on a Severity", "a case of OutcomeFailed", "planner.FailureCheck",
	}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("found %q,\nwant %q", got, want)
	}
	if n := len(verdictDecisions(f, false)); n != len(want)-1 {
		t.Errorf("without kinds: %d decisions, want %d", n, len(want)-1)
	}
}
