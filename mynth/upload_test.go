package mynth_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

func sampleImage(t *testing.T, format string, seed uint64) []byte {
	t.Helper()
	b, err := mynthtest.SampleImage(format, seed)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUploadRefusedBeforeSending: files that break the documented limits
// or are not the image they claim to be are refused by the client, with
// the file named, and nothing reaches the emulator.
func TestUploadRefusedBeforeSending(t *testing.T) {
	srv, c := newEmulatorClient(t, mynthtest.Options{})
	good := mynth.UploadFile{Name: "refs/good.png", Data: sampleImage(t, "png", 1)}
	eleven := make([]mynth.UploadFile, 11)
	for i := range eleven {
		eleven[i] = good
	}
	garbage := bytes.Repeat([]byte("garbage "), 300)
	tests := []struct {
		name  string
		files []mynth.UploadFile
		want  string
	}{
		{"11 files", eleven, "11 files, at most 10 per request"},
		{"900 bytes", []mynth.UploadFile{good, {Name: "refs/small.png", Data: good.Data[:900]}}, `file 2 ("refs/small.png"): invalid request: 900 bytes, at least 1024`},
		{"PNG header on garbage", []mynth.UploadFile{{Name: "refs/fake.png", Data: append([]byte("\x89PNG\r\n\x1a\n"), garbage...)}}, `file 1 ("refs/fake.png"): invalid request: it starts like PNG but is not one`},
		{"JPEG header on garbage", []mynth.UploadFile{{Name: "j.jpg", Data: append([]byte{0xFF, 0xD8, 0xFF, 0xDB}, garbage...)}}, "it starts like JPEG but is not one"},
		{"WEBP header on garbage", []mynth.UploadFile{{Name: "w.webp", Data: append([]byte("RIFF\x10\x00\x00\x00WEBPVP8 "), garbage...)}}, "it starts like WEBP but is not one"},
		{"text named .png", []mynth.UploadFile{{Name: "t.png", Data: garbage}}, "it is text/plain; charset=utf-8, not JPEG, PNG or WEBP"},
		{"none", nil, "no files"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Upload(context.Background(), tc.files)
			if !errors.Is(err, mynth.ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "POST /image/upload: ") {
				t.Errorf("got %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
	if n := srv.Emulator.Stats().Requests[mynthtest.EndpointUpload]; n != 0 {
		t.Errorf("%d uploads reached the emulator", n)
	}
}

// TestUploadRefusedByMynth: a PNG whose header is sound but whose pixels
// are cut off passes the client's check; the emulator decodes it, refuses
// it, and the error is an *APIError that names the file. It is not retried.
func TestUploadRefusedByMynth(t *testing.T) {
	srv, c := newEmulatorClient(t, mynthtest.Options{})
	whole := noisyPNG(t, 64, 64)
	cut := whole[:len(whole)/2]
	if _, err := mynth.CheckUploadImage(cut); err != nil {
		t.Fatalf("the cut PNG should pass the client's header check: %v", err)
	}
	_, err := c.Upload(context.Background(), []mynth.UploadFile{{Name: "a.png", Data: whole}, {Name: "refs/cut.png", Data: cut}})
	var apiErr *mynth.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Field != "images[1]" || !errors.Is(err, mynth.ErrValidation) {
		t.Fatalf("got %v, want a 400 APIError on images[1]", err)
	}
	for _, want := range []string{"POST /image/upload: 400 validation_error", "is not a valid PNG", `the file refused: "refs/cut.png"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	checkNoSecret(t, err.Error())
	if st := srv.Emulator.Stats(); st.Requests[mynthtest.EndpointUpload] != 1 || st.Uploaded != 0 {
		t.Errorf("requests %v, %d stored: want one request and nothing stored", st.Requests, st.Uploaded)
	}
}

// TestUploadLostAnswer: the emulator stores the files and closes the
// connection. The client retries (an upload costs nothing; the lost copy
// is an unused file) and returns the URLs of the copy it was told about.
// When every answer is lost it gives up with an error that is not an
// unknown outcome.
func TestUploadLostAnswer(t *testing.T) {
	srv, c := newEmulatorClient(t, mynthtest.Options{})
	img := sampleImage(t, "jpeg", 4)
	srv.Emulator.SetFaults(mynthtest.Faults{Next: []mynthtest.FaultKind{mynthtest.FaultDropAfterCreate}})
	urls, err := c.Upload(context.Background(), []mynth.UploadFile{{Name: "ref.jpg", Data: img}})
	if err != nil || len(urls) != 1 {
		t.Fatalf("Upload after a lost answer: %v %v", urls, err)
	}
	var buf bytes.Buffer
	if _, err := c.Download(context.Background(), urls[0], &buf, 0); err != nil || !bytes.Equal(buf.Bytes(), img) {
		t.Errorf("the uploaded URL serves %d bytes (%v), want the file", buf.Len(), err)
	}
	if st := srv.Emulator.Stats(); st.Uploaded != 2 || st.Requests[mynthtest.EndpointUpload] != 2 {
		t.Errorf("stats %+v: want 2 requests and 2 stored copies", st)
	}

	lost := make([]mynthtest.FaultKind, 20)
	for i := range lost {
		lost[i] = mynthtest.FaultDropAfterCreate
	}
	srv.Emulator.SetFaults(mynthtest.Faults{Next: lost})
	_, err = c.Upload(context.Background(), []mynth.UploadFile{{Name: "ref.jpg", Data: img}})
	if err == nil || errors.Is(err, mynth.ErrUnknownOutcome) || !strings.Contains(err.Error(), "POST /image/upload") || !strings.Contains(err.Error(), "gave up after") {
		t.Errorf("every answer lost: %v", err)
	}
	checkNoSecret(t, err.Error())
}

// TestUploadNoRedirect: an upload answered with a redirect is never sent
// on; the server the redirect names sees nothing.
func TestUploadNoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"urls":["https://x/1.png"]}`))
	}))
	defer other.Close()
	for _, code := range []int{301, 302, 307, 308} {
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/image/upload?key="+canaryKey, code)
		}))
		c := mynth.NewClient(mynth.Options{BaseURL: api.URL, Token: canaryKey, Retry: quickRetry})
		_, err := c.Upload(context.Background(), []mynth.UploadFile{{Name: "a.png", Data: sampleImage(t, "png", 1)}})
		api.Close()
		if err == nil || !strings.Contains(err.Error(), "redirect, which is never followed") {
			t.Errorf("%d: %v, want the redirect refused", code, err)
		}
		if err != nil {
			checkNoSecret(t, err.Error())
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

func TestCheckUploadImage(t *testing.T) {
	for _, format := range []string{"png", "jpeg", "webp"} {
		typ, err := mynth.CheckUploadImage(sampleImage(t, format, 9))
		if err != nil || typ != "image/"+format {
			t.Errorf("%s: %q %v", format, typ, err)
		}
	}
	big := append(noisyPNG(t, 16, 16), make([]byte, mynth.MaxUploadFileBytes)...)
	if _, err := mynth.CheckUploadImage(big); !errors.Is(err, mynth.ErrInvalid) || !strings.Contains(err.Error(), "at most 10485760 (10 MB)") {
		t.Errorf("over 10 MB: %v", err)
	}
}
