package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUnknownFlagsSuggest: a mistyped flag gets a one-line error with the
// nearest flag, before the command or after it, and exit 1.
func TestUnknownFlagsSuggest(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--jsn"}, "mynthform plan: unknown flag: --jsn; did you mean --json?"},
		{[]string{"plan", "--targt=task.a"}, "mynthform plan: unknown flag: --targt; did you mean --target?"},
		{[]string{"apply", "--auto-aprove"}, "mynthform apply: unknown flag: --auto-aprove; did you mean --auto-approve?"},
		{[]string{"--emulater", "plan"}, "mynthform: unknown flag: --emulater; did you mean --emulator?"},
		{[]string{"plan", "--zzzzzz"}, "mynthform plan: unknown flag: --zzzzzz\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runWithEnv(context.Background(), append([]string{"-C", t.TempDir()}, tc.args...), strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			if !strings.HasPrefix(stderr.String(), tc.want) {
				t.Errorf("stderr starts %q, want %q", stderr.String(), tc.want)
			}
		})
	}
}

// TestTerraformFlags: single-dash long flags become double-dash ones;
// shorthands, values and everything after "--" stay as they are.
func TestTerraformFlags(t *testing.T) {
	fs := newFlagSet("plan")
	var a planCommandArgs
	registerPlanCommand(fs, &a)
	fs.StringP("chdir", "C", "", "")
	for name, tc := range map[string]struct {
		args, want []string
	}{
		"bool":                  {[]string{"-detailed-exitcode", "-json", "-no-color"}, []string{"--detailed-exitcode", "--json", "--no-color"}},
		"value with =":          {[]string{"-out=tfplan", "-target=task.a"}, []string{"--out=tfplan", "--target=task.a"}},
		"value apart":           {[]string{"-var", "a=b", "-replace", "task.x"}, []string{"--var", "a=b", "--replace", "task.x"}},
		"a value like a flag":   {[]string{"-var", "-json=1", "--out", "-detailed-exitcode"}, []string{"--var", "-json=1", "--out", "-detailed-exitcode"}},
		"bool with =":           {[]string{"-refresh=false"}, []string{"--refresh=false"}},
		"shorthands stay":       {[]string{"-h", "-C", "dir", "-Cdir", "-hC", "-json"}, []string{"-h", "-C", "dir", "-Cdir", "-hC", "-json"}},
		"double dash untouched": {[]string{"--json", "--parallelism", "-5"}, []string{"--json", "--parallelism", "-5"}},
		"after --":              {[]string{"-json", "--", "-out=x"}, []string{"--json", "--", "-out=x"}},
		"typo becomes long":     {[]string{"-detailed-exitcod"}, []string{"--detailed-exitcod"}},
		"positional":            {[]string{"tfplan", "-auto-approve"}, []string{"tfplan", "--auto-approve"}},
		"lone dash":             {[]string{"-", "-json"}, []string{"-", "--json"}},
	} {
		t.Run(name, func(t *testing.T) {
			in := append([]string(nil), tc.args...)
			got := terraformFlags(fs, tc.args, true)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("terraformFlags(%q) (-want +got):\n%s", tc.args, diff)
			}
			if diff := cmp.Diff(in, tc.args); diff != "" {
				t.Errorf("terraformFlags changed its input:\n%s", diff)
			}
		})
	}
	// Global flags stop at the command.
	if got := terraformFlags(fs, []string{"-chdir=d", "plan", "-json"}, false); !cmp.Equal(got, []string{"--chdir=d", "plan", "-json"}) {
		t.Errorf("global flags: %q", got)
	}
}

// TestFlagErrors: a single-dash typo gets the long flag's error and a
// suggestion, and --parallelism is refused out of 1 to 1000 on every
// command that takes it.
func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "-detailed-exitcod"}, "mynthform plan: unknown flag: --detailed-exitcod; did you mean --detailed-exitcode?"},
		{[]string{"-chdri=x", "plan"}, "mynthform: unknown flag: --chdri; did you mean --chdir?"},
		{[]string{"plan", "--parallelism", "0"}, `mynthform plan: invalid argument "0" for "--parallelism" flag: must be a whole number from 1 to 1000`},
		{[]string{"plan", "-parallelism=1001"}, `mynthform plan: invalid argument "1001" for "--parallelism" flag: must be a whole number from 1 to 1000`},
		{[]string{"apply", "--parallelism=-3"}, `mynthform apply: invalid argument "-3" for "--parallelism" flag`},
		{[]string{"report", "--format", "junit", "--parallelism", "many"}, `mynthform report: invalid argument "many" for "--parallelism" flag`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runWithEnv(context.Background(), append([]string{"-C", t.TempDir()}, tc.args...), strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			if !strings.HasPrefix(stderr.String(), tc.want) {
				t.Errorf("stderr starts %q, want %q", stderr.String(), tc.want)
			}
		})
	}
}

// TestNoColorAfterTheCommand: --no-color (or -no-color) after the command
// turns color off as the global flag does.
func TestNoColorAfterTheCommand(t *testing.T) {
	for _, flag := range []string{"--no-color", "-no-color"} {
		var stdout, stderr bytes.Buffer
		g := &globals{stdout: &stdout, stderr: &stderr, color: true}
		if code, done := parseFlags(g, newFlagSet("plan"), planUsage, []string{flag}); done {
			t.Fatalf("%s: exit %d: %s", flag, code, stderr.String())
		}
		if g.color {
			t.Errorf("%s after the command left color on", flag)
		}
	}
}
