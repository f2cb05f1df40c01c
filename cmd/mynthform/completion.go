package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/mynthform/mynthform/internal/cmdhelp"
)

// completionShells are the shells `mynthform completion` writes for.
var completionShells = []string{"bash", "zsh", "fish"}

const completionUsage = "completion bash|zsh|fish"

// runCompletion prints a completion script for a shell (package
// internal/cmdhelp writes it) from the command table (commandTable), so
// that it knows every command, state subcommand and flag that the parser
// knows.
func runCompletion(g *globals, args []string) int {
	fs := newFlagSet("completion")
	if code, done := parseFlags(g, fs, completionUsage, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(g.stderr, "mynthform completion: name one shell: %s\nUsage: mynthform %s\n", strings.Join(completionShells, ", "), completionUsage)
		return exitError
	}
	write := map[string]func(io.Writer, cmdhelp.Table) error{"bash": cmdhelp.Bash, "zsh": cmdhelp.Zsh, "fish": cmdhelp.Fish}[fs.Arg(0)]
	if write == nil {
		return unknownName(g.stderr, "mynthform completion", "shell", fs.Arg(0), completionShells, "mynthform completion --help")
	}
	table := cmdhelp.Table{Commands: commandTable(), Global: helpFlags(g.globalFlags), Shells: completionShells, Formats: reportFormats}
	if err := write(g.stdout, table); err != nil {
		fmt.Fprintf(g.stderr, "mynthform completion: %v\n", err)
		return exitError
	}
	return exitOK
}
