package mynth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestErrorEchoingTheEncodedAuthorizationIsRedacted: a server whose error
// message echoes the request's headers base64-encoded (in the standard or
// the URL alphabet, at any alignment) does not get the token into the
// error text.
func TestErrorEchoingTheEncodedAuthorizationIsRedacted(t *testing.T) {
	const token = "mak_7Hq2LxP9vRz4KcW1nB8sYt3eUa6dFg0J"
	encodings := []struct {
		name string
		enc  *base64.Encoding
	}{{"std", base64.StdEncoding}, {"url", base64.URLEncoding}, {"raw", base64.RawStdEncoding}}
	for _, e := range encodings {
		enc := e.enc
		for pad := range 3 {
			t.Run(fmt.Sprintf("%s/offset %d", e.name, pad), func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var headers bytes.Buffer
					headers.WriteString(strings.Repeat("x", pad))
					_ = r.Header.Write(&headers)
					msg := "bad request; you sent " + enc.EncodeToString(headers.Bytes())
					body, _ := json.Marshal(map[string]string{"code": "bad_request", "message": msg})
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write(body)
				}))
				defer srv.Close()
				c := NewClient(Options{BaseURL: srv.URL, Token: token, HTTPClient: srv.Client()})
				_, err := c.Task(context.Background(), "tsk_x")
				if err == nil {
					t.Fatal("no error")
				}
				if leak := encodedTokenIn(err.Error(), token); leak != "" {
					t.Errorf("the error holds the token base64-encoded (%q decodes to %q):\n%v", leak, decodeAny(leak), err)
				}
				if !strings.Contains(err.Error(), redacted) {
					t.Errorf("nothing was redacted: %v", err)
				}
			})
		}
	}
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9+/_=-]{8,}`)

// encodedTokenIn returns a base64 run of s that decodes, at some
// alignment, to text holding 8 bytes of token in a row; "" when none does.
func encodedTokenIn(s, token string) string {
	for _, run := range base64Run.FindAllString(s, -1) {
		dec := decodeAny(run)
		for i := 0; i+8 <= len(token); i++ {
			if strings.Contains(dec, token[i:i+8]) {
				return run
			}
		}
	}
	return ""
}

// decodeAny decodes run at each of the four character alignments, in
// both alphabets, and returns all that decodes, joined.
func decodeAny(run string) string {
	var out []string
	for skip := range 4 {
		if skip > len(run) {
			break
		}
		r := strings.TrimRight(run[skip:], "=")
		r = r[:len(r)/4*4]
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(r); err == nil {
				out = append(out, string(b))
			}
		}
	}
	return strings.Join(out, " | ")
}

// TestAPIErrorTextIsOneLine: an error body whose code, message and field
// hold newlines and escape sequences gives an error text without control
// characters, escaped as Go writes them.
func TestAPIErrorTextIsOneLine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte(`{"code":"bad\u001b[31m","message":"no\u001b]0;x\u0007","field":"f\u009b"}`))
	}))
	defer srv.Close()
	c := NewClient(Options{BaseURL: srv.URL, Token: "mak_k", HTTPClient: srv.Client()})
	_, err := c.Task(context.Background(), "tsk_x")
	if err == nil {
		t.Fatal("no error")
	}
	want := `GET /tasks/tsk_x: 422 bad\x1b[31m: no\x1b]0;x\x07 (field f\u009b)`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err.Error(), want)
	}
}

// TestWaitBoundsASlowPoll: a status answer that drips one byte a second
// cannot hold Wait past its timeout (and a short grace for the last look):
// each poll, retries included, gets only the time left.
func TestWaitBoundsASlowPoll(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := []byte(`{"status":"pending"}` + strings.Repeat(" ", 100))
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		for _, b := range body {
			_, _ = w.Write([]byte{b})
			w.(http.Flusher).Flush()
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
				return
			case <-stop:
				return
			}
		}
	}))
	defer srv.Close()
	defer close(stop)
	c := NewClient(Options{BaseURL: srv.URL, Token: "mak_k", HTTPClient: srv.Client()})
	start := time.Now()
	_, err := c.Wait(context.Background(), "tsk_x", WaitOptions{Poll: PollSchedule{Fast: 100 * time.Millisecond}, Timeout: 2 * time.Second})
	took := time.Since(start)
	if !errors.Is(err, ErrWaitTimeout) {
		t.Errorf("err = %v, want ErrWaitTimeout", err)
	}
	// The drip would hold a poll for 121 s. The slack past the deadline and
	// its grace is generous because CI shares its cores: at load 13 under
	// -race a run took 1.3 s past them with nothing wrong.
	if took > 2*time.Second+waitGrace+5*time.Second {
		t.Errorf("Wait took %s with a 2s timeout", took.Round(100*time.Millisecond))
	}
}
