package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// symlinkOrSkip makes a symbolic link, or skips the test where there are
// none.
func symlinkOrSkip(t *testing.T, dest, link string) {
	t.Helper()
	if err := os.Symlink(dest, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
}

// TestFilesResolvedAfterSymlinks: an image path is checked where it
// leads, after symbolic links: onto the state, into .git, outside the
// spec directory. Each is a diagnostic on the files attribute.
func TestFilesResolvedAfterSymlinks(t *testing.T) {
	outside := t.TempDir()
	tests := map[string]struct {
		files  string
		detail string // in the diagnostic's detail
	}{
		"link to the spec directory onto the state": {`["sub/mynth.state.json"]`, "is the state file"},
		"link onto the lock":                        {`["sub/mynth.state.json.lock"]`, "the state file's lock"},
		"link into .git":                            {`["g/HEAD"]`, "lies in .git/"},
		"link onto a spec file":                     {`["sub/main.mynth.hcl"]`, "names a spec or variable file"},
		"link leading outside":                      {`["out/a.png"]`, "through the symbolic link out"},
		"final link onto the state":                 {`["state.png"]`, "is the state file"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeSpec(t, map[string]string{"main.mynth.hcl": "task \"a\" {\n  prompt = \"p\"\n  files  = " + tt.files + "\n}\n", ".git/HEAD": "ref: refs/heads/main\n"})
			symlinkOrSkip(t, ".", filepath.Join(dir, "sub"))
			symlinkOrSkip(t, ".git", filepath.Join(dir, "g"))
			symlinkOrSkip(t, outside, filepath.Join(dir, "out"))
			symlinkOrSkip(t, "mynth.state.json", filepath.Join(dir, "state.png"))
			_, diags := Load(dir, LoadOptions{})
			if len(diags) != 1 || diags[0].Summary != "Invalid file path" || !strings.Contains(diags[0].Detail, tt.detail) {
				t.Fatalf("want one Invalid file path saying %q, got %v", tt.detail, diags)
			}
			if s := diags[0].Subject; s == nil || s.Start.Line != 3 || !strings.HasSuffix(s.Filename, "main.mynth.hcl") {
				t.Errorf("the diagnostic points at %v, want line 3 of main.mynth.hcl", s)
			}
		})
	}
	// A link that stays inside is fine.
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": "task \"a\" {\n  prompt = \"p\"\n  files  = [\"alias/a.png\"]\n}\n", "assets/keep": ""})
	symlinkOrSkip(t, "assets", filepath.Join(dir, "alias"))
	if _, diags := Load(dir, LoadOptions{}); diags.HasErrors() {
		t.Errorf("a link inside the spec directory: %v", diags)
	}
}

// TestStatePathInsideSpecDir: the mynth block's state must lie inside
// the spec directory, after symbolic links, with its backup and lock.
func TestStatePathInsideSpecDir(t *testing.T) {
	outside := t.TempDir()
	tests := map[string]struct {
		state  string
		detail string // "" when valid
	}{
		"default name":          {"mynth.state.json", ""},
		"subdirectory":          {"state/prod.json", ""},
		"link inside":           {"alias/prod.json", ""},
		"dot dot":               {"../shared.json", "leaves the spec directory"},
		"absolute outside":      {filepath.Join(outside, "s.json"), "lies outside the spec directory"},
		"directory link out":    {"out/s.json", "through the symbolic link out"},
		"lock link out":         {"locked.json", "through the symbolic link locked.json.lock"},
		"absolute inside spec":  {"", ""},
		"state file link out":   {"linked.json", "through the symbolic link linked.json"},
		"backup link somewhere": {"backed.json", "through the symbolic link backed.json.backup"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeSpec(t, map[string]string{"state/keep": ""})
			state := tt.state
			if state == "" {
				state = filepath.Join(dir, "state", "abs.json")
			}
			src := "mynth {\n  state = \"" + filepath.ToSlash(state) + "\"\n}\ntask \"a\" {\n  prompt = \"p\"\n}\n"
			if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			symlinkOrSkip(t, "state", filepath.Join(dir, "alias"))
			symlinkOrSkip(t, outside, filepath.Join(dir, "out"))
			symlinkOrSkip(t, filepath.Join(outside, "x"), filepath.Join(dir, "locked.json.lock"))
			symlinkOrSkip(t, "../x", filepath.Join(dir, "linked.json"))
			symlinkOrSkip(t, "../x", filepath.Join(dir, "backed.json.backup"))
			sp, diags := Load(dir, LoadOptions{})
			if tt.detail == "" {
				if diags.HasErrors() {
					t.Fatalf("refused: %v", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary != "Invalid state path" || !strings.Contains(diags[0].Detail, tt.detail) {
				t.Fatalf("want one Invalid state path saying %q, got %v", tt.detail, diags)
			}
			if s := diags[0].Subject; s == nil || s.Start.Line != 2 {
				t.Errorf("the diagnostic points at %v, want line 2", s)
			}
			if sp.Settings.State != DefaultStatePath {
				t.Errorf("the refused state path was kept: %q", sp.Settings.State)
			}
		})
	}
}

// TestManifestInsideSpecDir: the manifest, which apply writes, must lie
// inside the spec directory after symbolic links, and no image may land
// on it through a link.
func TestManifestInsideSpecDir(t *testing.T) {
	outside := t.TempDir()
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": "mynth {\n  manifest = \"out/m.json\"\n}\ntask \"a\" {\n  prompt = \"p\"\n}\n"})
	symlinkOrSkip(t, outside, filepath.Join(dir, "out"))
	_, diags := Load(dir, LoadOptions{})
	if len(diags) != 1 || diags[0].Summary != "Invalid manifest path" || !strings.Contains(diags[0].Detail, "through the symbolic link out") {
		t.Fatalf("a manifest leading outside: %v", diags)
	}
	if s := diags[0].Subject; s == nil || s.Start.Line != 2 {
		t.Errorf("the diagnostic points at %v, want line 2", s)
	}

	dir = writeSpec(t, map[string]string{"main.mynth.hcl": "mynth {\n  manifest = \"mynth.manifest.json\"\n}\ntask \"a\" {\n  prompt = \"p\"\n  files  = [\"sub/mynth.manifest.json\"]\n}\n"})
	symlinkOrSkip(t, ".", filepath.Join(dir, "sub"))
	_, diags = Load(dir, LoadOptions{})
	if len(diags) != 1 || diags[0].Summary != "Invalid file path" || !strings.Contains(diags[0].Detail, "is the manifest") {
		t.Fatalf("an image onto the manifest through a link: %v", diags)
	}
}
