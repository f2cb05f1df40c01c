package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
)

// TestSaveUnderLockSeesForeignWrites: a Store that holds the lock trusts
// the file it wrote without reading it again (unchanged), but a write by
// a process that ignores the lock, whether it replaces the file or
// writes into it, is seen: the next Save reads the file and refuses the
// newer serial, as it does without the lock.
func TestSaveUnderLockSeesForeignWrites(t *testing.T) {
	for _, how := range []string{"replaced", "written in place"} {
		t.Run(how, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mynth.state.json")
			s := Open(path)
			l, err := s.Lock(t.Context(), "apply", time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Unlock()
			f := sample()
			for range 2 {
				f.Tasks[`task.product["mug"]`].UpdatedAt += "x"
				if _, err := s.Save(f); err != nil {
					t.Fatal(err)
				}
			}
			root, err := s.openRoot()
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			if !s.unchanged(root) {
				t.Fatal("the file this Store just wrote is not taken as unchanged")
			}

			// Another process, ignoring the lock, writes serial+1.
			other, err := Open(path).Load()
			if err != nil {
				t.Fatal(err)
			}
			other.Tasks[`task.product["mug"]`].Status = mynth.StatusFailed
			switch how {
			case "replaced":
				if _, err := Open(path).Save(other); err != nil {
					t.Fatal(err)
				}
			case "written in place":
				other.Serial++
				data, err := Encode(other)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if s.unchanged(root) {
				t.Fatal("a file another process wrote is taken as unchanged")
			}
			f.Tasks[`task.product["mug"]`].UpdatedAt += "y"
			if _, err := s.Save(f); !errors.Is(err, ErrSerial) {
				t.Fatalf("saving over another process's newer serial: %v, want ErrSerial", err)
			}
		})
	}
}
