package pgstate

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mynthform/mynthform/internal/pgtest"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// benchState is a state of n tasks with requests and results of a
// realistic size (about 1 KB each).
func benchState(n int) *state.File {
	f := state.New("bench")
	for i := range n {
		req, _ := json.Marshal(map[string]any{"model": "google/gemini-3.1-flash-image", "prompt": map[string]any{"positive": fmt.Sprintf("a product photo of item %d on a white background, soft light", i)}, "size": "square"})
		res, _ := json.Marshal(map[string]any{"model": "google/gemini-3.1-flash-image", "cost": map[string]any{"images": "0.0125", "total": "0.0125"},
			"images": []any{map[string]any{"id": fmt.Sprintf("img_%08d", i), "status": "succeeded", "url": fmt.Sprintf("https://cdn.example/img_%08d.png", i), "size": "1024x1024"}}})
		f.Tasks[fmt.Sprintf("task.product[\"item%05d\"]", i)] = &state.Task{ID: fmt.Sprintf("tsk_%020d", i), Status: mynth.StatusCompleted,
			CreatedAt: "2026-01-02T03:04:05Z", UpdatedAt: "2026-01-02T03:04:15Z", Request: req, Result: res,
			Files: []state.SavedFile{{Path: fmt.Sprintf("assets/item%05d.png", i), ImageID: fmt.Sprintf("img_%08d", i), URL: "https://cdn.example/x.png", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Size: 48213}}}
	}
	return f
}

// saveOneChanged saves f again and again, one task changed each time: the
// cost of one apply step on a large state.
func saveOneChanged(b *testing.B, be state.Backend, f *state.File) {
	b.Helper()
	if _, err := be.Save(f); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Tasks["task.product[\"item00000\"]"].UpdatedAt = fmt.Sprintf("2026-01-02T03:%02d:%02dZ", i/60%60, i%60)
		if wrote, err := be.Save(f); err != nil || !wrote {
			b.Fatal(wrote, err)
		}
	}
}

// BenchmarkSave10000 compares one save of a 10,000-task state (about
// 10 MB) in PostgreSQL with the state file's on the same machine.
func BenchmarkSave10000(b *testing.B) {
	b.Run("pg", func(b *testing.B) {
		conn := pgtest.ConnStr(b)
		be, err := Open(context.Background(), Config{ConnStr: conn, Schema: pgtest.Schema(b, conn)})
		if err != nil {
			b.Fatal(err)
		}
		defer be.Close()
		saveOneChanged(b, be, benchState(10000))
	})
	b.Run("file", func(b *testing.B) {
		saveOneChanged(b, state.Open(filepath.Join(b.TempDir(), "mynth.state.json")), benchState(10000))
	})
}

// BenchmarkLoad10000 reads a 10,000-task state with a fresh connection:
// what plan pays.
func BenchmarkLoad10000(b *testing.B) {
	conn := pgtest.ConnStr(b)
	cfg := Config{ConnStr: conn, Schema: pgtest.Schema(b, conn)}
	be, err := Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := be.Save(benchState(10000)); err != nil {
		b.Fatal(err)
	}
	_ = be.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be, err := Open(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := be.Load(); err != nil {
			b.Fatal(err)
		}
		_ = be.Close()
	}
}
