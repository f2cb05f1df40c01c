package mynth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// canaryKey is an API key that must never appear in any error text.
const canaryKey = "mak_CANARY_emulator_5d1f0a"

// quickRetry rides out faults fast: the emulator's Retry-After (1s) is
// capped to a few milliseconds.
var quickRetry = mynth.RetryPolicy{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxRetryAfter: 5 * time.Millisecond}

func newEmulatorClient(t *testing.T, opts mynthtest.Options) (*mynthtest.Server, *mynth.Client) {
	t.Helper()
	srv := mynthtest.NewServer(t, opts)
	c := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: canaryKey, Retry: quickRetry, Timeout: 5 * time.Second})
	return srv, c
}

// checkNoSecret fails when text holds a token.
func checkNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range append(secrets, canaryKey, "CANARY") {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("text leaks a secret: %s", text)
		}
	}
}

func TestEmulatorReadsRideOutEveryFault(t *testing.T) {
	srv, c := newEmulatorClient(t, mynthtest.Options{RandSeed: 1, Faults: mynthtest.Faults{SlowLatency: 10 * time.Millisecond}})
	ctx := context.Background()

	// Create tasks without faults: one succeeding, one with a failed image.
	const n = 12
	var ids []string
	pats := map[string]string{}
	for i := range n {
		prompt := fmt.Sprintf("mug %d", i)
		if i == 0 {
			prompt += " [[fail-image]]"
		}
		cr, err := c.Generate(ctx, mynth.Request{
			Prompt: &mynth.Prompt{Positive: prompt},
			Size:   &mynth.Size{Preset: "160x120"},
			Count:  2,
			Access: &mynth.Access{PAT: &mynth.PATAccess{Enabled: true}},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cr.TaskID)
		pats[cr.TaskID] = cr.PublicAccessToken
	}

	// Every read fault, often: a third of all requests fail. With 20
	// attempts a call fails for good once in 3.5 billion.
	readFaults := []mynthtest.FaultKind{mynthtest.FaultLatency, mynthtest.Fault500, mynthtest.Fault502, mynthtest.Fault503,
		mynthtest.Fault429, mynthtest.FaultDrop, mynthtest.FaultTruncate, mynthtest.FaultMalformed}
	srv.Emulator.SetFaults(mynthtest.Faults{Rate: 0.33, Kinds: readFaults, SlowLatency: 10 * time.Millisecond})
	retry := quickRetry
	retry.MaxAttempts = 20
	c = mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: canaryKey, Retry: retry, Timeout: 5 * time.Second})

	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for _, id := range ids {
		wg.Go(func() {
			pc := c.WithToken(pats[id])
			st, err := pc.Wait(ctx, id, mynth.WaitOptions{Poll: mynth.PollSchedule{Fast: time.Millisecond, Slow: time.Millisecond}, Timeout: 10 * time.Second})
			if err != nil || st != mynth.StatusCompleted {
				errs <- fmt.Errorf("Wait(%s) = %s, %v", id, st, err)
				return
			}
			task, err := c.Task(ctx, id)
			if err != nil {
				errs <- err
				return
			}
			res, err := pc.Results(ctx, id)
			if err != nil {
				errs <- err
				return
			}
			if diff := cmp.Diff(len(task.Result.Images), len(res.Images)); diff != "" {
				errs <- fmt.Errorf("%s: image counts differ: %s", id, diff)
			}
			for _, im := range (&mynth.Result{Images: res.Images}).Succeeded() {
				var buf bytes.Buffer
				if _, err := c.Download(ctx, im.URL, &buf, 0); err != nil {
					errs <- err
					continue
				}
				cfg, err := png.DecodeConfig(&buf)
				if err != nil || fmt.Sprintf("%dx%d", cfg.Width, cfg.Height) != im.Size || im.Size != "160x120" {
					errs <- fmt.Errorf("%s: image %s is %v (%v), want %s", id, im.ID, cfg, err, im.Size)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
		checkNoSecret(t, err.Error())
	}
	stats := srv.Emulator.Stats()
	for _, k := range readFaults {
		if stats.Faults[k] == 0 {
			t.Errorf("fault %s was never injected (stats %v)", k, stats.Faults)
		}
	}
	t.Logf("faults ridden out: %v", stats.Faults)
}

func TestEmulatorGenerateFaults(t *testing.T) {
	tests := []struct {
		fault       mynthtest.FaultKind
		wantErr     bool
		wantUnknown bool
		wantCreated int // tasks the emulator holds afterwards
		wantIs      error
		requests    int // generate requests seen; 0 means 1
	}{
		{fault: mynthtest.Fault429, wantCreated: 1, requests: 3},
		{fault: mynthtest.FaultLatency, wantCreated: 1},
		{fault: mynthtest.FaultDrop, wantErr: true, wantUnknown: true},
		{fault: mynthtest.FaultDropAfterCreate, wantErr: true, wantUnknown: true, wantCreated: 1},
		{fault: mynthtest.FaultTruncate, wantErr: true, wantUnknown: true, wantCreated: 1, wantIs: mynth.ErrMalformed},
		{fault: mynthtest.FaultMalformed, wantErr: true, wantUnknown: true, wantCreated: 1, wantIs: mynth.ErrMalformed},
		{fault: mynthtest.Fault500, wantErr: true, wantUnknown: true},
		{fault: mynthtest.Fault502, wantErr: true, wantUnknown: true},
		{fault: mynthtest.Fault503, wantErr: true, wantUnknown: true},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			srv, c := newEmulatorClient(t, mynthtest.Options{Faults: mynthtest.Faults{
				SlowLatency: 10 * time.Millisecond,
				Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{
					mynthtest.EndpointGenerate: {Next: []mynthtest.FaultKind{tt.fault, tt.fault}},
				},
			}})
			cr, err := c.Generate(context.Background(), mynth.Request{Prompt: &mynth.Prompt{Positive: "a mug"}})
			stats := srv.Emulator.Stats()
			if got := srv.Emulator.Tasks(); got != tt.wantCreated {
				t.Errorf("emulator holds %d tasks, want %d", got, tt.wantCreated)
			}
			wantRequests := max(tt.requests, 1)
			if got := stats.Requests[mynthtest.EndpointGenerate]; got != wantRequests {
				t.Errorf("generate requests = %d, want %d", got, wantRequests)
			}
			if !tt.wantErr {
				if err != nil || !strings.HasPrefix(cr.TaskID, "tsk_") {
					t.Fatalf("Generate = %+v, %v", cr, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; created %+v", cr)
			}
			checkNoSecret(t, err.Error())
			if errors.Is(err, mynth.ErrUnknownOutcome) != tt.wantUnknown {
				t.Errorf("unknown outcome = %v, want %v: %v", !tt.wantUnknown, tt.wantUnknown, err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("%v is not %v", err, tt.wantIs)
			}
			if !strings.HasPrefix(err.Error(), "POST /image/generate: ") {
				t.Errorf("error does not name the request: %v", err)
			}
			t.Logf("%s: %v", tt.fault, err)
		})
	}
}

func TestEmulatorFinalErrorsAreTyped(t *testing.T) {
	srv, c := newEmulatorClient(t, mynthtest.Options{})
	ctx := context.Background()
	cr, err := c.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: "mine"}, Access: &mynth.Access{PAT: &mynth.PATAccess{Enabled: true}}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: "another"}, Access: &mynth.Access{PAT: &mynth.PATAccess{Enabled: true}}})
	if err != nil {
		t.Fatal(err)
	}
	stranger := c.WithToken("mak_CANARY_someone_else")
	pat := c.WithToken(cr.PublicAccessToken)
	wrongPAT := c.WithToken(other.PublicAccessToken)
	bogus := c.WithToken("not-a-token-CANARY")
	noToken := c.WithToken("")

	type result struct {
		Is     string
		Status int
		Code   string
	}
	call := func(f func() error) result {
		err := f()
		var ae *mynth.APIError
		if !errors.As(err, &ae) {
			return result{Is: fmt.Sprint(err)}
		}
		checkNoSecret(t, err.Error(), cr.PublicAccessToken, other.PublicAccessToken)
		is := ""
		for _, s := range []error{mynth.ErrUnauthorized, mynth.ErrNotFound, mynth.ErrValidation, mynth.ErrInsufficientBalance} {
			if errors.Is(err, s) {
				is = s.Error()
			}
		}
		return result{Is: is, Status: ae.StatusCode, Code: ae.Code}
	}
	unauthorized := result{Is: "unauthorized", Status: 401, Code: "unauthorized"}
	notFound := result{Is: "not found", Status: 404, Code: "not_found"}
	tests := []struct {
		name string
		f    func() error
		want result
	}{
		{"missing task", func() error { _, err := c.Task(ctx, "tsk_nope"); return err }, notFound},
		{"another account's task", func() error { _, err := stranger.Task(ctx, cr.TaskID); return err }, notFound},
		{"another account's status", func() error { _, err := stranger.Status(ctx, cr.TaskID); return err }, notFound},
		{"PAT on the owner-only endpoint", func() error { _, err := pat.Task(ctx, cr.TaskID); return err }, unauthorized},
		{"PAT of another task", func() error { _, err := wrongPAT.Results(ctx, cr.TaskID); return err }, unauthorized},
		{"bogus token", func() error { _, err := bogus.Status(ctx, cr.TaskID); return err }, unauthorized},
		{"no token", func() error { _, err := noToken.Status(ctx, cr.TaskID); return err }, unauthorized},
		{"count out of range", func() error {
			_, err := c.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: "x"}, Count: 1000})
			return err
		}, result{Is: "validation error", Status: 400, Code: "validation_error"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, call(tt.f)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	// The client refuses to send a PAT to creation at all.
	_, err = pat.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: "x"}})
	if !errors.Is(err, mynth.ErrUnauthorized) || !errors.Is(err, mynth.ErrInvalid) {
		t.Errorf("PAT on creation: %v, want ErrUnauthorized and ErrInvalid", err)
	}
	checkNoSecret(t, fmt.Sprint(err), cr.PublicAccessToken)
	// The validation error names its field and reads well.
	_, err = c.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: "x"}, Count: 1000})
	var ae *mynth.APIError
	if !errors.As(err, &ae) || ae.Field != "count" || !strings.HasPrefix(err.Error(), "POST /image/generate: 400 validation_error: ") {
		t.Errorf("validation error: %v (field %q)", err, ae.Field)
	}
	_, err = c.Task(ctx, "tsk_nope")
	if !strings.HasPrefix(err.Error(), "GET /tasks/tsk_nope: 404 not_found: ") {
		t.Errorf("404 text: %v", err)
	}
	_ = srv
}

func TestEmulatorWaitAndFailedTasks(t *testing.T) {
	_, c := newEmulatorClient(t, mynthtest.Options{Delay: 100 * time.Millisecond})
	ctx := context.Background()
	fast := mynth.WaitOptions{Poll: mynth.PollSchedule{Fast: 10 * time.Millisecond, Slow: 20 * time.Millisecond}, Timeout: 5 * time.Second}
	for prompt, want := range map[string]mynth.Status{"a mug": mynth.StatusCompleted, "a mug [[fail]]": mynth.StatusFailed} {
		cr, err := c.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: prompt}})
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.Status(ctx, cr.TaskID)
		if err != nil || st != mynth.StatusPending {
			t.Errorf("%q right after creation: %s, %v", prompt, st, err)
		}
		var polls int
		fast.OnPoll = func(mynth.Status, time.Duration) { polls++ }
		st, err = c.Wait(ctx, cr.TaskID, fast)
		if err != nil || st != want || polls < 1 {
			t.Errorf("Wait(%q) = %s, %v after %d polls; want %s", prompt, st, err, polls, want)
		}
		task, err := c.Task(ctx, cr.TaskID)
		if err != nil {
			t.Fatal(err)
		}
		if want == mynth.StatusFailed && task.Result != nil && len(task.Result.Succeeded()) > 0 {
			t.Errorf("failed task has images: %s", task.Raw)
		}
		if want == mynth.StatusCompleted && task.Result.Total().IsZero() {
			t.Errorf("completed task costs nothing: %s", task.Raw)
		}
	}
	cr, err := c.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: "slow"}})
	if err != nil {
		t.Fatal(err)
	}
	fast.OnPoll = nil
	fast.Timeout = 30 * time.Millisecond
	if _, err := c.Wait(ctx, cr.TaskID, fast); !errors.Is(err, mynth.ErrWaitTimeout) {
		t.Errorf("Wait past its timeout: %v", err)
	}
}

// noisyPNG encodes a w×h PNG of pseudo-random pixels (it does not compress
// below the upload minimum).
func noisyPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, w, h))
	x := uint32(2463534242)
	for i := range m.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		m.Pix[i] = byte(x)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEmulatorUpload(t *testing.T) {
	srv, c := newEmulatorClient(t, mynthtest.Options{})
	ctx := context.Background()
	img := noisyPNG(t, 48, 48)
	srv.Emulator.SetFaults(mynthtest.Faults{Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{
		mynthtest.EndpointUpload: {Next: []mynthtest.FaultKind{mynthtest.Fault503, mynthtest.FaultDrop, mynthtest.FaultTruncate}},
		mynthtest.EndpointImage:  {Next: []mynthtest.FaultKind{mynthtest.FaultMalformed, mynthtest.FaultTruncate, mynthtest.Fault502}},
	}})
	urls, err := c.Upload(ctx, []mynth.UploadFile{{Name: "ref.png", Data: img}})
	if err != nil {
		t.Fatal(err)
	}
	if len(urls) != 1 {
		t.Fatalf("urls = %v", urls)
	}
	var buf bytes.Buffer
	if _, err := c.Download(ctx, urls[0], &buf, 0); err != nil || !bytes.Equal(buf.Bytes(), img) {
		t.Errorf("downloading the upload: %v (%d bytes, want %d)", err, buf.Len(), len(img))
	}
	cr, err := c.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: "like this"}, Inputs: []mynth.Input{{URL: urls[0], Role: "reference"}}})
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.Task(ctx, cr.TaskID)
	if err != nil || len(task.Request.Inputs) != 1 || task.Request.Inputs[0].URL != urls[0] {
		t.Errorf("task with an uploaded input: %v %s", err, task.Raw)
	}
	st := srv.Emulator.Stats()
	if st.Requests[mynthtest.EndpointUpload] != 4 || st.Requests[mynthtest.EndpointImage] != 4 {
		t.Errorf("requests %v, want 4 uploads and 4 image reads (3 faults each ridden out)", st.Requests)
	}
}
