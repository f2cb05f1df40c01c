package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestE2EHelp: mynthform alone and `help` list the commands on stdout,
// `help COMMAND [SUB]` is the command's --help, and a misspelt command or
// state subcommand is one error line with a suggestion, not a usage dump.
func TestE2EHelp(t *testing.T) {
	dir := t.TempDir()
	alone := runBin(t, dir, nil)
	mustCode(t, alone, 0, "mynthform alone")
	for _, c := range commands() {
		if !strings.Contains(alone.Stdout, "\n  "+c.name+" ") {
			t.Errorf("mynthform alone does not list %s:\n%s", c.name, alone.Stdout)
		}
	}
	// A command's line names each of its subcommands.
	for _, c := range commandTable() {
		var line string
		for _, l := range strings.Split(alone.Stdout, "\n") {
			if strings.HasPrefix(l, "  "+c.Name+" ") {
				line = l
			}
		}
		for _, sub := range c.Subcommands {
			if !strings.Contains(line, sub.Name+",") && !strings.Contains(line, sub.Name+")") {
				t.Errorf("mynthform alone does not name %s %s: %q", c.Name, sub.Name, line)
			}
		}
	}
	if h := runBin(t, dir, nil, "help"); h.Code != 0 || h.Stdout != alone.Stdout {
		t.Errorf("help differs from mynthform alone (exit %d):\n%s", h.Code, h.Stdout)
	}
	for _, tc := range [][2][]string{
		{{"help", "plan"}, {"plan", "--help"}},
		{{"help", "state"}, {"state", "--help"}},
		{{"help", "state", "rm"}, {"state", "rm", "--help"}},
		{{"help", "completion"}, {"completion", "--help"}},
	} {
		a, b := runBin(t, dir, nil, tc[0]...), runBin(t, dir, nil, tc[1]...)
		if a.Code != 0 || b.Code != 0 || a.Stdout != b.Stdout || a.Stdout == "" {
			t.Errorf("%v (exit %d) and %v (exit %d) differ:\n%s\n---\n%s", tc[0], a.Code, tc[1], b.Code, a.Stdout, b.Stdout)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "pln"}, `mynthform help: unknown command "pln"; did you mean "plan"?`},
		{[]string{"state", "lst"}, `mynthform state: unknown subcommand "lst"; did you mean "list"?`},
		{[]string{"help", "state", "mvv"}, `mynthform help state: unknown subcommand "mvv"; did you mean "mv"?`},
		{[]string{"completion", "zssh"}, `mynthform completion: unknown shell "zssh"; did you mean "zsh"?`},
	} {
		r := runBin(t, dir, nil, tc.args...)
		lines := strings.Split(strings.TrimRight(r.Stderr, "\n"), "\n")
		if r.Code != exitError || len(lines) != 2 || lines[0] != tc.want || !strings.HasPrefix(lines[1], "Run 'mynthform ") || r.Stdout != "" {
			t.Errorf("%v: exit %d, want 1 and the line %q then where the list is; stderr:\n%s", tc.args, r.Code, tc.want, r.Stderr)
		}
	}
}

// TestE2EHelpFlagsSpelledAlike: no --help shows pflag's "[=true|false]"
// or a usage line's "[--wait=true]" (a default, not what is typed),
// -o/--out reads the same on plan and report, --lock-timeout the same on
// every command that takes the state lock.
func TestE2EHelpFlagsSpelledAlike(t *testing.T) {
	dir := t.TempDir()
	helps := map[string]string{}
	for _, c := range commandTable() {
		if c.Subcommands == nil {
			helps[c.Name] = runBin(t, dir, nil, c.Name, "--help").Stdout
		}
		for _, s := range c.Subcommands {
			helps[c.Name+" "+s.Name] = runBin(t, dir, nil, c.Name, s.Name, "--help").Stdout
		}
	}
	helps["global"] = runBin(t, dir, nil, "--help").Stdout
	lineOf := func(help, flag string) string {
		for _, l := range strings.Split(help, "\n") {
			if strings.Contains(l, flag+" ") && !strings.HasPrefix(l, "Usage:") {
				return strings.Join(strings.Fields(l), " ")
			}
		}
		return ""
	}
	lock := map[string]bool{}
	for name, h := range helps {
		if h == "" || !strings.Contains(h, "Usage: mynthform") {
			t.Errorf("%s --help printed no usage:\n%s", name, h)
		}
		if strings.Contains(h, "[=true|false]") || strings.Contains(h, "[=false]") {
			t.Errorf("%s --help shows a bool flag with its value syntax:\n%s", name, h)
		}
		// A flag that defaults to true is shown as it is turned off
		// (--refresh=false), never as its default.
		if strings.Contains(h, "=true]") {
			t.Errorf("%s --help shows a bool flag as =true, its default:\n%s", name, h)
		}
		if l := lineOf(h, "--lock-timeout"); l != "" {
			lock[l] = true
		}
	}
	for _, name := range []string{"apply", "import", "state rm", "state mv", "state push"} {
		if lineOf(helps[name], "--lock-timeout") == "" {
			t.Errorf("%s has no --lock-timeout:\n%s", name, helps[name])
		}
	}
	if len(lock) != 1 {
		t.Errorf("--lock-timeout reads differently across commands: %v", lock)
	}
	for _, name := range []string{"plan", "report"} {
		if !strings.Contains(helps[name], "-o, --out FILE") || !strings.Contains(helps[name], "[-o FILE]") {
			t.Errorf("%s does not spell -o, --out FILE:\n%s", name, helps[name])
		}
	}
	// -o works on plan as it does on report.
	writeSpec(t, dir, "task \"x\" {\n  prompt = \"a mug\"\n}\n")
	r := runBin(t, dir, nil, "--emulator", "plan", "-o", "saved.plan")
	if _, err := os.Stat(filepath.Join(dir, "saved.plan")); err != nil || r.Code == exitError {
		t.Errorf("plan -o saved.plan: exit %d, %v\n%s", r.Code, err, r.Stderr)
	}
}

// completeBash runs the generated bash completion on a command line (the
// cursor at its end) and returns the candidates.
func completeBash(t *testing.T, script, line string) []string {
	t.Helper()
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, "'"+w+"'")
	}
	prog := script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) +
		"\n_mynthform\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
	cmd := exec.Command("bash", "--norc", "--noprofile", "-c", prog)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash completion of %q: %v\n%s", line, err, out)
	}
	return strings.Fields(string(out))
}

// TestE2ECompletion: the scripts are generated from the command table and
// work in the shells they are for.
func TestE2ECompletion(t *testing.T) {
	dir := t.TempDir()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("SKIPPED: no bash on PATH, the completion scripts are not checked")
	}
	r := runBin(t, dir, nil, "completion", "bash")
	mustCode(t, r, 0, "completion bash")
	for _, tc := range []struct {
		line string
		want []string
		not  []string
	}{
		{"mynthform pl", []string{"plan"}, nil},
		{"mynthform ", []string{"validate", "state", "completion", "help"}, []string{"--chdir"}},
		{"mynthform --", []string{"--chdir", "--no-color", "--emulator"}, []string{"plan"}},
		{"mynthform -C somewhere pla", []string{"plan"}, nil},
		{"mynthform plan --o", []string{"--out"}, nil},
		{"mynthform plan --detailed", []string{"--detailed-exitcode"}, nil},
		{"mynthform apply --", []string{"--auto-approve", "--lock-timeout", "--replace"}, []string{"--chdir"}},
		{"mynthform state ", []string{"list", "show", "rm", "mv", "pull", "push"}, nil},
		{"mynthform state rm --", []string{"--dry-run", "--lock-timeout"}, []string{"--json"}},
		{"mynthform report --format ", []string{"html", "markdown", "junit"}, nil},
		{"mynthform completion ", []string{"bash", "zsh", "fish"}, nil},
		{"mynthform help ", []string{"plan", "state"}, nil},
	} {
		got := completeBash(t, r.Stdout, tc.line)
		set := map[string]bool{}
		for _, g := range got {
			set[g] = true
		}
		for _, w := range tc.want {
			if !set[w] {
				t.Errorf("bash: %q completes to %v, lacking %q", tc.line, got, w)
			}
		}
		for _, w := range tc.not {
			if set[w] {
				t.Errorf("bash: %q completes to %v, which should not hold %q", tc.line, got, w)
			}
		}
	}

	for _, shell := range []string{"zsh", "fish"} {
		r := runBin(t, dir, nil, "completion", shell)
		mustCode(t, r, 0, "completion "+shell)
		for _, c := range commandTable() {
			if !strings.Contains(r.Stdout, c.Name) {
				t.Errorf("%s completion lacks %s", shell, c.Name)
			}
		}
		if _, err := exec.LookPath(shell); err != nil {
			t.Logf("SKIPPED: no %s on PATH; its completion script is generated but not run", shell)
			continue
		}
		path := filepath.Join(dir, "completion."+shell)
		if err := os.WriteFile(path, []byte(r.Stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(shell, "-n", path).CombinedOutput(); err != nil {
			t.Errorf("%s -n rejects its completion script: %v\n%s", shell, err, out)
		}
	}
	if _, err := exec.LookPath("fish"); err == nil {
		// fish can be asked what it would complete.
		cmd := exec.Command("fish", "--no-config", "-c", "source "+filepath.Join(dir, "completion.fish")+"; complete -C 'mynthform state m'; complete -C 'mynthform plan --deta'")
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binPath)+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "mv\t") || !strings.Contains(string(out), "--detailed-exitcode") {
			t.Errorf("fish completes %q (%v)", out, err)
		}
	}
}

// TestE2EFmtStdin: `fmt -` reads standard input and writes standard
// output, as `terraform fmt -` does, and touches no file.
func TestE2EFmtStdin(t *testing.T) {
	dir := t.TempDir()
	writeSpec(t, dir, "task \"keep\" {\nprompt=\"untouched\"\n}\n")
	run := func(stdin string, args ...string) binResult {
		cmd := exec.Command(binPath, args...)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		code := 0
		if err := cmd.Run(); err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			code = ee.ExitCode()
		}
		return binResult{Stdout: out.String(), Stderr: errb.String(), Code: code}
	}
	r := run("task \"a\" {\nprompt=\"x\"\n  count = 1\n}\n", "fmt", "-")
	if r.Code != 0 || r.Stdout != "task \"a\" {\n  prompt = \"x\"\n  count  = 1\n}\n" {
		t.Errorf("fmt -: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "main.mynth.hcl")); string(b) != "task \"keep\" {\nprompt=\"untouched\"\n}\n" {
		t.Errorf("fmt - rewrote a file: %q", b)
	}
	if r := run("task \"a\" {\n  prompt = \"x\"\n}\n", "fmt", "--check", "-"); r.Code != 0 || r.Stdout != "" {
		t.Errorf("fmt --check - of a formatted spec: exit %d, %q", r.Code, r.Stdout)
	}
	if r := run("task \"a\" {\nprompt=\"x\"\n}\n", "fmt", "--check", "-"); r.Code != 1 || r.Stdout != "" {
		t.Errorf("fmt --check - of an unformatted spec: exit %d, %q", r.Code, r.Stdout)
	}
	if r := run("task \"a\" {\n  prompt = \n", "fmt", "-"); r.Code != 1 || r.Stdout != "" || !strings.Contains(r.Stderr, "<stdin>") {
		t.Errorf("fmt - of a broken spec: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

// TestE2EFmtDiagnosticsAreValidates: a syntax error reads the same from
// fmt (of stdin or of a file) as from validate, hint included: an
// unclosed block says "Add the } that closes it." in all three.
func TestE2EFmtDiagnosticsAreValidates(t *testing.T) {
	dir := t.TempDir()
	src := "task \"a\" {\n  prompt = \"x\"\n"
	writeSpec(t, dir, src)
	validate := runBin(t, dir, nil, "validate")
	mustCode(t, validate, exitError, "validate")
	file := runBin(t, dir, nil, "fmt", "main.mynth.hcl")
	mustCode(t, file, exitError, "fmt main.mynth.hcl")
	cmd := exec.Command(binPath, "fmt", "-")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(src)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("fmt - of an unclosed block succeeded")
	}
	// HCL's detail, then the hint, in one paragraph.
	const hint = "brace nesting elsewhere in this file. Add the } that closes it."
	for name, out := range map[string]string{"validate": validate.Stderr, "fmt FILE": file.Stderr, "fmt -": stderr.String()} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), hint) || !strings.Contains(out, "Error: Unclosed configuration block\n") {
			t.Errorf("%s does not say %q:\n%s", name, hint, out)
		}
	}
}
