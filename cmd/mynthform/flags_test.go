package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestUnknownFlagsSuggest: a mistyped flag gets a one-line error with the
// nearest flag, before the command or after it, and exit 1.
func TestUnknownFlagsSuggest(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--jsn"}, "mynthform plan: unknown flag: --jsn; did you mean --json?"},
		{[]string{"plan", "--targt=task.a"}, "mynthform plan: unknown flag: --targt; did you mean --target?"},
		{[]string{"apply", "--auto-aprove"}, "mynthform apply: unknown flag: --auto-aprove; did you mean --auto-approve?"},
		{[]string{"--emulater", "plan"}, "mynthform: unknown flag: --emulater; did you mean --emulator?"},
		{[]string{"plan", "--zzzzzz"}, "mynthform plan: unknown flag: --zzzzzz\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runWithEnv(context.Background(), append([]string{"-C", t.TempDir()}, tc.args...), strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			if !strings.HasPrefix(stderr.String(), tc.want) {
				t.Errorf("stderr starts %q, want %q", stderr.String(), tc.want)
			}
		})
	}
}
