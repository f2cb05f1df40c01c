package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// savedPlanSecret is a sensitive variable's value: it must never be in a
// saved plan, an output or the state.
const savedPlanSecret = "hook_CANARY_5d1e"

// savedPlanSpec declares a required variable, a sensitive one used in a
// webhook URL, and a prompt read from prompt.txt.
const savedPlanSpec = `variable "subject" {
  type = string
}

variable "hook" {
  type      = string
  sensitive = true
}

task "hero" {
  prompt = "${trimspace(file("prompt.txt"))} of a ${var.subject}"
  model  = "google/gemini-3.1-flash-image"
  webhook {
    custom = ["https://hooks.example/mynth?token=${var.hook}"]
  }
}
`

func writeSavedPlanSpec(t *testing.T, dir string) {
	t.Helper()
	writeSpec(t, dir, savedPlanSpec)
	if err := os.WriteFile(filepath.Join(dir, "prompt.txt"), []byte("Studio photo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// createdPrompt is the prompt of the task the state records for task.hero,
// as the emulator received it.
func createdPrompt(t *testing.T, srv *mynthtest.Server, dir string) string {
	t.Helper()
	rec := loadState(t, dir).Tasks["task.hero"]
	if rec == nil {
		t.Fatal("the state holds no task.hero")
	}
	raw, ok := srv.Emulator.Task(rec.ID)
	if !ok {
		t.Fatalf("the emulator has no task %s", rec.ID)
	}
	var task mynth.Task
	if err := json.Unmarshal(raw, &task); err != nil {
		t.Fatal(err)
	}
	return task.Request.Prompt.Positive
}

// TestApplyE2ESavedPlanKeepsItsValues: a saved plan is applied without its
// --var (the values it was made with are in it), a sensitive value must be
// given again and is refused when different, and the plan file holds no
// secret.
func TestApplyE2ESavedPlanKeepsItsValues(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSavedPlanSpec(t, dir)
	plan := runBin(t, dir, env, "plan", "--var", "subject=mug", "--var", "hook="+savedPlanSecret, "--out", "tfplan")
	mustCode(t, plan, 0, "plan --out")
	data, err := os.ReadFile(filepath.Join(dir, "tfplan"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{savedPlanSecret, applyKey, "mak_"} {
		if strings.Contains(string(data), secret) {
			t.Fatalf("the saved plan holds a secret (%s):\n%s", secret, data)
		}
	}
	if !strings.Contains(string(data), `"subject"`) || !strings.Contains(string(data), `"main.mynth.hcl"`) {
		t.Errorf("the saved plan does not record its variables and spec files:\n%s", data)
	}

	r := runBin(t, dir, env, "apply", "--auto-approve", "tfplan")
	mustCode(t, r, 1, "apply without the sensitive value")
	if !strings.Contains(r.Stderr, "holds var.hook only as a digest") {
		t.Errorf("no hint for the missing sensitive value:\n%s", r.Stderr)
	}
	r2 := runBin(t, dir, env, "apply", "--auto-approve", "--var", "hook=another_value", "tfplan")
	mustCode(t, r2, 1, "apply with another sensitive value")
	if !strings.Contains(r2.Stderr, "var.hook is sensitive and its value is not the one the plan was made with") || strings.Contains(r2.Stderr, "another_value") {
		t.Errorf("another sensitive value:\n%s", r2.Stderr)
	}
	r3 := runBin(t, dir, env, "apply", "--auto-approve", "--var", "hook="+savedPlanSecret, "--var", "subject=bowl", "tfplan")
	mustCode(t, r3, 1, "apply with another value for subject")
	if !strings.Contains(r3.Stderr, `var.subject is "bowl", the plan was made with "mug"`) {
		t.Errorf("another value for subject:\n%s", r3.Stderr)
	}
	if got := srv.Emulator.Stats().Created; got != 0 {
		t.Fatalf("%d tasks created by refused applies", got)
	}

	// Only the sensitive value, from the environment: subject comes from
	// the plan.
	r4 := runBin(t, dir, append(env, "MYNTH_VAR_hook="+savedPlanSecret), "apply", "--auto-approve", "tfplan")
	mustCode(t, r4, 0, "apply the saved plan without --var subject")
	if got := srv.Emulator.Stats().Created; got != 1 {
		t.Errorf("%d tasks created, want 1", got)
	}
	if got := createdPrompt(t, srv, dir); got != "Studio photo of a mug" {
		t.Errorf("apply sent the prompt %q, the plan showed %q", got, "Studio photo of a mug")
	}
	noSecrets(t, dir, plan, r, r2, r3, r4)
	for _, res := range []binResult{plan, r, r2, r3, r4} {
		if strings.Contains(res.Stdout+res.Stderr, savedPlanSecret) {
			t.Fatalf("the sensitive value is in the output:\n%s\n%s", res.Stdout, res.Stderr)
		}
	}
}

// TestApplyE2ESavedPlanRefusedAfterSpecChange: once a spec file, or a file
// a request reads, changes after plan --out, apply refuses the plan and
// creates nothing.
func TestApplyE2ESavedPlanRefusedAfterSpecChange(t *testing.T) {
	for name, edit := range map[string]func(t *testing.T, dir string){
		"spec file changed": func(t *testing.T, dir string) {
			writeSpec(t, dir, savedPlanSpec+"\n# a comment changes the file too\n")
		},
		"spec file added": func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "more.mynth.hcl"), []byte("task \"more\" {\n  prompt = \"x\"\n}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"file read by the prompt changed": func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "prompt.txt"), []byte("Watercolour\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := mynthtest.NewServer(t, mynthtest.Options{})
			dir := t.TempDir()
			env := append(applyEnv(srv), "MYNTH_VAR_hook="+savedPlanSecret)
			writeSavedPlanSpec(t, dir)
			mustCode(t, runBin(t, dir, env, "plan", "--var", "subject=mug", "--out", "tfplan"), 0, "plan --out")
			edit(t, dir)
			r := runBin(t, dir, env, "apply", "--auto-approve", "tfplan")
			mustCode(t, r, 1, "apply after the change")
			if !strings.Contains(r.Stderr, "refusing the saved plan tfplan") || !strings.Contains(r.Stderr, "Nothing was created") {
				t.Errorf("refusal:\n%s", r.Stderr)
			}
			if got := srv.Emulator.Stats().Created; got != 0 {
				t.Errorf("%d tasks created from a refused plan", got)
			}
			if _, err := os.Stat(filepath.Join(dir, "mynth.state.json")); err == nil {
				t.Errorf("a refused plan wrote the state")
			}
		})
	}
}
