package atomicfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/internal/atomicfile"
)

// symlink makes a symbolic link or skips the test where there are none.
func symlink(t *testing.T, dest, link string) {
	t.Helper()
	if err := os.Symlink(dest, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestRootResolve resolves names after symbolic links, refusing those
// that lead outside however they get there; a Resolver, shared by every
// name, must give what the Root gives, the first time and again.
func TestRootResolve(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "spec")
	outside := filepath.Join(base, "outside")
	mkdir(t, filepath.Join(dir, "real", "deep"))
	mkdir(t, outside)
	symlink(t, ".", filepath.Join(dir, "self"))
	symlink(t, "real", filepath.Join(dir, "alias"))
	symlink(t, filepath.Join(dir, "real", "deep"), filepath.Join(dir, "absin"))
	symlink(t, outside, filepath.Join(dir, "absout"))
	symlink(t, "../outside", filepath.Join(dir, "up"))
	symlink(t, "real/../..", filepath.Join(dir, "sneaky"))
	symlink(t, "real/later.txt", filepath.Join(dir, "dangling"))
	symlink(t, "loop2", filepath.Join(dir, "loop1"))
	symlink(t, "loop1", filepath.Join(dir, "loop2"))
	r, err := atomicfile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res := r.Resolver()
	sameAsRoot := func(name, got string, err error, gotDir string, errDir error) {
		t.Helper()
		for range 2 {
			vgot, verr := res.Resolve(name)
			vdir, vdirErr := res.ResolveDir(name)
			if vgot != got || vdir != gotDir || fmt.Sprint(verr) != fmt.Sprint(err) || fmt.Sprint(vdirErr) != fmt.Sprint(errDir) {
				t.Fatalf("Resolver of %q: %q, %v and %q, %v; Root: %q, %v and %q, %v", name, vgot, verr, vdir, vdirErr, got, err, gotDir, errDir)
			}
		}
	}

	tests := map[string]struct {
		name, want, wantDir string
		outside             bool
	}{
		"plain":                    {name: "a.png", want: "a.png", wantDir: "a.png"},
		"missing directories kept": {name: "new/dir/a.png", want: "new/dir/a.png", wantDir: "new/dir/a.png"},
		"link to the root":         {name: "self/mynth.state.json", want: "mynth.state.json", wantDir: "mynth.state.json"},
		"links twice":              {name: "self/self/alias/x", want: "real/x", wantDir: "real/x"},
		"absolute link inside":     {name: "absin/x", want: "real/deep/x", wantDir: "real/deep/x"},
		"final link followed":      {name: "alias", want: "real", wantDir: "alias"},
		"dangling link":            {name: "dangling", want: "real/later.txt", wantDir: "dangling"},
		"absolute path inside":     {name: filepath.Join(dir, "real", "x"), want: "real/x", wantDir: "real/x"},
		"dot dot inside":           {name: "real/../a", want: "a", wantDir: "a"},
		"dot dot out":              {name: "../a", outside: true},
		"absolute path outside":    {name: filepath.Join(outside, "a"), outside: true},
		"absolute link outside":    {name: "absout/a", outside: true},
		"relative link outside":    {name: "up/a", outside: true},
		"link climbing out":        {name: "sneaky/a", outside: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := r.Resolve(tt.name)
			gotDir, errDir := r.ResolveDir(tt.name)
			sameAsRoot(tt.name, got, err, gotDir, errDir)
			if tt.outside {
				var oe *atomicfile.OutsideError
				if !errors.As(err, &oe) {
					t.Fatalf("Resolve(%q) = %q, %v; want an *OutsideError", tt.name, got, err)
				}
				return
			}
			if err != nil || errDir != nil {
				t.Fatalf("Resolve(%q): %v, %v", tt.name, err, errDir)
			}
			if diff := cmp.Diff(tt.want, filepath.ToSlash(got)); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDir, filepath.ToSlash(gotDir)); diff != "" {
				t.Errorf("ResolveDir (-want +got):\n%s", diff)
			}
		})
	}
	got, err := r.Resolve("loop1/x")
	if err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("a link loop: %v", err)
	}
	gotDir, errDir := r.ResolveDir("loop1/x")
	sameAsRoot("loop1/x", got, err, gotDir, errDir)
}

// TestRootWriteFileStaysInside writes through links that stay inside and
// refuses those that lead out: nothing outside changes.
func TestRootWriteFileStaysInside(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "spec")
	outside := filepath.Join(base, "outside")
	mkdir(t, dir)
	mkdir(t, outside)
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	symlink(t, victim, filepath.Join(dir, "file-out"))
	symlink(t, outside, filepath.Join(dir, "dir-out"))
	symlink(t, "sub", filepath.Join(dir, "alias"))
	r, err := atomicfile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	for _, name := range []string{"file-out", "dir-out/victim", "dir-out/new", "../outside/victim"} {
		var oe *atomicfile.OutsideError
		if err := r.WriteFile(name, []byte("new\n"), 0o644); !errors.As(err, &oe) {
			t.Errorf("WriteFile(%q) = %v, want an *OutsideError", name, err)
		}
	}
	if got, _ := os.ReadFile(victim); string(got) != "keep\n" {
		t.Errorf("the file outside holds %q", got)
	}
	if diff := cmp.Diff([]string{"victim"}, names(t, outside)); diff != "" {
		t.Errorf("outside (-want +got):\n%s", diff)
	}

	// Through a dangling link inside, into directories created on the
	// way.
	if err := r.WriteFile("alias/deeper/x.txt", []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "sub", "deeper", "x.txt")); string(got) != "x\n" {
		t.Errorf("sub/deeper/x.txt holds %q", got)
	}
}

// TestCreateNoFollowReplacesTheLink: with NoFollow a final link is
// replaced by the new file, and the file it pointed at stays as it was.
func TestCreateNoFollowReplacesTheLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.WriteFile(real, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	symlink(t, "real", filepath.Join(dir, "link"))
	r, err := atomicfile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var checked string
	p, err := r.Create("link", 0o644, &atomicfile.CreateOptions{NoFollow: true, TempSuffix: ".tmp", Check: func(rel string) error {
		checked = rel
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(p.Name()), ".link") || !strings.HasSuffix(p.Name(), ".tmp") {
		t.Errorf("temporary file %s", p.Name())
	}
	if _, err := p.Write([]byte("new\n")); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	p.Cleanup()
	if checked != "link" {
		t.Errorf("Check saw %q", checked)
	}
	if info, err := os.Lstat(filepath.Join(dir, "link")); err != nil || !info.Mode().IsRegular() {
		t.Errorf("link is not a regular file now: %v", err)
	}
	if got, _ := os.ReadFile(real); string(got) != "keep\n" {
		t.Errorf("the link's old target holds %q", got)
	}
}

// TestCreateCheckRefuses: a Check error writes nothing at all.
func TestCreateCheckRefuses(t *testing.T) {
	dir := t.TempDir()
	r, err := atomicfile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	no := errors.New("no")
	if _, err := r.Create("d/x", 0o644, &atomicfile.CreateOptions{Check: func(string) error { return no }}); !errors.Is(err, no) {
		t.Fatalf("Create = %v", err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("the directory holds %v", got)
	}
}

// TestCleanupRemovesTheTemporaryFile: an abandoned write leaves nothing.
func TestCleanupRemovesTheTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	r, err := atomicfile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := r.Create("x", 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte("half")); err != nil {
		t.Fatal(err)
	}
	p.Cleanup()
	p.Cleanup()
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("the directory holds %v", got)
	}
}

// TestCommitNoDirSyncThenSyncDir: a commit that leaves its directory
// unsynced still puts the whole new file in place (no temporary file
// left); SyncDir syncs a directory inside the Root and refuses one that a
// symbolic link leads outside.
func TestCommitNoDirSyncThenSyncDir(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	r, err := atomicfile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, name := range []string{"out/a.png", "out/b.png", "top.png"} {
		p, err := r.Create(name, 0o644, &atomicfile.CreateOptions{NoDirSync: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Write([]byte("content of " + name)); err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != "content of "+name {
			t.Fatalf("%s holds %q, %v", name, got, err)
		}
		if err := r.SyncDir(filepath.Dir(p.Rel)); err != nil {
			t.Errorf("SyncDir(%s) = %v", filepath.Dir(p.Rel), err)
		}
	}
	if diff := cmp.Diff([]string{"out", "top.png"}, names(t, dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a.png", "b.png"}, names(t, filepath.Join(dir, "out"))); diff != "" {
		t.Errorf("files in out (-want +got):\n%s", diff)
	}
	symlink(t, outside, filepath.Join(dir, "away"))
	var oe *atomicfile.OutsideError
	if err := r.SyncDir("away"); !errors.As(err, &oe) {
		t.Errorf("SyncDir through a link outside = %v, want an *OutsideError", err)
	}
	if err := r.SyncDir("missing"); err == nil {
		t.Error("SyncDir of a missing directory succeeded")
	}
}
