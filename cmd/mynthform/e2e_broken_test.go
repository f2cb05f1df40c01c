package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestE2EBrokenLargeFile: validate of a 2,000-block file with one quote
// missing in block 1000 reports a handful of errors, the first on that
// line with its snippet, where hclsyntax's whole-file parse reports 5,999
// (and printing them took minutes).
func TestE2EBrokenLargeFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("mynth {\n  parallelism = 32\n}\n")
	for i := range 2000 {
		prompt := fmt.Sprintf("%q", fmt.Sprintf("Studio photo of product p%05d", i))
		if i == 1000 {
			prompt = strings.TrimSuffix(prompt, `"`)
		}
		fmt.Fprintf(&b, "\ntask \"p%05d\" {\n  id     = \"tsk_SCALE%05d\"\n  prompt = %s\n  model  = \"google/gemini-3.1-flash-image\"\n  size   = \"square\"\n}\n", i, i, prompt)
	}
	dir := t.TempDir()
	planWriteSpec(t, dir, b.String())
	r := runBin(t, dir, nil, "validate")
	if r.Code != exitError {
		t.Fatalf("validate: exit %d, want 1\n%s", r.Code, r.Stdout)
	}
	if n := strings.Count(r.Stderr, "Error: "); n < 1 || n > 10 {
		t.Fatalf("%d errors, want 1 to 10:\n%.2000s", n, r.Stderr)
	}
	first := "Error: Invalid multi-line string\n\n  on main.mynth.hcl line 7007, in task \"p01000\":\n7007:   prompt = \"Studio photo of product p01000\n"
	if !strings.HasPrefix(r.Stderr, first) {
		t.Fatalf("stderr does not begin with\n%s\ngot:\n%.1000s", first, r.Stderr)
	}
}
