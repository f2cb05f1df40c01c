package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestUnknownValuesAlike: every flag or argument with enumerated values
// refuses an unknown one with the same two lines: the one-line error, with
// a suggestion only when one is close, and where the list is. Nothing goes
// to stdout and the exit code is 1.
func TestUnknownValuesAlike(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"report", "--format", "htm"}, "mynthform report: unknown --format \"htm\"; did you mean \"html\"?\nRun 'mynthform report --help' for the list.\n"},
		{[]string{"report", "--format", "pdf"}, "mynthform report: unknown --format \"pdf\"\nRun 'mynthform report --help' for the list.\n"},
		{[]string{"graph", "--format", "mermiad"}, "mynthform graph: unknown --format \"mermiad\"; did you mean \"mermaid\"?\nRun 'mynthform graph --help' for the list.\n"},
		{[]string{"graph", "--format", "svg"}, "mynthform graph: unknown --format \"svg\"\nRun 'mynthform graph --help' for the list.\n"},
		{[]string{"completion", "bsh"}, "mynthform completion: unknown shell \"bsh\"; did you mean \"bash\"?\nRun 'mynthform completion --help' for the list.\n"},
		{[]string{"completion", "tcsh"}, "mynthform completion: unknown shell \"tcsh\"\nRun 'mynthform completion --help' for the list.\n"},
		{[]string{"emulator", "--addr", "127.0.0.1:0", "--fault-kinds", "500,dropp"}, "mynthform emulator: unknown --fault-kinds \"dropp\"; did you mean \"drop\"?\nRun 'mynthform emulator --help' for the list.\n"},
		{[]string{"emulator", "--addr", "127.0.0.1:0", "--fault-kinds", "boom"}, "mynthform emulator: unknown --fault-kinds \"boom\"\nRun 'mynthform emulator --help' for the list.\n"},
		{[]string{"emulator", "--addr", "127.0.0.1:0", "--endpoint-fault-rate", "generat=0.5"}, "mynthform emulator: unknown --endpoint-fault-rate endpoint \"generat\"; did you mean \"generate\"?\nRun 'mynthform emulator --help' for the list.\n"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runWithEnv(context.Background(), append([]string{"-C", t.TempDir()}, tc.args...),
				strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			if code != exitError || stdout.Len() != 0 || stderr.String() != tc.want {
				t.Errorf("code %d, stdout %q, stderr:\n%q\nwant 1, nothing, and:\n%q", code, stdout.String(), stderr.String(), tc.want)
			}
		})
	}
}
