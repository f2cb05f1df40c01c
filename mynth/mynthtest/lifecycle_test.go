package mynthtest_test

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// fakeClock is a clock that tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func getTask(t *testing.T, base, key, id string) mynth.Task {
	t.Helper()
	r := call(t, "GET", base+"/tasks/"+id, key, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /tasks/%s: %d %s", id, r.Status, r.Body)
	}
	var task mynth.Task
	if err := json.Unmarshal(r.Body, &task); err != nil {
		t.Fatalf("decoding task: %v\n%s", err, r.Body)
	}
	return task
}

func TestLifecycleDelay(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)}
	srv := mynthtest.NewServer(t, mynthtest.Options{Delay: 10 * time.Second, Clock: clock.Now})
	id, _ := created(t, srv.URL, alice, `{"prompt":"a mug","size":"portrait","count":3}`)

	task := getTask(t, srv.URL, alice, id)
	if task.Status != mynth.StatusPending || task.Result != nil {
		t.Fatalf("fresh task: status %s, result %v", task.Status, task.Result)
	}
	if task.CreatedAt != "2026-01-02T03:04:05.006Z" || task.UpdatedAt != task.CreatedAt {
		t.Errorf("times %s %s", task.CreatedAt, task.UpdatedAt)
	}
	if r := call(t, "GET", srv.URL+"/tasks/"+id+"/results", alice, ""); string(r.Body) != `{"images":[]}` {
		t.Errorf("results while pending: %s", r.Body)
	}
	clock.Add(9999 * time.Millisecond)
	if s := getTask(t, srv.URL, alice, id).Status; s != mynth.StatusPending {
		t.Fatalf("before the delay: %s", s)
	}
	clock.Add(time.Millisecond)
	task = getTask(t, srv.URL, alice, id)
	if task.Status != mynth.StatusCompleted {
		t.Fatalf("after the delay: %s", task.Status)
	}
	if task.UpdatedAt != "2026-01-02T03:04:15.006Z" {
		t.Errorf("updatedAt %s", task.UpdatedAt)
	}
	if n := len(task.Result.Succeeded()); n != 3 {
		t.Fatalf("%d images succeeded, want 3", n)
	}
	ids := map[string]bool{}
	for _, im := range task.Result.Images {
		if im.Size != "1024x1536" || im.Cost.String() != "0.01250000" {
			t.Errorf("image %+v", im)
		}
		ids[im.ID] = true
	}
	if len(ids) != 3 {
		t.Errorf("image ids not distinct: %v", ids)
	}
	if got := task.Result.Cost.Images.String() + " " + task.Result.Cost.Total.String(); got != "0.03750000 0.03750000" {
		t.Errorf("cost %s", got)
	}
	// Settled is settled: the same answer on every read.
	again := call(t, "GET", srv.URL+"/tasks/"+id, alice, "")
	clock.Add(time.Hour)
	third := call(t, "GET", srv.URL+"/tasks/"+id, alice, "")
	if !bytes.Equal(again.Body, third.Body) {
		t.Errorf("task changed after settling:\n%s\n%s", again.Body, third.Body)
	}
}

func TestFailureRules(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	tests := []struct {
		name, body string
		status     mynth.Status
		images     []mynth.ImageStatus
		total      string
	}{
		{"plain", `{"prompt":"a mug","count":2}`, mynth.StatusCompleted,
			[]mynth.ImageStatus{mynth.ImageSucceeded, mynth.ImageSucceeded}, "0.02500000"},
		{"fail", `{"prompt":"a mug [[fail]]","count":2}`, mynth.StatusFailed, nil, ""},
		{"fail in the negative prompt", `{"prompt":{"positive":"a mug","negative":"[[fail]]"}}`, mynth.StatusFailed, nil, ""},
		{"fail-image", `{"prompt":"a mug [[fail-image]]","count":3,"model":"black-forest-labs/flux.2-dev"}`, mynth.StatusCompleted,
			[]mynth.ImageStatus{mynth.ImageSucceeded, mynth.ImageSucceeded, mynth.ImageFailed}, "0.01600000"},
		{"fail-image, one image", `{"prompt":"[[fail-image]] a mug"}`, mynth.StatusCompleted,
			[]mynth.ImageStatus{mynth.ImageFailed}, "0.00000000"},
		{"pending", `{"prompt":"a mug [[pending]]"}`, mynth.StatusPending, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, _ := created(t, srv.URL, alice, tc.body)
			task := getTask(t, srv.URL, alice, id)
			if task.Status != tc.status {
				t.Fatalf("status %s, want %s", task.Status, tc.status)
			}
			if tc.images == nil {
				if task.Result != nil {
					t.Fatalf("unexpected result %+v", task.Result)
				}
				return
			}
			var got []mynth.ImageStatus
			for _, im := range task.Result.Images {
				got = append(got, im.Status)
				if im.Status == mynth.ImageFailed && im.ErrorMessage() == "" {
					t.Errorf("failed image without an error")
				}
			}
			if diff := cmp.Diff(tc.images, got); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
			if s := task.Result.Cost.Total.String(); s != tc.total {
				t.Errorf("total %s, want %s", s, tc.total)
			}
		})
	}
}

func TestSizesAndPrices(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	tests := []struct {
		size, want, price string
		model             string
		auto              bool
	}{
		{`"square"`, "1024x1024", "0.01250000", "", false},
		{`"landscape"`, "1536x1024", "0.01250000", "auto", false},
		{`"portrait"`, "1024x1536", "0.00800000", "black-forest-labs/flux.2-dev", false},
		{`"instagram"`, "1080x1350", "0.02000000", "xai/grok-imagine-image", false},
		{`"auto"`, "1024x1024", "0.01250000", "acme/unknown", true},
		{`"640x480"`, "640x480", "0.01250000", "", false},
		{`{"type":"resolution","width":800,"height":600}`, "800x600", "0.01250000", "", false},
		{`{"type":"aspect_ratio","aspectRatio":"4:5","scale":"1k"}`, "819x1024", "0.01250000", "", false},
		{`{"type":"aspect_ratio","aspectRatio":"16:9","scale":"2k"}`, "2048x1152", "0.01250000", "", false},
		{`{"type":"auto","prefer":"landscape"}`, "1536x1024", "0.01250000", "", true},
		{``, "1024x1024", "0.01250000", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.size+tc.model, func(t *testing.T) {
			body := `{"prompt":"x"`
			if tc.size != "" {
				body += `,"size":` + tc.size
			}
			if tc.model != "" {
				body += `,"model":"` + tc.model + `"`
			}
			id, _ := created(t, srv.URL, alice, body+"}")
			task := getTask(t, srv.URL, alice, id)
			im := task.Result.Images[0]
			if im.Size != tc.want || im.Cost.String() != tc.price {
				t.Errorf("size %s cost %s, want %s %s", im.Size, im.Cost, tc.want, tc.price)
			}
			if auto := len(task.Result.SizeAuto) > 0; auto != tc.auto {
				t.Errorf("size_auto %s, want present=%v", task.Result.SizeAuto, tc.auto)
			}
			wantModel := tc.model
			if wantModel == "" || wantModel == "auto" {
				wantModel = mynthtest.DefaultModel
			}
			if task.Result.Model != wantModel {
				t.Errorf("model %s, want %s", task.Result.Model, wantModel)
			}
		})
	}
}

func TestImages(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	id1, _ := created(t, srv.URL, alice, `{"prompt":"one","size":"landscape","count":2}`)
	id2, _ := created(t, srv.URL, bob, `{"prompt":"two","size":"33x17"}`)
	var urls []string
	var sizes [][2]int
	for _, tc := range []struct {
		key, id string
		w, h    int
	}{{alice, id1, 1536, 1024}, {bob, id2, 33, 17}} {
		for _, im := range getTask(t, srv.URL, tc.key, tc.id).Result.Images {
			urls = append(urls, im.URL)
			sizes = append(sizes, [2]int{tc.w, tc.h})
		}
	}
	seen := map[string]bool{}
	for i, u := range urls {
		r := call(t, "GET", u, "", "")
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("GET %s: %d %s", u, r.Status, r.Header.Get("Content-Type"))
		}
		img, err := png.Decode(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatalf("%s does not decode: %v", u, err)
		}
		if b := img.Bounds(); b.Dx() != sizes[i][0] || b.Dy() != sizes[i][1] {
			t.Errorf("%s is %v, want %v", u, b, sizes[i])
		}
		if seen[string(r.Body)] {
			t.Errorf("%s is the same image as another", u)
		}
		seen[string(r.Body)] = true
		if again := call(t, "GET", u, "", ""); !bytes.Equal(again.Body, r.Body) {
			t.Errorf("%s changed between two reads", u)
		}
	}
}

func BenchmarkRenderPNG(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		if _, err := mynthtest.RenderPNG("img_bench"+string(rune('a'+i%26)), 1536, 1024); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHandlerBaseURL serves a bare handler: image links take the request's
// host.
func TestHandlerBaseURL(t *testing.T) {
	e, err := mynthtest.New(mynthtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	id, _ := created(t, srv.URL, alice, `{"prompt":"x"}`)
	u := getTask(t, srv.URL, alice, id).Result.Images[0].URL
	if !strings.HasPrefix(u, srv.URL+"/images/") {
		t.Errorf("image URL %s, want it under %s", u, srv.URL)
	}
	if r := call(t, "GET", u, "", ""); r.Status != 200 {
		t.Errorf("GET %s: %d", u, r.Status)
	}
}

func TestPriceTable(t *testing.T) {
	got := map[string]string{}
	for m, p := range mynthtest.PriceTable() {
		got[m] = p.String()
	}
	want := map[string]string{
		"google/gemini-3.1-flash-image": "0.01250000",
		"black-forest-labs/flux.2-dev":  "0.00800000",
		"xai/grok-imagine-image":        "0.02000000",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("price table (-want +got):\n%s", diff)
	}
	for model, price := range map[string]string{"auto": "0.01250000", "": "0.01250000", "acme/x": mynthtest.DefaultPrice} {
		if p := mynthtest.PriceOf(model).String(); p != price {
			t.Errorf("PriceOf(%q) = %s, want %s", model, p, price)
		}
	}
}

// TestStoreWriteFailure: a store that cannot be written fails New, and a
// creation whose store write fails answers 500.
func TestStoreWriteFailure(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mynthtest.New(mynthtest.Options{StorePath: filepath.Join(file, "emulator.json")}); err == nil {
		t.Error("New with a store under a file succeeded")
	}
	store := filepath.Join(dir, "sub", "emulator.json")
	srv := mynthtest.NewServer(t, mynthtest.Options{StorePath: store})
	if err := os.RemoveAll(filepath.Dir(store)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Dir(store), nil, 0o644); err != nil { // the directory is now a file
		t.Fatal(err)
	}
	r := call(t, "POST", srv.URL+"/image/generate", alice, `{"prompt":"x"}`)
	if r.Status != http.StatusInternalServerError || !strings.Contains(string(r.Body), "internal_error") {
		t.Errorf("creation with a broken store: %d %s", r.Status, r.Body)
	}
}

// TestRenderPNGIsAGrid: the emulator's picture is what the README says, a
// grid of flat rectangles, 3 to 7 rows by 2 to 8 columns, and the grid
// differs from image to image.
func TestRenderPNGIsAGrid(t *testing.T) {
	shapes := map[[2]int]bool{}
	for i := range 40 {
		id := "img_grid" + strings.Repeat("x", i)
		data, err := mynthtest.RenderPNG(id, 320, 200)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		same := func(x0, y0, x1, y1 int) bool { return img.At(x0, y0) == img.At(x1, y1) }
		// A row (column) boundary is where any pixel differs from the
		// one above (to the left).
		var rows, cols []int
		for y := 1; y < b.Dy(); y++ {
			for x := range b.Dx() {
				if !same(x, y, x, y-1) {
					rows = append(rows, y)
					break
				}
			}
		}
		for x := 1; x < b.Dx(); x++ {
			for y := range b.Dy() {
				if !same(x, y, x-1, y) {
					cols = append(cols, x)
					break
				}
			}
		}
		nr, nc := len(rows)+1, len(cols)+1
		if nr < 3 || nr > 7 || nc < 2 || nc > 8 {
			t.Errorf("%s: %d rows by %d columns", id, nr, nc)
		}
		// Each cell is flat: every pixel is the colour of its cell's
		// top-left corner.
		top := func(bounds []int, v int) int {
			at := 0
			for _, s := range bounds {
				if s <= v {
					at = s
				}
			}
			return at
		}
		for y := range b.Dy() {
			for x := range b.Dx() {
				if !same(x, y, top(cols, x), top(rows, y)) {
					t.Fatalf("%s: pixel (%d,%d) differs from its cell", id, x, y)
				}
			}
		}
		shapes[[2]int{nr, nc}] = true
	}
	if len(shapes) < 5 {
		t.Errorf("40 images make only %d grid shapes: %v", len(shapes), shapes)
	}
}
