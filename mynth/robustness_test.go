package mynth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRedirectNeverCarriesTheTokenElsewhere: net/http keeps the
// Authorization header on a redirect to the same host name, whatever the
// port or scheme; the client must send its token only to the origin it
// was made for.
func TestRedirectNeverCarriesTheTokenElsewhere(t *testing.T) {
	var leaked atomic.Value
	leaked.Store("")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" {
			leaked.Store(a)
		}
		writeJSON(w, 200, `{"status":"completed"}`)
	}))
	t.Cleanup(other.Close)
	// The same host name on another port: another server.
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	c := f.client(Options{})
	c.Status(context.Background(), "tsk_1")
	if got := leaked.Load().(string); got != "" {
		t.Errorf("the token went to %s after a redirect: %q", other.URL, got)
	}
}

// TestRedirectWithinTheOriginKeepsTheToken: a redirect that stays on the
// API's origin still authenticates.
func TestRedirectWithinTheOriginKeepsTheToken(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/tasks/tsk_1/status" {
			http.Redirect(w, r, "/v2"+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+canary {
			writeJSON(w, 401, `{"error":{"code":"unauthorized","message":"no token"}}`)
			return
		}
		writeJSON(w, 200, `{"status":"completed"}`)
	})
	st, err := f.client(Options{}).Status(context.Background(), "tsk_1")
	if err != nil || st != "completed" {
		t.Fatalf("Status = %q, %v", st, err)
	}
}

// TestGenerateNeverSendsAPAT: a Public Access Token is refused on creation
// and upload before anything is sent.
func TestGenerateNeverSendsAPAT(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, `{"taskId":"tsk_1"}`)
	})
	c := f.client(Options{Token: "pat_secret123"})
	_, err := c.Generate(context.Background(), Request{Prompt: &Prompt{Positive: "a mug"}})
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Generate with a PAT: %v, want ErrInvalid and ErrUnauthorized", err)
	}
	_, err = c.Upload(context.Background(), []UploadFile{{Name: "a.png", Data: pngOf(2000)}})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Upload with a PAT: %v, want ErrInvalid", err)
	}
	if n := f.hits.Load(); n != 0 {
		t.Errorf("%d requests sent with a PAT", n)
	}
	if err != nil && strings.Contains(err.Error(), "secret123") {
		t.Errorf("error leaks the PAT: %v", err)
	}
}

// TestFailingReadsReuseConnections: error answers are read to the end so
// that retries reuse the connection instead of opening one each.
func TestFailingReadsReuseConnections(t *testing.T) {
	var conns, hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) % 3 {
		case 0:
			writeJSON(w, 503, `{"error":{"code":"unavailable","message":"try later"}}`)
		case 1:
			writeJSON(w, 404, `{"error":{"code":"not_found","message":"Task not found"}}`)
		default:
			writeJSON(w, 200, `{"status":"pending"} trailing`)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := NewClient(Options{BaseURL: srv.URL, Token: canary, Retry: fastRetry})
	for range 200 {
		c.Status(context.Background(), "tsk_1")
	}
	if n := conns.Load(); n > 2 {
		t.Errorf("%d connections for 200 sequential failing calls", n)
	}
}

// TestCreatedPrintsNoPAT: a Created printed with any verb hides its Public
// Access Token.
func TestCreatedPrintsNoPAT(t *testing.T) {
	c := Created{TaskID: "tsk_1", PublicAccessToken: "pat_SECRET42"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		got := fmt.Sprintf(verb, c) + fmt.Sprintf(verb, &c)
		if strings.Contains(got, "SECRET42") {
			t.Errorf("%s shows the PAT: %s", verb, got)
		}
		if !strings.Contains(got, "tsk_1") {
			t.Errorf("%s hides the task id: %s", verb, got)
		}
	}
}

// TestRetryAfterHTTPDate: a Retry-After given as an HTTP date is waited
// out, up to the cap, before a read is retried.
func TestRetryAfterHTTPDate(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", time.Now().Add(10*time.Second).UTC().Format(http.TimeFormat))
			writeJSON(w, 503, `{"error":{"code":"unavailable","message":"later"}}`)
			return
		}
		writeJSON(w, 200, `{"status":"completed"}`)
	})
	c := f.client(Options{Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxRetryAfter: 200 * time.Millisecond}})
	start := time.Now()
	st, err := c.Status(context.Background(), "tsk_1")
	if err != nil || st != StatusCompleted {
		t.Fatalf("Status = %q, %v", st, err)
	}
	if waited := time.Since(start); waited < 190*time.Millisecond || waited > 5*time.Second {
		t.Errorf("waited %s, want the 200ms cap", waited)
	}
}

// TestTaskReadFollowsRedirects: an API read, which the client sends to
// its transport directly, still follows a redirect as http.Client does
// (with the token on the origin), and still stops a redirect loop.
func TestTaskReadFollowsRedirects(t *testing.T) {
	const body = `{"id":"tsk_1","status":"completed"}`
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/tasks/tsk_1":
			http.Redirect(w, r, "/v2"+r.URL.Path, http.StatusMovedPermanently)
		case r.URL.Path == "/tasks/tsk_loop":
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		case r.Header.Get("Authorization") != "Bearer "+canary:
			writeJSON(w, 401, `{"error":{"code":"unauthorized","message":"no token"}}`)
		default:
			writeJSON(w, 200, body)
		}
	})
	c := f.client(Options{Retry: RetryPolicy{MaxAttempts: 1}})
	task, err := c.Task(context.Background(), "tsk_1")
	if err != nil || task.ID != "tsk_1" || string(task.Raw) != body {
		t.Fatalf("Task after a redirect = %+v, %v", task, err)
	}
	_, err = c.Task(context.Background(), "tsk_loop")
	if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") || !strings.Contains(err.Error(), "GET /tasks/tsk_loop") {
		t.Errorf("Task in a redirect loop: %v, want the loop stopped, naming the request", err)
	}
}

// TestTaskReadTimesOutPerAttempt: a server that stalls, before its
// headers or in the middle of its body, ends the attempt after
// Options.Timeout, and the read is retried; the error of a read that
// never gets an answer says so and names the task.
func TestTaskReadTimesOutPerAttempt(t *testing.T) {
	const timeout = 200 * time.Millisecond
	for _, where := range []string{"headers", "body"} {
		t.Run(where, func(t *testing.T) {
			stall := func(w http.ResponseWriter, r *http.Request) {
				if where == "body" {
					w.Header().Set("Content-Length", "100")
					w.WriteHeader(200)
					w.Write([]byte(`{"id":"tsk_1",`))
					w.(http.Flusher).Flush()
				}
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			}
			f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 || r.URL.Path == "/tasks/tsk_never" {
					stall(w, r)
					return
				}
				writeJSON(w, 200, `{"id":"tsk_1","status":"completed"}`)
			})
			c := f.client(Options{Timeout: timeout})
			start := time.Now()
			task, err := c.Task(context.Background(), "tsk_1")
			if err != nil || task.ID != "tsk_1" {
				t.Fatalf("Task after a stalled attempt = %v, %v", task, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the stalled attempt took %v to end; the timeout is %v", d, timeout)
			}
			if n := f.hits.Load(); n != 2 {
				t.Errorf("%d requests, want 2 (the stalled one and its retry)", n)
			}
			c = f.client(Options{Timeout: timeout, Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
			_, err = c.Task(context.Background(), "tsk_never")
			if err == nil || !strings.Contains(err.Error(), "GET /tasks/tsk_never") || !strings.Contains(err.Error(), "no complete answer within 200ms") {
				t.Errorf("Task of a server that always stalls: %v", err)
			}
		})
	}
}
