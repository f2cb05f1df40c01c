package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateSpecGolden = flag.Bool("update-spec", false, "rewrite the golden files of validate and fmt")

// specCLIResult is what one in-process run of the CLI produced.
type specCLIResult struct {
	Code           int
	Stdout, Stderr string
}

// runSpecCLI runs the CLI in-process with env as its whole environment.
func runSpecCLI(t *testing.T, env map[string]string, args ...string) specCLIResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runWithEnv(context.Background(), args, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	return specCLIResult{Code: code, Stdout: stdout.String(), Stderr: stderr.String()}
}

// specFixture is a directory of testdata/spec, as a path relative to this
// package so that golden output does not depend on where the tree is.
func specFixture(name string) string {
	return filepath.Join("..", "..", "testdata", "spec", name)
}

func checkSpecGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(specFixture("cli"), name)
	if *updateSpecGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update-spec to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func writeSpecFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout string
		golden     string // compare stderr with this golden file
	}{
		{name: "valid", args: []string{"-C", specFixture("valid"), "validate"}, wantStdout: "The spec is valid: 4 tasks.\n"},
		{name: "errors", args: []string{"-C", specFixture("types"), "validate"}, wantCode: 1, golden: "validate_types.golden"},
		{name: "bad flag", args: []string{"-C", specFixture("valid"), "validate", "--jsn"}, wantCode: 1, golden: "validate_bad_flag.golden"},
		{name: "extra argument", args: []string{"-C", specFixture("valid"), "validate", "x"}, wantCode: 1, golden: "validate_extra_arg.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSpecCLI(t, tt.env, tt.args...)
			if r.Code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.Code, tt.wantCode, r.Stderr)
			}
			if diff := cmp.Diff(tt.wantStdout, r.Stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if tt.golden != "" {
				checkSpecGolden(t, tt.golden, r.Stderr)
			} else if r.Stderr != "" {
				t.Errorf("stderr: %s", r.Stderr)
			}
		})
	}
}

func TestValidateHelp(t *testing.T) {
	r := runSpecCLI(t, nil, "validate", "--help")
	for _, want := range []string{"Usage: mynthform validate [--json]", "--json", "--var NAME=VALUE", "--var-file FILE"} {
		if r.Code != 0 || !strings.Contains(r.Stdout, want) {
			t.Errorf("exit %d, help lacks %q:\n%s", r.Code, want, r.Stdout)
		}
	}
}

func TestValidateJSON(t *testing.T) {
	r := runSpecCLI(t, nil, "-C", specFixture("expect"), "validate", "--json")
	if r.Code != 1 || r.Stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	checkSpecGolden(t, "validate_expect.json", r.Stdout)
	var doc struct {
		Valid        bool `json:"valid"`
		ErrorCount   int  `json:"error_count"`
		WarningCount int  `json:"warning_count"`
		Diagnostics  []struct {
			Severity string `json:"severity"`
			Summary  string `json:"summary"`
			Range    struct {
				Filename string `json:"filename"`
				Start    struct{ Line, Column int }
			} `json:"range"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Valid || doc.ErrorCount != 4 || doc.WarningCount != 0 || len(doc.Diagnostics) != 4 {
		t.Errorf("got %+v", doc)
	}
	if d := doc.Diagnostics[0]; d.Range.Start.Line != 5 || d.Range.Start.Column != 16 || !strings.HasSuffix(d.Range.Filename, "main.mynth.hcl") {
		t.Errorf("first diagnostic: %+v", d)
	}

	r = runSpecCLI(t, nil, "-C", specFixture("valid"), "validate", "--json")
	want := "{\n  \"valid\": true,\n  \"error_count\": 0,\n  \"warning_count\": 0,\n  \"diagnostics\": []\n}\n"
	if r.Code != 0 || r.Stdout != want {
		t.Errorf("valid spec: exit %d, stdout %s", r.Code, r.Stdout)
	}
}

func TestValidateVariables(t *testing.T) {
	dir := writeSpecFiles(t, map[string]string{
		"main.mynth.hcl":     "variable \"model\" {\n}\n\ntask \"a\" {\n  prompt = \"p\"\n  model  = var.model\n}\n",
		"dev.mynthvars.hcl":  "model = \"from-file\"\n",
		"typo.mynthvars.hcl": "modle = \"x\"\n",
	})
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		stderr   string
	}{
		{"missing", nil, nil, 1, "No value for required variable"},
		{"flag", []string{"--var", "model=m"}, nil, 0, ""},
		{"var file", []string{"--var-file", "dev.mynthvars.hcl"}, nil, 0, ""},
		{"env", nil, map[string]string{"MYNTH_VAR_model": "m"}, 0, ""},
		{"undeclared in var file is a warning", []string{"--var-file", "typo.mynthvars.hcl", "--var", "model=m"}, nil, 0, `Warning: Value for undeclared variable`},
		{"undeclared flag is an error", []string{"--var", "modle=m"}, nil, 1, `Did you mean "model"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSpecCLI(t, tt.env, append([]string{"-C", dir, "validate"}, tt.args...)...)
			if r.Code != tt.wantCode || !strings.Contains(r.Stderr, tt.stderr) || (tt.stderr == "" && r.Stderr != "") {
				t.Errorf("exit %d (want %d), stderr:\n%s", r.Code, tt.wantCode, r.Stderr)
			}
		})
	}
}

// TestValidateNeverPrintsSecrets passes a PAT and an API key as variable
// values and checks that neither appears in any output.
func TestValidateNeverPrintsSecrets(t *testing.T) {
	const pat, key = "pat_CANARY_4f1b", "mak_CANARY_93ac"
	dir := writeSpecFiles(t, map[string]string{"main.mynth.hcl": `
variable "token" {
  sensitive = true
}
variable "size" {
  sensitive = true
}
task "a" {
  id           = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
  access_token = var.token
  size         = var.size
}
task "b" {
  prompt = "p"
  files  = [var.size]
}
`})
	for _, args := range [][]string{
		{"validate", "--var", "token=" + pat, "--var", "size=" + key},
		{"validate", "--json", "--var", "token=" + pat, "--var", "size=" + key},
		{"validate", "--var", "token=" + key, "--var", "size=" + pat},
		{"validate", "--var", "nosuch=" + key},
	} {
		r := runSpecCLI(t, map[string]string{"MYNTH_API_KEY": key}, append([]string{"-C", dir}, args...)...)
		if r.Code != 1 {
			t.Errorf("%v: exit %d", args, r.Code)
		}
		checkNoSecret(t, args, r, pat, key)
	}

	// A key written into the spec, and a secret of the wrong type in a
	// variable file: the source snippets must not print them.
	dir = writeSpecFiles(t, map[string]string{
		"main.mynth.hcl":  "variable \"n\" {\n  type      = number\n  sensitive = true\n}\ntask \"a\" {\n  id           = \"tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP\"\n  access_token = \"" + key + "\"\n  count        = var.n\n}\n",
		"s.mynthvars.hcl": "n = \"" + pat + "\"\n",
	})
	for _, args := range [][]string{{"validate", "--var-file", "s.mynthvars.hcl"}, {"validate", "--json", "--var-file", "s.mynthvars.hcl"}} {
		r := runSpecCLI(t, nil, append([]string{"-C", dir}, args...)...)
		if r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "API key in access_token") || !strings.Contains(r.Stdout+r.Stderr, "Invalid value for variable") {
			t.Errorf("%v: exit %d:\n%s%s", args, r.Code, r.Stdout, r.Stderr)
		}
		checkNoSecret(t, args, r, pat, key)
	}
}

func checkNoSecret(t *testing.T, args []string, r specCLIResult, secrets ...string) {
	t.Helper()
	for _, secret := range append(secrets, "CANARY") {
		if strings.Contains(r.Stdout+r.Stderr, secret) {
			t.Errorf("%v: output holds a secret:\n%s%s", args, r.Stdout, r.Stderr)
		}
	}
}
