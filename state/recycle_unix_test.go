//go:build unix

package state

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mynthform/mynthform/mynth"
)

// TestSaveRecyclesTheBackup: from the third save on, the new state is
// written into the file the backup it drops held (no file made, none
// freed), and each save still leaves the state it was given, whole, and
// the previous one as the backup, whether the state grew or shrank.
func TestSaveRecyclesTheBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mynth.state.json")
	s := Open(path)
	f := sample()
	var prevState, prevBackup os.FileInfo
	var prevBytes []byte
	for i := range 5 {
		switch i {
		case 1:
			f.Tasks[`task.product["mug"]`].Status = mynth.StatusCompleted
		case 2:
			big := *f.Tasks[`task.product["mug"]`]
			big.ID = "tsk_bigger"
			f.Tasks[`task.product["big"]`] = &big
		case 3:
			delete(f.Tasks, `task.product["big"]`)
			delete(f.Tasks, `task.product["mug"]`)
		case 4:
			f.Tasks[`task.product["bowl"]`].Status = mynth.StatusCompleted
		}
		// Held open, the backup's file cannot be freed and its inode
		// number given to a new file: only a recycled file can be it.
		var held *os.File
		if i >= 2 {
			var err error
			if held, err = os.Open(s.BackupPath()); err != nil {
				t.Fatal(err)
			}
			if prevBackup, err = held.Stat(); err != nil {
				t.Fatal(err)
			}
		}
		wrote, err := s.Save(f)
		if held != nil {
			held.Close()
		}
		if err != nil || !wrote {
			t.Fatalf("save %d: %v %v", i, wrote, err)
		}
		got, err := Open(path).Load()
		if err != nil || !got.ContentEqual(f) || got.Serial != f.Serial {
			t.Fatalf("save %d: the state does not load as saved: %v", i, err)
		}
		if prevBytes != nil {
			if b, _ := os.ReadFile(s.BackupPath()); !bytes.Equal(b, prevBytes) {
				t.Fatalf("save %d: the backup is not the previous state", i)
			}
		}
		now, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if i >= 2 && !os.SameFile(now, prevBackup) {
			t.Errorf("save %d: the state is a new file, not the dropped backup's", i)
		}
		if prevState != nil {
			if b, err := os.Stat(s.BackupPath()); err != nil || !os.SameFile(b, prevState) {
				t.Errorf("save %d: the backup is not the previous state's file", i)
			}
		}
		prevState = now
		prevBytes, _ = os.ReadFile(path)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 2 {
		t.Errorf("files left in the directory: %v", entries)
	}
}
