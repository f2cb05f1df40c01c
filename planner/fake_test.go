package planner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/mynthform/mynthform/mynth"
)

// fakeAPI is an in-memory API: tasks by id, PATs by task id, and errors to
// return by task id.
type fakeAPI struct {
	mu     sync.Mutex
	tasks  map[string]*mynth.Task
	pats   map[string]string
	errs   map[string]error
	calls  atomic.Int64
	active atomic.Int64
	peak   atomic.Int64
}

func newFakeAPI(tasks ...*mynth.Task) *fakeAPI {
	f := &fakeAPI{tasks: map[string]*mynth.Task{}, pats: map[string]string{}, errs: map[string]error{}}
	for _, t := range tasks {
		f.tasks[t.ID] = t
	}
	return f
}

func (f *fakeAPI) enter() func() {
	f.calls.Add(1)
	n := f.active.Add(1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return func() { f.active.Add(-1) }
}

func (f *fakeAPI) get(id string) (*mynth.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.errs[id]; err != nil {
		return nil, err
	}
	t, ok := f.tasks[id]
	if !ok {
		return nil, fmt.Errorf("task %s: not found (404)", id)
	}
	// A copy, as a client decodes a fresh one on every read.
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	var out mynth.Task
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (f *fakeAPI) Task(ctx context.Context, id string) (*mynth.Task, error) {
	defer f.enter()()
	return f.get(id)
}

func (f *fakeAPI) checkPAT(id, pat string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if pat != "" && f.pats[id] != pat {
		return fmt.Errorf("task %s: unauthorized (401)", id)
	}
	return nil
}

func (f *fakeAPI) Status(ctx context.Context, id, pat string) (mynth.Status, error) {
	defer f.enter()()
	if err := f.checkPAT(id, pat); err != nil {
		return "", err
	}
	t, err := f.get(id)
	if err != nil {
		return "", err
	}
	return t.Status, nil
}

func (f *fakeAPI) Results(ctx context.Context, id, pat string) (*mynth.Results, error) {
	defer f.enter()()
	if err := f.checkPAT(id, pat); err != nil {
		return nil, err
	}
	t, err := f.get(id)
	if err != nil {
		return nil, err
	}
	if t.Result == nil {
		return &mynth.Results{Images: []mynth.Image{}}, nil
	}
	return &mynth.Results{Images: t.Result.Images}, nil
}

func (f *fakeAPI) Generate(ctx context.Context, req mynth.Request) (mynth.Created, error) {
	return mynth.Created{}, fmt.Errorf("the planner never generates")
}

func (f *fakeAPI) Upload(ctx context.Context, files []mynth.UploadFile) ([]string, error) {
	return nil, fmt.Errorf("the planner never uploads")
}

func (f *fakeAPI) Download(ctx context.Context, url string, w io.Writer, maxBytes int64) (int64, error) {
	return 0, fmt.Errorf("the planner never downloads")
}
