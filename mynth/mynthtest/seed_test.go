package mynthtest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

const seededTask = `{
  "id": "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP",
  "status": "completed",
  "type": "image.generate",
  "createdAt": "2025-01-15T10:30:00.000Z",
  "updatedAt": "2025-01-15T10:30:12.000Z",
  "request": {"prompt": "Editorial product photo of a ceramic mug", "model": "google/gemini-3.1-flash-image", "size": "landscape", "count": 1},
  "result": {
    "model": "google/gemini-3.1-flash-image",
    "images": [{"status": "succeeded", "id": "img_123", "url": "/images/img_123.png", "cost": "0.01250000", "size": "1536x1024", "future_image_field": 1}],
    "cost": {"images": "0.01250000", "total": "0.01250000"},
    "future_result_field": {"a": [1, 2]}
  },
  "future_task_field": "kept",
  "pat": "pat_seeded_canary_1"
}`

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestSeed(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, "seed.json"), `{"accounts":[
	  {"api_key":"mak_demo","tasks":[`+seededTask+`,
	    {"id":"tsk_PENDING","status":"pending","request":{"prompt":"wait"}},
	    {"id":"tsk_EMULATED","status":"pending","createdAt":"2025-01-15T10:30:00.000Z","request":{"prompt":"go","size":"portrait"},"emulate":true}]},
	  {"api_key_sha256":"`+sha("mak_other")+`","tasks":[{"id":"tsk_OTHER","status":"failed"}]}]}`)
	seed, err := mynthtest.LoadSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := mynthtest.NewServer(t, mynthtest.Options{Seed: seed})
	if n := srv.Emulator.Tasks(); n != 4 {
		t.Fatalf("%d tasks, want 4", n)
	}

	// The seeded task comes back in its own shape: unknown fields kept,
	// the seed-only pat left out, the relative image link made absolute.
	r := call(t, "GET", srv.URL+"/tasks/tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP", "mak_demo", "")
	var want map[string]any
	if err := json.Unmarshal([]byte(seededTask), &want); err != nil {
		t.Fatal(err)
	}
	delete(want, "pat")
	want["result"].(map[string]any)["images"].([]any)[0].(map[string]any)["url"] = srv.URL + "/images/img_123.png"
	var got map[string]any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seeded task (-want +got):\n%s", diff)
	}
	if strings.Contains(string(r.Body), "pat_seeded") {
		t.Errorf("the task holds its PAT: %s", r.Body)
	}

	// Its PAT works on status and results, its image is served.
	if r := call(t, "GET", srv.URL+"/tasks/tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP/status", "pat_seeded_canary_1", ""); string(r.Body) != `{"status":"completed"}` {
		t.Errorf("status with the seeded PAT: %d %s", r.Status, r.Body)
	}
	img := call(t, "GET", srv.URL+"/images/img_123.png", "", "")
	if cfg, err := png.DecodeConfig(bytes.NewReader(img.Body)); err != nil || cfg.Width != 1536 || cfg.Height != 1024 {
		t.Errorf("seeded image: %v %+v", err, cfg)
	}

	// A seeded pending task stays pending; an emulated one settles.
	if s := getTask(t, srv.URL, "mak_demo", "tsk_PENDING").Status; s != mynth.StatusPending {
		t.Errorf("seeded pending task is %s", s)
	}
	em := getTask(t, srv.URL, "mak_demo", "tsk_EMULATED")
	if em.Status != mynth.StatusCompleted || em.Result.Images[0].Size != "1024x1536" {
		t.Errorf("emulated task: %s %+v", em.Status, em.Result)
	}
	// An account given by the hash of its key.
	if s := getTask(t, srv.URL, "mak_other", "tsk_OTHER").Status; s != mynth.StatusFailed {
		t.Errorf("hashed account's task: %s", s)
	}
	if r := call(t, "GET", srv.URL+"/tasks/tsk_OTHER", "mak_demo", ""); r.Status != http.StatusNotFound {
		t.Errorf("another account's seeded task: %d", r.Status)
	}
	// Not strict: any other key is an empty account.
	if r := call(t, "GET", srv.URL+"/tasks/tsk_OTHER", "mak_stranger", ""); r.Status != http.StatusNotFound {
		t.Errorf("stranger: %d", r.Status)
	}
}

func TestSeedStrict(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Seed: &mynthtest.Seed{Strict: true,
		Accounts: []mynthtest.SeedAccount{{APIKey: "mak_only"}}}})
	if r := call(t, "POST", srv.URL+"/image/generate", "mak_stranger", `{"prompt":"x"}`); r.Status != http.StatusUnauthorized {
		t.Errorf("strict seed, unknown key: %d", r.Status)
	}
	created(t, srv.URL, "mak_only", `{"prompt":"x"}`)
}

func TestSeedErrors(t *testing.T) {
	tests := []struct{ name, seed, want string }{
		{"not JSON", `{`, "not a seed file"},
		{"unknown field", `{"acounts":[]}`, `unknown field "acounts"`},
		{"no key", `{"accounts":[{"tasks":[]}]}`, "accounts[0] needs api_key"},
		{"bad key", `{"accounts":[{"api_key":"sk_1"}]}`, "must start with mak_"},
		{"bad hash", `{"accounts":[{"api_key_sha256":"abc"}]}`, "64 hex digits"},
		{"same key twice", `{"accounts":[{"api_key":"mak_a"},{"api_key":"mak_a"}]}`, "appears twice"},
		{"task id", `{"accounts":[{"api_key":"mak_a","tasks":[{"id":"x","status":"pending"}]}]}`, "must start with tsk_"},
		{"task status", `{"accounts":[{"api_key":"mak_a","tasks":[{"id":"tsk_1","status":"done"}]}]}`, `status "done"`},
		{"task twice", `{"accounts":[{"api_key":"mak_a","tasks":[{"id":"tsk_1","status":"failed"}]},{"api_key":"mak_b","tasks":[{"id":"tsk_1","status":"failed"}]}]}`, "defined twice"},
		{"bad time", `{"accounts":[{"api_key":"mak_a","tasks":[{"id":"tsk_1","status":"failed","createdAt":"yesterday"}]}]}`, "not an ISO 8601 time"},
		{"bad result", `{"accounts":[{"api_key":"mak_a","tasks":[{"id":"tsk_1","status":"completed","result":{"images":"none"}}]}]}`, "not a result object"},
		{"bad pat", `{"accounts":[{"api_key":"mak_a","tasks":[{"id":"tsk_1","status":"failed","pat":"secret"}]}]}`, "must start with pat_"},
		{"shared pat", `{"accounts":[{"api_key":"mak_a","tasks":[{"id":"tsk_1","status":"failed","pat":"pat_x"},{"id":"tsk_2","status":"failed","pat":"pat_x"}]}]}`, "share a PAT"},
		{"emulate without request", `{"accounts":[{"api_key":"mak_a","tasks":[{"id":"tsk_1","status":"pending","emulate":true}]}]}`, "needs its request"},
		{"newer version", `{"version":2,"accounts":[]}`, "newer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(t.TempDir(), "seed.json"), tc.seed)
			_, err := mynthtest.LoadSeed(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows a token: %v", err)
			}
		})
	}
}

// TestStoreRoundTrip creates tasks, restarts on the store, and checks that
// everything is served the same, secrets are not in the file, and the store
// is a valid seed.
func TestStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "state", "emulator.json")
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	opts := mynthtest.Options{StorePath: store, Delay: time.Minute, Clock: clock.Now}

	run, err := mynthtest.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	done, pat := created(t, run.URL, alice, `{"prompt":  "kept as sent",  "size":"square","count":2,"access":{"pat":{"enabled":true}}}`)
	pending, _ := created(t, run.URL, bob, `{"prompt":{"positive":"later"}}`)
	if err := run.Emulator.AddTask(alice, mynth.Task{Raw: json.RawMessage(`{"id":"tsk_ADDED","status":"failed","x_field":true}`)}, ""); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	before := call(t, "GET", run.URL+"/tasks/"+done, alice, "")
	img := getTask(t, run.URL, alice, done).Result.Images[0].URL
	imgBefore := call(t, "GET", img, "", "")
	oldURL := run.URL
	if err := run.Close(); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{alice, bob, pat} {
		if strings.Contains(string(data), secret) {
			t.Errorf("the store holds a secret")
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(store))
	if len(entries) != 1 {
		t.Errorf("store directory holds %d files, want only the store", len(entries))
	}
	if _, err := mynthtest.LoadSeed(store); err != nil {
		t.Errorf("the store is not a valid seed: %v", err)
	}

	// Restart: same port when free, same tasks, the pending one still on its
	// lifecycle.
	run, err = mynthtest.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	if run.URL != oldURL {
		t.Logf("port moved: %s -> %s", oldURL, run.URL)
	} else {
		after := call(t, "GET", run.URL+"/tasks/"+done, alice, "")
		if !bytes.Equal(before.Body, after.Body) {
			t.Errorf("task changed across a restart:\n%s\n%s", before.Body, after.Body)
		}
		if imgAfter := call(t, "GET", img, "", ""); !bytes.Equal(imgBefore.Body, imgAfter.Body) {
			t.Errorf("image changed across a restart")
		}
	}
	task := getTask(t, run.URL, alice, done)
	for _, im := range task.Result.Images {
		r := call(t, "GET", im.URL, "", "")
		if r.Status != 200 || r.Header.Get("Content-Type") != "image/png" {
			t.Errorf("image after restart: %s %d", im.URL, r.Status)
		}
	}
	if task.Request.Prompt.Positive != "kept as sent" {
		t.Errorf("request %+v", task.Request)
	}
	raw := call(t, "GET", run.URL+"/tasks/"+done, alice, "")
	if !strings.Contains(string(raw.Body), `"request":{"prompt":"kept as sent","size":"square","count":2,"access":{"pat":{"enabled":true}}}`) {
		t.Errorf("request not as submitted: %s", raw.Body)
	}
	if r := call(t, "GET", run.URL+"/tasks/"+done+"/results", pat, ""); r.Status != 200 {
		t.Errorf("PAT after restart: %d", r.Status)
	}
	if s := getTask(t, run.URL, bob, pending).Status; s != mynth.StatusCompleted {
		t.Errorf("pending task after restart and its delay: %s", s)
	}
	added := call(t, "GET", run.URL+"/tasks/tsk_ADDED", alice, "")
	if !strings.Contains(string(added.Body), `"x_field":true`) {
		t.Errorf("added task lost a field: %s", added.Body)
	}
	if n := run.Emulator.Tasks(); n != 3 {
		t.Errorf("%d tasks after restart", n)
	}
}

func TestStoreWinsOverSeed(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "emulator.json")
	seed := &mynthtest.Seed{Accounts: []mynthtest.SeedAccount{{APIKey: "mak_a",
		Tasks: []json.RawMessage{json.RawMessage(`{"id":"tsk_SEEDED","status":"failed"}`)}}}}
	e, err := mynthtest.New(mynthtest.Options{StorePath: store, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddTask("mak_a", mynth.Task{ID: "tsk_NEW", Status: mynth.StatusFailed}, ""); err != nil {
		t.Fatal(err)
	}
	e2, err := mynthtest.New(mynthtest.Options{StorePath: store, Seed: &mynthtest.Seed{}})
	if err != nil {
		t.Fatal(err)
	}
	if n := e2.Tasks(); n != 2 {
		t.Errorf("%d tasks from the store, want 2", n)
	}
	if _, ok := e2.Task("tsk_SEEDED"); !ok {
		t.Error("the store lost the seeded task")
	}
}

func TestStoreCorrupt(t *testing.T) {
	store := writeFile(t, filepath.Join(t.TempDir(), "emulator.json"), `{"accounts":[`)
	if _, err := mynthtest.New(mynthtest.Options{StorePath: store}); err == nil || !strings.Contains(err.Error(), store) {
		t.Fatalf("corrupt store: %v", err)
	}
}

// TestStoreUntouched checks that a run that changes nothing leaves the store
// as it was, byte for byte and without a rewrite.
func TestStoreUntouched(t *testing.T) {
	store := filepath.Join(t.TempDir(), "emulator.json")
	run, err := mynthtest.Start("127.0.0.1:0", mynthtest.Options{StorePath: store})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := created(t, run.URL, alice, `{"prompt":"x"}`)
	getTask(t, run.URL, alice, id)
	oldURL := run.URL
	run.Close()
	st1, err := os.Stat(store)
	if err != nil {
		t.Fatal(err)
	}
	run, err = mynthtest.Start("127.0.0.1:0", mynthtest.Options{StorePath: store})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	getTask(t, run.URL, alice, id)
	st2, err := os.Stat(store)
	if err != nil {
		t.Fatal(err)
	}
	if run.URL != oldURL {
		t.Skipf("the old port was taken (%s -> %s): the store records the new one", oldURL, run.URL)
	}
	// A rewrite renames a new file over the store: another inode.
	if !os.SameFile(st1, st2) {
		t.Errorf("the store was rewritten although nothing changed")
	}
}

func TestBalance(t *testing.T) {
	store := filepath.Join(t.TempDir(), "emulator.json")
	opts := mynthtest.Options{StorePath: store, Seed: &mynthtest.Seed{Accounts: []mynthtest.SeedAccount{{APIKey: "mak_poor", Balance: "0.03"}}}}
	srv := mynthtest.NewServer(t, opts)
	created(t, srv.URL, "mak_poor", `{"prompt":"x","count":2}`)
	r := call(t, "POST", srv.URL+"/image/generate", "mak_poor", `{"prompt":"x"}`)
	got := shape(t, r.Body)
	maskErrorText(t, got)
	if diff := cmp.Diff(mustJSON(t, `{"error":"*","message":"*","code":"insufficient_balance"}`), got); r.Status != http.StatusPaymentRequired || diff != "" {
		t.Errorf("status %d, body (-want +got):\n%s", r.Status, diff)
	}
	if srv.Emulator.Tasks() != 1 {
		t.Errorf("%d tasks, want 1", srv.Emulator.Tasks())
	}
	// Other accounts have no limit.
	created(t, srv.URL, alice, `{"prompt":"x","count":100}`)
	seed, err := mynthtest.LoadSeed(store)
	if err != nil {
		t.Fatal(err)
	}
	if b := seed.Accounts[0].Balance; b != "0.00500000" {
		t.Errorf("stored balance %q", b)
	}
	if _, err := mynthtest.New(mynthtest.Options{Seed: &mynthtest.Seed{Accounts: []mynthtest.SeedAccount{{APIKey: "mak_a", Balance: "1e3"}}}}); err == nil {
		t.Error("balance 1e3 accepted")
	}
}

func TestAddTaskAndEmulate(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	task := mynth.Task{ID: "tsk_ADDED", Status: mynth.StatusPending,
		Request: &mynth.Request{Prompt: &mynth.Prompt{Positive: "a vase"}, Size: &mynth.Size{Preset: "portrait"}}}
	if err := srv.Emulator.AddTask(alice, task, "pat_added_canary"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Emulator.AddTask(alice, task, ""); err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Errorf("adding the same task twice: %v", err)
	}
	if s := getTask(t, srv.URL, alice, "tsk_ADDED").Status; s != mynth.StatusPending {
		t.Fatalf("added pending task is %s", s)
	}
	if r := call(t, "GET", srv.URL+"/tasks/tsk_ADDED/status", "pat_added_canary", ""); string(r.Body) != `{"status":"pending"}` {
		t.Errorf("status with the PAT: %d %s", r.Status, r.Body)
	}
	if err := srv.Emulator.EmulateTask("tsk_ADDED"); err != nil {
		t.Fatal(err)
	}
	got := getTask(t, srv.URL, alice, "tsk_ADDED")
	if got.Status != mynth.StatusCompleted || got.Result.Images[0].Size != "1024x1536" {
		t.Errorf("emulated task: %s %+v", got.Status, got.Result)
	}
	if err := srv.Emulator.EmulateTask("tsk_NONE"); err == nil {
		t.Error("EmulateTask of a missing task")
	}
	if _, ok := srv.Emulator.Task("tsk_NONE"); ok {
		t.Error("Task of a missing task")
	}
}
