package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/state"
)

// writeFiles writes files (name → content) into a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBinaryDeepNestingIsADiagnostic: 100,000 nested parentheses in a spec
// and 120 KB of brackets in a MYNTH_VAR_ value killed validate with a
// fatal stack overflow (exit code 2, a goroutine dump); they are an error
// diagnostic at the line, with a short snippet.
func TestBinaryDeepNestingIsADiagnostic(t *testing.T) {
	parens := strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)
	brackets := strings.Repeat("[", 60000) + strings.Repeat("]", 60000)
	tests := []struct {
		name  string
		files map[string]string
		env   []string
		want  []string
	}{
		{"spec file", map[string]string{"main.mynth.hcl": "task \"a\" {\n  prompt = \"p\"\n  count  = " + parens + "\n}\n"}, nil,
			[]string{"Error: Nested too deeply", "main.mynth.hcl line 3"}},
		{"MYNTH_VAR_", map[string]string{"main.mynth.hcl": "variable \"sizes\" {\n  type    = list(any)\n  default = []\n}\ntask \"a\" {\n  prompt = \"p\"\n}\n"},
			[]string{"MYNTH_VAR_sizes=" + brackets}, []string{"Error: Value nested too deeply", "MYNTH_VAR_sizes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBin(t, writeFiles(t, tt.files), tt.env, "validate")
			if r.Code != exitError {
				t.Fatalf("exit code %d, want %d; stderr:\n%.2000s", r.Code, exitError, r.Stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%.2000s", w, r.Stderr)
				}
			}
			if len(r.Stderr) > 4000 {
				t.Errorf("stderr is %d bytes; the snippet should stop at the refused opening", len(r.Stderr))
			}
		})
	}
}

// Text a hostile API puts in its fields: newlines that start GitHub
// workflow commands, and terminal escape sequences.
const (
	hostileModel = "google/x\n::error file=main.mynth.hcl,line=1::forged model\n::stop-commands::tok\x1b[2J"
	hostileImage = "img_1\n::warning::forged image id"
	hostileSize  = "1024x1024\x1b]0;pwned\x07"
	hostileURL   = "https://cdn.invalid/x.png\r\n::error::forged url"
	hostileError = "blocked\n::error::forged image error\u009b2J"
)

// hostileTaskJSON is the task the hostile server answers for tsk_HOSTILE.
func hostileTaskJSON() []byte {
	c := mynth.MustParseAmount("0.0125")
	task := mynth.Task{ID: "tsk_HOSTILE", Status: mynth.StatusCompleted, Type: "image.generate",
		CreatedAt: "2026-01-15T10:30:00.000Z\n::error::forged created", UpdatedAt: "2026-01-15T10:30:12.000Z",
		Request: &mynth.Request{Prompt: &mynth.Prompt{Positive: "a mug"}, Model: hostileModel},
		Result: &mynth.Result{Model: hostileModel, Cost: &mynth.Cost{Images: c, Total: c}, Images: []mynth.Image{
			{Status: mynth.ImageSucceeded, ID: hostileImage, URL: hostileURL, Cost: &c, Size: hostileSize},
			{Status: mynth.ImageFailed, Error: json.RawMessage(strconv.Quote(hostileError))},
		}}}
	b, err := json.Marshal(task)
	if err != nil {
		panic(err)
	}
	return b
}

// hostileServer answers tsk_HOSTILE with control characters in every
// field and tsk_BROKEN with an error whose code and message hold them.
func hostileServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/tasks/tsk_HOSTILE":
			_, _ = w.Write(hostileTaskJSON())
		case "/tasks/tsk_BROKEN":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":"bad\u001b[31m","message":"no\u001b]0;pwned\u0007 ::error::forged api message","field":"id\u009b"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":"not_found","message":"Task not found"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// assertNoForgery fails when output holds a control character or a line
// that GitHub would read as a workflow command mynthform did not write
// (its own annotations all carry a title=mynthform property).
func assertNoForgery(t *testing.T, what, output string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x07", "\r", "\u009b"} {
		if strings.Contains(output, bad) {
			t.Errorf("%s: the output holds %q:\n%s", what, bad, output)
		}
	}
	for _, line := range strings.Split(output, "\n") {
		cmd, ok := strings.CutPrefix(strings.TrimLeft(line, " \t"), "::")
		if props, _, _ := strings.Cut(cmd, "::"); ok && !strings.Contains(props, "title=mynthform") {
			t.Errorf("%s: a forged workflow command: %q", what, line)
		}
	}
}

// TestBinaryAPITextIsData: strings from the API (model, size, ids,
// statuses, URLs, image errors, error messages) reach plan, show and
// state show with their control characters and newlines escaped, so that
// a model name holding "\n::error file=...::" forges no workflow command
// in a CI log and no ESC sequence reaches the terminal.
func TestBinaryAPITextIsData(t *testing.T) {
	srv := hostileServer(t)
	dir := writeFiles(t, map[string]string{"main.mynth.hcl": `
task "a" {
  id     = "tsk_HOSTILE"
  prompt = "a mug"
  model  = "google/x"
}

task "b" {
  id     = "tsk_BROKEN"
  prompt = "a bowl"
}
`})
	task, err := mynth.DecodeTask(hostileTaskJSON())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := planner.StateTaskFromObserved(task)
	if err != nil {
		t.Fatal(err)
	}
	st := state.New("e2e")
	st.Tasks["task.a"] = rec
	if _, err := state.Open(filepath.Join(dir, "mynth.state.json")).Save(st); err != nil {
		t.Fatal(err)
	}
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=" + e2eKey}
	summary := filepath.Join(t.TempDir(), "summary.md")
	runs := []struct {
		name string
		env  []string
		args []string
		// want is text each output must hold, escaped.
		want []string
	}{
		{"plan", env, []string{"plan"}, []string{`google/x\n::error file=main.mynth.hcl,line=1::forged model\n::stop-commands::tok\x1b[2J`, `img_1\n::warning::forged image id`, `\x1b]0;pwned\x07`}},
		{"plan under GitHub Actions", append(env, "GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY="+summary, "GITHUB_WORKSPACE="+dir), []string{"plan"}, []string{`forged api message`}},
		{"show", nil, []string{"show"}, []string{`::stop-commands::tok\x1b[2J`, `forged image error\u009b2J`, `\r\n::error::forged url`}},
		{"state show", nil, []string{"state", "show", "task.a"}, []string{`::stop-commands::tok\x1b[2J`, `2026-01-15T10:30:00.000Z\n::error::forged created`}},
	}
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			r := runBin(t, dir, run.env, run.args...)
			out := r.Stdout + r.Stderr
			if r.Code == 2 || out == "" {
				t.Fatalf("exit code %d:\n%s", r.Code, out)
			}
			assertNoForgery(t, run.name, out)
			for _, w := range run.want {
				if !strings.Contains(out, w) {
					t.Errorf("the output lacks %s:\n%s", w, out)
				}
			}
		})
	}
}

// dripServer accepts every creation and answers every status poll one
// byte every drip, forever; its Close does not wait for the drips.
func dripServer(t *testing.T, drip time.Duration) *httptest.Server {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/image/generate":
			_, _ = w.Write([]byte(`{"taskId":"tsk_DRIP"}`))
		case strings.HasSuffix(r.URL.Path, "/status"):
			body := []byte(`{"status":"pending"}` + strings.Repeat(" ", 1000))
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			for _, b := range body {
				_, _ = w.Write([]byte{b})
				w.(http.Flusher).Flush()
				select {
				case <-time.After(drip):
				case <-r.Context().Done():
					return
				case <-stop:
					return
				}
			}
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":"not_found","message":"Task not found"}`))
		}
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	return srv
}

// TestBinarySlowStatusIsBoundedByTheWaitTimeout: a status answer that
// drips one byte every 4 s held `apply --wait-timeout 5s` for 303 s (the
// client's 60 s attempts, retried); one poll is now bounded by the time
// left, and apply ends soon after 5 s with the task recorded as pending.
func TestBinarySlowStatusIsBoundedByTheWaitTimeout(t *testing.T) {
	srv := dripServer(t, 4*time.Second)
	dir := writeFiles(t, map[string]string{"main.mynth.hcl": "task \"a\" {\n  prompt = \"a mug\"\n  model  = \"google/gemini-3.1-flash-image\"\n}\n"})
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=" + e2eKey}
	start := time.Now()
	r := runBinTimeout(t, 60*time.Second, dir, env, "apply", "--auto-approve", "--wait-timeout", "5s")
	took := time.Since(start)
	if took > 20*time.Second {
		t.Errorf("apply took %s with --wait-timeout 5s", took.Round(time.Second))
	}
	if r.Code != exitError || !strings.Contains(r.Stdout+r.Stderr, "--wait-timeout") {
		t.Errorf("exit code %d (want %d) after %s:\n%s%s", r.Code, exitError, took.Round(time.Second), r.Stdout, r.Stderr)
	}
	st, err := state.Open(filepath.Join(dir, "mynth.state.json")).Load()
	if err != nil {
		t.Fatal(err)
	}
	if rec := st.Tasks["task.a"]; rec == nil || rec.ID != "tsk_DRIP" || rec.Status != mynth.StatusPending {
		t.Errorf("the task is not recorded as pending: %+v", rec)
	}
}

// runBinTimeout is runBin, killing the binary after limit (a test that
// would otherwise hang fails instead).
func runBinTimeout(t *testing.T, limit time.Duration, dir string, env []string, args ...string) binResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("mynthform %v was still running after %s; killed", args, limit)
	}
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running mynthform %v: %v", args, err)
	}
	return binResult{Stdout: stdout.String(), Stderr: stderr.String(), Code: code}
}
