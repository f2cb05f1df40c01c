//go:build unix

package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/internal/atomicfile"
)

func writeBytes(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rotate keeps the file at path as path+".bak", as the state's backup
// does: a hard link to it renamed over the old backup.
func rotate(t *testing.T, path string) {
	t.Helper()
	tmp := path + ".rot"
	if err := os.Link(path, tmp); err != nil {
		t.Skip("no hard links here:", err)
	}
	if err := os.Rename(tmp, path+".bak"); err != nil {
		t.Fatal(err)
	}
}

// onlyFiles checks that dir holds exactly want (no temporary file left).
func onlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, names(t, dir)); diff != "" {
		t.Fatalf("the directory's files (-want +got):\n%s", diff)
	}
}

// createRecycling starts replacing s.json inside dir, recycling
// s.json.bak.
func createRecycling(t *testing.T, dir string) *atomicfile.Pending {
	t.Helper()
	root, err := atomicfile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	p, err := root.Create("s.json", 0o644, &atomicfile.CreateOptions{Recycle: "s.json.bak"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeRecycling replaces s.json inside dir with content through a
// Pending that recycles s.json.bak, calling before (which takes the
// backup's name away, or not) between Create and Ready.
func writeRecycling(t *testing.T, dir, content string, before func(p *atomicfile.Pending)) {
	t.Helper()
	p := createRecycling(t, dir)
	defer p.Cleanup()
	before(p)
	if err := p.Ready(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestCreateRecycle: with Recycle, the new file takes over the storage of
// the file the caller drops (the backup, once the file's current content
// became the backup), written over its old bytes and cut to the new
// length; the Pending cannot be written before Ready; the recycled file
// keeps its bytes until then.
func TestCreateRecycle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	writeBytes(t, path, "current content")
	writeBytes(t, path+".bak", "the previous content, longer than the new one")
	old, err := os.Stat(path + ".bak")
	if err != nil {
		t.Fatal(err)
	}
	writeRecycling(t, dir, "new", func(p *atomicfile.Pending) {
		if _, err := p.Write([]byte("x")); err == nil {
			t.Fatal("a recycled Pending was written before Ready")
		}
		if got := readString(t, path+".bak"); got != "the previous content, longer than the new one" {
			t.Fatalf("the file to recycle changed before Ready: %q", got)
		}
		rotate(t, path)
	})
	if got := readString(t, path); got != "new" {
		t.Errorf("the file holds %q, want %q", got, "new")
	}
	if got := readString(t, path+".bak"); got != "current content" {
		t.Errorf("the backup holds %q, want the content before", got)
	}
	now, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(old, now) {
		t.Error("the new file is not the recycled one")
	}
	onlyFiles(t, dir, "s.json", "s.json.bak")
}

// TestCreateRecycleLeavesFilesWithOtherNames: a file that has another
// name (a hard link made by someone else, or a caller that did not take
// the name away before Ready) is never written over: the Pending writes a
// new file, and every name keeps its bytes.
func TestCreateRecycleLeavesFilesWithOtherNames(t *testing.T) {
	for _, tc := range []struct {
		name             string
		linked, noRotate bool
	}{
		{name: "linked elsewhere", linked: true},
		{name: "name not taken away", noRotate: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "s.json")
			writeBytes(t, path, "current content")
			writeBytes(t, path+".bak", "previous")
			names := []string{"s.json", "s.json.bak"}
			if tc.linked {
				if err := os.Link(path+".bak", filepath.Join(dir, "t.keep")); err != nil {
					t.Skip("no hard links here:", err)
				}
				names = append(names, "t.keep")
			}
			writeRecycling(t, dir, "new", func(*atomicfile.Pending) {
				if !tc.noRotate {
					rotate(t, path)
				}
			})
			if got := readString(t, path); got != "new" {
				t.Errorf("the file holds %q", got)
			}
			want := "previous"
			if !tc.noRotate {
				want = "current content"
			}
			if got := readString(t, path+".bak"); got != want {
				t.Errorf("the backup holds %q, want %q", got, want)
			}
			if tc.linked {
				if got := readString(t, filepath.Join(dir, "t.keep")); got != "previous" {
					t.Errorf("the other name of the old backup holds %q, want its bytes", got)
				}
			}
			onlyFiles(t, dir, names...)
		})
	}
}

// TestCreateRecycleRefusesALink: a symbolic link named to be recycled is
// not followed; the Pending writes a new file and the link's target
// keeps its bytes.
func TestCreateRecycleRefusesALink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	writeBytes(t, path, "current content")
	writeBytes(t, filepath.Join(dir, "target"), "someone's file")
	symlink(t, "target", path+".bak")
	writeRecycling(t, dir, "new", func(*atomicfile.Pending) {
		if err := os.Remove(path + ".bak"); err != nil {
			t.Fatal(err)
		}
	})
	if got := readString(t, filepath.Join(dir, "target")); got != "someone's file" {
		t.Errorf("the link's target holds %q", got)
	}
	if got := readString(t, path); got != "new" {
		t.Errorf("the file holds %q", got)
	}
	onlyFiles(t, dir, "s.json", "target")
}

// TestCreateRecycleCleanup: a recycled Pending given up before it is
// written leaves the file to recycle as it was, under its name.
func TestCreateRecycleCleanup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	writeBytes(t, path, "current content")
	writeBytes(t, path+".bak", "previous")
	createRecycling(t, dir).Cleanup()
	if got := readString(t, path+".bak"); got != "previous" {
		t.Errorf("the file to recycle holds %q", got)
	}
	if got := readString(t, path); got != "current content" {
		t.Errorf("the file holds %q", got)
	}
	onlyFiles(t, dir, "s.json", "s.json.bak")
}
