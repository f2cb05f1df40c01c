package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelpOneParenthesis: no flag's line in any command's --help has two
// parentheses in a row, as "(90s, 2m, ...) (default 10s)" had.
func TestHelpOneParenthesis(t *testing.T) {
	for _, c := range commands() {
		var stdout, stderr bytes.Buffer
		runWithEnv(context.Background(), []string{c.name, "--help"}, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
		for _, line := range strings.Split(stdout.String()+stderr.String(), "\n") {
			if strings.Contains(line, ") (") {
				t.Errorf("%s --help: %q", c.name, line)
			}
		}
	}
}
