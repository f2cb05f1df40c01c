package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// This file owns what the CLI says about itself: the flag lists of --help,
// `mynthform help [COMMAND [SUBCOMMAND]]`, and the command table that the
// shell completion scripts (completion.go) are generated from. The table is
// read from the flag sets the commands really parse with, so that help,
// completion and parsing cannot disagree.

// flagHelp lists fs's flags for --help, one a line: "-o, --out FILE" and
// what it does, with its default when that is not the zero value. A bool
// flag is shown as it is typed (--json), not as pflag's
// "--json[=true|false]".
func flagHelp(fs *pflag.FlagSet) string {
	type row struct{ left, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Deprecated != "" {
			return
		}
		varname, usage := pflag.UnquoteUsage(f)
		left := "    "
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			left = "-" + f.Shorthand + ", "
		}
		left += "--" + f.Name
		if f.Value.Type() != "bool" && varname != "" {
			left += " " + varname
		}
		if d := flagDefault(f); d != "" {
			usage += " (default " + d + ")"
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	})
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-*s   %s\n", width, r.left, r.usage)
	}
	return b.String()
}

// flagDefault is f's default as --help shows it, "" when it is the zero
// value of its type or the usage text already says it.
func flagDefault(f *pflag.Flag) string {
	switch f.DefValue {
	case "", "false", "0", "0s", "[]":
		return ""
	}
	if strings.Contains(f.Usage, "(default") {
		return ""
	}
	if f.Value.Type() == "string" {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

// printCommandHelp is a command's --help: its usage line and its flags.
func printCommandHelp(w io.Writer, fs *pflag.FlagSet, usage string) {
	fmt.Fprintf(w, "Usage: mynthform %s\n\nFlags:\n%s", usage, flagHelp(fs))
}

// printUsage is `mynthform --help`, `mynthform help` and `mynthform` alone:
// the commands and the global flags.
func printUsage(w io.Writer, global *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: mynthform [global flags] <command> [flags]\n\n")
	fmt.Fprintf(w, "mynthform reconciles Mynth image-generation tasks declared in *.mynth.hcl\nfiles with the Mynth API, and records them in a state file.\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.synopsis)
	}
	fmt.Fprintf(w, "\nGlobal flags:\n%s\nRun 'mynthform help <command>' (or 'mynthform <command> --help') for a command's flags.\n", flagHelp(global))
}

// unknownName prints the one-line error for a command, subcommand or
// shell nobody has, with the nearest known name, and the line saying
// where the list is. It returns exitError.
func unknownName(w io.Writer, prefix, what, given string, known []string, listedBy string) int {
	known = slices.Sorted(slices.Values(known))
	hint := ""
	if s := suggest(strings.ToLower(given), known, max(2, len(given)/4)); s != "" {
		hint = fmt.Sprintf("; did you mean %q?", s)
	}
	fmt.Fprintf(w, "%s: unknown %s %q%s\nRun '%s' for the list.\n", prefix, what, given, hint, listedBy)
	return exitError
}

const helpUsage = "help [COMMAND [SUBCOMMAND]]"

// runHelp is `mynthform help [COMMAND [SUBCOMMAND]]`: the command list, or
// a command's --help.
func runHelp(g *globals, args []string) int {
	fs := newFlagSet("help")
	if code, done := parseFlags(g, fs, helpUsage, args); done {
		return code
	}
	if fs.NArg() == 0 {
		printUsage(g.stdout, g.globalFlags)
		return exitOK
	}
	name := fs.Arg(0)
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
		if c.name != name {
			continue
		}
		if fs.NArg() > 2 || (fs.NArg() == 2 && c.name != "state") {
			fmt.Fprintf(g.stderr, "mynthform help: too many arguments (%s)\nUsage: mynthform %s\n", strings.Join(fs.Args(), " "), helpUsage)
			return exitError
		}
		if fs.NArg() == 2 {
			sub := fs.Arg(1)
			var subs []string
			for _, s := range stateSubcommands() {
				if s.name == sub {
					return s.run(g, []string{"--help"})
				}
				subs = append(subs, s.name)
			}
			return unknownName(g.stderr, "mynthform help state", "subcommand", sub, subs, "mynthform help state")
		}
		return c.run(g, []string{"--help"})
	}
	return unknownName(g.stderr, "mynthform help", "command", name, names, "mynthform help")
}

// flagSpec is one flag of the command table.
type flagSpec struct {
	name, short string
	// value is the flag's value name (FILE, ADDR, D), "" for a bool.
	value string
	usage string
}

// commandSpec is one command or subcommand with its flags, as parsed.
type commandSpec struct {
	name, synopsis string
	flags          []flagSpec
	subcommands    []commandSpec
}

// flagSpecs lists fs's visible flags.
func flagSpecs(fs *pflag.FlagSet) []flagSpec {
	var out []flagSpec
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Deprecated != "" {
			return
		}
		varname, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() == "bool" {
			varname = ""
		}
		out = append(out, flagSpec{name: f.Name, short: f.Shorthand, value: varname, usage: usage})
	})
	return out
}

// commandTable describes every command, the state subcommands, and their
// flags. Each command's run is called with globals.describe set: parseFlags
// hands the flag set over and the command stops there, before it reads or
// writes anything.
func commandTable() []commandSpec {
	describe := func(run func(*globals, []string) int, args ...string) []flagSpec {
		var got *pflag.FlagSet
		g := &globals{
			ctx: context.Background(), stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
			getenv: func(string) string { return "" }, dir: ".",
			describe: func(fs *pflag.FlagSet) { got = fs },
		}
		run(g, args)
		if got == nil {
			// A programmer error: every command parses its flags first.
			panic(fmt.Sprintf("mynthform: command %v did not parse flags", args))
		}
		return flagSpecs(got)
	}
	var out []commandSpec
	for _, c := range commands() {
		spec := commandSpec{name: c.name, synopsis: c.synopsis}
		if c.name == "state" {
			for _, s := range stateSubcommands() {
				spec.subcommands = append(spec.subcommands, commandSpec{
					name: s.name, synopsis: s.synopsis, flags: describe(runState, s.name),
				})
			}
		} else {
			spec.flags = describe(c.run)
		}
		out = append(out, spec)
	}
	return out
}
