package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// upstreamFileSpec: the final starts from the file the sketch saves.
func upstreamFileSpec(sketchPrompt string) string {
	return `task "sketch" {
  prompt = "` + sketchPrompt + `"
  files  = ["out/sketch.png"]
}

task "final" {
  prompt = "A studio photo of the mug in the sketch"
  inputs = [{ file = task.sketch.files[0], role = "init" }]
}
`
}

// TestE2EUpstreamFileInput runs the real binary against the emulator: a
// task whose input is the file its upstream saves (file =
// task.sketch.files[0]) is created once the sketch is saved, with that
// file uploaded and its URL in the request; a re-plan is clean; an edited
// sketch replaces both, and the new file is uploaded.
func TestE2EUpstreamFileInput(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, upstreamFileSpec("A pencil sketch of a mug"))

	r := runBin(t, dir, env, "plan")
	mustCode(t, r, 0, "plan before apply")
	if !strings.Contains(r.Stdout, "(generate: not created yet; its input task.sketch will be generated)") ||
		!strings.Contains(r.Stdout, "inputs[0].source.url  = (known after apply)") {
		t.Errorf("plan does not say the final waits for the sketch's file:\n%s", r.Stdout)
	}

	r = runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "first apply")
	st := loadState(t, dir)
	data, err := os.ReadFile(filepath.Join(dir, "out", "sketch.png"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	up := st.Uploads["out/sketch.png"]
	if up == nil || up.SHA256 != hex.EncodeToString(sum[:]) || up.Size != int64(len(data)) || !strings.HasPrefix(up.URL, srv.URL+"/uploads/") {
		t.Fatalf("the sketch's file is recorded as %+v", up)
	}
	if got := inputsOf(t, st, "task.final"); len(got) != 1 || got[0] != up.URL {
		t.Errorf("final inputs %v, want the uploaded file %s", got, up.URL)
	}
	// In order: the sketch saved, its file uploaded, then the final created.
	iSaved, iUp, iFinal := strings.Index(r.Stdout, "saved out/sketch.png"), strings.Index(r.Stdout, "Uploaded 1 input file: out/sketch.png"), strings.Index(r.Stdout, "task.final: created")
	if iSaved < 0 || iUp < iSaved || iFinal < iUp {
		t.Errorf("not saved, uploaded, created in that order:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Stdout, "2 generated, 0 updated, 0 forgotten. 1 input file uploaded.") {
		t.Errorf("closing line:\n%s", r.Stdout)
	}
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after apply")

	// An edited sketch replaces both; the new file is uploaded and used.
	before := st
	writeSpec(t, dir, upstreamFileSpec("A charcoal sketch of a mug"))
	r = runBin(t, dir, env, "plan", "--detailed-exitcode")
	mustCode(t, r, 2, "plan with an edited sketch")
	if !strings.Contains(r.Stdout, "-/+ task.final  (replace: its input task.sketch will be replaced)") {
		t.Errorf("plan does not replace the final:\n%s", r.Stdout)
	}
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply with an edited sketch")
	st = loadState(t, dir)
	for _, addr := range []string{"task.sketch", "task.final"} {
		if st.Tasks[addr].ID == before.Tasks[addr].ID {
			t.Errorf("%s was not replaced", addr)
		}
	}
	if n := srv.Emulator.Stats().Uploaded; n != 2 {
		t.Errorf("%d uploads, want 2 (each sketch's file once)", n)
	}
	if got := inputsOf(t, st, "task.final"); len(got) != 1 || got[0] != st.Uploads["out/sketch.png"].URL || got[0] == up.URL {
		t.Errorf("final inputs %v after the replacement, want the new upload", got)
	}
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after the replacement")
	noSecrets(t, dir, r)
}

// graphBudgetSpec: a sketch and a final made from its image, both of the
// emulator's model; price is the budget's price block, or "".
func graphBudgetSpec(maxTotal, price string) string {
	budget := "budget {\n  max_total = \"" + maxTotal + "\"\n"
	if price != "" {
		budget += "  price \"google/gemini-3.1-flash-image\" {\n    image = \"" + price + "\"\n  }\n"
	}
	return budget + `}

task "sketch" {
  prompt = "A pencil sketch of a mug"
  model  = "google/gemini-3.1-flash-image"
}

task "final" {
  prompt = "A studio photo of the mug in the sketch"
  model  = "google/gemini-3.1-flash-image"
  inputs = [{ url = task.sketch.images[0].url, role = "init" }]
}
`
}

// TestE2EBudgetCoversTheGraph: the downstream task counts in the plan's
// estimate and in apply's budget although its input is known only after
// apply. With the price known, a plan of $0.025 over max_total $0.02 fails
// and apply creates nothing; within the budget both are created. With no
// price, the guard learns it from the sketch and does not create the
// final, which would pass max_total.
func TestE2EBudgetCoversTheGraph(t *testing.T) {
	t.Run("estimate", func(t *testing.T) {
		srv := mynthtest.NewServer(t, mynthtest.Options{})
		dir := t.TempDir()
		env := applyEnv(srv)
		writeSpec(t, dir, graphBudgetSpec("0.02", "0.0125"))
		r := runBin(t, dir, env, "plan")
		mustCode(t, r, 1, "plan over budget")
		for _, want := range []string{
			"inputs[0].source.url  = (known after apply)",
			"✗ check plan budget: recorded $0.00 + estimate $0.025 (task.sketch, task.final) = $0.025 is over max_total $0.02",
			"Estimate: $0.025 for 2 tasks to create.",
		} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("plan lacks %q:\n%s", want, r.Stdout)
			}
		}
		r = runBin(t, dir, env, "apply", "--auto-approve")
		mustCode(t, r, 1, "apply over budget")
		if n := srv.Emulator.Stats().Created; n != 0 {
			t.Fatalf("apply created %d tasks of a plan over budget", n)
		}
		writeSpec(t, dir, graphBudgetSpec("0.03", "0.0125"))
		r = runBin(t, dir, env, "apply", "--auto-approve")
		mustCode(t, r, 0, "apply within budget")
		if !strings.Contains(r.Stdout, "Apply complete: 2 generated, 0 updated, 0 forgotten. Spent $0.025.") {
			t.Errorf("apply:\n%s", r.Stdout)
		}
		if n := srv.Emulator.Stats().Created; n != 2 {
			t.Errorf("%d created, want 2", n)
		}
	})
	t.Run("guard", func(t *testing.T) {
		srv := mynthtest.NewServer(t, mynthtest.Options{})
		dir := t.TempDir()
		env := applyEnv(srv)
		writeSpec(t, dir, graphBudgetSpec("0.02", ""))
		r := runBin(t, dir, env, "apply", "--auto-approve")
		mustCode(t, r, 1, "apply the guard stops")
		for _, want := range []string{"task.sketch: completed", "Budget: The budget guard stopped creating tasks", "would pass budget.max_total $0.02", "Not created: task.final"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r.Stdout)
			}
		}
		st := loadState(t, dir)
		if n := srv.Emulator.Stats().Created; n != 1 || st.Tasks["task.final"] != nil {
			t.Errorf("%d created, final recorded %v; want the sketch alone", n, st.Tasks["task.final"])
		}
	})
}
