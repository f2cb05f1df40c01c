package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestE2EHeapFloor: the binary starts with the garbage collector's heap
// floor (package gctune), so validating a spec whose live heap stays below
// it runs no collection, where the runtime's defaults run several; a GOGC
// or GOMEMLIMIT in the environment is the user's and turns the floor off.
// The collections are counted in the runtime's own trace
// (GODEBUG=gctrace=1), one "gc N @..." line on stderr per cycle.
func TestE2EHeapFloor(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 30000 {
		fmt.Fprintf(&b, "task \"p%05d\" {\n  prompt = \"Studio photo of product p%05d\"\n  model  = \"google/gemini-3.1-flash-image\"\n  size   = \"1024x1024\"\n}\n\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cycle := regexp.MustCompile(`(?m)^gc \d+ @`)
	cycles := func(env ...string) int {
		t.Helper()
		r := runBin(t, dir, append(env, "GODEBUG=gctrace=1"), "validate")
		if r.Code != 0 {
			t.Fatalf("validate %v: code %d\n%s", env, r.Code, r.Stderr)
		}
		return len(cycle.FindAllString(r.Stderr, -1))
	}
	// Its heap peaks at about 45 MiB: 4 collections at GOGC=100 (4, 8, 16
	// and 32 MiB), none below the floor, one should it outgrow the floor.
	if n := cycles(); n > 1 {
		t.Errorf("validate of 30,000 tasks ran %d collections, want at most 1 with the %d MiB heap floor", n, heapFloor>>20)
	}
	for _, env := range []string{"GOGC=100", "GOMEMLIMIT=1GiB"} {
		if n := cycles(env); n < 3 {
			t.Errorf("with %s, validate of 30,000 tasks ran %d collections, want 3 or more: the user's setting, not the floor", env, n)
		}
	}
}
