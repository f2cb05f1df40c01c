package mynth

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// canary is a token that must never appear in any error or printed form.
const canary = "mak_CANARY_7f3e9d1c2b4a"

// fastRetry makes retries quick in tests.
var fastRetry = RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond, MaxRetryAfter: 30 * time.Millisecond}

// fake is an httptest server whose answers are scripted per request.
type fake struct {
	*httptest.Server
	hits atomic.Int32
	mu   sync.Mutex
	reqs []*http.Request
}

// newFake serves answer(n, w, r) for the n-th request (from 1).
func newFake(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *fake {
	t.Helper()
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.hits.Add(1))
		f.mu.Lock()
		f.reqs = append(f.reqs, r.Clone(context.Background()))
		f.mu.Unlock()
		answer(n, w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) client(opts Options) *Client {
	opts.BaseURL = f.URL
	if opts.Token == "" {
		opts.Token = canary
	}
	if opts.Retry == (RetryPolicy{}) {
		opts.Retry = fastRetry
	}
	return NewClient(opts)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// hijackClose drops the connection without an answer.
func hijackClose(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// writeThenDrop sends the status line, headers announcing a longer body,
// part of the body, and drops the connection.
func writeThenDrop(w http.ResponseWriter, status int, partial string) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), len(partial)+100, partial)
	buf.Flush()
	conn.Close()
}

const taskJSON = `{"id":"tsk_1","status":"completed","type":"image.generate","createdAt":"2025-01-15T10:30:00.000Z","updatedAt":"2025-01-15T10:30:12.000Z","request":{"prompt":"a mug","model":"google/gemini-3.1-flash-image","size":"landscape","count":1},"result":{"model":"google/gemini-3.1-flash-image","images":[{"status":"succeeded","id":"img_1","url":"https://cdn.example/img_1.png","cost":"0.01250000","size":"1536x1024"}],"cost":{"images":"0.01250000","total":"0.01250000"},"future_field":{"x":1}},"brand_new":true}`

// noSecret fails when any text holds the canary or a token-looking value.
func noSecret(t *testing.T, what, text string) {
	t.Helper()
	if strings.Contains(text, canary) || strings.Contains(text, "CANARY") {
		t.Errorf("%s leaks the token: %s", what, text)
	}
}

func TestTaskDecodesAndKeepsRaw(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/tasks/tsk_1" {
			writeJSON(w, 404, `{"error":{"code":"not_found","message":"no"}}`)
			return
		}
		writeJSON(w, 200, taskJSON+"\n")
	})
	c := f.client(Options{UserAgent: "test-agent"})
	task, err := c.Task(context.Background(), "tsk_1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(taskJSON, string(task.Raw)); diff != "" {
		t.Errorf("Raw (-want +got):\n%s", diff)
	}
	if task.ID != "tsk_1" || task.Status != StatusCompleted || task.Request.Prompt.Positive != "a mug" ||
		task.Result.Images[0].Cost.String() != "0.01250000" || task.Result.Total().String() != "0.01250000" {
		t.Errorf("decoded task: %+v", task)
	}
	r := f.reqs[0]
	want := map[string]string{"Authorization": "Bearer " + canary, "Accept": "application/json", "User-Agent": "test-agent"}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestStatusResultsAndDataWrapper(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/tasks/tsk_1/status":
			writeJSON(w, 200, `{"status":"pending"}`)
		case "/tasks/tsk_2/status":
			writeJSON(w, 200, `{"data":{"status":"completed"}}`)
		case "/tasks/tsk_1/results":
			writeJSON(w, 200, `{"images":[{"status":"succeeded","id":"img_1","url":"u","cost":"0.01250000"},{"status":"failed","error":"boom"}]}`)
		default:
			writeJSON(w, 404, `{"error":{"code":"not_found","message":"Task not found"}}`)
		}
	})
	c := f.client(Options{})
	ctx := context.Background()
	if st, err := c.Status(ctx, "tsk_1"); err != nil || st != StatusPending {
		t.Errorf("Status = %q, %v", st, err)
	}
	if st, err := c.Status(ctx, "tsk_2"); err != nil || st != StatusCompleted {
		t.Errorf("wrapped Status = %q, %v", st, err)
	}
	res, err := c.Results(ctx, "tsk_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Images) != 2 || res.Images[1].ErrorMessage() != "boom" {
		t.Errorf("Results = %+v", res)
	}
	_, err = c.Results(ctx, "tsk_404")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("missing task: %v, want ErrNotFound", err)
	}
	if got, want := err.Error(), "GET /tasks/tsk_404/results: 404 not_found: Task not found"; got != want {
		t.Errorf("error text\n got %s\nwant %s", got, want)
	}
}

func TestReadRetries(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(n int, w http.ResponseWriter, r *http.Request)
		wantHits  int32
		wantIs    error // nil: success
		wantText  string
		minElapse time.Duration
	}{
		{
			name: "503 then 200",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					writeJSON(w, 503, `{"error":{"code":"unavailable","message":"try later"}}`)
					return
				}
				writeJSON(w, 200, taskJSON)
			},
			wantHits: 2,
		},
		{
			name: "429 with Retry-After is honoured up to the cap",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					writeJSON(w, 429, `{"error":{"code":"rate_limited","message":"slow down"}}`)
					return
				}
				writeJSON(w, 200, taskJSON)
			},
			wantHits:  2,
			minElapse: fastRetry.MaxRetryAfter,
		},
		{
			name: "dropped connection then 200",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					hijackClose(w)
					return
				}
				writeJSON(w, 200, taskJSON)
			},
			wantHits: 2,
		},
		{
			name: "truncated body then 200",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					writeThenDrop(w, 200, taskJSON[:40])
					return
				}
				writeJSON(w, 200, taskJSON)
			},
			wantHits: 2,
		},
		{
			name: "trailing garbage then 200",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					writeJSON(w, 200, taskJSON+`}garbage`)
					return
				}
				writeJSON(w, 200, taskJSON)
			},
			wantHits: 2,
		},
		{
			name: "always 502 gives up",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 502, `<html>bad gateway</html>`)
			},
			wantHits: 4,
			wantIs:   &APIError{},
			wantText: "GET /tasks/tsk_1: 502 Bad Gateway (gave up after 4 attempts)",
		},
		{
			name: "always trailing garbage is malformed",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, taskJSON+` {}`)
			},
			wantHits: 4,
			wantIs:   ErrMalformed,
			wantText: "GET /tasks/tsk_1: malformed response: task: trailing data after the JSON value at offset 502 (gave up after 4 attempts)",
		},
		{
			name: "always truncated JSON is malformed",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, taskJSON[:100])
			},
			wantHits: 4,
			wantIs:   ErrMalformed,
			wantText: "GET /tasks/tsk_1: malformed response: task: unexpected EOF (gave up after 4 attempts)",
		},
		{
			name: "501 is final",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 501, `{"error":{"code":"not_implemented","message":"nope"}}`)
			},
			wantHits: 1,
			wantIs:   &APIError{},
			wantText: "GET /tasks/tsk_1: 501 not_implemented: nope",
		},
		{
			name: "401 is final",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 401, `{"error":{"code":"unauthorized","message":"bad key `+canary+`"}}`)
			},
			wantHits: 1,
			wantIs:   ErrUnauthorized,
			wantText: "GET /tasks/tsk_1: 401 unauthorized: bad key [REDACTED]",
		},
		{
			name: "404 is final",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 404, `{"error":{"code":"not_found","message":"Task not found"}}`)
			},
			wantHits: 1,
			wantIs:   ErrNotFound,
			wantText: "GET /tasks/tsk_1: 404 not_found: Task not found",
		},
		{
			name: "another task's id is malformed",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, strings.Replace(taskJSON, "tsk_1", "tsk_2", 1))
			},
			wantHits: 4,
			wantIs:   ErrMalformed,
			wantText: "GET /tasks/tsk_1: malformed response: asked for task tsk_1, got task tsk_2 (gave up after 4 attempts)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.answer)
			c := f.client(Options{})
			start := time.Now()
			task, err := c.Task(context.Background(), "tsk_1")
			elapsed := time.Since(start)
			if got := f.hits.Load(); got != tt.wantHits {
				t.Errorf("requests = %d, want %d", got, tt.wantHits)
			}
			if elapsed < tt.minElapse {
				t.Errorf("took %s, want at least %s", elapsed, tt.minElapse)
			}
			if tt.wantIs == nil {
				if err != nil || task.ID != "tsk_1" {
					t.Fatalf("Task = %v, %v", task, err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			noSecret(t, "error", err.Error())
			if ae, ok := tt.wantIs.(*APIError); ok {
				if !errors.As(err, &ae) {
					t.Errorf("error %v is not an *APIError", err)
				}
			} else if !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if diff := cmp.Diff(tt.wantText, err.Error()); diff != "" {
				t.Errorf("error text (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGenerateRetriesOnlyWhenNotSent(t *testing.T) {
	created := `{"taskId":"tsk_new","access":{"publicAccessToken":"pat_secret_1"}}`
	tests := []struct {
		name        string
		answer      func(n int, w http.ResponseWriter, r *http.Request)
		wantHits    int32
		wantErr     bool
		wantUnknown bool
		wantIs      error
		wantText    string
	}{
		{
			name:     "201",
			answer:   func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 201, created) },
			wantHits: 1,
		},
		{
			name: "201 wrapped in data",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 201, `{"data":`+created+`}`)
			},
			wantHits: 1,
		},
		{
			name: "429 then 201",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", "0")
					writeJSON(w, 429, `{"error":{"code":"rate_limited","message":"slow"}}`)
					return
				}
				writeJSON(w, 201, created)
			},
			wantHits: 2,
		},
		{
			name:        "dropped before answering",
			answer:      func(n int, w http.ResponseWriter, r *http.Request) { hijackClose(w) },
			wantHits:    1,
			wantErr:     true,
			wantUnknown: true,
			wantText:    "POST /image/generate: outcome unknown: the request may have reached Mynth and created a task: EOF",
		},
		{
			name: "reset after reading the request",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.(*net.TCPConn).SetLinger(0)
					conn.Close()
				}
			},
			wantHits:    1,
			wantErr:     true,
			wantUnknown: true,
		},
		{
			name:        "201 then drop",
			answer:      func(n int, w http.ResponseWriter, r *http.Request) { writeThenDrop(w, 201, `{"taskId":"tsk_`) },
			wantHits:    1,
			wantErr:     true,
			wantUnknown: true,
			wantText:    "POST /image/generate: outcome unknown: the request may have reached Mynth and created a task: reading the response: unexpected EOF",
		},
		{
			name:        "201 with a malformed body",
			answer:      func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 201, `{"taskId":"tsk_1"} x`) },
			wantHits:    1,
			wantErr:     true,
			wantUnknown: true,
			wantIs:      ErrMalformed,
			wantText:    "POST /image/generate: 201 with malformed response: outcome unknown: the request may have reached Mynth and created a task: creation response: trailing data after the JSON value at offset 18",
		},
		{
			name: "503 is an unknown outcome, not retried",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 503, `{"error":{"code":"unavailable","message":"down"}}`)
			},
			wantHits:    1,
			wantErr:     true,
			wantUnknown: true,
			wantIs:      &APIError{},
			wantText:    "POST /image/generate: 503 unavailable: down; outcome unknown: the request may have reached Mynth and created a task",
		},
		{
			name: "429 on every attempt gives up, outcome known",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 429, `{"error":{"code":"rate_limited","message":"slow down"}}`)
			},
			wantHits: 4,
			wantErr:  true,
			wantIs:   ErrRateLimited,
			wantText: "POST /image/generate: 429 rate_limited: slow down (gave up after 4 attempts)",
		},
		{
			name: "402 is final",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 402, `{"error":{"code":"insufficient_balance","message":"Top up your account"}}`)
			},
			wantHits: 1,
			wantErr:  true,
			wantIs:   ErrInsufficientBalance,
			wantText: "POST /image/generate: 402 insufficient_balance: Top up your account",
		},
		{
			name: "400 validation is final and names the field",
			answer: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 400, `{"error":{"code":"validation_error","message":"count must be at most 20","field":"count"}}`)
			},
			wantHits: 1,
			wantErr:  true,
			wantIs:   ErrValidation,
			wantText: "POST /image/generate: 400 validation_error: count must be at most 20 (field count)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.answer)
			c := f.client(Options{})
			got, err := c.Generate(context.Background(), Request{Prompt: &Prompt{Positive: "a mug"}, Access: &Access{PAT: &PATAccess{Enabled: true}}})
			if n := f.hits.Load(); n != tt.wantHits {
				t.Errorf("requests = %d, want %d", n, tt.wantHits)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(Created{TaskID: "tsk_new", PublicAccessToken: "pat_secret_1"}, got); diff != "" {
					t.Errorf("Created (-want +got):\n%s", diff)
				}
				var body map[string]any
				f.mu.Lock()
				r := f.reqs[0]
				f.mu.Unlock()
				if r.Header.Get("Content-Type") != "application/json" || r.Method != http.MethodPost {
					t.Errorf("request %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
				}
				_ = body
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			noSecret(t, "error", err.Error())
			if errors.Is(err, ErrUnknownOutcome) != tt.wantUnknown {
				t.Errorf("errors.Is(err, ErrUnknownOutcome) = %v, want %v (%v)", !tt.wantUnknown, tt.wantUnknown, err)
			}
			if ae, ok := tt.wantIs.(*APIError); ok {
				if !errors.As(err, &ae) {
					t.Errorf("error %v is not an *APIError", err)
				}
			} else if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if tt.wantText == "" {
				t.Logf("%s: %v", tt.name, err)
			} else if diff := cmp.Diff(tt.wantText, err.Error()); diff != "" {
				t.Errorf("error text (-want +got):\n%s", diff)
			}
		})
	}
}

// refusingDialer refuses the first n dials like a closed port, then dials.
func refusingDialer(n int) (*http.Client, *atomic.Int32) {
	var dials atomic.Int32
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if int(dials.Add(1)) <= n {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connect: connection refused")}
			}
			return d.DialContext(ctx, network, addr)
		},
	}}, &dials
}

func TestGenerateRetriesConnectionRefused(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 201, `{"taskId":"tsk_new"}`) })
	hc, dials := refusingDialer(2)
	c := f.client(Options{HTTPClient: hc})
	got, err := c.Generate(context.Background(), Request{Prompt: &Prompt{Positive: "x"}})
	if err != nil || got.TaskID != "tsk_new" {
		t.Fatalf("Generate = %+v, %v", got, err)
	}
	if dials.Load() != 3 || f.hits.Load() != 1 {
		t.Errorf("dials %d, requests %d; want 3 and 1", dials.Load(), f.hits.Load())
	}

	// A port nobody listens on: retried, then a plain (not unknown) error.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c = NewClient(Options{BaseURL: "http://" + addr, Token: canary, Retry: fastRetry})
	_, err = c.Generate(context.Background(), Request{Prompt: &Prompt{Positive: "x"}})
	if err == nil || errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("refused: %v, want a known outcome error", err)
	}
	noSecret(t, "error", err.Error())
	if !strings.HasPrefix(err.Error(), "POST /image/generate: dial tcp "+addr) || !strings.HasSuffix(err.Error(), "(gave up after 4 attempts)") {
		t.Errorf("refused error text: %s", err)
	}
}

// countingTransport counts the requests handed to the transport: the
// client's attempts, whether or not the server saw them.
type countingTransport struct {
	n    *atomic.Int32
	next http.RoundTripper
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// TestTimeouts: an attempt without a complete answer within
// Options.Timeout is retried for a read, and is an unknown outcome, never
// sent again, for a creation. Only the attempts the fake holds open reach
// the timeout, so it is long enough for any answer on a loaded machine
// (with 50 ms, an answer on two busy cores under -race sometimes came too
// late, four times in a row), and the two halves wait for it in parallel.
func TestTimeouts(t *testing.T) {
	const timeout = time.Second
	t.Run("read", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				<-r.Context().Done()
				return
			}
			writeJSON(w, 200, taskJSON)
		})
		c := f.client(Options{Timeout: timeout})
		if _, err := c.Task(context.Background(), "tsk_1"); err != nil {
			t.Errorf("read after a timed-out attempt: %v", err)
		}
		if f.hits.Load() != 2 {
			t.Errorf("%d requests, want 2: the one held open, then its retry", f.hits.Load())
		}
	})
	t.Run("creation", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
			// The server notices the client hang up only once the
			// body is read.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		})
		var attempts atomic.Int32
		hc := &http.Client{Transport: countingTransport{&attempts, http.DefaultTransport.(*http.Transport).Clone()}}
		c := f.client(Options{Timeout: timeout, HTTPClient: hc})
		start := time.Now()
		_, err := c.Generate(context.Background(), Request{Prompt: &Prompt{Positive: "x"}})
		if !errors.Is(err, ErrUnknownOutcome) || !strings.Contains(err.Error(), "no complete answer within 1s") {
			t.Errorf("creation timeout: %v, want an unknown outcome naming the timeout", err)
		}
		if d := time.Since(start); d < timeout {
			t.Errorf("the creation gave up after %s, before its timeout", d)
		}
		// Close waits for the held request's handler: the count is final.
		f.Close()
		if attempts.Load() != 1 || f.hits.Load() != 1 {
			t.Errorf("creation attempted %d times, received %d times; want once", attempts.Load(), f.hits.Load())
		}
	})
}

func TestContextCancellation(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	c := f.client(Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Task(ctx, "tsk_1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("cancellation took %s", time.Since(start))
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := c.Status(ctx, "tsk_1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}

	// Cancelled while waiting out a Retry-After.
	g := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		writeJSON(w, 429, `{}`)
	})
	c = g.client(Options{Retry: RetryPolicy{MaxAttempts: 3, MaxRetryAfter: time.Minute}})
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Status(ctx, "tsk_1")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "while waiting to retry after: GET /tasks/tsk_1/status: 429") {
		t.Errorf("cancel during backoff: %v", err)
	}
}

func TestResponseSizeCap(t *testing.T) {
	big := `{"status":"pending","pad":"` + strings.Repeat("x", 2000) + `"}`
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/tasks/chunked/status" {
			w.(http.Flusher).Flush() // chunked, no Content-Length
		}
		io.WriteString(w, big)
	})
	c := f.client(Options{MaxResponseBytes: 1000})
	for _, id := range []string{"sized", "chunked"} {
		_, err := c.Status(context.Background(), id)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err = %v, want ErrTooLarge", id, err)
		}
	}
	if f.hits.Load() != 2 {
		t.Errorf("too large was retried: %d requests", f.hits.Load())
	}
}

func TestDownload(t *testing.T) {
	img := testPNG(t, 40, 30)
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/flaky.png":
			switch n {
			case 1:
				writeThenDrop(w, 200, string(img[:100]))
				return
			case 2:
				w.WriteHeader(503)
				return
			case 3: // cut short with no Content-Length
				w.(http.Flusher).Flush()
				w.Write(img[:len(img)-5])
				return
			case 4:
				io.WriteString(w, "this is not a PNG file\n")
				return
			}
		case "/missing.png":
			w.WriteHeader(404)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(img)
	})
	c := f.client(Options{Retry: RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond}})
	var buf bytes.Buffer
	n, err := c.Download(context.Background(), f.URL+"/flaky.png?sig=s3cr3t", &buf, 0)
	if err != nil || n != int64(len(img)) || !bytes.Equal(buf.Bytes(), img) {
		t.Fatalf("Download = %d, %v (buffer %d bytes)", n, err, buf.Len())
	}
	if f.hits.Load() != 5 {
		t.Errorf("requests = %d, want 5", f.hits.Load())
	}
	f.mu.Lock()
	for _, r := range f.reqs {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("Authorization sent to an image URL")
		}
	}
	f.mu.Unlock()

	buf.Reset()
	_, err = c.Download(context.Background(), f.URL+"/big.png?sig=s3cr3t", &buf, 100)
	if !errors.Is(err, ErrTooLarge) || buf.Len() != 0 {
		t.Errorf("capped download: %v, %d bytes written", err, buf.Len())
	}
	_, err = c.Download(context.Background(), f.URL+"/missing.png?sig=s3cr3t", &buf, 0)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("missing image: %v", err)
	}
	if want := "GET " + f.URL + "/missing.png: 404 Not Found"; err == nil || err.Error() != want {
		t.Errorf("error text %v, want %s", err, want)
	}
	for _, bad := range []string{"file:///etc/passwd", "::", "ftp://x/y", "/relative"} {
		if _, err := c.Download(context.Background(), bad, &buf, 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("Download(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// testPNG encodes a w×h PNG.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = byte(i * 7)
	}
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngOf returns n bytes that start as a PNG: the signature and a sound
// IHDR chunk (a 1×1 grey image), then zeros.
func pngOf(n int) []byte {
	b := make([]byte, 0, max(n, 33))
	b = append(b, "\x89PNG\r\n\x1a\n"...)
	ihdr := []byte("IHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00")
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)-4))
	b = append(b, ihdr...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
	return append(b, make([]byte, max(n-len(b), 0))...)[:n]
}

// jpegOf returns a real JPEG of at least 1 KB.
func jpegOf(t testing.TB) []byte {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range m.Pix {
		m.Pix[i] = byte(i * 31 % 251)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < MinUploadFileBytes {
		t.Fatalf("the JPEG is %d bytes", buf.Len())
	}
	return buf.Bytes()
}

func TestUpload(t *testing.T) {
	type part struct{ Name, File, Type string }
	var parts []part
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil {
			writeJSON(w, 400, `{}`)
			return
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			parts = append(parts, part{p.FormName(), p.FileName(), p.Header.Get("Content-Type")})
		}
		writeJSON(w, 200, `{"urls":["https://u/1","https://u/2"]}`)
	})
	c := f.client(Options{})
	urls, err := c.Upload(context.Background(), []UploadFile{{Name: "dir/a.png", Data: pngOf(2048)}, {Name: "", Data: jpegOf(t)}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"https://u/1", "https://u/2"}, urls); diff != "" {
		t.Errorf("urls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]part{{"images", "a.png", "image/png"}, {"images", "image-2.jpeg", "image/jpeg"}}, parts); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}

	gif := append([]byte("GIF89a"), make([]byte, 2000)...)
	bad := map[string][]UploadFile{
		"none":      nil,
		"eleven":    make([]UploadFile, 11),
		"too small": {{Name: "s.png", Data: pngOf(1023)}},
		"too big":   {{Name: "b.png", Data: pngOf(10<<20 + 1)}},
		"gif":       {{Name: "g.gif", Data: gif}},
	}
	for name, files := range bad {
		if _, err := c.Upload(context.Background(), files); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if f.hits.Load() != 1 {
		t.Errorf("invalid uploads were sent: %d requests", f.hits.Load())
	}
}

func TestWait(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/tasks/done_on_3/status":
			if n >= 3 {
				writeJSON(w, 200, `{"status":"failed"}`)
				return
			}
		case "/tasks/gone/status":
			writeJSON(w, 404, `{"error":{"code":"not_found","message":"Task not found"}}`)
			return
		}
		writeJSON(w, 200, `{"status":"pending"}`)
	})
	c := f.client(Options{})
	fast := WaitOptions{Poll: PollSchedule{Fast: time.Millisecond, FastFor: 5 * time.Millisecond, Slow: 2 * time.Millisecond}, Timeout: time.Second}
	var polls int
	fast.OnPoll = func(Status, time.Duration) { polls++ }
	st, err := c.Wait(context.Background(), "done_on_3", fast)
	if err != nil || st != StatusFailed || polls != 3 {
		t.Errorf("Wait = %q, %v after %d polls", st, err, polls)
	}

	fast.OnPoll = nil
	fast.Timeout = 30 * time.Millisecond
	st, err = c.Wait(context.Background(), "forever", fast)
	if !errors.Is(err, ErrWaitTimeout) || st != StatusPending {
		t.Errorf("Wait timeout = %q, %v", st, err)
	}
	if want := "task forever: task still pending after 30ms (status pending)"; err == nil || err.Error() != want {
		t.Errorf("timeout text %v, want %s", err, want)
	}
	if _, err := c.Wait(context.Background(), "gone", fast); !errors.Is(err, ErrNotFound) {
		t.Errorf("Wait on a missing task: %v", err)
	}
}

// TestWaitDefaultsAreTheSDKSchedule pins the default schedule to the
// official SDK's (mynthio/mynth-sdk, src/task-async.ts): FAST_POLLING_
// INTERVAL_MS 2_500 while the wait is younger than FAST_POLLING_DURATION_MS
// 12_000, then SLOW_POLLING_INTERVAL_MS 5_000, and POLLING_TIMEOUT_MS five
// minutes. The SDK's numbers are written out here, not read from the
// constants they pin.
func TestWaitDefaultsAreTheSDKSchedule(t *testing.T) {
	const (
		sdkFast    = 2500 * time.Millisecond
		sdkFastFor = 12000 * time.Millisecond
		sdkSlow    = 5000 * time.Millisecond
		sdkTimeout = 1000 * 60 * 5 * time.Millisecond
	)
	got := WaitOptions{}.withDefaults()
	if want := (PollSchedule{Fast: sdkFast, FastFor: sdkFastFor, Slow: sdkSlow}); got.Poll != want || got.Timeout != sdkTimeout {
		t.Errorf("defaults = %+v and %s, want the SDK's %+v and %s", got.Poll, got.Timeout, want, sdkTimeout)
	}
	// The SDK picks the interval by the time elapsed: fast while it is
	// below 12s, slow from 12s on.
	for _, tc := range []struct{ elapsed, want time.Duration }{
		{0, sdkFast}, {sdkFast, sdkFast}, {sdkFastFor - time.Millisecond, sdkFast},
		{sdkFastFor, sdkSlow}, {time.Minute, sdkSlow}, {sdkTimeout, sdkSlow},
	} {
		if got := (PollSchedule{}).WithDefaults().Interval(tc.elapsed); got != tc.want {
			t.Errorf("Interval(%s) = %s, want the SDK's %s", tc.elapsed, got, tc.want)
		}
	}
	// Five polls in the first 12s (at 0, 2.5, 5, 7.5 and 10s), then one
	// every 5s, as the SDK's loop makes them (without its jitter).
	var at []time.Duration
	s := PollSchedule{}.WithDefaults()
	for e := time.Duration(0); e < 30*time.Second; e += s.Interval(e) {
		at = append(at, e)
	}
	want := []time.Duration{0, 2500 * time.Millisecond, 5 * time.Second, 7500 * time.Millisecond, 10 * time.Second, 12500 * time.Millisecond, 17500 * time.Millisecond, 22500 * time.Millisecond, 27500 * time.Millisecond}
	if !slices.Equal(at, want) {
		t.Errorf("polls at %v, want %v", at, want)
	}
}

// TestPollScheduleDefaults: a schedule given in part keeps what is given;
// a slow interval is never faster than the fast one, and a negative
// FastFor leaves no fast phase.
func TestPollScheduleDefaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		give, get PollSchedule
	}{
		{"zero", PollSchedule{}, PollSchedule{Fast: DefaultWaitFastInterval, FastFor: DefaultWaitFastFor, Slow: DefaultWaitSlowInterval}},
		{"fast only", PollSchedule{Fast: 8 * time.Second}, PollSchedule{Fast: 8 * time.Second, FastFor: DefaultWaitFastFor, Slow: 8 * time.Second}},
		{"no fast phase", PollSchedule{FastFor: -1}, PollSchedule{Fast: DefaultWaitFastInterval, Slow: DefaultWaitSlowInterval}},
		{"all given", PollSchedule{Fast: time.Millisecond, FastFor: time.Second, Slow: 2 * time.Millisecond}, PollSchedule{Fast: time.Millisecond, FastFor: time.Second, Slow: 2 * time.Millisecond}},
	} {
		if got := tc.give.WithDefaults(); got != tc.get {
			t.Errorf("%s: WithDefaults() = %+v, want %+v", tc.name, got, tc.get)
		}
	}
	if got := (PollSchedule{FastFor: -1}).WithDefaults().Interval(0); got != DefaultWaitSlowInterval {
		t.Errorf("without a fast phase the first interval is %s, want %s", got, DefaultWaitSlowInterval)
	}
}

func TestWithTokenAndPrinting(t *testing.T) {
	var mu sync.Mutex
	var auths []string
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		writeJSON(w, 200, `{"status":"pending"}`)
	})
	c := f.client(Options{})
	pc := c.WithToken("pat_CANARY_task")
	ctx := context.Background()
	c.Status(ctx, "t")
	pc.Status(ctx, "t")
	if diff := cmp.Diff([]string{"Bearer " + canary, "Bearer pat_CANARY_task"}, auths); diff != "" {
		t.Errorf("Authorization (-want +got):\n%s", diff)
	}
	if pc.http != c.http {
		t.Error("WithToken made a new transport")
	}
	opts := Options{BaseURL: f.URL, Token: canary}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{c, pc, *c, opts, &opts} {
			noSecret(t, verb, fmt.Sprintf(verb, v))
		}
	}
	if got := fmt.Sprintf("%+v", c); got != `mynth.Client{BaseURL:"`+f.URL+`" Token:[REDACTED]}` {
		t.Errorf("%%+v = %s", got)
	}
}

// TestNoSecretInAnyError runs every error path with a canary token and a
// server that echoes it back.
func TestNoSecretInAnyError(t *testing.T) {
	echo := func(n int, w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		switch n % 5 {
		case 0:
			writeJSON(w, 500, `{"error":{"code":"`+auth+`","message":"token `+auth+`","field":"`+auth+`"}}`)
		case 1:
			writeJSON(w, 401, `{"error":"bad token `+auth+`"}`)
		case 2:
			hijackClose(w)
		case 3:
			writeJSON(w, 200, `{"status":"`+auth+`"} trailing `+auth)
		case 4:
			writeThenDrop(w, 200, `{"taskId":"`+auth)
		}
	}
	f := newFake(t, echo)
	c := f.client(Options{Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		var errs []error
		_, err := c.Generate(ctx, Request{Prompt: &Prompt{Positive: canary}})
		errs = append(errs, err)
		_, err = c.Task(ctx, "tsk_1")
		errs = append(errs, err)
		_, err = c.Status(ctx, "tsk_1")
		errs = append(errs, err)
		_, err = c.Results(ctx, "tsk_1")
		errs = append(errs, err)
		_, err = c.Wait(ctx, "tsk_1", WaitOptions{Timeout: time.Millisecond})
		errs = append(errs, err)
		_, err = c.Upload(ctx, []UploadFile{{Name: canary, Data: pngOf(2000)}})
		errs = append(errs, err)
		_, err = c.Download(ctx, f.URL+"/img.png?token="+canary, io.Discard, 0)
		errs = append(errs, err)
		for _, err := range errs {
			if err != nil {
				noSecret(t, "error", err.Error())
				noSecret(t, "error %+v", fmt.Sprintf("%+v", err))
			}
		}
	}
	// Unreachable host: net/http's URL errors.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c = NewClient(Options{BaseURL: "http://" + addr, Token: canary, Retry: RetryPolicy{MaxAttempts: 1}})
	_, err := c.Task(ctx, "tsk_1")
	noSecret(t, "dial error", err.Error())
	_, err = c.Download(ctx, "http://"+addr+"/x.png?k="+canary, io.Discard, 0)
	noSecret(t, "download dial error", err.Error())
}

func TestBackoff(t *testing.T) {
	c := NewClient(Options{Retry: RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxRetryAfter: 2 * time.Second}})
	for attempt, full := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		for range 50 {
			d := c.backoff(attempt, 0)
			if d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", attempt, d, full/2, full)
			}
		}
	}
	if d := c.backoff(1, 500*time.Millisecond); d != 500*time.Millisecond {
		t.Errorf("Retry-After 500ms: %s", d)
	}
	if d := c.backoff(1, time.Hour); d != 2*time.Second {
		t.Errorf("Retry-After capped: %s", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"0":                             0,
		"-1":                            0,
		"soon":                          0,
		"Thu, 01 Jan 2026 00:00:10 GMT": 10 * time.Second,
		"Wed, 31 Dec 2025 00:00:10 GMT": 0,
		"999999999":                     24 * time.Hour,
	}
	for in, want := range tests {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestAPIErrorTextAndIs(t *testing.T) {
	tests := []struct {
		err  *APIError
		text string
		is   []error
	}{
		{&APIError{Method: "GET", Path: "/tasks/tsk_x", StatusCode: 404, Code: "not_found", Message: "Task not found"}, "GET /tasks/tsk_x: 404 not_found: Task not found", []error{ErrNotFound}},
		{&APIError{Method: "GET", Path: "/tasks/tsk_x", StatusCode: 401, Code: "unauthorized", Message: "Invalid token"}, "GET /tasks/tsk_x: 401 unauthorized: Invalid token", []error{ErrUnauthorized}},
		{&APIError{StatusCode: 403, Message: "Forbidden"}, "403 Forbidden", []error{ErrUnauthorized}},
		{&APIError{Method: "POST", Path: "/image/generate", StatusCode: 400, Code: "validation_error", Message: "bad", Field: "size"}, "POST /image/generate: 400 validation_error: bad (field size)", []error{ErrValidation}},
		{&APIError{StatusCode: 402, Code: "insufficient_balance", Message: "m"}, "402 insufficient_balance: m", []error{ErrInsufficientBalance}},
		{&APIError{StatusCode: 429, Message: "Too Many Requests"}, "429 Too Many Requests", []error{ErrRateLimited}},
		{&APIError{StatusCode: 502, Message: "oops"}, "502 Bad Gateway: oops", nil},
	}
	all := []error{ErrNotFound, ErrUnauthorized, ErrValidation, ErrInsufficientBalance, ErrRateLimited, ErrUnknownOutcome, ErrMalformed}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.text {
			t.Errorf("Error() = %q, want %q", got, tt.text)
		}
		wrapped := fmt.Errorf("context: %w", tt.err)
		for _, s := range all {
			want := false
			for _, w := range tt.is {
				want = want || w == s
			}
			if errors.Is(wrapped, s) != want {
				t.Errorf("%d: errors.Is(%v) = %v", tt.err.StatusCode, s, !want)
			}
		}
	}
}

func TestDecodeError(t *testing.T) {
	tests := []struct {
		body string
		want APIError
	}{
		{`{"error":{"code":"validation_error","message":"Prompt is required","field":"prompt"}}`, APIError{StatusCode: 400, Code: "validation_error", Message: "Prompt is required", Field: "prompt"}},
		{`{"error":"boom"}`, APIError{StatusCode: 400, Message: "boom"}},
		{`{"code":"c","message":"m"}`, APIError{StatusCode: 400, Code: "c", Message: "m"}},
		{`<html>`, APIError{StatusCode: 400, Message: "Bad Request"}},
		{``, APIError{StatusCode: 400, Message: "Bad Request"}},
		{`{"error":{"message":"a\nb   c"}}`, APIError{StatusCode: 400, Message: "a b c"}},
	}
	for _, tt := range tests {
		got := DecodeError(400, []byte(tt.body))
		if diff := cmp.Diff(tt.want, *got); diff != "" {
			t.Errorf("DecodeError(%q) (-want +got):\n%s", tt.body, diff)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"key mak_abc123 here":         "key [REDACTED] here",
		"pat_x-y_z,":                  "[REDACTED],",
		"mymak_abc":                   "mymak_abc",
		"mak_":                        "mak_",
		"Bearer " + canary + " again": "Bearer [REDACTED] again",
		"custom-token-9":              "[REDACTED]",
	}
	for in, want := range tests {
		if got := redact(in, "custom-token-9"); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGenerateSendsTheRequest(t *testing.T) {
	var got json.RawMessage
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		writeJSON(w, 201, `{"taskId":"tsk_1"}`)
	})
	c := f.client(Options{})
	q := 90
	_, err := c.Generate(context.Background(), Request{
		Prompt: &Prompt{Positive: "a mug", Enhance: EnhanceOff},
		Size:   &Size{Preset: "square"},
		Count:  2,
		Output: &Output{Format: "png", Quality: &q},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"prompt":{"enhance":false,"positive":"a mug"},"size":"square","count":2,"output":{"format":"png","quality":90}}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestCheckImage(t *testing.T) {
	full := testPNG(t, 8, 8)
	webp := append([]byte("RIFF\x1a\x00\x00\x00WEBPVP8 "), make([]byte, 18)...)
	jpeg := append(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 40)...), 0xFF, 0xD9)
	tests := map[string]struct {
		body []byte
		ok   bool
	}{
		"png":         {full, true},
		"png cut":     {full[:len(full)-1], false},
		"jpeg":        {jpeg, true},
		"jpeg cut":    {jpeg[:len(jpeg)-2], false},
		"webp":        {webp, true},
		"webp cut":    {webp[:len(webp)-1], false},
		"gif":         {[]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), true},
		"text":        {[]byte("this is not a PNG file\n"), false},
		"html":        {[]byte("<html><body>upstream answered garbage</body></html>"), false},
		"empty":       {nil, false},
		"bmp, unsure": {append([]byte("BM"), make([]byte, 30)...), true},
	}
	for name, tt := range tests {
		if err := checkImage(tt.body); (err == nil) != tt.ok {
			t.Errorf("%s: checkImage = %v, want ok=%v", name, err, tt.ok)
		}
	}
}

func TestWaitSchedule(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"status":"pending"}`) })
	c := f.client(Options{})
	// The fast phase lasts long enough that a loaded machine (CI runs the
	// suite under -race on two cores) still polls in it more than once.
	opts := WaitOptions{Poll: PollSchedule{Fast: 20 * time.Millisecond, FastFor: 400 * time.Millisecond, Slow: 150 * time.Millisecond}, Timeout: 1 * time.Second}
	var waits []time.Duration
	opts.OnPoll = func(_ Status, waited time.Duration) { waits = append(waits, waited) }
	start := time.Now()
	_, err := c.Wait(context.Background(), "tsk_1", opts)
	if !errors.Is(err, ErrWaitTimeout) {
		t.Fatalf("Wait = %v", err)
	}
	if took := time.Since(start); took < opts.Timeout {
		t.Errorf("gave up after %s, before the %s timeout", took, opts.Timeout)
	}
	var fast, slow int
	for i := 1; i < len(waits)-1; i++ { // the last poll is the one at the deadline
		gap := waits[i] - waits[i-1]
		want := opts.Poll.Slow
		if waits[i-1] < opts.Poll.FastFor {
			want = opts.Poll.Fast
			fast++
		} else {
			slow++
		}
		if gap < want {
			t.Errorf("poll %d came %s after the previous one, want at least %s", i, gap, want)
		}
	}
	if fast == 0 || slow == 0 {
		t.Errorf("polls at %v: want both fast and slow phases", waits)
	}
}
