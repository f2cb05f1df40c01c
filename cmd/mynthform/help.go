package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mynthform/mynthform/internal/cmdhelp"
	"github.com/mynthform/mynthform/internal/didyoumean"
)

// This file wires what the CLI says about itself: `mynthform help
// [COMMAND [SUBCOMMAND]]`, and the command table that --help and the shell
// completion scripts (package internal/cmdhelp writes both) are read from.
// The table is read from the flag sets the commands really parse with, so
// that help, completion and parsing cannot disagree.

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
	_ = cmdhelp.CommandHelp(w, usage, helpFlags(fs))
}

// printUsage is `mynthform --help`, `mynthform help` and `mynthform` alone:
// the commands and the global flags.
func printUsage(w io.Writer, global *pflag.FlagSet) {
	var cs []cmdhelp.Command
	for _, c := range commands() {
		cs = append(cs, cmdhelp.Command{Name: c.name, Synopsis: c.synopsis})
	}
	_ = cmdhelp.Usage(w, cs, helpFlags(global))
}

// unknownName prints the one-line error for a command, subcommand, shell or
// flag value nobody has, with the nearest known name, and the line saying
// where the list is. It returns exitError.
func unknownName(w io.Writer, prefix, what, given string, known []string, listedBy string) int {
	fmt.Fprintf(w, "%s: %s\n", prefix, unknownText(what, given, known, listedBy))
	return exitError
}

// unknownText is unknownName's message without the prefix, for an error
// value: `unknown WHAT "GIVEN"; did you mean "NAME"?` and, on a second
// line, where the list is.
func unknownText(what, given string, known []string, listedBy string) string {
	known = slices.Sorted(slices.Values(known))
	hint := ""
	if s := didyoumean.Nearest(strings.ToLower(given), known, max(2, len(given)/4)); s != "" {
		hint = fmt.Sprintf("; did you mean %q?", s)
	}
	return fmt.Sprintf("unknown %s %q%s\nRun '%s' for the list.", what, given, hint, listedBy)
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

// helpFlags lists fs's visible flags as help and completion show them.
func helpFlags(fs *pflag.FlagSet) []cmdhelp.Flag {
	if fs == nil {
		return nil
	}
	var out []cmdhelp.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Deprecated != "" {
			return
		}
		varname, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() == "bool" {
			varname = ""
		}
		short := f.Shorthand
		if f.ShorthandDeprecated != "" {
			short = ""
		}
		out = append(out, cmdhelp.Flag{Name: f.Name, Short: short, Value: varname, Usage: usage, Default: flagDefault(f)})
	})
	return out
}

// commandTable describes every command, the state subcommands, and their
// flags. Each command's run is called with globals.describe set: parseFlags
// hands the flag set over and the command stops there, before it reads or
// writes anything.
func commandTable() []cmdhelp.Command {
	describe := func(run func(*globals, []string) int, args ...string) []cmdhelp.Flag {
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
		return helpFlags(got)
	}
	var out []cmdhelp.Command
	for _, c := range commands() {
		spec := cmdhelp.Command{Name: c.name, Synopsis: c.synopsis}
		if c.name == "state" {
			for _, s := range stateSubcommands() {
				spec.Subcommands = append(spec.Subcommands, cmdhelp.Command{
					Name: s.name, Synopsis: s.synopsis, Flags: describe(runState, s.name),
				})
			}
		} else {
			spec.Flags = describe(c.run)
		}
		out = append(out, spec)
	}
	return out
}
