package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// exampleCommand is one mynthform command line from an example's README.
type exampleCommand struct {
	line     string
	env      []string
	args     []string
	wantCode int
}

var (
	exampleLineRE = regexp.MustCompile(`^((?:[A-Za-z_][A-Za-z0-9_]*=\S+\s+)*)(?:go run \./cmd/)?mynthform\s+(-C\s+examples/\S+\s+.*)$`)
	exitCommentRE = regexp.MustCompile(`exit (\d)`)
)

// readmeCommands returns the `mynthform -C examples/...` lines of the
// shell blocks of an example's README, in order, with the exit code that
// their comment announces (`# exit 2`), else 0.
func readmeCommands(t *testing.T, readme, tmp string) []exampleCommand {
	t.Helper()
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []exampleCommand
	inShell, pending := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inShell = !inShell && (trimmed == "```sh" || trimmed == "```bash" || trimmed == "```console")
			pending = ""
			continue
		}
		if !inShell {
			continue
		}
		trimmed = strings.TrimPrefix(trimmed, "$ ")
		if strings.HasSuffix(trimmed, `\`) {
			pending += strings.TrimSuffix(trimmed, `\`) + " "
			continue
		}
		full := pending + trimmed
		pending = ""
		m := exampleLineRE.FindStringSubmatch(full)
		if m == nil {
			continue
		}
		want := 0
		rest := m[2]
		if i := strings.Index(rest, "#"); i >= 0 {
			if em := exitCommentRE.FindStringSubmatch(rest[i:]); em != nil {
				want, _ = strconv.Atoi(em[1])
			}
			rest = rest[:i]
		}
		if i := strings.Index(rest, ";"); i >= 0 {
			rest = rest[:i]
		}
		env := strings.Fields(strings.ReplaceAll(m[1], "/tmp/", tmp+"/"))
		cmds = append(cmds, exampleCommand{line: full, env: env, args: strings.Fields(rest), wantCode: want})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cmds
}

// TestExamplesREADMEs runs, against the built-in emulator, every mynthform
// command that each example's README shows, in order, on a clean copy of
// the example, and checks the exit code its comment announces. Examples
// stay runnable because their READMEs are executed.
func TestExamplesREADMEs(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "README.md"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, readme := range dirs {
		name := filepath.Base(filepath.Dir(readme))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			copyDir(t, filepath.Dir(readme), filepath.Join(root, "examples", name))
			for _, junk := range []string{".mynthform", "assets", "mynth.state.json", "mynth.state.json.backup"} {
				os.RemoveAll(filepath.Join(root, "examples", name, junk))
			}
			cmds := readmeCommands(t, readme, root)
			if len(cmds) == 0 {
				t.Fatalf("%s shows no `mynthform -C examples/%s ...` command to run", readme, name)
			}
			for _, c := range cmds {
				t.Logf("%s", c.line)
				r := runBin(t, root, c.env, c.args...)
				if r.Code != c.wantCode {
					t.Fatalf("%s\nexit %d, want %d\nstdout:\n%s\nstderr:\n%s", c.line, r.Code, c.wantCode, r.Stdout, r.Stderr)
				}
			}
		})
	}
}
