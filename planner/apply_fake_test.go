package planner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// applyFake is an in-memory Mynth for apply tests: Generate creates tasks
// that complete after PollsToDone status reads, "[[fail]]" in a prompt
// fails the task, "[[fail-image]]" fails its last image, and
// "[[unknown]]" makes Generate return an unknown outcome (after creating
// the task, as a dropped connection would).
type applyFake struct {
	// PollsToDone is how many status reads a task stays pending for.
	PollsToDone int
	// Price is the cost of each image; Fee is added per task.
	Price, Fee mynth.Amount
	// OnGenerate, when set, runs at the start of each Generate call.
	OnGenerate func(req mynth.Request)

	mu        sync.Mutex
	next      int
	tasks     map[string]*mynth.Task
	polls     map[string]int
	generates atomic.Int64
	downloads atomic.Int64
	images    map[string][]byte // by URL
	// uploads holds, in order, the names of every file uploaded, one
	// slice per request.
	uploads [][]string
}

func newApplyFake() *applyFake {
	return &applyFake{
		Price:  mynth.MustParseAmount("0.0125"),
		tasks:  map[string]*mynth.Task{},
		polls:  map[string]int{},
		images: map[string][]byte{},
	}
}

// add preloads a task.
func (f *applyFake) add(t *mynth.Task) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tasks[t.ID] = t
	if t.Result != nil {
		for _, im := range t.Result.Images {
			if im.URL != "" {
				f.images[im.URL] = pngBytes(im.ID)
			}
		}
	}
}

func (f *applyFake) taskIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for id := range f.tasks {
		out = append(out, id)
	}
	return out
}

func (f *applyFake) Generate(ctx context.Context, req mynth.Request) (mynth.Created, error) {
	f.generates.Add(1)
	if f.OnGenerate != nil {
		f.OnGenerate(req)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := fmt.Sprintf("tsk_%03d", f.next)
	reqCopy := req
	f.tasks[id] = &mynth.Task{ID: id, Status: mynth.StatusPending, Type: "image.generate", Request: &reqCopy}
	prompt := ""
	if req.Prompt != nil {
		prompt = req.Prompt.Positive
	}
	if strings.Contains(prompt, "[[unknown]]") {
		return mynth.Created{}, fmt.Errorf("creating a task: connection reset: %w", mynth.ErrUnknownOutcome)
	}
	return mynth.Created{TaskID: id, PublicAccessToken: "pat_canary_secret"}, nil
}

// Upload records the files and answers a URL per file.
func (f *applyFake) Upload(ctx context.Context, files []mynth.UploadFile) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names, urls []string
	for _, file := range files {
		names = append(names, file.Name)
		urls = append(urls, fmt.Sprintf("https://uploads.test/upl_%d_%d.png", len(f.uploads), len(urls)))
	}
	f.uploads = append(f.uploads, names)
	return urls, nil
}

// advance moves a task on after a status read.
func (f *applyFake) advance(id string) {
	t := f.tasks[id]
	if t.Status.Done() {
		return
	}
	f.polls[id]++
	if f.polls[id] <= f.PollsToDone {
		return
	}
	prompt := ""
	if t.Request.Prompt != nil {
		prompt = t.Request.Prompt.Positive
	}
	if strings.Contains(prompt, "[[fail]]") {
		t.Status = mynth.StatusFailed
		return
	}
	n := max(t.Request.Count, 1)
	res := &mynth.Result{Model: t.Request.Model}
	var images mynth.Amount
	for i := range n {
		if i == n-1 && strings.Contains(prompt, "[[fail-image]]") {
			res.Images = append(res.Images, mynth.Image{Status: mynth.ImageFailed, Error: json.RawMessage(`"content filtered"`)})
			continue
		}
		imID := fmt.Sprintf("img_%s_%d", id, i)
		url := "https://cdn.example/" + imID + ".png"
		price := f.Price
		res.Images = append(res.Images, mynth.Image{Status: mynth.ImageSucceeded, ID: imID, URL: url, Cost: &price, Size: "1024x1024"})
		f.images[url] = pngBytes(imID)
		images = images.Add(price)
	}
	fee := f.Fee
	res.Cost = &mynth.Cost{Images: images, Total: images.Add(fee)}
	t.Result = res
	t.Status = mynth.StatusCompleted
}

func (f *applyFake) Status(ctx context.Context, id, pat string) (mynth.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tasks[id]; !ok {
		return "", fmt.Errorf("task %s: %w", id, mynth.ErrNotFound)
	}
	f.advance(id)
	return f.tasks[id].Status, nil
}

func (f *applyFake) Task(ctx context.Context, id string) (*mynth.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tasks[id]
	if !ok {
		return nil, fmt.Errorf("task %s: %w", id, mynth.ErrNotFound)
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	var out mynth.Task
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	out.Raw = raw
	return &out, nil
}

func (f *applyFake) Results(ctx context.Context, id, pat string) (*mynth.Results, error) {
	t, err := f.Task(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Result == nil {
		return &mynth.Results{}, nil
	}
	return &mynth.Results{Images: t.Result.Images}, nil
}

func (f *applyFake) Download(ctx context.Context, url string, w io.Writer, maxBytes int64) (int64, error) {
	f.downloads.Add(1)
	f.mu.Lock()
	b, ok := f.images[url]
	f.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("GET %s: %w", url, mynth.ErrNotFound)
	}
	if int64(len(b)) > maxBytes {
		return 0, fmt.Errorf("GET %s: image larger than %d bytes", url, maxBytes)
	}
	n, err := w.Write(b)
	return int64(n), err
}

// pngBytes is a small PNG that differs by seed.
func pngBytes(seed string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var sum byte
	for _, c := range []byte(seed) {
		sum += c
	}
	for i := range img.Pix {
		img.Pix[i] = sum + byte(i)
	}
	img.Set(0, 0, color.RGBA{sum, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// memStore is a StateSaver that keeps every write in memory, like
// state.Store: a save of unchanged content writes nothing.
type memStore struct {
	mu     sync.Mutex
	writes [][]byte
	last   []byte
}

func (m *memStore) Save(f *state.File) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := *f
	cp.Serial = 0
	b, err := json.Marshal(&cp)
	if err != nil {
		return false, err
	}
	if bytes.Equal(b, m.last) {
		return false, nil
	}
	f.Serial++
	m.last = b
	m.writes = append(m.writes, b)
	return true, nil
}

func (m *memStore) snapshots() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.writes...)
}

// captureProgress records every progress event.
type captureProgress struct {
	mu       sync.Mutex
	started  int
	created  []string
	finished []TaskResult
	uploaded [][]string
}

func (c *captureProgress) InputsUploaded(_ ProgressEvent, paths []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.uploaded = append(c.uploaded, paths)
}

func (c *captureProgress) Start(total int) { c.started = total }
func (c *captureProgress) TaskCreated(ev ProgressEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.created = append(c.created, ev.Task.Address)
}
func (c *captureProgress) TaskFinished(ev ProgressEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.finished = append(c.finished, ev.Task)
}
func (c *captureProgress) Finish() {}

var _ API = (*applyFake)(nil)

// checkNoSecret fails when any snapshot holds a secret.
func checkNoSecret(t *testing.T, snaps [][]byte) {
	t.Helper()
	for _, s := range snaps {
		if bytes.Contains(s, []byte("pat_")) || bytes.Contains(s, []byte("mak_")) {
			t.Fatalf("a state write holds a secret: %s", s)
		}
	}
}
