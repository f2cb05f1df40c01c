package state

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
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

// realisticTasks is n tasks as an apply records them: a request and a
// result of about 1 KB together.
func realisticTasks(n int, gen int) map[string]*Task {
	tasks := make(map[string]*Task, n)
	for i := range n {
		tasks[fmt.Sprintf(`task.asset["%05d"]`, i)] = &Task{
			ID: fmt.Sprintf("tsk_%026d", i), Status: mynth.StatusCompleted,
			CreatedAt: "2026-01-02T10:00:00Z", UpdatedAt: "2026-01-02T10:00:09Z",
			Request: json.RawMessage(fmt.Sprintf(`{"count":1,"metadata":{"gen":%d,"team":"catalogue"},"model":"google/gemini-3.1-flash-image","output":{"format":"webp","quality":80},"prompt":{"negative":"text, watermark","positive":"Studio photo of product %d on a white background, soft light"},"size":"square"}`, gen, i)),
			Result:  json.RawMessage(fmt.Sprintf(`{"cost":{"images":"0.01250000","total":"0.01250000"},"images":[{"cost":"0.01250000","id":"img_%d","size":"1024x1024","status":"succeeded","url":"https://cdn.example/images/img_%d.png"}],"model":"google/gemini-3.1-flash-image"}`, i, i)),
			Files:   []SavedFile{{Path: fmt.Sprintf("assets/%05d.webp", i), ImageID: fmt.Sprintf("img_%d", i), URL: fmt.Sprintf("https://cdn.example/images/img_%d.png", i), SHA256: strings.Repeat("ab", 32), Size: 48213}},
		}
	}
	return tasks
}

// BenchmarkSave10000 is one save of a 10,000-task state in which one task
// changed: what apply pays per created task at that scale.
func BenchmarkSave10000(b *testing.B) {
	s := Open(filepath.Join(b.TempDir(), "mynth.state.json"))
	f := New("bench")
	f.Tasks = realisticTasks(10000, 0)
	if _, err := s.Save(f); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(s.Path())
	b.ReportMetric(float64(info.Size())/1e6, "MB")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Tasks[`task.asset["00000"]`].UpdatedAt = fmt.Sprint(i)
		if wrote, err := s.Save(f); err != nil || !wrote {
			b.Fatal(wrote, err)
		}
	}
}

// BenchmarkLoad10000 loads a 10,000-task state with a fresh Store.
func BenchmarkLoad10000(b *testing.B) {
	path := filepath.Join(b.TempDir(), "mynth.state.json")
	f := New("bench")
	f.Tasks = realisticTasks(10000, 0)
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

// BenchmarkSaveUnchanged10000 is a save with nothing to write at 10,000
// tasks: what a no-op apply pays.
func BenchmarkSaveUnchanged10000(b *testing.B) {
	s := Open(filepath.Join(b.TempDir(), "mynth.state.json"))
	f := New("bench")
	f.Tasks = realisticTasks(10000, 0)
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

// BenchmarkEncode10000 encodes a 10,000-task state from scratch.
func BenchmarkEncode10000(b *testing.B) {
	f := New("bench")
	f.Tasks = realisticTasks(10000, 0)
	out, _ := Encode(f)
	b.SetBytes(int64(len(out)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Encode(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode10000OneChanged encodes it with the per-task cache that
// Save keeps, one task changed each time: Save's encoding cost in apply.
func BenchmarkEncode10000OneChanged(b *testing.B) {
	f := New("bench")
	f.Tasks = realisticTasks(10000, 0)
	cache := &encodeCache{}
	out, _ := encodeFile(f, cache, nil, nil)
	b.SetBytes(int64(len(out)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Tasks[`task.asset["00000"]`].UpdatedAt = fmt.Sprint(i)
		if _, err := encodeFile(f, cache, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode10000 decodes a 10,000-task state (no file I/O).
func BenchmarkDecode10000(b *testing.B) {
	f := New("bench")
	f.Tasks = realisticTasks(10000, 0)
	out, _ := Encode(f)
	b.SetBytes(int64(len(out)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveAfterProtect is a save of about 75 tasks in which one
// changed after a new value was protected: an apply step that just
// received a task's Public Access Token.
func BenchmarkSaveAfterProtect(b *testing.B) {
	s := Open(filepath.Join(b.TempDir(), "mynth.state.json"))
	f := New("bench")
	f.Tasks = crashTasks(1)
	if _, err := s.Save(f); err != nil {
		b.Fatal(err)
	}
	addr := f.Addresses()[0]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Protect(fmt.Sprintf("pat_bench_token_%012d", i))
		f.Tasks[addr].UpdatedAt = fmt.Sprintf("2026-01-02T10:%02d:%02dZ", i/60%60, i%60)
		if _, err := s.Save(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveApplyStep is one save of an apply that creates tasks: a
// state of 1,000 tasks and 32 write-ahead records, one record replaced by
// its task and one new record added each time (tasks and records are
// replaced, never changed in place, as apply does).
func BenchmarkSaveApplyStep(b *testing.B) {
	s := Open(filepath.Join(b.TempDir(), "mynth.state.json"))
	f := New("bench")
	f.Tasks = realisticTasks(1000, 0)
	f.Attempts = map[string]*Attempt{}
	attempt := func(i int) *Attempt {
		return &Attempt{ID: fmt.Sprintf("att_%032d", i), StartedAt: "2026-01-02T10:00:00Z",
			Request: json.RawMessage(fmt.Sprintf(`{"count":1,"model":"google/gemini-3.1-flash-image","prompt":{"positive":"New product photo %d"},"size":"64x64"}`, i))}
	}
	for i := range 32 {
		f.Attempts[fmt.Sprintf(`task.new["%06d"]`, i)] = attempt(i)
	}
	if _, err := s.Save(f); err != nil {
		b.Fatal(err)
	}
	proto := f.Tasks[`task.asset["00000"]`]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		done := fmt.Sprintf(`task.new["%06d"]`, i)
		delete(f.Attempts, done)
		t := *proto
		t.ID = fmt.Sprintf("tsk_new%019d", i)
		f.Tasks[done] = &t
		f.Attempts[fmt.Sprintf(`task.new["%06d"]`, i+32)] = attempt(i + 32)
		if wrote, err := s.Save(f); err != nil || !wrote {
			b.Fatal(wrote, err)
		}
	}
}
