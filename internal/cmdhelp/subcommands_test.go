package cmdhelp

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSubcommands(t *testing.T) {
	var b bytes.Buffer
	subs := []Command{{Name: "list", Args: "[ADDR...]", Synopsis: "list the addresses"}, {Name: "pull", Synopsis: "print the state"}}
	if err := Subcommands(&b, "state", subs); err != nil {
		t.Fatal(err)
	}
	want := "Usage: mynthform state <subcommand> [flags] [args]\n\nSubcommands:\n" +
		"  list [ADDR...]     list the addresses\n" +
		"  pull               print the state\n" +
		"\nRun 'mynthform help state <subcommand>' (or 'mynthform state <subcommand> --help') for its flags.\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := Subcommands(failingWriter{}, "state", subs); err == nil {
		t.Error("a failed write is not reported")
	}
}
