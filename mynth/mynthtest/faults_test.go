package mynthtest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// rawCall is call without failing on a transport error: it returns the
// error instead.
func rawCall(method, url, token, body string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return reply{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// A fresh connection: net/http silently retries an idempotent request
	// whose reused connection was closed without an answer.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

func TestFaultKinds(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	id, _ := created(t, srv.URL, alice, `{"prompt":"a mug"}`)
	good := call(t, "GET", srv.URL+"/tasks/"+id+"/status", alice, "")
	if string(good.Body) != `{"status":"completed"}` {
		t.Fatalf("status %s", good.Body)
	}
	tests := []struct {
		kind    mynthtest.FaultKind
		status  int
		dropped bool
		check   func(t *testing.T, r reply)
	}{
		{kind: mynthtest.Fault500, status: 500, check: func(t *testing.T, r reply) {
			if !strings.Contains(string(r.Body), `"code":"internal_error"`) {
				t.Errorf("body %s", r.Body)
			}
		}},
		{kind: mynthtest.Fault502, status: 502, check: func(t *testing.T, r reply) {
			if r.Header.Get("Content-Type") != "text/html" {
				t.Errorf("502 Content-Type %q", r.Header.Get("Content-Type"))
			}
		}},
		{kind: mynthtest.Fault503, status: 503},
		{kind: mynthtest.Fault429, status: 429, check: func(t *testing.T, r reply) {
			if got := r.Header.Get("Retry-After"); got != "3" {
				t.Errorf("Retry-After %q, want 3 (2.5s rounded up)", got)
			}
		}},
		{kind: mynthtest.FaultDrop, dropped: true},
		{kind: mynthtest.FaultDropAfterCreate, dropped: true}, // a drop outside generate
		{kind: mynthtest.FaultTruncate, status: 200, check: func(t *testing.T, r reply) {
			if string(r.Body) != string(good.Body[:len(good.Body)/2]) {
				t.Errorf("truncated body %q", r.Body)
			}
			if json.Valid(r.Body) {
				t.Errorf("truncated body is valid JSON")
			}
		}},
		{kind: mynthtest.FaultMalformed, status: 200, check: func(t *testing.T, r reply) {
			if json.Valid(r.Body) {
				t.Errorf("malformed body is valid JSON: %s", r.Body)
			}
		}},
		{kind: mynthtest.FaultLatency, status: 200, check: func(t *testing.T, r reply) {
			if string(r.Body) != string(good.Body) {
				t.Errorf("body %s", r.Body)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			srv.Emulator.SetFaults(mynthtest.Faults{
				RetryAfter:  2500 * time.Millisecond,
				SlowLatency: 50 * time.Millisecond,
				Endpoints:   map[mynthtest.Endpoint]mynthtest.FaultRule{mynthtest.EndpointStatus: {Next: []mynthtest.FaultKind{tc.kind}}},
			})
			start := time.Now()
			r, err := rawCall("GET", srv.URL+"/tasks/"+id+"/status", alice, "")
			if tc.dropped {
				if err == nil {
					t.Fatalf("want a transport error, got %d %s", r.Status, r.Body)
				}
				return
			}
			if err != nil {
				t.Fatalf("transport error: %v", err)
			}
			if r.Status != tc.status {
				t.Errorf("status %d, want %d", r.Status, tc.status)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			if tc.kind == mynthtest.FaultLatency && time.Since(start) < 50*time.Millisecond {
				t.Errorf("latency fault answered in %v", time.Since(start))
			}
			// The fault was used up: the next request is served normally.
			if again := call(t, "GET", srv.URL+"/tasks/"+id+"/status", alice, ""); again.Status != 200 {
				t.Errorf("after the fault: %d", again.Status)
			}
		})
	}
}

func TestFaultsOnCreation(t *testing.T) {
	tests := []struct {
		kind    mynthtest.FaultKind
		created bool
	}{
		{mynthtest.Fault500, false},
		{mynthtest.Fault503, false},
		{mynthtest.Fault429, false},
		{mynthtest.FaultDrop, false},
		{mynthtest.FaultDropAfterCreate, true},
		{mynthtest.FaultTruncate, true},
		{mynthtest.FaultMalformed, true},
		{mynthtest.FaultLatency, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			srv := mynthtest.NewServer(t, mynthtest.Options{
				Faults: mynthtest.Faults{SlowLatency: time.Millisecond, Next: []mynthtest.FaultKind{tc.kind}},
			})
			_, _ = rawCall("POST", srv.URL+"/image/generate", alice, `{"prompt":"x"}`)
			if got := srv.Emulator.Tasks() == 1; got != tc.created {
				t.Errorf("task created: %v, want %v", got, tc.created)
			}
			st := srv.Emulator.Stats()
			if st.Faults[tc.kind] != 1 || st.Requests[mynthtest.EndpointGenerate] != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestFaultRateDeterministic checks that the same RandSeed gives the same
// faults for the same sequence of requests, and that Rate is roughly kept.
func TestFaultRateDeterministic(t *testing.T) {
	run := func(seed uint64) []string {
		srv := mynthtest.NewServer(t, mynthtest.Options{
			RandSeed: seed,
			Faults: mynthtest.Faults{Rate: 0.3, Kinds: []mynthtest.FaultKind{mynthtest.Fault500, mynthtest.Fault503, mynthtest.Fault429},
				Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{mynthtest.EndpointGenerate: {Rate: 0}}},
		})
		id, _ := created(t, srv.URL, alice, `{"prompt":"x"}`)
		var out []string
		for range 200 {
			r := call(t, "GET", srv.URL+"/tasks/"+id+"/status", alice, "")
			out = append(out, fmt.Sprint(r.Status))
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different faults:\n%s", diff)
	}
	if cmp.Equal(a, c) {
		t.Errorf("different seeds gave the same faults")
	}
	faults := 0
	for _, s := range a {
		if s != "200" {
			faults++
		}
	}
	if faults < 30 || faults > 90 {
		t.Errorf("%d faults in 200 requests at rate 0.3", faults)
	}
}

func TestFaultImageMalformed(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	id, _ := created(t, srv.URL, alice, `{"prompt":"x"}`)
	u := getTask(t, srv.URL, alice, id).Result.Images[0].URL
	srv.Emulator.SetFaults(mynthtest.Faults{Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{
		mynthtest.EndpointImage: {Next: []mynthtest.FaultKind{mynthtest.FaultMalformed, mynthtest.FaultTruncate}}}})
	r := call(t, "GET", u, "", "")
	if r.Status != 200 || strings.HasPrefix(string(r.Body), "\x89PNG") {
		t.Errorf("malformed image: %d %q", r.Status, r.Body)
	}
	r, err := rawCall("GET", u, "", "")
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatal(err)
	}
	good := call(t, "GET", u, "", "")
	if len(r.Body) != len(good.Body)/2 {
		t.Errorf("truncated image: %d bytes of %d", len(r.Body), len(good.Body))
	}
}

func TestParseFaultKind(t *testing.T) {
	for _, k := range mynthtest.FaultKinds {
		if got, err := mynthtest.ParseFaultKind(string(k)); err != nil || got != k {
			t.Errorf("ParseFaultKind(%q) = %q, %v", k, got, err)
		}
	}
	if _, err := mynthtest.ParseFaultKind("5xx"); err == nil {
		t.Error("5xx accepted")
	}
}

func TestLatencyAndLog(t *testing.T) {
	var log syncBuffer
	srv := mynthtest.NewServer(t, mynthtest.Options{Latency: 30 * time.Millisecond, Jitter: 10 * time.Millisecond, Log: &log})
	start := time.Now()
	id, pat := created(t, srv.URL, alice, `{"prompt":"x","access":{"pat":{"enabled":true}}}`)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("answered in %v with 30ms of latency", d)
	}
	call(t, "GET", srv.URL+"/tasks/"+id+"/status", pat, "")
	call(t, "GET", srv.URL+"/tasks/"+id, "mak_wrong_canary", "")
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want one per request:\n%s", len(lines), log.String())
	}
	for _, want := range []string{"POST /image/generate 201", "GET /tasks/" + id + "/status 200", "GET /tasks/" + id + " 404"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	for _, secret := range []string{alice, pat, "mak_wrong_canary"} {
		if strings.Contains(log.String(), secret) {
			t.Errorf("the log holds a token:\n%s", log.String())
		}
	}
}

// syncBuffer is a strings.Builder safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
