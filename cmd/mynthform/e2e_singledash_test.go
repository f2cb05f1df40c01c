package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// TestE2ETerraformStyleFlags runs the binary with flags as Terraform users
// type them: one dash, values after = or apart, -chdir before the command,
// -no-color after it.
func TestE2ETerraformStyleFlags(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	parent := t.TempDir()
	dir := filepath.Join(parent, "spec")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"a": "a mug", "b": "a bowl"}, "")+`
variable "style" {
  type = string
}

task "styled" {
  prompt = "a cup, ${var.style}"
}
`)
	r := runBin(t, parent, env, "-chdir=spec", "plan", "-detailed-exitcode", "-var", "style=flat", "-no-color")
	mustCode(t, r, 2, "plan -detailed-exitcode with changes")
	if !strings.Contains(r.Stdout, `+ prompt = "a cup, flat"`) || strings.Contains(r.Stdout, "\x1b[") {
		t.Errorf("plan -var -no-color:\n%s", r.Stdout)
	}

	r = runBin(t, parent, env, "-chdir=spec", "plan", "-var=style=flat", "-target=task.styled", "-out=tfplan", "-json")
	mustCode(t, r, 0, "plan -target -out -json")
	var doc struct {
		Summary struct{ Generate int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil || doc.Summary.Generate != 1 {
		t.Fatalf("plan -json -target: %v\n%s", err, r.Stdout)
	}
	mustCode(t, runBin(t, dir, env, "apply", "-auto-approve", "tfplan"), 0, "apply -auto-approve tfplan")
	if got := srv.Emulator.Stats().Created; got != 1 {
		t.Fatalf("%d tasks created, want 1 (the target only)", got)
	}

	mustCode(t, runBin(t, dir, env, "apply", "-auto-approve", "-var", "style=flat", "-parallelism=2"), 0, "apply the rest")
	mustCode(t, runBin(t, dir, env, "plan", "-detailed-exitcode", "-var", "style=flat"), 0, "plan -detailed-exitcode without changes")
	r = runBin(t, dir, env, "plan", "-detailed-exitcode", "-var", "style=flat", `-replace=task.product["a"]`)
	mustCode(t, r, 2, "plan -replace")
	if !strings.Contains(r.Stdout, "replacement requested with --replace") {
		t.Errorf("plan -replace:\n%s", r.Stdout)
	}
	// -C and -h are still shorthands.
	mustCode(t, runBin(t, parent, env, "-C", "spec", "plan", "-h"), 0, "-C spec plan -h")
	noSecrets(t, dir, r)
}
