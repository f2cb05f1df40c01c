package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's quoted outputs (the fenced blocks after <!-- output: ... -->) from real runs; abridged blocks (with … lines) are left for a person")

// readmeStep is one marked command of the README: <!-- run: COMMAND -->
// runs it, <!-- output: COMMAND --> runs it and compares what it printed
// with the fenced block that follows. "# exit N" after the command says
// the exit code it must have (default 0); "in DIR: " before it runs it in
// DIR (relative to the copy of the repository) instead of at its top.
type readmeStep struct {
	line     int // 1-based line of the marker
	dir      string
	command  string
	args     []string
	wantCode int
	check    bool
	// block is the fenced block's content; first and last are the line
	// indexes (0-based) of its content in the README.
	block       []string
	first, last int
}

var readmeMarkerRE = regexp.MustCompile(`^<!-- (run|output): (?:in (\S+): )?(?:go run \./cmd/)?mynthform (.*?)(?:\s+#\s*exit (\d))? -->$`)

// readmeSteps reads the marked commands of the README lines.
func readmeSteps(t *testing.T, lines []string) []readmeStep {
	t.Helper()
	var steps []readmeStep
	for i := 0; i < len(lines); i++ {
		m := readmeMarkerRE.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			if strings.HasPrefix(strings.TrimSpace(lines[i]), "<!-- output:") || strings.HasPrefix(strings.TrimSpace(lines[i]), "<!-- run:") {
				t.Fatalf("README.md:%d: a marker this test cannot read: %s", i+1, lines[i])
			}
			continue
		}
		s := readmeStep{line: i + 1, dir: m[2], command: "mynthform " + m[3], check: m[1] == "output"}
		args, err := shellWords(m[3])
		if err != nil {
			t.Fatalf("README.md:%d: %v", i+1, err)
		}
		s.args = args
		if m[4] != "" {
			s.wantCode, _ = strconv.Atoi(m[4])
		}
		if s.check {
			j := i + 1
			if j >= len(lines) || !strings.HasPrefix(lines[j], "```") {
				t.Fatalf("README.md:%d: an output marker must be followed by a fenced block", i+1)
			}
			s.first = j + 1
			for j = s.first; j < len(lines) && !strings.HasPrefix(lines[j], "```"); j++ {
			}
			s.last = j
			s.block = lines[s.first:s.last]
			i = j
		}
		steps = append(steps, s)
	}
	return steps
}

// shellWords splits s as a shell would, for the simple quoting README
// commands use: single and double quotes, no escapes outside them.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// What differs from run to run, and how both sides are written before
// they are compared.
var readmeVolatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`\btsk_[0-9A-Z]{26}\b`), "tsk_ID"},
	{regexp.MustCompile(`\bimg_[0-9A-Z]{26}\b`), "img_ID"},
	{regexp.MustCompile(`\b[0-9a-f]{64}\b`), "SHA256"},
	{regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b`), "TIME"},
	{regexp.MustCompile(`\bin \d+(\.\d+)?(ms|s)\b`), "in T"},
	{regexp.MustCompile(`\bserial \d+\b`), "serial N"},
	// The emulator's pictures differ in size with their ids.
	{regexp.MustCompile(`\b\d+ bytes\b`), "N bytes"},
}

// normalizeOutput writes the volatile parts of lines alike and sorts each
// run of lines that start with "task." (apply's progress lines come in the
// order the tasks finish).
func normalizeOutput(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		for _, v := range readmeVolatile {
			l = v.re.ReplaceAllString(l, v.with)
		}
		out[i] = strings.TrimRight(l, " ")
	}
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && strings.HasPrefix(out[j], "task.") {
			j++
		}
		if j > i {
			slices.Sort(out[i:j])
			i = j
		} else {
			i++
		}
	}
	return out
}

// isEllipsis reports whether a README line abridges the output: a line of
// only "…" stands for any number of lines.
func isEllipsis(l string) bool { return strings.TrimSpace(l) == "…" }

// matchOutput reports whether got matches the pattern want, in which an
// ellipsis line matches any run of lines, and every other line one equal
// line.
func matchOutput(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if isEllipsis(want[0]) {
		for k := 0; k <= len(got); k++ {
			if matchOutput(want[1:], got[k:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && want[0] == got[0] && matchOutput(want[1:], got[1:])
}

// TestREADMEOutputs runs the README's marked commands in order, against
// the emulator, in a copy of examples/ and testdata/readme/ (so the state
// grows as it does for a reader following along), and checks that each
// quoted output is what the command prints (standard output, then
// standard error), up to ports, ids, hashes, times and serials, with "…"
// lines standing for lines left out. -update-readme rewrites the blocks
// that do not match and are not abridged.
func TestREADMEOutputs(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	steps := readmeSteps(t, lines)
	if checks := slices.IndexFunc(steps, func(s readmeStep) bool { return s.check }); checks < 0 {
		t.Fatal("the README marks no output to check")
	}
	root := t.TempDir()
	copyDir(t, filepath.Join("..", "..", "examples"), filepath.Join(root, "examples"))
	copyDir(t, filepath.Join("..", "..", "testdata", "readme"), filepath.Join(root, "testdata", "readme"))
	for _, junk := range []string{".mynthform", "assets", "mynth.state.json", "mynth.state.json.backup"} {
		matches, _ := filepath.Glob(filepath.Join(root, "examples", "*", junk))
		for _, m := range matches {
			os.RemoveAll(m)
		}
	}
	// stale marks the blocks -update-readme rewrites: those that do not
	// match, so that a block that matches keeps its ids and ports.
	stale := make([]bool, len(steps))
	updated := false
	results := make([]binResult, len(steps))
	for i, s := range steps {
		r := runBin(t, filepath.Join(root, filepath.FromSlash(s.dir)), nil, s.args...)
		results[i] = r
		if r.Code != s.wantCode {
			t.Errorf("README.md:%d: %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", s.line, s.command, r.Code, s.wantCode, r.Stdout, r.Stderr)
			continue
		}
		if !s.check {
			continue
		}
		got := strings.Split(strings.TrimRight(r.Stdout+r.Stderr, "\n"), "\n")
		want := s.block
		// A console block may start with the command itself.
		if len(want) > 0 && strings.HasPrefix(want[0], "$ ") {
			want = want[1:]
		}
		if matchOutput(normalizeOutput(want), normalizeOutput(got)) {
			continue
		}
		if *updateReadme && !slices.ContainsFunc(s.block, isEllipsis) {
			stale[i], updated = true, true
			continue
		}
		t.Errorf("README.md:%d: the output quoted for `%s` is not what it prints (rerun with -update-readme, or abridge with … lines):\n--- README\n%s\n--- printed\n%s",
			s.line, s.command, strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	if !updated {
		return
	}
	// Rewrite from the end, so that earlier line numbers stay right.
	for i := len(steps) - 1; i >= 0; i-- {
		s, r := steps[i], results[i]
		if !stale[i] {
			continue
		}
		got := strings.Split(strings.TrimRight(r.Stdout+r.Stderr, "\n"), "\n")
		if len(s.block) > 0 && strings.HasPrefix(s.block[0], "$ ") {
			got = append([]string{s.block[0]}, got...)
		}
		lines = slices.Concat(lines[:s.first], got, lines[s.last:])
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log("rewrote the quoted outputs of README.md")
}
