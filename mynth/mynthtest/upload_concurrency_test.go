package mynthtest_test

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// noise returns an image of random pixels, which does not compress below
// 1 KB.
func noise(w, h int) image.Image {
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

func encoded(t *testing.T, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, noise(32, 32))
	case "jpeg":
		err = jpeg.Encode(&b, noise(64, 64), nil)
	case "gif":
		err = gif.Encode(&b, noise(64, 64), nil)
	case "webp":
		w, werr := mynthtest.SampleImage("webp", 1)
		b.Write(w)
		err = werr
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func uploadBody(t *testing.T, field string, files ...[]byte) (string, *bytes.Buffer) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i, f := range files {
		w, err := mw.CreateFormFile(field, fmt.Sprintf("f%d", i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(f)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), &body
}

func TestUpload(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	pngFile, jpegFile, webpFile, gifFile := encoded(t, "png"), encoded(t, "jpeg"), encoded(t, "webp"), encoded(t, "gif")
	eleven := make([][]byte, 11)
	for i := range eleven {
		eleven[i] = pngFile
	}
	tests := []struct {
		name   string
		field  string
		files  [][]byte
		status int
		want   string
	}{
		{"png, jpeg and webp", "images", [][]byte{pngFile, jpegFile, webpFile}, 200,
			`{"urls":["URL/uploads/upl_ID.png","URL/uploads/upl_ID.jpg","URL/uploads/upl_ID.webp"]}`},
		{"gif", "images", [][]byte{pngFile, gifFile}, 400, `{"error":"*","message":"*","code":"validation_error","field":"images[1]"}`},
		{"under 1 KB", "images", [][]byte{pngFile[:1023]}, 400, `{"error":"*","message":"*","code":"validation_error","field":"images[0]"}`},
		{"over 10 MB", "images", [][]byte{append(append([]byte{}, pngFile...), make([]byte, 10<<20)...)}, 400,
			`{"error":"*","message":"*","code":"validation_error","field":"images[0]"}`},
		{"11 files", "images", eleven, 400, `{"error":"*","message":"*","code":"validation_error","field":"images"}`},
		{"no files", "images", nil, 400, `{"error":"*","message":"*","code":"validation_error","field":"images"}`},
		{"wrong field", "file", [][]byte{pngFile}, 400, `{"error":"*","message":"*","code":"validation_error","field":"images"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct, body := uploadBody(t, tc.field, tc.files...)
			req, _ := http.NewRequest("POST", srv.URL+"/image/upload", body)
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+alice)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b.String())
			}
			got := shape(t, b.Bytes())
			maskErrorText(t, got)
			if diff := cmp.Diff(mustJSON(t, tc.want), got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if tc.status == 200 {
				u := strings.Split(strings.Split(b.String(), `"urls":["`)[1], `"`)[0]
				if r := call(t, "GET", u, "", ""); !bytes.Equal(r.Body, pngFile) || r.Header.Get("Content-Type") != "image/png" {
					t.Errorf("the uploaded file is not served back: %d %s", r.Status, r.Header.Get("Content-Type"))
				}
			}
		})
	}
}

// TestConcurrency creates and reads tasks from many goroutines at once,
// with the store on and faults changing under them; run it with -race.
func TestConcurrency(t *testing.T) {
	store := filepath.Join(t.TempDir(), "emulator.json")
	srv := mynthtest.NewServer(t, mynthtest.Options{StorePath: store, Delay: time.Millisecond})
	const workers, each = 16, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("mak_worker_%d", w%4)
			for i := range each {
				id, pat, err := tryCreate(srv.URL, key, fmt.Sprintf(`{"prompt":"w%d i%d","count":2,"access":{"pat":{"enabled":true}}}`, w, i))
				if err != nil {
					errs <- err
					continue
				}
				for _, path := range []string{"", "/status", "/results"} {
					tok := key
					if path != "" && i%2 == 0 {
						tok = pat
					}
					if r, err := rawCall("GET", srv.URL+"/tasks/"+id+path, tok, ""); err != nil || r.Status != 200 {
						errs <- fmt.Errorf("GET %s%s: %d %v", id, path, r.Status, err)
					}
				}
			}
		}()
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			srv.Emulator.SetFaults(mynthtest.Faults{})
			_ = srv.Emulator.Stats()
			_ = srv.Emulator.Tasks()
			time.Sleep(time.Millisecond)
		}
	}()
	wg.Wait()
	close(stop)
	bg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, c := srv.Emulator.Tasks(), srv.Emulator.Stats().Created; n != workers*each || c != n {
		t.Errorf("%d tasks, %d created, want %d", n, c, workers*each)
	}
	seed, err := mynthtest.LoadSeed(store)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, a := range seed.Accounts {
		total += len(a.Tasks)
	}
	if total != workers*each {
		t.Errorf("the store holds %d tasks, want %d", total, workers*each)
	}
}
