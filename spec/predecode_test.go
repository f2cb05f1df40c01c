package spec

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/mynthform/mynthform/mynth"
)

// loadBothWays loads the spec file src parsed whole, where every task is
// decoded from its tree when the tasks are (the slow path), and cut into
// pieces, where plain literal blocks are decoded as they are parsed
// (predecode), and fails unless the two give the same tasks, the same
// printed diagnostics and the same diagnostic ranges.
func loadBothWays(t *testing.T, src string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	whole, wd := Load(dir, LoadOptions{chunkBytes: 1 << 40})
	cut, cd := Load(dir, LoadOptions{})
	if diff := cmp.Diff(printed(t, whole.Files, wd), printed(t, cut.Files, cd)); diff != "" {
		t.Fatalf("diagnostics differ (-whole +cut):\n%s\nsource:\n%s", diff, src)
	}
	if diff := cmp.Diff(subjects(wd), subjects(cd)); diff != "" {
		t.Fatalf("diagnostics' ranges differ (-whole +cut):\n%s\nsource:\n%s", diff, src)
	}
	amounts := cmp.Comparer(func(a, b mynth.Amount) bool { return a.String() == b.String() })
	if diff := cmp.Diff(whole.Tasks, cut.Tasks, amounts); diff != "" {
		t.Fatalf("tasks differ (-whole +cut):\n%s\nsource:\n%s", diff, src)
	}
}

// countPredecoded parses src as the loader does and counts the blocks
// decoded as they were parsed (by predecode or quickTask).
func countPredecoded(t *testing.T, src string) int {
	t.Helper()
	l := &loader{parser: hclparse.NewParser(), hollow: true}
	f, diags := l.parseNative([]byte(src), "main.mynth.hcl", 0)
	if diags.HasErrors() {
		return 0
	}
	return len(l.pre) + len(quickBlocks(f, diags))
}

// randomPlainBlock writes a task block in quickParse's subset whose
// attributes are literals, valid and not: what predecode takes.
func randomPlainBlock(r *rand.Rand, i int) string {
	var b strings.Builder
	name := fmt.Sprintf("t%d", i)
	switch r.IntN(20) {
	case 0:
		name = fmt.Sprintf("t%d", r.IntN(i+1)) // perhaps a duplicate
	case 1:
		name = "9lives"
	}
	fmt.Fprintf(&b, "task %q {\n", name)
	used := map[string]bool{}
	attr := func(in, name, val string) {
		if !used[in+name] {
			used[in+name] = true
			fmt.Fprintf(&b, "%s%s = %s\n", strings.Repeat("  ", 1+strings.Count(in, " ")), name, val)
		}
	}
	str := func(s ...string) string { return fmt.Sprintf("%q", pick(r, s...)) }
	for range 1 + r.IntN(7) {
		switch r.IntN(14) {
		case 0:
			attr("", "id", pick(r, `"tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"`, `"tsk_x"`, `"nope"`, "1", "null"))
		case 1, 2:
			attr("", "prompt", pick(r, `"Studio photo of a mug"`, `""`, `"  "`, "42", "true", "null", `["a"]`, `"a ${var.model}"`, `"${var.nope}"`))
		case 3:
			attr("", "model", str("google/gemini-3.1-flash-image", "", " ", "m"))
		case 4:
			attr("", "size", pick(r, `"square"`, `"1536x1024"`, `"SQUARE"`, `"enormous"`, `"0x5"`, "7"))
		case 5:
			attr("", "count", pick(r, "1", "2", "0", "101", `"3"`, `"x"`, "true", "99999999999999999999"))
		case 6:
			attr("", "files", pick(r, `["assets/a.webp"]`, `["a.webp", "b.webp"]`, `[]`, `["/etc/passwd"]`, `["x.mynth.hcl"]`, `[1]`, `"a.webp"`, `[["a"]]`, `[null]`))
		case 7:
			attr("", "ignore_changes", pick(r, `["result.images[*].url"]`, `["nope"]`, `[""]`, `[]`))
		case 8:
			attr("", pick(r, "colour", "prompts", "for-each"), str("red"))
		case 9:
			typ := pick(r, "expect", "output", "webhook", "content_rating", "prompt", "size", "bogus")
			if used["block "+typ] && r.IntN(2) == 0 {
				continue
			}
			used["block "+typ] = true
			fmt.Fprintf(&b, "  %s {\n", typ)
			for range r.IntN(4) {
				switch typ {
				case "expect":
					attr("expect ", pick(r, "status", "images", "size", "max_cost", "severity", "other"),
						pick(r, `"completed"`, `"failed"`, `"done"`, "1", "-1", "5", `"1024x1024"`, `"0.02"`, `"-1"`, `"x"`, `"warning"`, `"error"`, "0.5"))
				case "output":
					attr("output ", pick(r, "format", "quality"), pick(r, `"png"`, `"jpeg"`, "80", "101", "true"))
				case "webhook":
					attr("webhook ", pick(r, "enabled", "custom"), pick(r, "true", "false", `["https://example.com/h"]`, `["ftp://x"]`, `"x"`))
				case "content_rating":
					attr("cr ", pick(r, "enabled", "levels"), pick(r, "true", "1", `[]`, `["a", "b"]`))
				case "prompt":
					attr("prompt ", pick(r, "positive", "negative", "enhance"), pick(r, `"a cat"`, `""`, "false", "true", `"prefer_magic"`, `"x"`))
				case "size":
					attr("size ", pick(r, "type", "width", "height", "mode", "aspect_ratio", "scale", "prefer"),
						pick(r, `"resolution"`, `"aspect_ratio"`, `"auto"`, `"x"`, "1024", "0", "20000", `"4:5"`, `"45"`, `"1k"`))
				default:
					attr("bogus ", "x", "1")
				}
			}
			b.WriteString("  }\n")
		default:
			b.WriteString(pick(r, "\n", "  # a comment\n", "  // another\n"))
		}
	}
	b.WriteString("}\n\n")
	return b.String()
}

// TestPredecodeMatchesSlowPath holds predecode to the slow path on random
// plain blocks: each file of random blocks loads to the same tasks and
// diagnostics whether its blocks are decoded as they are parsed or from
// their trees once every file is parsed.
func TestPredecodeMatchesSlowPath(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 16))
	files, pre := 60, 0
	if testing.Short() || raceEnabled {
		files = 15
	}
	for f := range files {
		var b strings.Builder
		if f%2 == 0 { // what "${var.model}" refers to
			b.WriteString("variable \"model\" {\n  default = \"m\"\n}\n\n")
		}
		for i := range 1 + r.IntN(40) {
			b.WriteString(randomPlainBlock(r, i))
		}
		src := b.String()
		pre += countPredecoded(t, src)
		t.Run(fmt.Sprint(f), func(t *testing.T) { loadBothWays(t, src) })
	}
	t.Logf("%d blocks decoded as they were parsed", pre)
	if pre < files*5 {
		t.Errorf("only %d blocks were decoded as they were parsed: the test compares too little", pre)
	}
}

// FuzzPredecode holds predecode to the slow path on arbitrary task blocks,
// each loaded between two fixed ones.
func FuzzPredecode(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 16))
	for i := range 30 {
		f.Add(randomPlainBlock(r, i))
	}
	f.Fuzz(func(t *testing.T, block string) {
		src := "task \"first\" {\n  prompt = \"a\"\n  files  = [\"a.webp\"]\n}\n\n" + block + "\ntask \"last\" {\n  id = \"tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP\"\n}\n"
		if _, diags := hclparse.NewParser().ParseHCL([]byte(src), "main.mynth.hcl"); diags.HasErrors() {
			return // FuzzChunkedParse's case
		}
		loadBothWays(t, src)
	})
}
