package render

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMDWordDiff(t *testing.T) {
	long := strings.Repeat("soft studio light with gentle shadows and ", 12)
	tests := map[string]struct {
		before, after string
		want          string
	}{
		// The example: the edit was cut off after the shared start.
		"inserted word": {
			"Studio photo of a tall black vase, front view",
			"Studio photo of a tall matte black vase, front view",
			"Studio photo of a tall **matte** black vase, front view",
		},
		"replaced words": {
			"Retro travel poster of Porto",
			"Retro travel poster of Lisbon, bold flat colours",
			"Retro travel poster of ~~Porto~~ **Lisbon, bold flat colours**",
		},
		"removed word": {"a red fox in snow", "a fox in snow", "a ~~red~~ fox in snow"},
		"two edits":    {"a red fox in deep snow", "a grey fox in snow", "a ~~red~~ **grey** fox in ~~deep~~ snow"},
		"all new":      {"cat", "dog", "~~cat~~ **dog**"},
		"from empty":   {"", "a new prompt", "**a new prompt**"},
		"markup is escaped": {
			"a *bold* <b>cat</b> @team",
			"a *bold* <b>dog</b> @team",
			`a \*bold\* ~~&lt;b&gt;cat&lt;/b&gt;~~ **&lt;b&gt;dog&lt;/b&gt;** &#64;team`,
		},
		"newlines fold":   {"line one\nline two", "line one\nline 2", "line one line ~~two~~ **2**"},
		"only whitespace": {"a  b", "a b", "a b (only white space changed)"},
		// A long prompt edited at its end: the edit is shown, the start is
		// trimmed.
		"edit at the end of a long text": {
			long + "on a wooden table",
			long + "on a marble table",
			"… light with gentle shadows and on a ~~wooden~~ **marble** table",
		},
		"edit in the middle of a long text": {
			long + "MIDDLE " + long,
			long + "CENTRE " + long,
			"… studio light with gentle shadows and ~~MIDDLE~~ **CENTRE** soft studio light with gentle shadows …",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, mdWordDiff(tc.before, tc.after)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestWordDiffReconstructs diffs random word sequences and checks that
// the kept and removed runs give the first back, the kept and added runs
// the second, and that no removal follows an addition directly.
func TestWordDiffReconstructs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := []string{"a", "b", "c", "d", "fox", "red", "snow"}
	words := func() string {
		n := rng.IntN(12)
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[rng.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	for range 2000 {
		a, b := words(), words()
		runs := wordDiff(a, b)
		var gotA, gotB []string
		for i, r := range runs {
			if len(r.words) == 0 {
				t.Fatalf("%q → %q: an empty run", a, b)
			}
			if i > 0 && runs[i-1].kind == r.kind {
				t.Fatalf("%q → %q: two runs of one kind in a row", a, b)
			}
			if i > 0 && r.kind == diffRemoved && runs[i-1].kind == diffAdded {
				t.Fatalf("%q → %q: a removal after an addition", a, b)
			}
			if r.kind != diffAdded {
				gotA = append(gotA, r.words...)
			}
			if r.kind != diffRemoved {
				gotB = append(gotB, r.words...)
			}
		}
		if strings.Join(gotA, " ") != a || strings.Join(gotB, " ") != b {
			t.Fatalf("%q → %q: runs give back %q → %q", a, b, strings.Join(gotA, " "), strings.Join(gotB, " "))
		}
	}
}

// TestWordDiffLargeIsBounded diffs two long, different texts: past the LCS
// bound the middle is one removal and one addition, quickly.
func TestWordDiffLargeIsBounded(t *testing.T) {
	a := strings.Repeat("alpha beta ", 3000)
	b := strings.Repeat("beta gamma ", 3000)
	runs := wordDiff(a, b)
	if len(runs) != 2 || runs[0].kind != diffRemoved || runs[1].kind != diffAdded {
		t.Fatalf("%d runs, want one removal and one addition", len(runs))
	}
	if out := mdWordDiff(a, b); len(out) > 2*diffEditMax*4 {
		t.Errorf("the cell is %d bytes", len(out))
	}
}
