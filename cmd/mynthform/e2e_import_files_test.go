package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// TestE2EImportSeesFilesOnDisk: import records a declared file already on
// disk with the bytes of its image (its sha256 and size, as apply does),
// so that the imported task plans clean; a file with other bytes, or none,
// is not recorded, and apply saves it.
func TestE2EImportSeesFilesOnDisk(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	env := applyEnv(srv)
	products := map[string]string{"mug": "a mug", "bowl": "a bowl", "vase": "a vase"}
	made := t.TempDir()
	writeSpec(t, made, productSpec(products, ""))
	mustCode(t, runBin(t, made, env, "apply", "--auto-approve"), 0, "apply")
	made0 := loadState(t, made)

	// Another checkout: the same spec, the images committed but not the
	// state. The mug's file is the image; the bowl's was edited; the
	// vase's is not there.
	dir := t.TempDir()
	writeSpec(t, dir, productSpec(products, ""))
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	mug, err := os.ReadFile(filepath.Join(made, "assets", "mug.png"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "assets", "mug.png"), mug)
	bowl, err := os.ReadFile(filepath.Join(made, "assets", "bowl.png"))
	if err != nil {
		t.Fatal(err)
	}
	bowl[len(bowl)-1] ^= 1
	writeFile(t, filepath.Join(dir, "assets", "bowl.png"), bowl)

	for key, want := range map[string]string{
		"mug":  "file assets/mug.png: on disk with the bytes of its image; recorded as saved.",
		"bowl": "file assets/bowl.png: on disk with other bytes than its image; apply saves the image over it.",
		"vase": "file assets/vase.png: not on disk; apply saves it.",
	} {
		addr := `task.product["` + key + `"]`
		r := runBin(t, dir, env, "import", addr, made0.Tasks[addr].ID)
		mustCode(t, r, 0, "import "+addr)
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("import %s does not say %q:\n%s", addr, want, r.Stdout)
		}
	}
	st := loadState(t, dir)
	mugRec := st.Tasks[`task.product["mug"]`]
	if len(mugRec.Files) != 1 || mugRec.Files[0] != made0.Tasks[`task.product["mug"]`].Files[0] {
		t.Errorf("the mug's file as import recorded it: %+v\nas apply recorded it: %+v", mugRec.Files, made0.Tasks[`task.product["mug"]`].Files)
	}
	for _, key := range []string{"bowl", "vase"} {
		if f := st.Tasks[`task.product["`+key+`"]`].Files; len(f) != 0 {
			t.Errorf("%s: import recorded %+v", key, f)
		}
	}
	show := runBin(t, dir, env, "state", "show", `task.product["mug"]`)
	mustCode(t, show, 0, "state show")
	if !strings.Contains(show.Stdout, mugRec.Files[0].SHA256) {
		t.Errorf("state show does not show the recorded sha256:\n%s", show.Stdout)
	}

	doc, r := planJSON(t, dir, env, "--detailed-exitcode")
	mustCode(t, r, exitChanges, "plan after import")
	for _, task := range doc.Tasks {
		want := map[string]string{`task.product["mug"]`: "ok", `task.product["bowl"]`: "absent", `task.product["vase"]`: "absent"}[task.Address]
		if len(task.Files) != 1 || task.Files[0].State != want {
			t.Errorf("%s: files %+v, want state %s", task.Address, task.Files, want)
		}
		if (task.Action == "none") != (want == "ok") {
			t.Errorf("%s: action %s with its file %s", task.Address, task.Action, want)
		}
	}
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), 0, "apply after import")
	checkFilesMatchState(t, dir, loadState(t, dir))
	mustCode(t, runBin(t, dir, env, "plan", "--detailed-exitcode"), 0, "plan after apply")
	if n := srv.Emulator.Stats().Created; n != 3 {
		t.Errorf("%d tasks created, want 3", n)
	}

	// A file that is a symbolic link, even to the right bytes inside the
	// spec directory, is neither followed nor recorded (one that leads
	// outside is a spec error, which validate reports).
	vase := filepath.Join(dir, "assets", "vase.png")
	target := filepath.Join(dir, "vase-copy.png")
	data, err := os.ReadFile(vase)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, target, data)
	if err := os.Remove(vase); err != nil {
		t.Fatal(err)
	}
	linkOrSkip(t, target, vase)
	mustCode(t, runBin(t, dir, env, "state", "rm", `task.product["vase"]`), 0, "state rm")
	r = runBin(t, dir, env, "import", `task.product["vase"]`, made0.Tasks[`task.product["vase"]`].ID)
	mustCode(t, r, 0, "import over a symlink")
	if !strings.Contains(r.Stdout, "file assets/vase.png: not recorded: ") || !strings.Contains(r.Stdout, "not a regular file") {
		t.Errorf("import over a symlink:\n%s", r.Stdout)
	}
	if f := loadState(t, dir).Tasks[`task.product["vase"]`].Files; len(f) != 0 {
		t.Errorf("import recorded a file through a symlink: %+v", f)
	}
}
