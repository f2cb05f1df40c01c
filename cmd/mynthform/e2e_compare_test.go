package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const compareSpecBase = `
task "hero" {
  prompt = "Editorial product photo of a ceramic mug"
  size   = "landscape"
  files  = ["assets/hero.png"]
}

task "icon" {
  prompt = "Flat icon of a paper plane"
  size   = "square"
  files  = ["assets/icon.png"]
}

task "old" {
  prompt = "A logo we no longer use"
  size   = "square"
}
`

const compareSpecBranch = `
task "hero" {
  prompt = "Editorial product photo of a matte ceramic mug"
  size   = "landscape"
  files  = ["assets/hero.png"]
}

task "icon" {
  prompt = "Flat icon of a paper plane"
  size   = "square"
  files  = ["assets/icon.png"]
}

task "card" {
  prompt = "A greeting card with a <b>bold</b> sun"
  size   = "square"
  files  = ["assets/card.png"]
}
`

// baseStamp is a file's bytes and modification time.
type baseStamp struct {
	data  []byte
	mtime time.Time
}

func stampOf(t *testing.T, path string) baseStamp {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return baseStamp{data, st.ModTime()}
}

// TestReportCompareToE2E applies a spec against the emulator, keeps its
// state as the base, edits the spec as a branch would (a prompt changed,
// a task removed, one added), applies again, and compares with the real
// binary: JSON, markdown and HTML, read-only, no key in any output, and
// the HTML shows its images from the saved files after the emulator is
// gone.
func TestReportCompareToE2E(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "main.mynth.hcl")
	if err := os.WriteFile(spec, []byte(compareSpecBase), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"MYNTH_API_KEY=" + reportCanary}
	if r := runBin(t, dir, env, "--emulator", "apply", "--auto-approve"); r.Code != 0 {
		t.Fatalf("apply: %d\n%s", r.Code, r.Stderr)
	}
	statePath := filepath.Join(dir, "mynth.state.json")
	basePath := filepath.Join(t.TempDir(), "base.json")
	data, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(basePath, data, 0o444); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(basePath, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, []byte(compareSpecBranch), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runBin(t, dir, env, "--emulator", "apply", "--auto-approve"); r.Code != 0 {
		t.Fatalf("apply on the branch: %d\n%s", r.Code, r.Stderr)
	}
	baseBefore := stampOf(t, basePath)
	stateBefore := stampOf(t, statePath)

	var outputs []string
	t.Run("json", func(t *testing.T) {
		r := runBin(t, dir, env, "--emulator", "report", "--compare-to", basePath, "--format", "json")
		if r.Code != 0 {
			t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
		}
		outputs = append(outputs, r.Stdout, r.Stderr)
		var doc struct {
			FormatVersion string `json:"format_version"`
			Summary       struct {
				Added, Replaced, Removed, Unchanged int
				CostBefore                          string `json:"cost_before"`
				CostAfter                           string `json:"cost_after"`
				CostChange                          string `json:"cost_change"`
			}
			Tasks []struct {
				Address, Change string
				Before, After   *struct {
					ID     string
					Prompt string
					Images []struct{ ID, URL string }
				}
			}
		}
		if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
			t.Fatalf("%v\n%s", err, r.Stdout)
		}
		s := doc.Summary
		if doc.FormatVersion != "1" || s.Added != 1 || s.Replaced != 1 || s.Removed != 1 || s.Unchanged != 1 {
			t.Errorf("summary %+v", s)
		}
		// Three recorded tasks before, three after: hero's replacement
		// costs what it replaced.
		if s.CostBefore != s.CostAfter || s.CostChange != "0.00000000" {
			t.Errorf("cost %s → %s (%s)", s.CostBefore, s.CostAfter, s.CostChange)
		}
		kinds := map[string]string{}
		for _, tk := range doc.Tasks {
			kinds[tk.Address] = tk.Change
			if tk.Address == "task.hero" {
				if tk.Before.ID == tk.After.ID || tk.Before.Images[0].ID == tk.After.Images[0].ID {
					t.Errorf("hero: the same task or image on both sides: %+v → %+v", tk.Before, tk.After)
				}
				if tk.Before.Prompt != "Editorial product photo of a ceramic mug" || tk.After.Prompt != "Editorial product photo of a matte ceramic mug" {
					t.Errorf("hero prompts %q → %q", tk.Before.Prompt, tk.After.Prompt)
				}
			}
		}
		want := map[string]string{"task.card": "added", "task.hero": "replaced", "task.old": "removed"}
		if len(kinds) != 3 || kinds["task.card"] != want["task.card"] || kinds["task.hero"] != want["task.hero"] || kinds["task.old"] != want["task.old"] {
			t.Errorf("changes %v, want %v", kinds, want)
		}
	})

	t.Run("markdown", func(t *testing.T) {
		r := runBin(t, dir, env, "--emulator", "report", "--compare-to", basePath, "--format", "markdown")
		if r.Code != 0 {
			t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
		}
		outputs = append(outputs, r.Stdout, r.Stderr)
		for _, want := range []string{"1 added, 1 replaced, 1 removed, 1 unchanged", "Editorial product photo of a **matte** ceramic mug", `<img src="http://127.0.0.1:`} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("the comparison lacks %q:\n%s", want, r.Stdout)
			}
		}
		if strings.Contains(r.Stdout, "<b>bold</b>") {
			t.Errorf("a prompt's markup was not escaped")
		}
	})

	t.Run("html after the emulator is gone", func(t *testing.T) {
		r := runBin(t, dir, env, "--emulator", "report", "--compare-to", basePath, "--format", "html", "-o", "out/compare.html")
		if r.Code != 0 {
			t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
		}
		outputs = append(outputs, r.Stdout, r.Stderr)
		page, err := os.ReadFile(filepath.Join(dir, "out", "compare.html"))
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(page))
		// The in-process emulator ended with the command: its URLs no
		// longer load. The branch's images (hero's new one, card) are in
		// the page; the base's hero image was overwritten on disk and
		// keeps its URL.
		if n := bytes.Count(page, []byte(`src="data:image/png;base64,`)); n != 2 {
			t.Errorf("%d images embedded, want 2", n)
		}
		if !strings.Contains(r.Stderr, "Wrote the html comparison (1 added, 1 replaced, 1 removed, 1 unchanged) to out/compare.html.") {
			t.Errorf("stderr: %s", r.Stderr)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"report", "--compare-to", filepath.Join(dir, "missing.json"), "--format", "markdown"}, "reading the base state --compare-to"},
			{[]string{"report", "--compare-to", basePath, "--format", "junit"}, "--compare-to writes markdown, html or json, not junit"},
			{[]string{"report", "--format", "json"}, "the plan as JSON is `mynthform plan --json`"},
		} {
			r := runBin(t, dir, env, append([]string{"--emulator"}, tc.args...)...)
			if r.Code != exitError || r.Stdout != "" || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("%v: code %d, stdout %q, stderr %q", tc.args, r.Code, r.Stdout, r.Stderr)
			}
		}
		truncated := filepath.Join(t.TempDir(), "truncated.json")
		if err := os.WriteFile(truncated, baseBefore.data[:len(baseBefore.data)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		if r := runBin(t, dir, env, "--emulator", "report", "--compare-to", truncated, "--format", "json"); r.Code != exitError || r.Stdout != "" {
			t.Errorf("a truncated base was taken: code %d\n%s", r.Code, r.Stdout)
		}
	})

	// Read-only: the base and the branch's state keep their bytes and
	// their modification times.
	for _, f := range []struct {
		path string
		was  baseStamp
	}{{basePath, baseBefore}, {statePath, stateBefore}} {
		now := stampOf(t, f.path)
		if !bytes.Equal(now.data, f.was.data) || !now.mtime.Equal(f.was.mtime) {
			t.Errorf("%s changed (mtime %v → %v)", f.path, f.was.mtime, now.mtime)
		}
	}
	for _, out := range outputs {
		if strings.Contains(out, reportCanary) {
			t.Fatal("an output holds the API key")
		}
	}
}

// TestReportCompareFilesFlag: --compare-files needs --compare-to and a
// directory; both mistakes exit 1 and say so before planning.
func TestReportCompareFilesFlag(t *testing.T) {
	dir := t.TempDir()
	planWriteSpec(t, dir, `task "a" {
  prompt = "a mug"
}
`)
	writeFile(t, filepath.Join(dir, "base.json"), []byte("{}"))
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"without --compare-to": {[]string{"report", "--format", "html", "--compare-files", "."}, "--compare-files needs --compare-to"},
		"not a directory":      {[]string{"report", "--format", "html", "--compare-to", "base.json", "--compare-files", "base.json"}, "--compare-files base.json: not a directory"},
		"missing":              {[]string{"report", "--format", "html", "--compare-to", "base.json", "--compare-files", "nosuch"}, "--compare-files nosuch: not a directory"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runBin(t, dir, nil, c.args...)
			if r.Code != exitError || !strings.Contains(r.Stderr, c.want) || r.Stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", r.Code, r.Stdout, r.Stderr, c.want)
			}
		})
	}
}
