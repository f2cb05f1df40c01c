package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/state"
)

// tenProducts are the products of the budget tests: ten tasks of $0.0125
// each at the emulator's price.
var tenProducts = map[string]string{"a": "a", "b": "b", "c": "c", "d": "d", "e": "e", "f": "f", "g": "g", "h": "h", "i": "i", "j": "j"}

// pricedSpec is productSpec with the emulator's price in the budget block.
func pricedSpec(products map[string]string, maxTotal string) string {
	return strings.Replace(productSpec(products, maxTotal), "budget {\n", "budget {\n  price \"google/gemini-3.1-flash-image\" {\n    image = \"0.0125\"\n  }\n", 1)
}

// TestBudgetE2EPlanStopsBeforeSpending: with the price known, a plan whose
// estimate passes max_total fails its budget check and names the tasks,
// and apply creates nothing at all.
func TestBudgetE2EPlanStopsBeforeSpending(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, pricedSpec(map[string]string{"a": "a", "b": "b", "c": "c"}, "0.03"))

	r := runBin(t, dir, env, "plan")
	mustCode(t, r, 1, "plan over budget")
	for _, want := range []string{
		`✗ check plan budget: recorded $0.00 + estimate $0.0375 (task.product["a"], task.product["b"], task.product["c"]) = $0.0375 is over max_total $0.03`,
		"Estimate: $0.0375 for 3 tasks to create.",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.Stdout)
		}
	}

	r = runBin(t, dir, env, "plan", "--json")
	mustCode(t, r, 1, "plan --json over budget")
	var doc struct {
		Summary struct {
			Estimate struct {
				Total            string
				Priced, Unpriced int
			}
		}
		Tasks []struct {
			Address  string
			Estimate *string
		}
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if e := doc.Summary.Estimate; e.Total != "0.03750000" || e.Priced != 3 || e.Unpriced != 0 {
		t.Errorf("summary.estimate %+v", e)
	}
	for _, tk := range doc.Tasks {
		if tk.Estimate == nil || *tk.Estimate != "0.01250000" {
			t.Errorf("%s: estimate %v", tk.Address, tk.Estimate)
		}
	}

	r = runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 1, "apply over budget")
	if n := srv.Emulator.Stats().Created; n != 0 {
		t.Fatalf("apply created %d tasks of a plan over budget", n)
	}
	if !strings.Contains(r.Stderr, "not applying: the plan fails its budget check, so nothing was created or changed") {
		t.Errorf("apply does not say why:\n%s", r.Stderr)
	}
	if st := loadState(t, dir); len(st.Tasks) != 0 {
		t.Errorf("the state holds %d tasks", len(st.Tasks))
	}

	// Within the budget, the same plan is applied, the three tasks in
	// parallel.
	writeSpec(t, dir, pricedSpec(map[string]string{"a": "a", "b": "b", "c": "c"}, "0.0375"))
	r = runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, r, 0, "apply within budget")
	if n := srv.Emulator.Stats().Created; n != 3 {
		t.Fatalf("created %d, want 3", n)
	}
	noSecrets(t, dir, r)
}

// writeRecordedOld writes a state holding task.old, a completed task of the
// products' model whose recorded cost is total.
func writeRecordedOld(t *testing.T, dir, total string) {
	t.Helper()
	st := state.New("test")
	st.Tasks["task.old"] = &state.Task{ID: "tsk_old", Status: "completed", UpdatedAt: "2026-01-01T10:00:00Z",
		Request: json.RawMessage(`{"model":"google/gemini-3.1-flash-image","prompt":"old","size":"square"}`),
		Result: json.RawMessage(`{"cost":{"images":"` + total + `","total":"` + total + `"},"images":[{"cost":"` + total +
			`","id":"img_old","size":"1024x1024","status":"succeeded","url":"https://cdn.example/old.png"}],"model":"google/gemini-3.1-flash-image"}`)}
	if _, err := state.Open(filepath.Join(dir, "mynth.state.json")).Save(st); err != nil {
		t.Fatal(err)
	}
}

const oldTask = `
task "old" {
  id     = "tsk_old"
  prompt = "old"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
}
`

// TestBudgetE2ERecordedPriceIsNoWorstCase is issue 9's bypass: a recorded
// price of "0" or "-1.00" let apply create 10 tasks of $0.0125 against a
// $0.05 budget. It is no price: apply learns the real one from the first
// task and stops at 4.
func TestBudgetE2ERecordedPriceIsNoWorstCase(t *testing.T) {
	for _, recorded := range []string{"0", "-1.00"} {
		t.Run(recorded, func(t *testing.T) {
			srv := mynthtest.NewServer(t, mynthtest.Options{})
			dir := t.TempDir()
			env := applyEnv(srv)
			writeSpec(t, dir, productSpec(tenProducts, "0.05")+oldTask)
			writeRecordedOld(t, dir, recorded)
			r := runBin(t, dir, env, "apply", "--auto-approve", "--refresh=false")
			mustCode(t, r, 1, "apply against the budget")
			if n := srv.Emulator.Stats().Created; n != 4 {
				t.Fatalf("created %d tasks of $0.0125 against $0.05, want 4\n%s", n, r.Stdout)
			}
			if !strings.Contains(r.Stdout, "Budget: The budget guard stopped creating tasks") {
				t.Errorf("apply does not say the budget stopped it:\n%s", r.Stdout)
			}
		})
	}
}

// TestBudgetE2ENoWaitCreatesOneUnknown is issue 9's --wait=false bypass:
// 10 tasks of unknown price were all created against $0.02.
func TestBudgetE2ENoWaitCreatesOneUnknown(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(tenProducts, "0.02"))
	r := runBin(t, dir, env, "apply", "--auto-approve", "--wait=false")
	mustCode(t, r, 1, "apply --wait=false against the budget")
	if n := srv.Emulator.Stats().Created; n != 1 {
		t.Fatalf("created %d tasks of unknown price with --wait=false, want 1\n%s", n, r.Stdout)
	}
	if !strings.Contains(r.Stdout, "stays pending (--wait=false)") {
		t.Errorf("apply does not say why:\n%s", r.Stdout)
	}
	// A second --wait=false apply finds it pending, of unknown price
	// still, and creates nothing more.
	r = runBin(t, dir, env, "apply", "--auto-approve", "--wait=false")
	if n := srv.Emulator.Stats().Created; n != 1 {
		t.Fatalf("the second --wait=false apply created %d more\n%s", n-1, r.Stdout)
	}
}

// TestBudgetE2ELedger: a replaced task goes to the state's ledger; show
// prints the current cost and the total spent; max_spent counts what was
// thrown away and stops the next replacement in the plan.
func TestBudgetE2ELedger(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, pricedSpec(map[string]string{"a": "a mug", "b": "a bowl"}, "1.00"))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "first apply")
	first := loadState(t, dir).Tasks[`task.product["a"]`].ID

	writeSpec(t, dir, pricedSpec(map[string]string{"a": "a blue mug", "b": "a bowl"}, "1.00"))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "replacing apply")
	st := loadState(t, dir)
	if len(st.History) != 1 {
		t.Fatalf("history %+v", st.History)
	}
	h := st.History[0]
	if h.Address != `task.product["a"]` || h.ID != first || h.Reason != state.SupersededReplaced ||
		h.ReplacedBy != st.Tasks[`task.product["a"]`].ID || h.Cost == nil || h.Cost.String() != "0.01250000" || len(h.RequestSHA256) != 64 {
		t.Errorf("ledger entry %+v", h)
	}

	r := runBin(t, dir, env, "show")
	mustCode(t, r, 0, "show")
	for _, want := range []string{
		"Replaced and forgotten (1 task):\n  task.product[\"a\"]  " + first + "  $0.0125  replaced by " + h.ReplacedBy,
		"Current cost: $0.025 over 2 tasks",
		"Total spent: $0.0375, of which $0.0125 on 1 task replaced or forgotten (the ledger).",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.Stdout)
		}
	}

	// $0.0375 spent: replacing the bowl ($0.0125) would pass max_spent
	// $0.045, though the current cost stays $0.025.
	writeSpec(t, dir, strings.Replace(pricedSpec(map[string]string{"a": "a blue mug", "b": "a green bowl"}, "1.00"),
		"budget {\n", "budget {\n  max_spent = \"0.045\"\n", 1))
	r = runBin(t, dir, env, "plan")
	mustCode(t, r, 1, "plan over max_spent")
	if want := `✗ check plan budget_spent: spent $0.0375 + estimate $0.0125 (task.product["b"]) = $0.05 is over max_spent $0.045`; !strings.Contains(r.Stdout, want) {
		t.Errorf("plan lacks %q:\n%s", want, r.Stdout)
	}
	created := srv.Emulator.Stats().Created
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 1, "apply over max_spent")
	if n := srv.Emulator.Stats().Created; n != created {
		t.Errorf("apply created %d tasks past max_spent", n-created)
	}
}
