package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	fmtUnformattedSpec = "task \"a\" {\nprompt=\"p\"\n  count =  2\n  model = \"m\"\n}\n"
	fmtFormattedSpec   = "task \"a\" {\n  prompt = \"p\"\n  count  = 2\n  model  = \"m\"\n}\n"
)

func readSpecTestFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFmtCheckDiffWrite(t *testing.T) {
	dir := writeSpecFiles(t, map[string]string{
		"main.mynth.hcl":    fmtUnformattedSpec,
		"ok.mynth.hcl":      fmtFormattedSpec,
		"dev.mynthvars.hcl": "model=\"x\"\n",
		"notes.txt":         "not = a spec",
	})
	main := filepath.Join(dir, "main.mynth.hcl")
	vars := filepath.Join(dir, "dev.mynthvars.hcl")

	r := runSpecCLI(t, nil, "-C", dir, "fmt", "--check")
	if r.Code != 1 || r.Stdout != vars+"\n"+main+"\n" || r.Stderr != "" {
		t.Fatalf("fmt --check: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if readSpecTestFile(t, main) != fmtUnformattedSpec {
		t.Fatal("fmt --check wrote the file")
	}

	r = runSpecCLI(t, nil, "-C", dir, "fmt", "--check", "--diff", "main.mynth.hcl")
	if r.Code != 1 {
		t.Fatalf("fmt --check --diff: exit %d", r.Code)
	}
	checkSpecGolden(t, "fmt_diff.golden", strings.ReplaceAll(r.Stdout, dir, "DIR"))

	r = runSpecCLI(t, nil, "-C", dir, "fmt")
	if r.Code != 0 || r.Stdout != vars+"\n"+main+"\n" {
		t.Fatalf("fmt: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if diff := cmp.Diff(fmtFormattedSpec, readSpecTestFile(t, main)); diff != "" {
		t.Errorf("formatted file (-want +got):\n%s", diff)
	}
	if got := readSpecTestFile(t, vars); got != "model = \"x\"\n" {
		t.Errorf("variable file: %q", got)
	}
	if got := readSpecTestFile(t, filepath.Join(dir, "notes.txt")); got != "not = a spec" {
		t.Errorf("fmt touched another file: %q", got)
	}

	r = runSpecCLI(t, nil, "-C", dir, "fmt", "--check")
	if r.Code != 0 || r.Stdout != "" || r.Stderr != "" {
		t.Errorf("fmt --check after fmt: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

func TestFmtSyntaxError(t *testing.T) {
	dir := writeSpecFiles(t, map[string]string{"bad.mynth.hcl": "task \"a\" {\n  prompt = \n}\n"})
	r := runSpecCLI(t, nil, "-C", dir, "fmt")
	if r.Code != 1 || !strings.Contains(r.Stderr, "Error: Invalid expression") || !strings.Contains(r.Stderr, "bad.mynth.hcl line 2") {
		t.Errorf("exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	if readSpecTestFile(t, filepath.Join(dir, "bad.mynth.hcl")) != "task \"a\" {\n  prompt = \n}\n" {
		t.Error("fmt rewrote a file with a syntax error")
	}
}

func TestFmtArguments(t *testing.T) {
	dir := writeSpecFiles(t, map[string]string{"main.mynth.hcl": fmtUnformattedSpec})
	tests := []struct {
		name     string
		args     []string
		wantCode int
		stderr   string
	}{
		{"missing file", []string{"fmt", "nosuch.mynth.hcl"}, 1, "nosuch.mynth.hcl"},
		{"json refused", []string{"fmt", "x.mynth.json"}, 1, "x.mynth.json"},
		{"bad flag", []string{"fmt", "--chek"}, 1, "unknown flag: --chek"},
		{"directory argument", []string{"fmt", "--check", "."}, 1, ""},
		{"other file refused", []string{"fmt", ".env"}, 1, ".env: fmt formats"},
	}
	if err := os.WriteFile(filepath.Join(dir, "x.mynth.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A shell file that happens to parse as HCL: fmt must not rewrite it
	// when it is named (as by "mynthform fmt *").
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if got := readSpecTestFile(t, filepath.Join(dir, ".env")); got != "A=1\n" {
			t.Errorf("fmt rewrote .env: %q", got)
		}
	}()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSpecCLI(t, nil, append([]string{"-C", dir}, tt.args...)...)
			if r.Code != tt.wantCode || !strings.Contains(r.Stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
			}
		})
	}
	empty := t.TempDir()
	if r := runSpecCLI(t, nil, "-C", empty, "fmt"); r.Code != 1 || !strings.Contains(r.Stderr, "no *.mynth.hcl") {
		t.Errorf("empty directory: exit %d, stderr %q", r.Code, r.Stderr)
	}
}
