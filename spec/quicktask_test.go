package spec

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/mynthform/mynthform/mynth"
)

// checkQuickTask fails unless quickTask either refuses piece or gives
// what the general path gives it: quickParse's header ranges and piece
// end, the header the file's Nav names it by, predecode's Task with no
// diagnostic, and the same task id for Early. It reports whether
// quickTask took the piece.
func checkQuickTask(t *testing.T, piece string) bool {
	t.Helper()
	const filename = "main.mynth.hcl"
	start := hcl.Pos{Line: 7, Column: 1, Byte: 120}
	sizes := newPresetSizes()
	q, eof, ok := quickTask([]byte(piece), func() string { return piece }, 0, filename, start, sizes)
	if !ok {
		return false
	}
	if sz := q.task.Request.Size; sz != nil {
		if i := slices.Index(mynth.SizePresets, sz.Preset); i >= 0 && &sizes[i] != sz {
			t.Fatalf("the preset size %q is not the Load's", sz.Preset)
		}
	}
	want, ok := quickParse([]byte(piece), filename, start)
	if !ok {
		t.Fatalf("quickTask takes a piece quickParse refuses:\n%s", piece)
	}
	var wantIDs, gotIDs []string
	(&Early{TaskID: func(a, id string) { wantIDs = append(wantIDs, a+" "+id) }}).tellTaskIDs(want)
	(&Early{TaskID: func(a, id string) { gotIDs = append(gotIDs, a+" "+id) }}).tellTaskID(q.task.Address, q.task.ID)
	if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
		t.Fatalf("task ids told differ (-general +quickTask):\n%s\nsource:\n%s", diff, piece)
	}
	wb := want.Blocks[0]
	if !hollowable(wb) {
		t.Fatalf("quickTask takes a block predecode would not see:\n%s", piece)
	}
	l := &loader{parser: hclparse.NewParser(), hollow: true}
	wp := l.predecode(wb)
	if wp == nil {
		t.Fatalf("quickTask takes a block predecode refuses:\n%s", piece)
	}
	if len(wp.block)+len(wp.inst) > 0 {
		t.Fatalf("quickTask takes a block whose decoding reports %v:\n%s", append(wp.block, wp.inst...), piece)
	}
	// What the loader keeps of the block, against the tree's.
	type header struct {
		Label           string
		LabelRange, Def hcl.Range
		BlockEnd        int
		PieceEnd        hcl.Pos
		Header          string
	}
	if wb.Range().Start != wb.DefRange().Start {
		t.Fatalf("the block's range %v and its DefRange %v start apart", wb.Range(), wb.DefRange())
	}
	wantHeader := header{wb.Labels[0], wb.LabelRanges[0], wb.DefRange(), wb.Range().End.Byte, want.SrcRange.End, blockHeader(wb)}
	if want.EndRange != (hcl.Range{Filename: filename, Start: want.SrcRange.End, End: want.SrcRange.End}) {
		t.Fatalf("quickParse's body ends at %v, its EndRange is %v", want.SrcRange.End, want.EndRange)
	}
	gotHeader := header{q.task.Name, quickLabelRange(q.task), q.task.DeclRange, q.end, eof, quickHeader(q.task.Name)}
	if diff := cmp.Diff(wantHeader, gotHeader); diff != "" {
		t.Fatalf("headers differ (-quickParse +quickTask):\n%s\nsource:\n%s", diff, piece)
	}
	amounts := cmp.Comparer(func(a, b mynth.Amount) bool { return a.String() == b.String() })
	if diff := cmp.Diff(wp.task, q.task, amounts); diff != "" {
		t.Fatalf("tasks differ (-predecode +quickTask):\n%s\nsource:\n%s", diff, piece)
	}
	return true
}

// randomQuickBlock writes a task block near quickTask's subset: mostly
// in it, with values decoding refuses, attributes and layouts it leaves
// to the general path, and text that is not ASCII.
func randomQuickBlock(r *rand.Rand, i int) string {
	var b strings.Builder
	name := fmt.Sprintf("t%d", i)
	if r.IntN(30) == 0 {
		name = pick(r, "9lives", "a b", "", "x.y", "é")
	}
	fmt.Fprintf(&b, "task%s%q%s{%s\n", pick(r, " ", " ", "  ", ""), name, pick(r, " ", " ", "  ", ""), pick(r, "", "", " ", " # c", " // c"))
	sp := func() string { return pick(r, " ", " ", " ", "  ", "") }
	// str is one of good, quoted, most of the time, else one of bad
	// or a value of the wrong kind.
	str := func(good, bad []string) string {
		switch r.IntN(16) {
		case 0:
			return pick(r, `""`, `"  "`, "1", "true", "null", `"a\"b"`, `"${var.x}"`, `"$x"`, `"100%"`, `["a"]`)
		case 1, 2:
			return fmt.Sprintf("%q", pick(r, bad...))
		}
		return fmt.Sprintf("%q", pick(r, good...))
	}
	rare := func(n int) bool { return r.IntN(n) == 0 }
	count := 1 + r.IntN(3)
	lines := []string{}
	attrs := r.Perm(6)[:1+r.IntN(6)]
	if !rare(10) && !slices.Contains(attrs, qaPrompt) && !slices.Contains(attrs, qaID) {
		attrs = append(attrs, qaPrompt)
	}
	if !slices.Contains(attrs, qaCount) {
		count = 1
	}
	for _, k := range attrs {
		var v string
		name := quickAttrNames[k]
		switch k {
		case qaCount:
			v = fmt.Sprint(count)
			if rare(8) {
				v = pick(r, "0", "101", "007", "1.5", "-1", `"2"`, "99999999999999999999", "100", "3x")
			}
		case qaFiles:
			n := count
			if rare(8) {
				n = r.IntN(4)
			}
			var fs []string
			for j := range n {
				p := fmt.Sprintf("out/%d-%d.png", i, j)
				if rare(10) {
					p = pick(r, "/abs.png", "a.mynth.hcl", ".git/x", "dir/", "ü/photo.webp")
				}
				fs = append(fs, fmt.Sprintf("%q", p))
			}
			v = "[" + strings.Join(fs, pick(r, ", ", ",", ",\n    ")) + pick(r, "", "", ",") + "]"
			if rare(6) {
				v = "[\n    " + strings.Join(fs, ",\n    ") + ",\n  ]"
			}
		case qaID:
			v = str([]string{"tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP", fmt.Sprintf("tsk_SCALE%05d", i)}, []string{"tsk_", "nope", "tsk_a b"})
		case qaModel:
			v = str([]string{"google/gemini-3.1-flash-image", "m", "modèle"}, []string{" ", ""})
		case qaPrompt:
			v = str([]string{"Studio photo of a mug", "café au lait", "cafe\u0301", "👩‍👩‍👧 family", " x ", strings.Repeat("a", MaxPromptLength), strings.Repeat("e\u0301", MaxPromptLength)},
				[]string{strings.Repeat("é", MaxPromptLength+1), "\t", " ", "a\nb"})
		case qaSize:
			v = str([]string{"square", "SQUARE", "1536x1024", "landscape", "1024X768"}, []string{"0x5", "enormous"})
		}
		lines = append(lines, fmt.Sprintf("  %s%s=%s%s%s\n", name, sp(), sp(), v, pick(r, "", "", " ", " # note", " // note")))
	}
	switch r.IntN(15) {
	case 0:
		lines = append(lines, "  ignore_changes = [\"result.images[*].url\"]\n")
	case 1:
		lines = append(lines, "  expect {\n    status = \"completed\"\n  }\n")
	case 2:
		lines = append(lines, "  prompt = \"again\"\n")
	case 3:
		lines = append(lines, "  count == 2\n")
	case 4:
		lines = append(lines, "\n  # a comment\n\n")
	}
	r.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	for _, l := range lines {
		b.WriteString(l)
	}
	end := pick(r, "\n", "\n\n", " \n", "\n# after\n\n", "\n", "")
	if rare(20) {
		end = pick(r, " x\n", "\n\t\n", "\r\n")
	}
	b.WriteString("}" + end)
	return b.String()
}

// TestQuickTaskMatchesPredecode holds quickTask to the general path on
// random blocks near its subset, and checks that it takes enough of them
// for the comparison to mean something.
func TestQuickTaskMatchesPredecode(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 16))
	n, took := 3000, 0
	if raceEnabled {
		n = 500
	}
	for i := range n {
		if checkQuickTask(t, randomQuickBlock(r, i)) {
			took++
		}
	}
	t.Logf("quickTask took %d of %d blocks", took, n)
	if took < n/8 || took > n*9/10 {
		t.Errorf("quickTask took %d of %d blocks: the test compares too little", took, n)
	}
	for _, piece := range []string{
		"task \"a\" {\n  prompt = \"p\"\n}\n",
		"task \"a\" {\n  id = \"tsk_x\"\n}",
		"task \"a\" {\n  prompt = \"p\"\n  count = 2\n  files = [\"a.png\", \"b.png\"]\n}\n",
		"task \"a\" {\n  prompt = \"🙂\"\n  size = \"1024x768\"\n}\n",
	} {
		if !checkQuickTask(t, piece) {
			t.Errorf("quickTask refuses a plain block:\n%s", piece)
		}
	}
	for _, piece := range []string{
		"task \"a\" {\n  prompt = \"p\"\n  prompt = \"q\"\n}\n",
		"task \"a\" {\n  model = \"m\"\n}\n",
		"task \"a\" {\n  prompt = \"p\"\n  files = []\n}\n",
		"task \"a\" \"b\" {\n  prompt = \"p\"\n}\n",
		"task \"a\" { prompt = \"p\" }\n",
		"task \"a\" {\n  prompt = \"p\"\n}\ntask \"b\" {\n  prompt = \"p\"\n}\n",
	} {
		if checkQuickTask(t, piece) {
			t.Errorf("quickTask takes a block it must leave to the general path:\n%s", piece)
		}
	}
}

// TestQuickTaskMatchesSlowPath loads files of random blocks near
// quickTask's subset both ways (loadBothWays): cut, where quickTask
// decodes what it takes, and whole, where every block goes through its
// tree.
func TestQuickTaskMatchesSlowPath(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 16))
	files := 30
	if testing.Short() || raceEnabled {
		files = 8
	}
	for f := range files {
		var b strings.Builder
		for i := range 1 + r.IntN(40) {
			b.WriteString(randomQuickBlock(r, i))
			b.WriteString("\n")
		}
		src := b.String()
		t.Run(fmt.Sprint(f), func(t *testing.T) { loadBothWays(t, src) })
	}
}

// TestQuickTaskDeclarations loads, cut and whole (loadBothWays), blocks
// that quickTask decodes among blocks it leaves to the general path, with
// names declared twice either way round and ids and files given twice:
// the order of the declarations, the diagnostics and their ranges, and
// the blocks the printer names in them ("in task ...") are the same.
func TestQuickTaskDeclarations(t *testing.T) {
	src := `task "a" {
  prompt = "p"
  id     = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
}

task"b" {
  prompt = "p"
  files  = ["out/b.png"]
}

task "a" {
  prompt = "again"
  expect {
    status = "completed"
  }
}

task  "c" {
  prompt = "p"
  expect {
    max_cost = "0.02"
  }
}

# between

task "c" {
  prompt = "quick, but second"
}

task "d" {
  id    = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
  files = ["out/b.png"]
}

task "b" {
  prompt = "p ${upper("x")}"
}

task "e" {
  prompt = "last"
}`
	loadBothWays(t, src)
	dir := specDir(t, src)
	sp, diags := Load(dir, LoadOptions{})
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary)
	}
	want := []string{"Duplicate task address", "Duplicate task address", "Task id pinned twice", "Two images saved to one file", "Duplicate task address"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("diagnostics (-want +got):\n%s\n%s", diff, diagText(diags))
	}
	var addrs []string
	for _, task := range sp.Tasks {
		prompt := ""
		if task.Request.Prompt != nil {
			prompt = task.Request.Prompt.Positive
		}
		addrs = append(addrs, task.Address+" "+prompt)
	}
	if diff := cmp.Diff([]string{"task.a p", "task.b p", "task.c p", "task.d ", "task.e last"}, addrs); diff != "" {
		t.Fatalf("tasks (-want +got):\n%s", diff)
	}
	if n := countPredecoded(t, src); n != 7 {
		t.Errorf("%d blocks decoded as parsed, want 7", n)
	}
}

// FuzzQuickTask holds quickTask to the general path on arbitrary pieces.
func FuzzQuickTask(f *testing.F) {
	r := rand.New(rand.NewPCG(8, 16))
	for i := range 40 {
		f.Add(randomQuickBlock(r, i))
	}
	f.Fuzz(func(t *testing.T, piece string) {
		checkQuickTask(t, piece)
	})
}

// TestHeaderNavMatchesHCL holds the Nav of a file loaded in pieces, where
// quickTask decodes most blocks, to hclsyntax's navigation of the file
// parsed whole, at every offset: the header and the definition range of
// the block around it.
func TestHeaderNavMatchesHCL(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 16))
	var b strings.Builder
	b.WriteString("# a spec\n\nvariable \"x\" {\n  default = \"y\"\n}\n\n")
	for i := range 60 {
		block := randomQuickBlock(r, i)
		if _, d := hclsyntax.ParseConfig([]byte(block), "b.hcl", hcl.InitialPos); d.HasErrors() {
			continue // a file that does not parse is parsed whole
		}
		b.WriteString(block)
		b.WriteString(pick(r, "\n", "\n# between\n\n", "\n\n"))
	}
	src := b.String()
	dir := specDir(t, src)
	sp, _ := Load(dir, LoadOptions{}) // the blocks may not decode: the Nav is the file's all the same
	var cut *hcl.File
	for _, f := range sp.Files {
		cut = f
	}
	if _, ok := cut.Nav.(headerNav); !ok || len(cut.Nav.(headerNav).quick) == 0 {
		t.Fatalf("the file's Nav is %T, with no block quickTask decoded", cut.Nav)
	}
	whole, wd := hclparse.NewParser().ParseHCL([]byte(src), filepath.Join(dir, "main.mynth.hcl"))
	if wd.HasErrors() {
		t.Fatal(wd)
	}
	type navigator interface {
		ContextString(int) string
		ContextDefRange(int) hcl.Range
	}
	want, got := whole.Nav.(navigator), cut.Nav.(navigator)
	for off := -1; off <= len(src); off++ {
		if w, g := want.ContextString(off), got.ContextString(off); w != g {
			t.Fatalf("offset %d: ContextString %q, hclsyntax's %q", off, g, w)
		}
		if w, g := want.ContextDefRange(off), got.ContextDefRange(off); w != g {
			t.Fatalf("offset %d: ContextDefRange %v, hclsyntax's %v", off, g, w)
		}
	}
}
