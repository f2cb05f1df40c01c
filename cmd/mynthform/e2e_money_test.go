package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// signSpec is a spec whose prompt and metadata read like tokens but are
// the user's own text.
const signSpec = `task "sign" {
  prompt   = "A shop sign that reads pat_sullivan_bakery"
  model    = "google/gemini-3.1-flash-image"
  size     = "square"
  metadata = { shop = "mak_0123456789abcdef" }
}
`

// Text from the spec never blocks the state: apply saves a task whose
// prompt looks like a Public Access Token, and import records one.
func TestMoneyE2EUserTextLikeATokenIsSaved(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, signSpec)

	r := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply")
	if !strings.Contains(r.Stdout, "Apply complete: 1 generated") {
		t.Errorf("apply output:\n%s", r.Stdout)
	}
	st := loadState(t, dir)
	if len(st.Tasks) != 1 || srv.Emulator.Stats().Created != 1 || !strings.Contains(string(st.Tasks["task.sign"].Request), "pat_sullivan_bakery") ||
		!strings.Contains(string(st.Tasks["task.sign"].Request), "mak_0123456789abcdef") {
		t.Fatalf("state %v after %d creations", st.Tasks, srv.Emulator.Stats().Created)
	}
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after apply")

	// import the same kind of task, made outside mynthform.
	client := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: applyKey})
	created, err := client.Generate(context.Background(), mynth.Request{Prompt: &mynth.Prompt{Positive: "A shop sign that reads pat_sullivan_bakery"},
		Model: "google/gemini-3.1-flash-image", Size: &mynth.Size{Preset: "square"}, Metadata: []byte(`{"shop":"mak_0123456789abcdef"}`)})
	if err != nil {
		t.Fatal(err)
	}
	writeSpec(t, dir, signSpec+strings.Replace(signSpec, `task "sign"`, `task "other"`, 1))
	imp := runBin(t, dir, env, "import", "task.other", created.TaskID)
	mustCode(t, imp, 0, "import")
	if got := loadState(t, dir).Tasks["task.other"]; got == nil || got.ID != created.TaskID {
		t.Fatalf("import recorded %v", got)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "mynth.state.json"))
	if strings.Contains(string(b), applyKey) || strings.Contains(r.Stdout+r.Stderr+imp.Stdout+imp.Stderr, applyKey) {
		t.Fatal("the API key was written")
	}
}
