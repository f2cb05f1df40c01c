package state

import (
	"path/filepath"
	"testing"
)

// BenchmarkSave saves a state of about 130 tasks (some 450 KB) whose
// content changes every time: the cost of one apply step.
func BenchmarkSave(b *testing.B) {
	s := Open(filepath.Join(b.TempDir(), "mynth.state.json"))
	f := New("bench")
	f.Tasks = crashTasks(1)
	if _, err := s.Save(f); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Tasks = crashTasks(f.Serial + 1)
		if _, err := s.Save(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveUnchanged is Save with nothing to write.
func BenchmarkSaveUnchanged(b *testing.B) {
	s := Open(filepath.Join(b.TempDir(), "mynth.state.json"))
	f := New("bench")
	f.Tasks = crashTasks(1)
	if _, err := s.Save(f); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if wrote, err := s.Save(f); err != nil || wrote {
			b.Fatal(wrote, err)
		}
	}
}

// BenchmarkLoad reads the same state with a fresh Store each time.
func BenchmarkLoad(b *testing.B) {
	path := filepath.Join(b.TempDir(), "mynth.state.json")
	f := New("bench")
	f.Tasks = crashTasks(1)
	if _, err := Open(path).Save(f); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Open(path).Load(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCrashTasks is the cost of building the content, to subtract.
func BenchmarkCrashTasks(b *testing.B) {
	for i := 0; i < b.N; i++ {
		crashTasks(uint64(i))
	}
}
