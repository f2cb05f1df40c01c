package main

import "github.com/agext/levenshtein"

// suggest returns the candidate nearest to given in edit distance when it
// is at most maxDist edits away, or "" when none is that near. Of equally
// near candidates the first wins.
func suggest(given string, candidates []string, maxDist int) string {
	best, bestDist := "", maxDist+1
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean words a suggestion as the end of a message:
// "; did you mean NAME?", or "" when there is none.
func didYouMean(name string) string {
	if name == "" {
		return ""
	}
	return "; did you mean " + name + "?"
}
