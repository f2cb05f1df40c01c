package mynth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mynthform/mynthform/mynth"
)

// A creation is never redirected: a 3xx is an unknown outcome (the request
// reached a server), never followed to another origin with its body or
// as a GET, never a plain failure; reads still follow redirects.
func TestGenerateNeverFollowsARedirect(t *testing.T) {
	const key = "mak_redirect_canary_0123"
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), "lighthouse") || r.Header.Get("Authorization") != "" {
			t.Errorf("the redirect target got the request: %s %q", r.Method, body)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"taskId":"tsk_elsewhere"}`)
	}))
	defer other.Close()
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					posts.Add(1)
				}
				http.Redirect(w, r, other.URL+"/image/generate?token=secret", code)
			}))
			defer srv.Close()
			c := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: key})
			_, err := c.Generate(context.Background(), mynth.Request{Prompt: &mynth.Prompt{Positive: "a lighthouse"}})
			if !errors.Is(err, mynth.ErrUnknownOutcome) {
				t.Fatalf("Generate: %v, want an unknown outcome", err)
			}
			var apiErr *mynth.APIError
			if errors.As(err, &apiErr) || posts.Load() != 1 || elsewhere.Load() != 0 {
				t.Fatalf("err %v; %d posts, %d requests elsewhere", err, posts.Load(), elsewhere.Load())
			}
			if msg := err.Error(); strings.Contains(msg, "secret") || strings.Contains(msg, key) || !strings.Contains(msg, "never followed") {
				t.Errorf("message: %s", msg)
			}
		})
	}
	// A read is still redirected (without the token across origins).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/tasks/tsk_1/status", http.StatusFound)
	}))
	defer srv.Close()
	c := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: key})
	before := elsewhere.Load()
	_, _ = c.Status(context.Background(), "tsk_1")
	if elsewhere.Load() == before {
		t.Error("a read did not follow the redirect")
	}
}
