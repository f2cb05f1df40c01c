package render

import (
	"strings"
	"unicode/utf8"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/internal/termtext"
)

// diffKind says whether a run of words is kept, removed or added.
type diffKind byte

const (
	diffSame diffKind = iota
	diffRemoved
	diffAdded
)

// diffRun is a run of consecutive words of one kind, joined by spaces.
type diffRun struct {
	kind  diffKind
	words []string
}

// wordDiffMaxCells bounds the LCS table of wordDiff (words × words of the
// part that differs); past it the whole differing middle is one removal
// and one addition, which is still exact, only coarser.
const wordDiffMaxCells = 1 << 20

// wordDiff is the word-level edit from a to b (words split at white
// space): runs of kept, removed and added words; the kept and removed runs
// are the words of a, the kept and added ones the words of b, and in each
// edit the removal comes first. The common start and end are found first;
// the middle is a longest common subsequence (coarse past
// wordDiffMaxCells).
func wordDiff(a, b string) []diffRun {
	at, bt := strings.Fields(a), strings.Fields(b)
	pre := 0
	for pre < len(at) && pre < len(bt) && at[pre] == bt[pre] {
		pre++
	}
	suf := 0
	for suf < len(at)-pre && suf < len(bt)-pre && at[len(at)-1-suf] == bt[len(bt)-1-suf] {
		suf++
	}
	var runs []diffRun
	add := func(k diffKind, words ...string) {
		if len(words) == 0 {
			return
		}
		if n := len(runs); n > 0 && runs[n-1].kind == k {
			runs[n-1].words = append(runs[n-1].words, words...)
			return
		}
		runs = append(runs, diffRun{k, append([]string(nil), words...)})
	}
	add(diffSame, at[:pre]...)
	am, bm := at[pre:len(at)-suf], bt[pre:len(bt)-suf]
	if len(am)*len(bm) > wordDiffMaxCells {
		add(diffRemoved, am...)
		add(diffAdded, bm...)
	} else {
		// lcs[i*w+j] is the LCS length of am[i:] and bm[j:].
		w := len(bm) + 1
		lcs := make([]int32, (len(am)+1)*w)
		for i := len(am) - 1; i >= 0; i-- {
			for j := len(bm) - 1; j >= 0; j-- {
				if am[i] == bm[j] {
					lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
				} else {
					lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(am) || j < len(bm) {
			switch {
			case i < len(am) && j < len(bm) && am[i] == bm[j]:
				add(diffSame, am[i])
				i, j = i+1, j+1
			case i < len(am) && (j == len(bm) || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
				add(diffRemoved, am[i])
				i++
			default:
				add(diffAdded, bm[j])
				j++
			}
		}
	}
	add(diffSame, at[len(at)-suf:]...)
	return runs
}

// Limits of a markdown word diff.
const (
	diffContext = 40  // runes of unchanged text kept on each side of an edit
	diffEditMax = 160 // runes of one removed or added run
	diffHunks   = 6   // edits shown; the rest are counted
)

// mdWordDiff shows the edit from before to after in markdown: removed
// words struck through (~~old~~), added words in bold (**new**), and the
// unchanged text between them trimmed to diffContext runes around each
// edit, so that a long prompt shows its edit wherever it is. The text is
// escaped as mdCell escapes it (one line, no markup of its own).
func mdWordDiff(before, after string) string {
	before = termtext.Line(strings.Join(strings.Fields(before), " "))
	after = termtext.Line(strings.Join(strings.Fields(after), " "))
	if before == after {
		return mdCell(before, diffEditMax) + " (only white space changed)"
	}
	runs := wordDiff(before, after)
	parts := make([]string, 0, len(runs))
	edits := 0
	for i, r := range runs {
		text := strings.Join(r.words, " ")
		switch r.kind {
		case diffSame:
			parts = append(parts, mdEscape(trimContext(text, i == 0, i == len(runs)-1)))
			continue
		case diffRemoved:
			edits++
		case diffAdded:
			if i == 0 || runs[i-1].kind != diffRemoved {
				edits++
			}
		}
		if edits > diffHunks {
			rest := 0
			for k, q := range runs[i:] {
				if q.kind == diffRemoved || (q.kind == diffAdded && (k == 0 || runs[i+k-1].kind != diffRemoved)) {
					rest++
				}
			}
			parts = append(parts, "… ("+plural.Count(rest, "more edit")+")")
			break
		}
		mark := "~~"
		if r.kind == diffAdded {
			mark = "**"
		}
		parts = append(parts, mark+mdEscape(truncate(text, diffEditMax))+mark)
	}
	return strings.Join(parts, " ")
}

// trimContext shortens an unchanged run to about diffContext runes of
// whole words next to the edits it touches: the end of the first run, the
// start of the last, both ends of one between two edits.
func trimContext(s string, first, last bool) string {
	if utf8.RuneCountInString(s) <= 2*diffContext+3 || first && last {
		return s
	}
	words := strings.Fields(s)
	// keep returns how many words from the start (or the end) fit in
	// diffContext runes; at least one.
	keep := func(fromEnd bool) int {
		n, size := 0, 0
		for n < len(words) {
			w := words[n]
			if fromEnd {
				w = words[len(words)-1-n]
			}
			size += utf8.RuneCountInString(w) + 1
			if n > 0 && size > diffContext {
				break
			}
			n++
		}
		return n
	}
	head := strings.Join(words[:keep(false)], " ")
	tail := strings.Join(words[len(words)-keep(true):], " ")
	switch {
	case first:
		return "… " + tail
	case last:
		return head + " …"
	}
	return head + " … " + tail
}

// mdEscape escapes text for a markdown table cell without reshaping it:
// mdCell without the whitespace folding and the cut.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '#', '~', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '@':
			b.WriteString("&#64;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
