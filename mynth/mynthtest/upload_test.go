package mynthtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

func sample(t testing.TB, format string, seed uint64) []byte {
	t.Helper()
	b, err := mynthtest.SampleImage(format, seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 1024 || len(b) > 10<<20 {
		t.Fatalf("sample %s is %d bytes, outside the upload limits", format, len(b))
	}
	return b
}

// postUpload sends files in the field "images" and returns the answer.
func postUpload(t *testing.T, base, key string, files ...[]byte) reply {
	t.Helper()
	ct, body := uploadBody(t, "images", files...)
	req, err := http.NewRequest("POST", base+"/image/upload", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST /image/upload: %v", err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b.Bytes()}
}

func uploadedURLs(t testing.TB, r reply) []string {
	t.Helper()
	var out struct {
		URLs []string `json:"urls"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &out) != nil {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	return out.URLs
}

// TestUploadContent sends files whose first bytes claim an image type
// that the rest does not bear out: the type is decided by content, and
// the whole file must be that image.
func TestUploadContent(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	garbage := bytes.Repeat([]byte("not an image at all "), 100)
	good := sample(t, "png", 1)
	tests := []struct {
		name string
		file []byte
		want string // in the message, "" when accepted
	}{
		{"png", good, ""},
		{"jpeg", sample(t, "jpeg", 2), ""},
		{"webp", sample(t, "webp", 3), ""},
		{"png header on garbage", append([]byte("\x89PNG\r\n\x1a\n"), garbage...), "is not a valid PNG"},
		{"png cut in half", good[:len(good)/2+600], "is not a valid PNG"},
		{"jpeg header on garbage", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, garbage...), "is not a valid JPEG"},
		{"webp header on garbage", append([]byte("RIFF\x00\x10\x00\x00WEBPVP8 "), garbage...), "is not a valid WEBP"},
		{"text", garbage, "files must be JPEG, PNG or WEBP"},
		{"900 bytes", good[:900], "is 900 bytes; files must be 1 KB to 10 MB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Emulator.Stats().Uploaded
			r := postUpload(t, srv.URL, alice, good, tc.file)
			if tc.want == "" {
				if urls := uploadedURLs(t, r); len(urls) != 2 {
					t.Fatalf("urls %v", urls)
				}
				return
			}
			var e struct{ Error, Code, Field string }
			_ = json.Unmarshal(r.Body, &e)
			if r.Status != 400 || e.Code != "validation_error" || e.Field != "images[1]" || !strings.Contains(e.Error, tc.want) || !strings.Contains(e.Error, `images[1] ("f1")`) {
				t.Errorf("got %d %s, want 400 validation_error on images[1] (\"f1\") saying %q", r.Status, r.Body, tc.want)
			}
			if n := srv.Emulator.Stats().Uploaded; n != before {
				t.Errorf("a refused upload stored %d files", n-before)
			}
		})
	}
}

// TestUploadLostAnswer: with drop_after_create the files are stored and
// the connection closes without an answer; the client cannot know, and
// only an orphan file (which costs nothing) remains.
func TestUploadLostAnswer(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	srv.Emulator.SetFaults(mynthtest.Faults{Next: []mynthtest.FaultKind{mynthtest.FaultDropAfterCreate}})
	ct, body := uploadBody(t, "images", sample(t, "png", 1))
	req, _ := http.NewRequest("POST", srv.URL+"/image/upload", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+alice)
	if resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer %d, want the connection dropped", resp.StatusCode)
	}
	if n := srv.Emulator.Stats().Uploaded; n != 1 {
		t.Errorf("%d files stored, want 1", n)
	}
}

// TestUploadAsInput: a task takes an upload of this server, an image of
// one of its results and any https URL; it refuses a URL of this server
// that names nothing and a plain http URL elsewhere.
func TestUploadAsInput(t *testing.T) {
	store := filepath.Join(t.TempDir(), "emulator.json")
	opts := mynthtest.Options{StorePath: store}
	run, err := mynthtest.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	png := sample(t, "png", 7)
	up := uploadedURLs(t, postUpload(t, run.URL, alice, png))[0]
	sketch, _ := created(t, run.URL, alice, `{"prompt":"a sketch"}`)
	img := getTask(t, run.URL, alice, sketch).Result.Images[0].URL

	input := func(u string) string {
		b, _ := json.Marshal(map[string]any{"prompt": "x", "inputs": []any{
			"https://cdn.example/a.png",
			map[string]any{"type": "image", "role": "init", "source": map[string]any{"type": "url", "url": u}},
		}})
		return string(b)
	}
	for _, u := range []string{up, img} {
		if r := call(t, "POST", run.URL+"/image/generate", alice, input(u)); r.Status != 201 {
			t.Errorf("input %s: %d %s", u, r.Status, r.Body)
		}
	}
	for u, want := range map[string]string{
		run.URL + "/uploads/upl_NOSUCHFILE.png":    "no uploaded file or image",
		run.URL + "/images/img_NOSUCHIMAGE.png":    "no uploaded file or image",
		"http://cdn.example/a.png":                 "must be an https URL",
		strings.Replace(up, "/uploads/", "/x/", 1): "no uploaded file or image",
	} {
		r := call(t, "POST", run.URL+"/image/generate", alice, input(u))
		var e struct{ Error, Field string }
		_ = json.Unmarshal(r.Body, &e)
		if r.Status != 400 || e.Field != "inputs[1].source.url" || !strings.Contains(e.Error, want) {
			t.Errorf("input %s: %d %s, want 400 on inputs[1].source.url saying %q", u, r.Status, r.Body, want)
		}
	}

	// The store keeps uploads: after a restart the URL is still served
	// and still taken as an input.
	oldURL := run.URL
	if err := run.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := mynthtest.LoadSeed(store); err != nil {
		t.Fatalf("the store with an upload is not a valid seed: %v", err)
	}
	run, err = mynthtest.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	if run.URL != oldURL {
		t.Skipf("port moved across the restart: %s -> %s", oldURL, run.URL)
	}
	if r := call(t, "GET", up, "", ""); r.Status != 200 || !bytes.Equal(r.Body, png) || r.Header.Get("Content-Type") != "image/png" {
		t.Errorf("after a restart the upload is %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if r := call(t, "POST", run.URL+"/image/generate", alice, input(up)); r.Status != 201 {
		t.Errorf("after a restart the upload is refused as input: %d %s", r.Status, r.Body)
	}
}

func TestSeedUploadErrors(t *testing.T) {
	png := sample(t, "png", 1)
	for name, tc := range map[string]struct {
		upload mynthtest.SeedUpload
		want   string
	}{
		"bad name":       {mynthtest.SeedUpload{Name: "../x.png", Data: png}, "must be upl_"},
		"wrong ext":      {mynthtest.SeedUpload{Name: "upl_A.jpg", Data: png}, "whose extension is .png"},
		"not an image":   {mynthtest.SeedUpload{Name: "upl_A.png", Data: bytes.Repeat([]byte("x"), 2000)}, "JPEG, PNG or WEBP"},
		"too small":      {mynthtest.SeedUpload{Name: "upl_A.png", Data: png[:100]}, "1 KB to 10 MB"},
		"garbage header": {mynthtest.SeedUpload{Name: "upl_A.png", Data: append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 2000)...)}, "not a valid PNG"},
	} {
		b, _ := json.Marshal(mynthtest.Seed{Version: 1, Accounts: []mynthtest.SeedAccount{}, Uploads: []mynthtest.SeedUpload{tc.upload}})
		path := writeFile(t, filepath.Join(t.TempDir(), "seed.json"), string(b))
		if _, err := mynthtest.LoadSeed(path); err == nil || !strings.Contains(err.Error(), "uploads[0]") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want uploads[0] ... %q", name, err, tc.want)
		}
	}
}
