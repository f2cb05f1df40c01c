package atomicfile_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/internal/atomicfile"
)

// names lists the entries of dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	return got
}

func TestWriteFile(t *testing.T) {
	tests := map[string]struct {
		old      string // content before the write; "" for no file
		oldPerm  os.FileMode
		perm     os.FileMode
		wantPerm os.FileMode
	}{
		"new file takes perm":              {perm: 0o600, wantPerm: 0o600},
		"replacement keeps existing perms": {old: "old\n", oldPerm: 0o640, perm: 0o644, wantPerm: 0o640},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.txt")
			if tt.old != "" {
				if err := os.WriteFile(path, []byte(tt.old), tt.oldPerm); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.oldPerm); err != nil {
					t.Fatal(err)
				}
			}
			if err := atomicfile.WriteFile(path, []byte("new\n"), tt.perm); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff("new\n", string(got)); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"out.txt"}, names(t, dir)); diff != "" {
				t.Errorf("directory (-want +got):\n%s", diff)
			}
			if runtime.GOOS == "windows" {
				return
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != tt.wantPerm {
				t.Errorf("permissions = %v, want %v", got, tt.wantPerm)
			}
		})
	}
}

// TestWriteFileRenameFails replaces a path that cannot be renamed over (a
// directory that is not empty): the temporary file has been written by
// then and must be removed, and what was there stays.
func TestWriteFileRenameFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "keep"), []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, []byte("new\n"), 0o644); err == nil {
		t.Fatal("WriteFile over a directory succeeded")
	}
	if diff := cmp.Diff([]string{"out"}, names(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	got, err := os.ReadFile(filepath.Join(path, "keep"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("old\n", string(got)); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
}

// TestWriteFileCreateFails writes into a directory where no file can be
// created: the old file stays as it was and nothing else appears.
func TestWriteFileCreateFails(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("directory permissions do not stop file creation on Windows")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	if f, err := os.Create(filepath.Join(dir, "probe")); err == nil {
		f.Close()
		t.Skip("running with privileges that ignore directory permissions")
	}
	if err := atomicfile.WriteFile(path, []byte("new\n"), 0o644); err == nil {
		t.Fatal("WriteFile in a read-only directory succeeded")
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("old\n", string(got)); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"out.txt"}, names(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
}

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "atomicfile")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "report.md")
	if err := atomicfile.WriteFile(path, []byte("# Report\n"), 0o644); err != nil {
		panic(err)
	}
	data, _ := os.ReadFile(path)
	os.Stdout.Write(data)
	// Output: # Report
}

// TestWriteFileThroughSymlink: a path that is a symbolic link keeps it;
// the file it points at is replaced, atomically, in its own directory.
func TestWriteFileThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "shared"), 0o755); err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(dir, "shared", "real.txt")
	if err := os.WriteFile(real, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink(filepath.Join("shared", "real.txt"), link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := atomicfile.WriteFile(link, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	if got, _ := os.ReadFile(real); string(got) != "new\n" {
		t.Errorf("target holds %q", got)
	}
	if diff := cmp.Diff([]string{"real.txt"}, names(t, filepath.Join(dir, "shared"))); diff != "" {
		t.Errorf("shared directory (-want +got):\n%s", diff)
	}
	// A dangling link is written through as well.
	dangling := filepath.Join(dir, "dangling.txt")
	if err := os.Symlink(filepath.Join("shared", "later.txt"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(dangling, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "shared", "later.txt")); string(got) != "x\n" {
		t.Errorf("dangling link target holds %q", got)
	}
}
