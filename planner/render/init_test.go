package render

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestInitIsCheap holds the package's initialization to a budget of
// allocations: every command links it, and parsing the report's and the
// comparison page's templates when the program started cost 2,000
// allocations and 0.3-0.4 ms before a plan's first request (6 in the
// binary now). The test binary is run again with GODEBUG=inittrace=1,
// which reports each package's init; its count includes the test files'
// own package variables (about 90).
func TestInitIsCheap(t *testing.T) {
	if os.Getenv("RENDER_INIT_CHILD") != "" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInitIsCheap$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "RENDER_INIT_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m := regexp.MustCompile(`init github\.com/mynthform/mynthform/planner/render @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no init line for the package in:\n%s", out)
	}
	allocs, _ := strconv.Atoi(string(m[2]))
	const budget = 200
	if allocs > budget {
		t.Errorf("the package's init allocates %d times (%s bytes), budget %d: parse templates when first used", allocs, m[1], budget)
	}
	t.Logf("init: %s bytes, %d allocations", m[1], allocs)
}
