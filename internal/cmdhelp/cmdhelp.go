// Package cmdhelp owns what the CLI says about itself: the command list of
// `mynthform --help`, a command's --help (its usage line and flags), and
// the bash, zsh and fish completion scripts of `mynthform completion`.
//
// Everything is written from plain values: cmd/mynthform reads its Table
// off the flag sets its commands really parse with (so that help,
// completion and parsing cannot disagree) and owns the parsing, the
// errors and the exit codes; this package knows no flag library. The
// views of plans, the state and what commands did are planner/render's.
package cmdhelp

import (
	"fmt"
	"io"
	"strings"
)

// Flag is one flag as help and completion show it.
type Flag struct {
	// Name is the long name, without "--"; Short the one letter, "" for
	// none.
	Name, Short string
	// Value is the flag's value name (FILE, ADDR, D), "" for a bool.
	Value string
	// Usage says what it does.
	Usage string
	// Default is the default as --help shows it, "" when none is shown.
	Default string
}

// Command is one command, or a subcommand, with its flags.
type Command struct {
	Name, Synopsis string
	// Args are the arguments a subcommand takes, as its list shows them
	// ("FROM TO"); "" for none.
	Args  string
	Flags []Flag
	// Subcommands are the command's subcommands (state's); a command
	// with subcommands has no flags of its own here.
	Subcommands []Command
}

// Table is everything the completion scripts complete.
type Table struct {
	Commands []Command
	// Global are the global flags.
	Global []Flag
	// Shells are the shells `completion` writes for; Formats the values
	// of --format.
	Shells, Formats []string
}

// errWriter remembers the first write error so that the views can write
// freely and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func newErrWriter(w io.Writer) *errWriter { return &errWriter{w: w} }

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) flush() error { return e.err }

// FlagList lists flags for --help, one a line: "-o, --out FILE" and what
// it does, with its default when it has one to show. A bool flag is shown
// as it is typed (--json), not as "--json[=true|false]".
func FlagList(flags []Flag) string {
	lefts := make([]string, len(flags))
	width := 0
	for i, f := range flags {
		left := "    "
		if f.Short != "" {
			left = "-" + f.Short + ", "
		}
		left += "--" + f.Name
		if f.Value != "" {
			left += " " + f.Value
		}
		lefts[i] = left
		width = max(width, len(left))
	}
	var b strings.Builder
	for i, f := range flags {
		usage := f.Usage
		if f.Default != "" {
			usage += " (default " + f.Default + ")"
		}
		fmt.Fprintf(&b, "  %-*s   %s\n", width, lefts[i], usage)
	}
	return b.String()
}

// CommandHelp writes a command's --help: its usage line (without the
// leading "mynthform ") and its flags.
func CommandHelp(w io.Writer, usage string, flags []Flag) error {
	_, err := fmt.Fprintf(w, "Usage: mynthform %s\n\nFlags:\n%s", usage, FlagList(flags))
	return err
}

// Usage writes `mynthform --help`, `mynthform help` and `mynthform` alone:
// the commands (names and synopses) and the global flags.
func Usage(w io.Writer, commands []Command, global []Flag) error {
	out := newErrWriter(w)
	out.printf("Usage: mynthform [global flags] <command> [flags]\n\n")
	out.printf("mynthform reconciles Mynth image-generation tasks declared in *.mynth.hcl\nfiles with the Mynth API, and records them in a state file.\n\nCommands:\n")
	for _, c := range commands {
		out.printf("  %-10s %s\n", c.Name, c.Synopsis)
	}
	out.printf("\nGlobal flags:\n%s\nRun 'mynthform help <command>' (or 'mynthform <command> --help') for a command's flags.\n", FlagList(global))
	return out.flush()
}

// Subcommands writes a command with subcommands run alone (`mynthform
// state`): its usage line, each subcommand with its arguments and
// synopsis, and where their flags are.
func Subcommands(w io.Writer, command string, subs []Command) error {
	out := newErrWriter(w)
	out.printf("Usage: mynthform %s <subcommand> [flags] [args]\n\nSubcommands:\n", command)
	for _, s := range subs {
		out.printf("  %-18s %s\n", strings.TrimSpace(s.Name+" "+s.Args), s.Synopsis)
	}
	out.printf("\nRun 'mynthform help %s <subcommand>' (or 'mynthform %s <subcommand> --help') for its flags.\n", command, command)
	return out.flush()
}
