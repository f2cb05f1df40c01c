package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/state"
)

// finalSpec is a spec of one task, task.final, saved as final.png.
func finalSpec(prompt string) string {
	return `task "final" {
  prompt = "` + prompt + `"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
  output {
    format = "png"
  }
  files = ["final.png"]
}
`
}

// A replacement whose creation fails keeps the old task's record whole
// (id, request, result, saved files), and its file on disk: nothing is
// built from the new request or from a half answer. The new creation is
// a creation of unknown outcome that no apply repeats by itself; resolved
// by import (the task was made) or by --replace (it was not), the old task
// goes to the ledger exactly once, and no task is paid for twice.
func TestReplaceE2EFailedCreationKeepsTheOldRecord(t *testing.T) {
	for _, tc := range []struct {
		fault mynthtest.FaultKind
		made  bool // the emulator creates the task before it fails the answer
	}{
		{mynthtest.FaultDropAfterCreate, true},
		{mynthtest.FaultTruncate, true},
		{mynthtest.FaultMalformed, true},
		{mynthtest.Fault500, false},
		{mynthtest.Fault502, false},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "emulator.json")
			srv := mynthtest.NewServer(t, mynthtest.Options{StorePath: store})
			dir := t.TempDir()
			env := applyEnv(srv)
			writeSpec(t, dir, finalSpec("A finished poster of a lighthouse"))
			mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "first apply")
			before := loadState(t, dir)
			old := before.Tasks["task.final"]
			if old == nil || len(old.Files) != 1 || len(old.Result) == 0 {
				t.Fatalf("first apply recorded %+v", old)
			}
			png, err := os.ReadFile(filepath.Join(dir, "final.png"))
			if err != nil {
				t.Fatal(err)
			}

			// The edit makes a replacement, whose creation fails.
			writeSpec(t, dir, finalSpec("A finished poster of a lighthouse at night"))
			p := runBin(t, dir, env, "plan")
			mustCode(t, p, 0, "plan of the replacement")
			if !strings.Contains(p.Stdout, "-/+ task.final") {
				t.Fatalf("plan does not replace task.final:\n%s", p.Stdout)
			}
			srv.Emulator.SetFaults(mynthtest.Faults{Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{
				mynthtest.EndpointGenerate: {Next: []mynthtest.FaultKind{tc.fault}},
			}})
			r := runBin(t, dir, env, "apply", "--auto-approve")
			mustCode(t, r, 1, "apply whose replacement fails")
			wantCreated := 1
			if tc.made {
				wantCreated = 2
			}
			if got := srv.Emulator.Stats().Created; got != wantCreated {
				t.Fatalf("%d tasks created, want %d", got, wantCreated)
			}
			st := loadState(t, dir)
			checkOldKept(t, dir, st, old, png, "after the failed replacement")
			at := st.Attempts["task.final"]
			if at == nil || !strings.Contains(string(at.Request), "at night") || at.Error == "" {
				t.Fatalf("the creation is not recorded as of unknown outcome: %+v", st.Attempts)
			}

			// Neither plan nor apply creates it again by itself.
			p = runBin(t, dir, env, "plan")
			mustCode(t, p, 1, "plan over the unknown outcome")
			for _, want := range []string{"unknown outcome", at.ID, "which also forgets task " + old.ID} {
				if !strings.Contains(p.Stdout, want) {
					t.Errorf("plan lacks %q:\n%s", want, p.Stdout)
				}
			}
			if strings.Contains(p.Stdout, "-/+ task.final") {
				t.Errorf("plan replaces again:\n%s", p.Stdout)
			}
			mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 1, "apply over the unknown outcome")
			if got := srv.Emulator.Stats().Created; got != wantCreated {
				t.Fatalf("a second apply created %d more tasks", got-wantCreated)
			}
			st = loadState(t, dir)
			checkOldKept(t, dir, st, old, png, "after the second apply")
			if got := st.Attempts["task.final"]; got == nil || got.ID != at.ID {
				t.Fatalf("the record changed: %+v", st.Attempts)
			}

			// Resolved: the task Mynth made is imported, or a new one paid
			// for knowingly.
			var newID string
			if tc.made {
				ids := storedTaskIDs(t, store)
				ids = slices.DeleteFunc(ids, func(id string) bool { return id == old.ID })
				if len(ids) != 1 {
					t.Fatalf("emulator tasks besides the old one: %v", ids)
				}
				newID = ids[0]
				mustCode(t, runBin(t, dir, env, "import", "task.final", newID), 0, "import of the task made")
				mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply after import")
			} else {
				mustCode(t, runBin(t, dir, env, "apply", "--auto-approve", "--replace", "task.final"), 0, "apply --replace")
				wantCreated++
				newID = loadState(t, dir).Tasks["task.final"].ID
			}
			if got := srv.Emulator.Stats().Created; got != wantCreated {
				t.Fatalf("%d tasks created in all, want %d", got, wantCreated)
			}
			st = loadState(t, dir)
			if rec := st.Tasks["task.final"]; rec == nil || rec.ID != newID || rec.ID == old.ID || len(st.Attempts) != 0 ||
				!strings.Contains(string(rec.Request), "at night") || len(rec.Files) != 1 {
				t.Fatalf("resolved state: task %+v, attempts %+v", rec, st.Attempts)
			}
			var ledger []*state.Superseded
			for _, h := range st.History {
				if h.ID == old.ID {
					ledger = append(ledger, h)
				}
			}
			if len(st.History) != 1 || len(ledger) != 1 || ledger[0].Address != "task.final" || ledger[0].Reason != state.SupersededReplaced ||
				ledger[0].ReplacedBy != newID || ledger[0].Cost == nil {
				t.Errorf("ledger %+v: want the old task once, replaced by %s, with its cost", st.History, newID)
			}
			mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan at the end")
		})
	}
}

// checkOldKept fails t unless st records old at task.final exactly as
// before, and its file holds png.
func checkOldKept(t *testing.T, dir string, st *state.File, old *state.Task, png []byte, when string) {
	t.Helper()
	if diff := cmp.Diff(old, st.Tasks["task.final"]); diff != "" {
		t.Errorf("%s, task.final's record changed (-old +now):\n%s", when, diff)
	}
	if len(st.History) != 0 {
		t.Errorf("%s, the ledger holds %+v: the old task is still the one recorded", when, st.History)
	}
	b, err := os.ReadFile(filepath.Join(dir, "final.png"))
	if err != nil || string(b) != string(png) {
		t.Errorf("%s, final.png changed (%v)", when, err)
	}
}
