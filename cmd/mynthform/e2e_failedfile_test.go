package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// TestE2EFailedFilesAreFailed: the file of a task that failed, and the
// file of an image that failed, are "failed" in plan --json with
// "image_id": null (not "absent", not ""), and the human plan says
// (failed); the file of the image that succeeded beside it is "ok" with
// its image id.
func TestE2EFailedFilesAreFailed(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	env := applyEnv(srv)
	dir := t.TempDir()
	writeSpec(t, dir, `task "vase" {
  prompt = "a vase [[fail]]"
  files  = ["assets/vase.png"]
}

task "knives" {
  prompt = "two knives [[fail-image]]"
  count  = 2
  files  = ["assets/knife-1.png", "assets/knife-2.png"]
}
`)
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), exitError, "apply of a failing task and a failing image")

	r := runBin(t, dir, env, "plan", "--json")
	mustCode(t, r, exitError, "plan --json")
	// Decoded loosely, so that a null and a missing or empty image_id
	// differ.
	var doc struct {
		Tasks []struct {
			Address string                       `json:"address"`
			Files   []map[string]json.RawMessage `json:"files"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, r.Stdout)
	}
	got := map[string]string{}
	for _, task := range doc.Tasks {
		for _, f := range task.Files {
			var path, state string
			_ = json.Unmarshal(f["path"], &path)
			_ = json.Unmarshal(f["state"], &state)
			id, ok := f["image_id"]
			if !ok {
				t.Errorf("%s %s has no image_id", task.Address, path)
			}
			imageID := string(id)
			if imageID != "null" {
				imageID = "img"
				if !strings.HasPrefix(string(id), `"img_`) {
					imageID = string(id)
				}
			}
			got[path] = state + " " + imageID
		}
	}
	for path, want := range map[string]string{
		"assets/vase.png":    "failed null",
		"assets/knife-1.png": "ok img",
		"assets/knife-2.png": "failed null",
	} {
		if got[path] != want {
			t.Errorf("%s: state and image_id %q, want %q (all: %v)", path, got[path], want, got)
		}
	}

	human := runBin(t, dir, env, "plan")
	mustCode(t, human, exitError, "plan")
	for _, w := range []string{
		"file:    assets/vase.png (failed)",
		"file:    assets/knife-1.png (ok)",
		"file:    assets/knife-2.png (failed)",
		"the task failed, so assets/vase.png cannot be saved",
	} {
		if !strings.Contains(human.Stdout, w) {
			t.Errorf("plan lacks %q:\n%s", w, human.Stdout)
		}
	}
}
