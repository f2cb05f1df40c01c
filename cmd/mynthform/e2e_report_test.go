package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reportCanary is the API key of the report tests; no report may print it.
const reportCanary = "mak_CANARY_report_7d1e55b0"

const reportSpec = `
task "hero" {
  prompt = "Editorial product photo of a ceramic mug"
  size   = "landscape"
  files  = ["assets/hero.png"]
  expect {
    max_cost = "0.01"
  }
}

task "icon" {
  prompt = "Flat icon of a paper plane <b>bold</b>"
  size   = "square"
  files  = ["assets/icon.png"]
}
`

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReportEndToEnd applies a spec against the emulator, then writes each
// report with the real binary and checks files, exit codes and secrets.
func TestReportEndToEnd(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(reportSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"MYNTH_API_KEY=" + reportCanary}
	r := runBin(t, dir, env, "--emulator", "apply", "--auto-approve")
	if _, err := os.Stat(filepath.Join(dir, "assets", "hero.png")); err != nil {
		t.Fatalf("apply saved no image (code %d):\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}

	for _, tc := range []struct{ format, file string }{
		{"html", "out/report.html"},
		{"markdown", "out/report.md"},
		{"junit", "out/junit.xml"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			r := runBin(t, dir, env, "--emulator", "report", "--format", tc.format, "-o", tc.file)
			if r.Code != exitError {
				t.Errorf("exit %d, want 1 for a failed check\n%s", r.Code, r.Stderr)
			}
			if r.Stdout != "" {
				t.Errorf("with -o, stdout must stay empty: %q", r.Stdout)
			}
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, []byte(reportCanary)) || strings.Contains(r.Stderr, reportCanary) {
				t.Fatal("the report holds the API key")
			}
			msg := "cost $0.0125 is over max_cost $0.01"
			if tc.format == "markdown" {
				msg = `cost $0.0125 is over max\_cost $0.01` // escaped for markdown
			}
			if !bytes.Contains(data, []byte(msg)) {
				t.Errorf("the report lacks the failed check:\n%.2000s", data)
			}
			switch tc.format {
			case "html":
				if n := bytes.Count(data, []byte(`src="data:image/png;base64,`)); n != 2 {
					t.Errorf("%d saved images embedded, want 2", n)
				}
				if bytes.Contains(data, []byte("<b>bold</b>")) {
					t.Errorf("a prompt's markup was not escaped")
				}
			case "markdown":
				if !bytes.HasPrefix(data, []byte("❌ **mynthform plan failed**")) {
					t.Errorf("verdict: %.200s", data)
				}
			case "junit":
				dec := xml.NewDecoder(bytes.NewReader(data))
				for {
					if _, err := dec.Token(); errors.Is(err, io.EOF) {
						break
					} else if err != nil {
						t.Fatalf("not well-formed: %v", err)
					}
				}
			}
		})
	}

	t.Run("stdout", func(t *testing.T) {
		r := runBin(t, dir, env, "--emulator", "report", "--format", "markdown")
		if !strings.HasPrefix(r.Stdout, "❌ **mynthform plan failed**") {
			t.Errorf("stdout must be the report alone:\n%.300s", r.Stdout)
		}
		if !strings.Contains(r.Stderr, "Using the local Mynth emulator") {
			t.Errorf("the emulator notice belongs on stderr: %q", r.Stderr)
		}
	})

	t.Run("bad format", func(t *testing.T) {
		for _, args := range [][]string{{"report"}, {"report", "--format", "html", "extra"}} {
			r := runBin(t, dir, env, args...)
			if r.Code != exitError || r.Stdout != "" || !strings.Contains(r.Stderr, "Usage: mynthform report") {
				t.Errorf("%v: code %d, stdout %q, stderr %q", args, r.Code, r.Stdout, r.Stderr)
			}
		}
		if r := runBin(t, dir, env, "report", "--format", "htm"); r.Code != exitError || !strings.Contains(r.Stderr, `did you mean "html"?`) {
			t.Errorf("no suggestion: %q", r.Stderr)
		}
	})

	t.Run("github actions", func(t *testing.T) {
		summary := filepath.Join(t.TempDir(), "summary.md")
		genv := append([]string{"GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summary, "GITHUB_WORKSPACE=" + filepath.Dir(dir)}, env...)
		r := runBin(t, dir, genv, "--emulator", "plan")
		if r.Code != exitError {
			t.Errorf("exit %d, want 1", r.Code)
		}
		// The failed max_cost check points at the max_cost line.
		want := fmt.Sprintf("::error file=%s/main.mynth.hcl,line=%d,", filepath.Base(dir), lineOf(t, reportSpec, "max_cost ="))
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
		}
		data, err := os.ReadFile(summary)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("❌ **mynthform plan failed**")) {
			t.Errorf("step summary: %.300s", data)
		}
	})
}

// TestGitHubActionsExample validates the example spec and runs it against
// the emulator: the first plan has changes (exit 2, which the workflow
// lets pass), and after apply the gate is green (exit 0).
func TestGitHubActionsExample(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, filepath.Join("..", "..", "examples", "github-actions"), dir)
	if r := runBin(t, dir, nil, "validate"); r.Code != exitOK {
		t.Fatalf("validate: %d\n%s", r.Code, r.Stderr)
	}
	if r := runBin(t, dir, nil, "--emulator", "plan", "--detailed-exitcode"); r.Code != exitChanges {
		t.Fatalf("first plan: exit %d, want 2\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := runBin(t, dir, nil, "--emulator", "apply", "--auto-approve"); r.Code != exitOK {
		t.Fatalf("apply: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := runBin(t, dir, nil, "--emulator", "plan", "--detailed-exitcode"); r.Code != exitOK {
		t.Fatalf("plan after apply: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := runBin(t, dir, nil, "--emulator", "report", "--format", "html", "-o", "report.html"); r.Code != exitOK {
		t.Fatalf("report: exit %d\n%s", r.Code, r.Stderr)
	}
}
