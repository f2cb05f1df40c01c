package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// TestE2EImportHidesSensitiveID: at an address whose spec pins its id
// from a sensitive variable, import prints no task id, as the plan does:
// not the pinned one when another id is given (the message says the
// spec pins another, sensitive, id), not the one recorded when the
// address is already in the state, not the one it imports, and not the
// one Mynth does not know.
func TestE2EImportHidesSensitiveID(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=mak_e2eimportid"}
	writeSpec(t, dir, "task \"a\" {\n  prompt = \"a chair\"\n}\ntask \"b\" {\n  prompt = \"a table\"\n}\n")
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply")
	made := loadState(t, dir)
	idA, idB := made.Tasks["task.a"].ID, made.Tasks["task.b"].ID
	if err := os.Remove(filepath.Join(dir, "mynth.state.json")); err != nil {
		t.Fatal(err)
	}
	writeSpec(t, dir, sensitiveIDSpec)
	env = append(env, "MYNTH_VAR_secret_id="+idA)

	run := func(code int, want string, args ...string) {
		t.Helper()
		name := strings.Join(args, " ")
		r := runBin(t, dir, env, args...)
		mustCode(t, r, code, name)
		out := r.Stdout + r.Stderr
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, idA) {
				t.Errorf("%s shows the sensitive id: %s", name, strings.TrimSpace(line))
			}
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s does not say %q:\n%s", name, want, out)
		}
	}
	run(exitError, "task.a pins another id in the spec (sensitive, not printed); import that id, or change the spec's id", "import", "task.a", idB)
	run(exitOK, "Imported (sensitive) as task.a: completed, 1 image", "import", "task.a", idA)
	if got := loadState(t, dir).Tasks["task.a"]; got == nil || got.ID != idA {
		t.Fatalf("import recorded %+v, want %s", got, idA)
	}
	run(exitError, "task.a is already in the state (task (sensitive))", "import", "task.a", idA)

	// A pinned id that Mynth does not know: the error hides it too.
	missing := "tsk_missingcanary78"
	if err := os.Remove(filepath.Join(dir, "mynth.state.json")); err != nil {
		t.Fatal(err)
	}
	r := runBin(t, dir, append(env, "MYNTH_VAR_secret_id="+missing), "import", "task.a", missing)
	mustCode(t, r, exitError, "import of a missing task")
	if out := r.Stdout + r.Stderr; strings.Contains(out, missing) || !strings.Contains(out, "reading task (sensitive)") {
		t.Errorf("import of a missing sensitive id:\n%s", out)
	}
}
