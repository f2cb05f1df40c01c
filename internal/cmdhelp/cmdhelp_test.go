package cmdhelp

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var testFlags = []Flag{
	{Name: "help", Short: "h", Usage: "show this help"},
	{Name: "out", Short: "o", Value: "FILE", Usage: "save the plan to FILE"},
	{Name: "format", Value: "FORMAT", Usage: "the report's FORMAT", Default: `"dot"`},
}

func TestCommandHelp(t *testing.T) {
	var b bytes.Buffer
	if err := CommandHelp(&b, "graph [--format dot|mermaid]", testFlags); err != nil {
		t.Fatal(err)
	}
	want := "Usage: mynthform graph [--format dot|mermaid]\n\nFlags:\n" +
		"  -h, --help            show this help\n" +
		"  -o, --out FILE        save the plan to FILE\n" +
		"      --format FORMAT   the report's FORMAT (default \"dot\")\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestUsage(t *testing.T) {
	var b bytes.Buffer
	cs := []Command{{Name: "plan", Synopsis: "Show what apply would do"}, {Name: "completion", Synopsis: "Print a script"}}
	if err := Usage(&b, cs, testFlags[:1]); err != nil {
		t.Fatal(err)
	}
	want := "Usage: mynthform [global flags] <command> [flags]\n\n" +
		"mynthform reconciles Mynth image-generation tasks declared in *.mynth.hcl\nfiles with the Mynth API, and records them in a state file.\n\n" +
		"Commands:\n  plan       Show what apply would do\n  completion Print a script\n\n" +
		"Global flags:\n  -h, --help   show this help\n\n" +
		"Run 'mynthform help <command>' (or 'mynthform <command> --help') for a command's flags.\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func testTable() Table {
	return Table{
		Commands: []Command{
			{Name: "report", Synopsis: "Write the audit: HTML [or] markdown's 'table'", Flags: testFlags},
			{Name: "state", Synopsis: "Edit the state", Subcommands: []Command{{Name: "rm", Synopsis: "Forget a task", Flags: testFlags[:2]}}},
			{Name: "help", Synopsis: "Show help"},
			{Name: "completion", Synopsis: "Print a script"},
		},
		Global:  []Flag{{Name: "chdir", Short: "C", Value: "DIR", Usage: "run in DIR"}},
		Shells:  []string{"bash", "zsh", "fish"},
		Formats: []string{"html", "markdown"},
	}
}

// TestCompletionScriptsParse: each script names every command,
// subcommand and flag of the table, and the shell that is on PATH accepts
// it (bash -n, zsh -n, fish -n).
func TestCompletionScriptsParse(t *testing.T) {
	for shell, write := range map[string]func(*bytes.Buffer, Table) error{
		"bash": func(b *bytes.Buffer, t Table) error { return Bash(b, t) },
		"zsh":  func(b *bytes.Buffer, t Table) error { return Zsh(b, t) },
		"fish": func(b *bytes.Buffer, t Table) error { return Fish(b, t) },
	} {
		t.Run(shell, func(t *testing.T) {
			var b bytes.Buffer
			if err := write(&b, testTable()); err != nil {
				t.Fatal(err)
			}
			for _, w := range []string{"report", "state", "rm", "help", "completion", "chdir", "format", "out", "markdown"} {
				if !strings.Contains(b.String(), w) {
					t.Errorf("the %s script lacks %q:\n%s", shell, w, b.String())
				}
			}
			if _, err := exec.LookPath(shell); err != nil {
				t.Skipf("no %s on PATH", shell)
			}
			path := filepath.Join(t.TempDir(), "script")
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(shell, "-n", path).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s\n%s", shell, err, out, b.String())
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestViewsReportWriteErrors(t *testing.T) {
	for name, err := range map[string]error{
		"bash":  Bash(failingWriter{}, testTable()),
		"zsh":   Zsh(failingWriter{}, testTable()),
		"fish":  Fish(failingWriter{}, testTable()),
		"usage": Usage(failingWriter{}, testTable().Commands, nil),
		"help":  CommandHelp(failingWriter{}, "x", testFlags),
	} {
		if err == nil {
			t.Errorf("%s: a failed write is not reported", name)
		}
	}
}
