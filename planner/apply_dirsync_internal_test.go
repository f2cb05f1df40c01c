package planner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// syncCheckingStore is a state.Store that refuses (and remembers) every
// write naming an image file whose directory was not synced after the
// file was put in place.
type syncCheckingStore struct {
	*state.Store
	dir string

	mu         sync.Mutex
	synced     map[string]bool // image paths (slash-separated) covered by a sync
	syncs      int
	violations []string
}

// dirSynced is apply's onDirSync: every file in dir now is covered.
func (s *syncCheckingStore) dirSynced(dir string) {
	entries, _ := os.ReadDir(filepath.Join(s.dir, dir))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncs++
	for _, e := range entries {
		s.synced[filepath.ToSlash(filepath.Join(dir, e.Name()))] = true
	}
}

func (s *syncCheckingStore) Save(f *state.File) (bool, error) {
	s.mu.Lock()
	for addr, t := range f.Tasks {
		for _, sf := range t.Files {
			if !s.synced[sf.Path] {
				s.violations = append(s.violations, fmt.Sprintf("%s names %s before its directory was synced", addr, sf.Path))
			}
		}
	}
	s.mu.Unlock()
	return s.Store.Save(f)
}

// TestApplyRecordsOnlySyncedImages applies 60 new tasks against the
// emulator, their images in two directories, and checks every state
// write: none names an image whose rename is not yet durable (its
// directory synced after it). The images share syncs: far fewer than one
// per file.
func TestApplyRecordsOnlySyncedImages(t *testing.T) {
	const n = 60
	srv := mynthtest.NewServer(t, mynthtest.Options{Latency: 2 * time.Millisecond})
	client := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_dirsync"})
	dir := t.TempDir()
	sp, plan := &spec.Spec{}, &Plan{}
	for i := range n {
		req := mynth.Request{Prompt: &mynth.Prompt{Positive: fmt.Sprintf("dirsync %d", i)}, Size: &mynth.Size{Preset: "32x32"}}
		addr := fmt.Sprintf(`task.d["%02d"]`, i)
		file := fmt.Sprintf("out/%c/%02d.png", 'a'+i%2, i)
		sp.Tasks = append(sp.Tasks, &spec.Task{Address: addr, Request: req, Files: []string{file}})
		plan.Tasks = append(plan.Tasks, &TaskPlan{Address: addr, Action: ActionGenerate, Request: &req})
	}
	store := &syncCheckingStore{Store: state.Open(filepath.Join(dir, "mynth.state.json")), dir: dir, synced: map[string]bool{}}
	st, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Apply(context.Background(), ApplyOptions{
		Plan: plan, Spec: sp, Store: store, State: st, API: ClientAPI{Client: client},
		Parallelism: 8, Wait: true, Poll: mynth.PollSchedule{Fast: 5 * time.Millisecond, FastFor: time.Minute, Slow: 5 * time.Millisecond},
		Dir: dir, onDirSync: store.dirSynced,
	})
	if err != nil || res.Failed() || res.Generated != n || res.FilesSaved != n {
		t.Fatalf("apply: %v, %+v", err, res)
	}
	for _, v := range store.violations {
		t.Error(v)
	}
	final, err := state.Open(filepath.Join(dir, "mynth.state.json")).Load()
	if err != nil {
		t.Fatal(err)
	}
	recorded := 0
	for _, task := range final.Tasks {
		recorded += len(task.Files)
	}
	if recorded != n {
		t.Errorf("the state records %d files, want %d", recorded, n)
	}
	if store.syncs == 0 || store.syncs > n/4 {
		t.Errorf("%d directory syncs for %d files in 2 directories, want a few shared ones", store.syncs, n)
	}
}
