package render

// This file is the unified diff of `mynthform fmt --diff`.

import (
	"fmt"
	"io"
	"strings"
)

// UnifiedDiff writes what `mynthform fmt --diff` prints: the difference
// between the file name as it is (a) and as fmt formats it (b), as a
// unified diff with three lines of context.
func UnifiedDiff(w io.Writer, name string, a, b []byte) error {
	out := newErrWriter(w)
	al, bl := splitLines(a), splitLines(b)
	ops := diffLines(al, bl)
	out.printf("--- %s\n+++ %s (formatted)\n", name, name)
	const context = 3
	// Group the edit script into hunks: runs of changes with up to
	// 2*context equal lines between them.
	i := 0
	for i < len(ops) {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(0, i-context)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = run
		}
		hunk := ops[start:end]
		aStart, bStart := hunk[0].a, hunk[0].b
		var aN, bN int
		for _, op := range hunk {
			if op.kind != '+' {
				aN++
			}
			if op.kind != '-' {
				bN++
			}
		}
		out.printf("@@ -%s +%s @@\n", hunkRange(aStart, aN), hunkRange(bStart, bN))
		for _, op := range hunk {
			out.printf("%c%s\n", op.kind, op.text)
		}
		i = end
	}
	return out.flush()
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func splitLines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// diffOp is one line of an edit script: ' ' kept, '-' removed, '+' added;
// a and b are the line's index (or the insertion point) in each side.
type diffOp struct {
	kind byte
	text string
	a, b int
}

// diffLines computes a shortest edit script by longest common subsequence.
// Spec files are small; beyond a few million cells it falls back to
// replacing every line.
func diffLines(a, b []string) []diffOp {
	n, m := len(a), len(b)
	var ops []diffOp
	if n*m > 4_000_000 {
		for i, s := range a {
			ops = append(ops, diffOp{'-', s, i, 0})
		}
		for j, s := range b {
			ops = append(ops, diffOp{'+', s, n, j})
		}
		return ops
	}
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i], i, j})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, diffOp{'-', a[i], i, j})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j], i, j})
			j++
		}
	}
	return ops
}
