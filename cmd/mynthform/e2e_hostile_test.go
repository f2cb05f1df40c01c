package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes files (name → content) into a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBinaryDeepNestingIsADiagnostic: 100,000 nested parentheses in a spec
// and 120 KB of brackets in a MYNTH_VAR_ value killed validate with a
// fatal stack overflow (exit code 2, a goroutine dump); they are an error
// diagnostic at the line, with a short snippet.
func TestBinaryDeepNestingIsADiagnostic(t *testing.T) {
	parens := strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)
	brackets := strings.Repeat("[", 60000) + strings.Repeat("]", 60000)
	tests := []struct {
		name  string
		files map[string]string
		env   []string
		want  []string
	}{
		{"spec file", map[string]string{"main.mynth.hcl": "task \"a\" {\n  prompt = \"p\"\n  count  = " + parens + "\n}\n"}, nil,
			[]string{"Error: Nested too deeply", "main.mynth.hcl line 3"}},
		{"MYNTH_VAR_", map[string]string{"main.mynth.hcl": "variable \"sizes\" {\n  type    = list(any)\n  default = []\n}\ntask \"a\" {\n  prompt = \"p\"\n}\n"},
			[]string{"MYNTH_VAR_sizes=" + brackets}, []string{"Error: Value nested too deeply", "MYNTH_VAR_sizes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBin(t, writeFiles(t, tt.files), tt.env, "validate")
			if r.Code != exitError {
				t.Fatalf("exit code %d, want %d; stderr:\n%.2000s", r.Code, exitError, r.Stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%.2000s", w, r.Stderr)
				}
			}
			if len(r.Stderr) > 4000 {
				t.Errorf("stderr is %d bytes; the snippet should stop at the refused opening", len(r.Stderr))
			}
		})
	}
}
