package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/internal/cmdhelp"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// commandsWithFlag lists the commands (and state subcommands, as "state
// rm") whose flag set has the flag, from the table help and completion are
// made of.
func commandsWithFlag(flag string) [][]string {
	var out [][]string
	has := func(c cmdhelp.Command) bool {
		return slices.ContainsFunc(c.Flags, func(f cmdhelp.Flag) bool { return f.Name == flag })
	}
	for _, c := range commandTable() {
		if has(c) {
			out = append(out, []string{c.Name})
		}
		for _, s := range c.Subcommands {
			if has(s) {
				out = append(out, []string{c.Name, s.Name})
			}
		}
	}
	return out
}

// TestNumericFlagsRefuseEdgeValues gives every command that takes
// --parallelism, --lock-timeout or --wait-timeout the values that mean
// nothing: each is refused while the flags are parsed, with one line that
// says why and exit 1, before the command reads or writes anything. The
// commands are found in the command table, so a command that gains one of
// these flags is tested too.
func TestNumericFlagsRefuseEdgeValues(t *testing.T) {
	const (
		wholeNumber = "must be a whole number from 1 to 1000"
		duration    = "must be a duration such as 90s, 2m or 1h30m"
	)
	flags := []struct {
		name string
		// takers must be among the commands that have the flag.
		takers []string
		bad    map[string]string // value: why it is refused
		good   []string
	}{
		{"parallelism", []string{"plan", "apply", "report", "graph"}, map[string]string{
			"-3": wholeNumber, "0": wholeNumber, "1001": wholeNumber, "99999999999999999999": wholeNumber,
			"abc": wholeNumber, "": wholeNumber, "2.5": wholeNumber, "0x10": wholeNumber,
		}, []string{"1", "1000", " 7 "}},
		{"lock-timeout", []string{"apply", "import", "state rm", "state mv", "state push"}, map[string]string{
			"-5s": "must not be negative", "-1ns": "must not be negative", "abc": duration, "10": duration,
			"": duration, "99999999999h": duration,
		}, []string{"0s", "0", "1ns", "90s"}},
		{"wait-timeout", []string{"apply"}, map[string]string{
			"-1s": "must not be negative", "0": "must be more than 0", "0s": "must be more than 0", "soon": duration,
		}, []string{"1ns", "10m"}},
	}
	for _, fl := range flags {
		cmds := commandsWithFlag(fl.name)
		var names []string
		for _, c := range cmds {
			names = append(names, strings.Join(c, " "))
		}
		for _, want := range fl.takers {
			if !slices.Contains(names, want) {
				t.Errorf("%s has no --%s (the commands with it: %v)", want, fl.name, names)
			}
		}
		for _, cmd := range cmds {
			name := strings.Join(cmd, " ")
			for value, why := range fl.bad {
				for _, form := range [][]string{{"--" + fl.name, value}, {"--" + fl.name + "=" + value}, {"-" + fl.name, value}} {
					t.Run(name+" "+strings.Join(form, " "), func(t *testing.T) {
						dir := t.TempDir()
						var stdout, stderr bytes.Buffer
						args := append(append([]string{"-C", dir}, cmd...), form...)
						code := runWithEnv(context.Background(), args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
						first, _, _ := strings.Cut(stderr.String(), "\n")
						want := `mynthform ` + name + `: invalid argument "` + value + `" for "--` + fl.name + `" flag: ` + why
						if code != exitError || first != want || stdout.Len() > 0 {
							t.Errorf("exit %d, stdout %q, first line of stderr\n  %s\nwant exit 1 and\n  %s", code, stdout.String(), first, want)
						}
						if entries, _ := os.ReadDir(dir); len(entries) > 0 {
							t.Errorf("a refused flag still wrote %v", entries)
						}
					})
				}
			}
			for _, value := range fl.good {
				t.Run(name+" --"+fl.name+" "+value+" is taken", func(t *testing.T) {
					var stdout, stderr bytes.Buffer
					args := append(append([]string{"-C", t.TempDir()}, cmd...), "--"+fl.name, value)
					runWithEnv(context.Background(), args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
					if strings.Contains(stderr.String(), `for "--`+fl.name+`" flag`) {
						t.Errorf("--%s %q is refused:\n%s", fl.name, value, stderr.String())
					}
				})
			}
		}
	}
}

// TestEveryCommandFindsTheSameState runs every command that reads the
// state, in a spec whose mynth block names the state file and in one that
// names none: each finds the recorded task in the same file
// (spec.Spec.StatePath resolves it for all of them).
func TestEveryCommandFindsTheSameState(t *testing.T) {
	const task = `task "hero" {
  prompt = "a mug"
  model  = "m"
}
`
	layouts := []struct {
		name, spec, state string
	}{
		{"the mynth block's state", "mynth {\n  state = \"custom.json\"\n}\n\n" + task, "custom.json"},
		{"the default state", task, "mynth.state.json"},
	}
	// Each command, and what it prints only when it read the recorded task.
	commands := []struct {
		args []string
		sees string
	}{
		{[]string{"plan", "--refresh=false"}, "tsk_hero"},
		{[]string{"plan", "--refresh=false", "--json"}, `"tsk_hero"`},
		{[]string{"apply", "--refresh=false", "--auto-approve"}, "tsk_hero"},
		{[]string{"report", "--format", "junit", "--refresh=false"}, "tsk_hero"},
		{[]string{"graph"}, `task.hero\nnone`},
		{[]string{"show"}, "tsk_hero"},
		{[]string{"show", "--json"}, "tsk_hero"},
		{[]string{"state", "list", "--json"}, "tsk_hero"},
		{[]string{"state", "show", "task.hero"}, "tsk_hero"},
		{[]string{"state", "pull"}, "tsk_hero"},
		{[]string{"state", "rm", "--dry-run", "task.hero"}, "task tsk_hero"},
		{[]string{"state", "mv", "--dry-run", "task.hero", "task.other"}, "task tsk_hero"},
		{[]string{"--emulator", "import", "task.hero", "tsk_other"}, "already in the state (task tsk_hero)"},
	}
	for _, l := range layouts {
		for _, c := range commands {
			t.Run(l.name+"/"+strings.Join(c.args, " "), func(t *testing.T) {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(l.spec), 0o644); err != nil {
					t.Fatal(err)
				}
				f := state.New("test")
				f.Tasks = map[string]*state.Task{"task.hero": {
					ID: "tsk_hero", Status: mynth.StatusCompleted,
					Request: json.RawMessage(`{"model":"m","prompt":"a mug"}`),
					Result:  json.RawMessage(`{"cost":{"images":"0.0125","total":"0.0125"},"images":[{"cost":"0.0125","id":"img_1","size":"1024x1024","status":"succeeded","url":"https://cdn.example/img_1.png"}],"model":"m"}`),
				}}
				if _, err := state.Open(filepath.Join(dir, l.state)).Save(f); err != nil {
					t.Fatal(err)
				}
				var stdout, stderr bytes.Buffer
				runWithEnv(context.Background(), append([]string{"-C", dir}, c.args...), strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
				if out := stdout.String() + stderr.String(); !strings.Contains(out, c.sees) {
					t.Errorf("%v did not read %s:\n%s", c.args, l.state, out)
				}
				for _, other := range []string{"custom.json", "mynth.state.json"} {
					if _, err := os.Stat(filepath.Join(dir, other)); other != l.state && err == nil {
						t.Errorf("%v wrote %s beside %s", c.args, other, l.state)
					}
				}
			})
		}
	}
}
