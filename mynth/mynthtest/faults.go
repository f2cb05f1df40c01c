package mynthtest

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// FaultKind is one kind of injected failure.
type FaultKind string

// The kinds of fault. On POST /image/generate, the faults that answer
// before the handler runs (latency aside: 500, 502, 503, 429, drop) create
// no task; truncate, malformed and drop_after_create create the task first,
// so that the client cannot know whether it exists (an unknown outcome).
const (
	// FaultLatency delays the answer by Faults.SlowLatency (default 2s),
	// then answers normally.
	FaultLatency FaultKind = "latency"
	// Fault500 answers 500 with an internal_error body.
	Fault500 FaultKind = "500"
	// Fault502 answers 502 with an HTML body, as a proxy in front of the API
	// would.
	Fault502 FaultKind = "502"
	// Fault503 answers 503 with a service_unavailable body.
	Fault503 FaultKind = "503"
	// Fault429 answers 429 rate_limited with Retry-After set to
	// Faults.RetryAfter in whole seconds (default 1).
	Fault429 FaultKind = "429"
	// FaultDrop closes the connection without an answer.
	FaultDrop FaultKind = "drop"
	// FaultTruncate sends the right status and headers, then half of the
	// body, then closes the connection (no Content-Length, so the body ends
	// cleanly at the cut: only a strict JSON decoder notices).
	FaultTruncate FaultKind = "truncate"
	// FaultMalformed sends the right status with a body that is not what the
	// endpoint returns (HTML instead of JSON, text instead of a PNG).
	FaultMalformed FaultKind = "malformed"
	// FaultDropAfterCreate creates the task (on upload: stores the files),
	// then closes the connection without an answer. On other endpoints it
	// is FaultDrop.
	FaultDropAfterCreate FaultKind = "drop_after_create"
)

// FaultKinds lists every kind, in a stable order.
var FaultKinds = []FaultKind{FaultLatency, Fault500, Fault502, Fault503, Fault429, FaultDrop,
	FaultTruncate, FaultMalformed, FaultDropAfterCreate}

// Faults configures fault injection. The zero value injects nothing.
//
// For each request the emulator first takes the next queued fault of the
// endpoint's rule (FaultRule.Next), then of Faults.Next; when both queues
// are empty it injects a fault with probability Rate (the endpoint rule's
// Rate when the endpoint has a rule, else Faults.Rate), of a kind drawn
// uniformly from Kinds (the rule's, else Faults.Kinds, else every kind that
// fits the endpoint: drop_after_create fits only generate and upload).
type Faults struct {
	// Rate is the probability, from 0 to 1, that a request gets a fault.
	Rate float64
	// Kinds are the kinds drawn from; nil means every kind.
	Kinds []FaultKind
	// Next are faults for the next requests of any endpoint, one each, in
	// order, before any random draw.
	Next []FaultKind
	// Endpoints overrides Rate, Kinds and Next for single endpoints.
	Endpoints map[Endpoint]FaultRule
	// RetryAfter is the Retry-After of a 429, rounded up to whole seconds;
	// 0 means 1s.
	RetryAfter time.Duration
	// SlowLatency is the delay of a latency fault; 0 means 2s.
	SlowLatency time.Duration
}

// FaultRule is the fault configuration of one endpoint.
type FaultRule struct {
	Rate  float64
	Kinds []FaultKind
	// Next are faults for the next requests to this endpoint, in order.
	Next []FaultKind
}

// ParseFaultKind checks a fault kind's name; "5xx" is not a kind (list
// Fault500, Fault502 and Fault503 instead).
func ParseFaultKind(s string) (FaultKind, error) {
	for _, k := range FaultKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown fault kind %q (want one of latency, 500, 502, 503, 429, drop, truncate, malformed, drop_after_create)", s)
}

// faultState is the live fault configuration with its queues and random
// source.
type faultState struct {
	mu   sync.Mutex
	rng  *rand.Rand
	f    Faults
	next []FaultKind
	per  map[Endpoint][]FaultKind
}

func (s *faultState) init(seed uint64, f Faults) {
	s.rng = newRand(seed)
	s.set(f)
}

func (s *faultState) set(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f = f
	s.next = slices.Clone(f.Next)
	s.per = map[Endpoint][]FaultKind{}
	for ep, rule := range f.Endpoints {
		s.per[ep] = slices.Clone(rule.Next)
	}
}

// draw picks the fault for one request to ep, "" for none.
func (s *faultState) draw(ep Endpoint) FaultKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	fit := func(k FaultKind) FaultKind {
		if k == FaultDropAfterCreate && !storesSomething(ep) {
			return FaultDrop
		}
		return k
	}
	if q := s.per[ep]; len(q) > 0 {
		s.per[ep] = q[1:]
		return fit(q[0])
	}
	if len(s.next) > 0 {
		k := s.next[0]
		s.next = s.next[1:]
		return fit(k)
	}
	rate, kinds := s.f.Rate, s.f.Kinds
	if rule, ok := s.f.Endpoints[ep]; ok {
		rate = rule.Rate
		if rule.Kinds != nil {
			kinds = rule.Kinds
		}
	}
	if rate <= 0 || s.rng.Float64() >= rate {
		return ""
	}
	if len(kinds) == 0 {
		for _, k := range FaultKinds {
			if k != FaultDropAfterCreate || storesSomething(ep) {
				kinds = append(kinds, k)
			}
		}
	}
	return fit(kinds[s.rng.IntN(len(kinds))])
}

// storesSomething reports whether a request to ep stores something that
// outlives a lost answer: a task, or uploaded files.
func storesSomething(ep Endpoint) bool {
	return ep == EndpointGenerate || ep == EndpointUpload
}

// jitter draws a delay in [0, max).
func (s *faultState) jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(s.rng.Int64N(int64(max)))
}

func (s *faultState) retryAfterSeconds() int64 {
	s.mu.Lock()
	d := s.f.RetryAfter
	s.mu.Unlock()
	if d <= 0 {
		return 1
	}
	return int64((d + time.Second - 1) / time.Second)
}

func (s *faultState) slowLatency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f.SlowLatency <= 0 {
		return 2 * time.Second
	}
	return s.f.SlowLatency
}

// dropConnection closes the client's connection without an answer. Outside
// a net/http server (no Hijacker) it aborts the handler the way net/http
// documents, which also closes the connection.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// truncateResponse writes resp's status line and headers and half of its
// body on the raw connection, then closes it. It reports false when the
// connection cannot be taken over (the caller then writes the half body
// through w).
func truncateResponse(w http.ResponseWriter, resp *response) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return false
	}
	defer conn.Close()
	bw := bufio.NewWriter(conn)
	if buf != nil {
		bw = buf.Writer
	}
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", resp.status, http.StatusText(resp.status))
	h := resp.header.Clone()
	h.Del("Content-Length")
	h.Set("Connection", "close")
	_ = h.Write(bw)
	fmt.Fprint(bw, "\r\n")
	_, _ = bw.Write(resp.body[:len(resp.body)/2])
	_ = bw.Flush()
	return true
}
