package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

// emulatorRun is `mynthform emulator` running in a goroutine.
type emulatorRun struct {
	URL            string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	code           chan int
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

func startEmulatorCmd(t *testing.T, args ...string) *emulatorRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &emulatorRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, code: make(chan int, 1)}
	go func() {
		r.code <- runWithEnv(ctx, append([]string{"emulator"}, args...), strings.NewReader(""), r.stdout, r.stderr,
			func(string) string { return "" })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		// The banner is written line by line; its last line says how to
		// stop, so the tests read it whole.
		out := r.stdout.String()
		if m := listeningRE.FindStringSubmatch(out); m != nil && strings.Contains(out, "Press Ctrl-C to stop.") {
			r.URL = m[1]
			return r
		}
		select {
		case code := <-r.code:
			t.Fatalf("emulator exited with %d: %s%s", code, r.stdout, r.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("emulator printed no URL: %s", r.stdout)
	return nil
}

// stop cancels the command's context, as Ctrl-C does, and returns its exit
// code.
func (r *emulatorRun) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.code:
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("emulator did not stop")
		return -1
	}
}

func request(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEmulatorCommand(t *testing.T) {
	const canary = "mak_cmd_canary_9d3e"
	store := filepath.Join(t.TempDir(), "store", "emulator.json")
	r := startEmulatorCmd(t, "--addr", "127.0.0.1:0", "--store", store, "--delay", "0s")
	out := r.stdout.String()
	for _, want := range []string{"export MYNTH_BASE_URL=" + r.URL + " MYNTH_API_KEY=mak_anything", `new Mynth({ baseUrl: "` + r.URL + `" })`, "Ctrl-C", store} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	code, body := request(t, "POST", r.URL+"/image/generate", canary, `{"prompt":"a mug"}`)
	if code != 201 {
		t.Fatalf("generate: %d %s", code, body)
	}
	id := regexp.MustCompile(`tsk_\w+`).FindString(body)
	if code, body := request(t, "GET", r.URL+"/tasks/"+id+"/status", canary, ""); code != 200 || body != `{"status":"completed"}` {
		t.Fatalf("status: %d %s", code, body)
	}
	if code := r.stop(t); code != exitOK {
		t.Fatalf("exit code %d, stderr %s", code, r.stderr)
	}
	logs := r.stderr.String()
	if !strings.Contains(logs, "POST /image/generate 201") || !strings.Contains(logs, "GET /tasks/"+id+"/status 200") {
		t.Errorf("request log:\n%s", logs)
	}
	stored, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"stdout": r.stdout.String(), "stderr": logs, "store": string(stored)} {
		if strings.Contains(s, canary) {
			t.Errorf("%s holds the API key", name)
		}
	}

	// A restart on the store serves the same task; a seed given with an
	// existing store is not loaded, and the command says so.
	seed := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(seed, []byte(`{"accounts":[{"api_key":"mak_seeded","tasks":[{"id":"tsk_SEEDED","status":"failed"}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := startEmulatorCmd(t, "--addr", "127.0.0.1:0", "--store", store, "--seed", seed)
	if !strings.Contains(r2.stdout.String(), seed+" was not loaded") {
		t.Errorf("no word about the seed:\n%s", r2.stdout)
	}
	if code, body := request(t, "GET", r2.URL+"/tasks/"+id+"/status", canary, ""); code != 200 || body != `{"status":"completed"}` {
		t.Fatalf("status after restart: %d %s", code, body)
	}
	if r2.URL != r.URL {
		t.Logf("restart moved from %s to %s (the old port was taken)", r.URL, r2.URL)
	}
	if code := r2.stop(t); code != exitOK {
		t.Fatalf("exit code %d", code)
	}
}

func TestEmulatorCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"accounts":[{"tasks":[]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"fault rate", []string{"--fault-rate", "2"}, "--fault-rate must be from 0 to 1"},
		{"fault rate NaN", []string{"--fault-rate", "NaN"}, "--fault-rate must be from 0 to 1"},
		{"endpoint rate NaN", []string{"--endpoint-fault-rate", "status=NaN"}, "status=NaN: the rate must be from 0 to 1"},
		{"fault kind", []string{"--fault-kinds", "500,boom"}, `unknown --fault-kinds "boom"`},
		{"endpoint", []string{"--endpoint-fault-rate", "tasks=0.5"}, `unknown --endpoint-fault-rate endpoint "tasks"`},
		{"endpoint rate", []string{"--endpoint-fault-rate", "status=x"}, "status=x: the rate must be from 0 to 1"},
		{"negative delay", []string{"--delay", "-1s"}, "--delay must not be negative"},
		{"missing seed", []string{"--seed", filepath.Join(dir, "none.json")}, "reading seed"},
		{"bad seed", []string{"--seed", bad}, "accounts[0] needs api_key"},
		{"bad address", []string{"--addr", "127.0.0.1:99999"}, "listening on 127.0.0.1:99999"},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"--nope"}, "unknown flag: --nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runWithEnv(context.Background(), append([]string{"emulator", "--addr", "127.0.0.1:0"}, tc.args...),
				strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			if code != exitError || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("code %d, stderr %q, want 1 and %q", code, stderr.String(), tc.want)
			}
		})
	}
}

func TestEmulatorCommandFaults(t *testing.T) {
	r := startEmulatorCmd(t, "--addr", "127.0.0.1:0", "--delay", "0s", "--endpoint-fault-rate", "status=1", "--fault-kinds", "429", "--retry-after", "7s")
	defer r.stop(t)
	if !strings.Contains(r.stdout.String(), "Injecting faults into 100% of status requests.") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	code, body := request(t, "POST", r.URL+"/image/generate", "mak_x", `{"prompt":"a mug"}`)
	if code != 201 {
		t.Fatalf("generate: %d %s", code, body)
	}
	id := regexp.MustCompile(`tsk_\w+`).FindString(body)
	if code, _ := request(t, "GET", r.URL+"/tasks/"+id, "mak_x", ""); code != 200 {
		t.Errorf("task: %d", code)
	}
	if code, body := request(t, "GET", r.URL+"/tasks/"+id+"/status", "mak_x", ""); code != 429 || !strings.Contains(body, "rate_limited") {
		t.Errorf("status: %d %s", code, body)
	}
	if !strings.Contains(r.stderr.String(), "/status 429") || !strings.Contains(r.stderr.String(), "fault=429") {
		t.Errorf("log:\n%s", r.stderr)
	}
}
