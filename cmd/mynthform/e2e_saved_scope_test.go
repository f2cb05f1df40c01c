package main

import (
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// TestApplyE2ESavedPlanKeepsItsScope: a saved plan made with --target is
// applied, and checked afterwards, over that target only, so a failing
// task outside it does not fail the apply.
func TestApplyE2ESavedPlanKeepsItsScope(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"bad": "a mug [[fail]]"}, ""))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 1, "apply a task that fails")

	writeSpec(t, dir, productSpec(map[string]string{"bad": "a mug [[fail]]", "good": "a bowl"}, ""))
	mustCode(t, runBin(t, dir, env, "plan", "--target", `task.product["good"]`, "--out", "tfplan.json"), 0, "plan --target --out")
	r := runBin(t, dir, env, "apply", "--auto-approve", "tfplan.json")
	mustCode(t, r, 0, "apply the targeted saved plan")
	if strings.Contains(r.Stdout, `task.product["bad"]`) {
		t.Errorf("the apply of a plan targeting task.product[\"good\"] reported task.product[\"bad\"]:\n%s", r.Stdout)
	}
	if got := srv.Emulator.Stats().Created; got != 2 {
		t.Errorf("%d tasks created, want 2", got)
	}
}
