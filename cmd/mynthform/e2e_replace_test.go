package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// TestApplyE2EReplaceUnchangedTask: --replace regenerates a task whose
// spec, state and remote agree (an image nobody likes), on plan and on
// apply, and records the new task in place of the old one.
func TestApplyE2EReplaceUnchangedTask(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"a": "a mug", "b": "a bowl"}, ""))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "first apply")
	before := loadState(t, dir)

	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan with nothing to do")
	r := runBin(t, dir, env, "plan", "--detailed-exitcode", "--replace", `task.product["a"]`)
	mustCode(t, r, 2, "plan --replace")
	if !strings.Contains(r.Stdout, `-/+ task.product["a"]  (replace: replacement requested with --replace)`) ||
		!strings.Contains(r.Stdout, `+ prompt        = "Studio photo of a mug"`) {
		t.Errorf("plan --replace does not show the replacement and its request:\n%s", r.Stdout)
	}
	if strings.Contains(r.Stdout, `task.product["b"]  (replace`) {
		t.Errorf("plan --replace replaces a task it does not name:\n%s", r.Stdout)
	}

	r = runBin(t, dir, env, "apply", "--auto-approve", "--replace", `task.product["a"]`)
	mustCode(t, r, 0, "apply --replace")
	if got := srv.Emulator.Stats().Created; got != 3 {
		t.Errorf("%d tasks created, want 3 (2, then the replacement)", got)
	}
	after := loadState(t, dir)
	if after.Tasks[`task.product["a"]`].ID == before.Tasks[`task.product["a"]`].ID {
		t.Errorf("the state still holds the old task for task.product[\"a\"]")
	}
	if after.Tasks[`task.product["b"]`].ID != before.Tasks[`task.product["b"]`].ID {
		t.Errorf("task.product[\"b\"] was replaced too")
	}
	checkFilesMatchState(t, dir, after)
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after the replacement")

	r = runBin(t, dir, env, "plan", "--replace", "product")
	mustCode(t, r, 1, "plan --replace with a malformed address")
	if !strings.Contains(r.Stderr, `--replace "product" is not a task address`) {
		t.Errorf("malformed --replace:\n%s", r.Stderr)
	}
	noSecrets(t, dir, r)
}

// TestApplyE2EForgetSaysWhichFilesStay: the plan and the apply of a forget
// name the files left on disk, which are still there afterwards.
func TestApplyE2EForgetSaysWhichFilesStay(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug", "bowl": "a bowl"}, ""))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug"}, ""))
	r := runBin(t, dir, env, "plan")
	mustCode(t, r, 0, "plan a forget")
	if !strings.Contains(r.Stdout, "file:    assets/bowl.png (ok; left on disk: forget deletes no file)") {
		t.Errorf("the plan does not say the forgotten task's file stays:\n%s", r.Stdout)
	}
	r = runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply a forget")
	if !strings.Contains(r.Stdout, `task.product["bowl"]: forgotten; left on disk: assets/bowl.png`) {
		t.Errorf("the apply does not say the forgotten task's file stays:\n%s", r.Stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "assets", "bowl.png")); err != nil {
		t.Errorf("forget removed the file: %v", err)
	}
}
