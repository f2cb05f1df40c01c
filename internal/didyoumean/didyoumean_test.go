package didyoumean

import (
	"testing"

	"github.com/agext/levenshtein"
)

func TestNearest(t *testing.T) {
	commands := []string{"list", "show", "rm", "mv", "pull", "push"}
	shells := []string{"bash", "zsh", "fish", "powershell"}
	for name, tc := range map[string]struct {
		given      string
		candidates []string
		maxDist    int
		want       string
	}{
		"swap is one edit":         {"lsit", commands, 2, "list"},
		"extra letter":             {"mvv", commands, 2, "mv"},
		"missing letter":           {"bsh", shells, 2, "bash"},
		"two of four is too far":   {"tcsh", shells, 2, ""},
		"two of three is too far":  {"cup", []string{"bowl", "mug"}, 2, ""},
		"longer names allow more":  {"skecth", []string{"sketch"}, 2, "sketch"},
		"swap and a typo":          {"stauts", []string{"state", "status"}, 2, "status"},
		"maxDist caps":             {"pwrshel", shells, 2, ""},
		"maxDist caps, raised":     {"pwrshel", shells, 3, "powershell"},
		"exact":                    {"show", commands, 2, "show"},
		"nothing near":             {"frobnicate", commands, 2, ""},
		"no candidates":            {"list", nil, 2, ""},
		"first of equally near":    {"pxsh", []string{"push", "pash"}, 2, "push"},
		"nearest, not first":       {"pull", []string{"pulls", "pull"}, 2, "pull"},
		"runes, not bytes":         {"größe", []string{"grösse", "größe2"}, 2, "größe2"},
		"empty given, short names": {"", []string{"rm", "mv"}, 2, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Nearest(tc.given, tc.candidates, tc.maxDist); got != tc.want {
				t.Errorf("Nearest(%q, %q, %d) = %q, want %q", tc.given, tc.candidates, tc.maxDist, got, tc.want)
			}
		})
	}
}

// TestDistance checks Distance, and against the library hcl uses:
// Levenshtein distance counts each adjacent swap as two edits.
func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		want  int
		swaps int // adjacent swaps in the cheapest edit
	}{
		{"", "", 0, 0},
		{"", "abc", 3, 0},
		{"kitten", "sitting", 3, 0},
		{"model", "modle", 1, 1},
		{"list", "lsit", 1, 1},
		{"status", "stauts", 1, 1},
		{"tcsh", "bash", 2, 0},
		{"ca", "abc", 3, 0}, // no substring is edited twice
		{"größe", "grösse", 2, 0},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", tc.b, tc.a, got, tc.want)
		}
		if lev := levenshtein.Distance(tc.a, tc.b, nil); lev != tc.want+tc.swaps {
			t.Errorf("levenshtein.Distance(%q, %q) = %d, want %d", tc.a, tc.b, lev, tc.want+tc.swaps)
		}
	}
}
