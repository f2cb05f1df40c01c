package main

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// hostileKeysSpec declares one task per for_each key, each key hostile to
// a hand-made address parser: a quote and a bracket, a newline, a
// backslash, a decomposed accent, the empty string.
const hostileKeysSpec = `
task "product" {
  for_each = toset(["mug", "a\"]b", "line\nbreak", "back\\slash", "e\u0301", ""])
  prompt   = "Studio photo of a ${each.key}"
  model    = "google/gemini-3.1-flash-image"
  size     = "square"
}
`

// TestAddressesE2EHostileKeys: every command that takes an address reads
// the same syntax (escaped, single-quoted, bare, or with the accent
// decomposed) and selects exactly the task it names, never its neighbour;
// what the commands print holds each address escaped, on one line.
func TestAddressesE2EHostileKeys(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, hostileKeysSpec)

	recorded := func() []string {
		t.Helper()
		var out []string
		for a := range loadState(t, dir).Tasks {
			out = append(out, a)
		}
		sort.Strings(out)
		return out
	}
	created := func(want int) {
		t.Helper()
		if got := srv.Emulator.Stats().Created; got != want {
			t.Fatalf("%d tasks created, want %d", got, want)
		}
	}

	// The key with a quote and a bracket, escaped as the state writes it.
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve", "--target", `task.product["a\"]b"]`), 0, "apply one hostile key")
	created(1)
	if diff := cmp.Diff([]string{`task.product["a\"]b"]`}, recorded()); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}

	// A saved plan keeps such a target, and applies only it.
	r := runBin(t, dir, env, "plan", "--target", `task.product["line\nbreak"]`, "--out", "tfplan.json")
	mustCode(t, r, 0, "plan --target with a newline in the key")
	if !strings.Contains(r.Stdout, `task.product["line\nbreak"]`) || strings.Contains(r.Stdout, "line\nbreak") || strings.Contains(r.Stdout, `task.product["mug"]`) {
		t.Errorf("the plan of one key with a newline:\n%s", r.Stdout)
	}
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve", "tfplan.json"), 0, "apply the saved plan")
	created(2)

	// The accent typed decomposed and bare selects the spec's composed key;
	// the empty key typed as a shell leaves task.product[""].
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve", "--target", "task.product[e\u0301]", "--target", "task.product[]"), 0, "apply a decomposed and an empty key")
	created(4)
	if diff := cmp.Diff([]string{`task.product[""]`, `task.product["a\"]b"]`, `task.product["line\nbreak"]`, `task.product["é"]`}, recorded()); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}

	// A block selects every instance; an exclude takes one out again.
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve", "--target", "task.product", "--exclude", `task.product['mug']`), 0, "apply the block but one")
	created(5)
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply the rest")
	created(6)

	// The state commands read the same addresses.
	r = runBin(t, dir, env, "state", "show", `task.product['a"]b']`)
	mustCode(t, r, 0, "state show, single-quoted")
	if !strings.HasPrefix(r.Stdout, `task.product["a\"]b"]`+"\n") {
		t.Errorf("state show of a key with a quote:\n%s", r.Stdout)
	}
	r = runBin(t, dir, env, "state", "list", `task.product["back\\slash"]`, "task.product[mug]")
	mustCode(t, r, 0, "state list")
	if diff := cmp.Diff("task.product[\"back\\\\slash\"]\ntask.product[\"mug\"]\n", r.Stdout); diff != "" {
		t.Errorf("state list (-want +got):\n%s", diff)
	}
	mustCode(t, runBin(t, dir, env, "state", "mv", "task.product", "task.dish"), 0, "state mv of the block")
	r = runBin(t, dir, env, "state", "rm", `task.dish[]`, `task.dish["line\nbreak"]`)
	mustCode(t, r, 0, "state rm")
	if !strings.Contains(r.Stdout, `Removed task.dish[""]`) || !strings.Contains(r.Stdout, `Removed task.dish["line\nbreak"]`) || strings.Contains(r.Stdout, "line\nbreak") {
		t.Errorf("state rm:\n%s", r.Stdout)
	}
	want := []string{`task.dish["a\"]b"]`, `task.dish["back\\slash"]`, `task.dish["mug"]`, `task.dish["é"]`}
	if diff := cmp.Diff(want, recorded()); diff != "" {
		t.Errorf("recorded after mv and rm (-want +got):\n%s", diff)
	}

	// import reads the address the same way: record a moved task back
	// under its declared address, typed bare.
	id := loadState(t, dir).Tasks[`task.dish["mug"]`].ID
	mustCode(t, runBin(t, dir, env, "state", "rm", `task.dish["mug"]`), 0, "state rm before import")
	mustCode(t, runBin(t, dir, env, "import", "task.product[mug]", id), 0, "import with a bare key")
	if got := loadState(t, dir).Tasks[`task.product["mug"]`]; got == nil || got.ID != id {
		t.Errorf("import recorded %+v at task.product[\"mug\"], want %s", got, id)
	}

	// What is not an address is refused by every command alike, on one
	// line, before anything is read or written.
	before := recorded()
	for _, args := range [][]string{
		{"plan", "--target", `task.product["a"]["b"]`},
		{"apply", "--auto-approve", "--exclude", "task.product.mug"},
		{"report", "--format", "markdown", "--target", "task."},
		{"state", "show", "product[\"mug\"]"},
		{"state", "rm", `task.dish["\q"]`},
		{"state", "mv", "task.dish", "task.a b"},
		{"import", "task.product[\"mug\"", id},
	} {
		r := runBin(t, dir, env, args...)
		mustCode(t, r, 1, strings.Join(args, " "))
		lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
		var refusal []string
		for _, l := range lines {
			if strings.Contains(l, "is not a task address") {
				refusal = append(refusal, l)
			}
		}
		if len(refusal) != 1 || !strings.Contains(refusal[0], `addresses are task.NAME, or task.NAME["KEY"]`) {
			t.Errorf("%q: want one line refusing the address, got:\n%s", args, r.Stderr)
		}
		if args[0] == "state" && args[1] == "show" && !strings.HasSuffix(refusal[0], `did you mean task.product["mug"]?`) {
			t.Errorf("no suggestion for an address without task.: %s", refusal[0])
		}
	}
	created(6)
	if diff := cmp.Diff(before, recorded()); diff != "" {
		t.Errorf("a refused address changed the state (-want +got):\n%s", diff)
	}
}
