// Package didyoumean finds the name a user probably meant when they typed
// one that does not exist. It is the one measure of "near" for every "did
// you mean" mynthform prints: commands, flags and flag values on the
// command line (package main), and the names of attributes, blocks,
// variables, tasks and keys in a spec (package spec), including the
// suggestions hcl itself makes for unknown arguments and blocks, which
// package spec replaces with this package's. How a suggestion is worded
// is the caller's.
package didyoumean

// Nearest returns the candidate nearest to given in edit distance (an
// adjacent swap is one edit: "lsit" is one from "list") when it is at
// most maxDist edits away and close for its own length: one edit for up
// to four characters ("tcsh" is two from "bash", "cup" two from "mug":
// neither is suggested), then one more per two characters. Otherwise it
// returns "". Of equally near candidates the first wins.
func Nearest(given string, candidates []string, maxDist int) string {
	best, bestDist := "", maxDist+1
	for _, c := range candidates {
		d := Distance(given, c)
		if d < bestDist && d <= max(1, (len([]rune(c))-1)/2) {
			best, bestDist = c, d
		}
	}
	return best
}

// Distance is the optimal string alignment distance of a and b: the
// fewest insertions, deletions, substitutions and swaps of adjacent runes
// that turn one into the other, no substring edited twice.
//
// It is not plain Levenshtein distance (as github.com/agext/levenshtein,
// which hcl uses, computes): under that a swapped pair costs two, so
// "lsit" is as far from "list" as "tcsh" is from "bash", and no length
// rule can suggest the one and not the other.
func Distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}
