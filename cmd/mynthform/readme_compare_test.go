package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEComparisonSamples: the rendered pull-request comments in the
// README and in examples/github-actions/README.md are the comparison
// golden (testdata/render/compare.md.golden) line for line, its image URLs
// replaced by the pictures in docs/compare-images/, which exist.
func TestREADMEComparisonSamples(t *testing.T) {
	root := filepath.Join("..", "..")
	golden, err := os.ReadFile(filepath.Join(root, "testdata", "render", "compare.md.golden"))
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://images.example.test/images/"
	for _, c := range []struct{ readme, images string }{
		{"README.md", "docs/compare-images/"},
		{"examples/github-actions/README.md", "../../docs/compare-images/"},
	} {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(c.readme)))
		if err != nil {
			t.Fatal(err)
		}
		first := "> **mynthform: compared with the base branch**"
		i := strings.Index(string(data), first)
		if i < 0 {
			t.Errorf("%s shows no rendered comparison comment", c.readme)
			continue
		}
		var lines []string
		for _, l := range strings.Split(string(data)[i:], "\n") {
			if l != ">" && !strings.HasPrefix(l, "> ") {
				break
			}
			lines = append(lines, strings.TrimPrefix(strings.TrimPrefix(l, ">"), " "))
		}
		got := strings.Join(lines, "\n")
		want := strings.ReplaceAll(strings.TrimRight(string(golden), "\n"), url, c.images)
		if got != want {
			t.Errorf("%s's sample comment is not compare.md.golden; copy it again:\n%s", c.readme, got)
		}
		dir := filepath.Dir(filepath.Join(root, filepath.FromSlash(c.readme)))
		for _, m := range regexp.MustCompile(`src="([^"]+)"`).FindAllStringSubmatch(got, -1) {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(m[1]))); err != nil {
				t.Errorf("%s: the sample's image %s: %v", c.readme, m[1], err)
			}
		}
	}
}
