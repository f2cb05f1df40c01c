package mynth

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// TestNewRequestMatchesNetHTTP: the request newRequest makes without
// parsing its URL is the request http.NewRequestWithContext makes of
// the same URL, field for field, for every base and every URL: plain
// ones (the fast path) and anything else (user info, queries, escapes,
// an upper-case scheme, an empty port, another origin), which goes to
// net/http.
func TestNewRequestMatchesNetHTTP(t *testing.T) {
	bases := []string{
		"http://127.0.0.1:8080", "http://127.0.0.1:8080/api", "https://api.mynth.io", "http://[::1]:9/v1/",
		"http://Host.Example/x", "HTTP://h", "http://h:", "http://u:p@h", "http://h/a%20b", "http://h/a b",
		"http://h?x=1", "http://h/#f", "http://h/a;b", "http://h/a:b", "http://[fe80::1%25eth0]:8/p", "http:/h", "h",
	}
	ids := []string{"tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP", "a b", "a/b", "ü", "..", "%", "%41", "a:b", "a;b", "a?b", "a#b", ""}
	plain := 0
	for _, base := range bases {
		c := NewClient(Options{BaseURL: base, Token: "mak_x"})
		if c.originLen > 0 {
			plain++
		}
		var urls []string
		for _, id := range ids {
			for _, suffix := range []string{"", "/status", "/results"} {
				urls = append(urls, c.base+"/tasks/"+url.PathEscape(id)+suffix, c.base+"/tasks/"+id+suffix)
			}
		}
		urls = append(urls, c.base, c.base+"/", c.base+"/images/x.png?sig=1", "https://cdn.other/images/x.png", c.base+"x", strings.ToUpper(c.base)+"/tasks/x")
		for _, u := range urls {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				ctx := context.Background()
				cl := &call{method: method, url: u}
				got, gotErr := c.newRequest(ctx, cl, nil)
				want, wantErr := http.NewRequestWithContext(ctx, method, u, nil)
				if (gotErr == nil) != (wantErr == nil) {
					t.Errorf("base %q, %s %q: error %v, net/http's %v", base, method, u, gotErr, wantErr)
					continue
				}
				if gotErr != nil {
					continue
				}
				if !reflect.DeepEqual(got.URL, want.URL) || got.Host != want.Host || got.Method != want.Method ||
					got.Proto != want.Proto || !reflect.DeepEqual(got.Header, want.Header) || got.Body != want.Body ||
					got.ContentLength != want.ContentLength || got.Context() != want.Context() {
					t.Errorf("base %q, %s %q:\n got  %#v host %q\n want %#v host %q", base, method, u, got.URL, got.Host, want.URL, want.Host)
				}
			}
		}
	}
	if plain < 5 {
		t.Errorf("only %d of the bases took the fast path", plain)
	}
}

// BenchmarkNewRequest is a task read's request, made by newRequest
// (plain) and by http.NewRequestWithContext (parsed).
func BenchmarkNewRequest(b *testing.B) {
	c := NewClient(Options{BaseURL: "http://127.0.0.1:8080", Token: "mak_x"})
	cl := &call{method: http.MethodGet, url: c.base + "/tasks/tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"}
	ctx := context.Background()
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.newRequest(ctx, cl, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parsed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := http.NewRequestWithContext(ctx, cl.method, cl.url, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
