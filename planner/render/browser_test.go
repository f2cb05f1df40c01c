package render

import (
	"bytes"
	"context"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mynthform/mynthform/internal/chromium"
)

// testPNG draws a small landscape (sky, sun, two hills) whose colours
// depend on seed, so that every image differs.
func testPNG(t testing.TB, w, h int, seed uint32) []byte {
	t.Helper()
	hue := float64(seed%360) / 360
	sky1 := hsl(hue, 0.65, 0.72)
	sky2 := hsl(math.Mod(hue+0.08, 1), 0.55, 0.9)
	sun := hsl(math.Mod(hue+0.5, 1), 0.9, 0.65)
	hill1 := hsl(math.Mod(hue+0.33, 1), 0.45, 0.45)
	hill2 := hsl(math.Mod(hue+0.38, 1), 0.5, 0.3)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	phase := float64(seed%97) / 10
	for y := range h {
		f := float64(y) / float64(h)
		sky := mix(sky1, sky2, f)
		for x := range w {
			fx := float64(x) / float64(w)
			c := sky
			dx, dy := fx-0.7, f-0.35
			if dx*dx+dy*dy*float64(h*h)/float64(w*w) < 0.01 {
				c = sun
			}
			if f > 0.62+0.08*math.Sin(fx*5+phase) {
				c = hill1
			}
			if f > 0.78+0.06*math.Sin(fx*7+phase*1.7+1) {
				c = hill2
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mix(a, b color.RGBA, f float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(float64(x)*(1-f) + float64(y)*f) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

func hsl(h, s, l float64) color.RGBA {
	q := l * (1 + s)
	if l >= 0.5 {
		q = l + s - l*s
	}
	p := 2*l - q
	conv := func(t float64) uint8 {
		t = math.Mod(t+1, 1)
		var v float64
		switch {
		case t < 1.0/6:
			v = p + (q-p)*6*t
		case t < 0.5:
			v = q
		case t < 2.0/3:
			v = p + (q-p)*(2.0/3-t)*6
		default:
			v = p
		}
		return uint8(math.Round(v * 255))
	}
	return color.RGBA{conv(h + 1.0/3), conv(h), conv(h - 1.0/3), 255}
}

// imageServer serves a distinct real PNG at /images/<id>.png and records
// which were fetched.
type imageServer struct {
	*httptest.Server
	mu      sync.Mutex
	fetched map[string]bool
}

func newImageServer(t *testing.T) *imageServer {
	s := &imageServer{fetched: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutPrefix(r.URL.Path, "/images/")
		if !ok || !strings.HasSuffix(id, ".png") {
			http.NotFound(w, r)
			return
		}
		id = strings.TrimSuffix(id, ".png")
		hsh := fnv.New32a()
		hsh.Write([]byte(id))
		wd, ht := 480, 360
		if strings.Contains(id, "fox") || strings.Contains(id, "poster") {
			wd, ht = 300, 420
		}
		body := testPNG(t, wd, ht, hsh.Sum32())
		s.mu.Lock()
		s.fetched[id] = true
		s.mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *imageServer) wasFetched(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetched[id]
}

// runChromium runs headless Chromium (chromium.Run) and returns its
// standard output and error; a failure to run fails the test.
func runChromium(t *testing.T, bin string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	stdout, stderr, err := chromium.Run(ctx, bin, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	return stdout, stderr
}

// TestHTMLInBrowser renders the mixed plan's report in headless Chromium,
// with its images served by a local server, and checks that the page runs
// without script errors, loads every image and shows the failed checks;
// then it takes a screenshot and checks that it is a real picture.
func TestHTMLInBrowser(t *testing.T) {
	bin := chromium.Find()
	if bin == "" {
		t.Log("*** NO CHROMIUM BINARY FOUND: THE BROWSER TEST OF THE HTML REPORT IS SKIPPED ***")
		t.Skip(chromium.SkipReason)
	}
	srv := newImageServer(t)
	p := mixedPlan(srv.URL)
	var page bytes.Buffer
	if err := (&HTML{}).Render(&page, p); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(file)

	t.Run("dom", func(t *testing.T) {
		dom, logs := runChromium(t, bin, "--window-size=1400,4000", "--dump-dom", url)
		if strings.Contains(logs, "Uncaught") || strings.Contains(logs, "SyntaxError") {
			t.Errorf("the page logged a script error:\n%s", logs)
		}
		// The script ran: it wrote the count of shown tasks.
		if want := "Showing 12 of 12 tasks"; !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %q: the filter script did not run", want)
		}
		for _, tk := range p.Tasks {
			for _, im := range tk.Images {
				if im.URL == "" {
					continue
				}
				if !strings.Contains(dom, `src="`+im.URL+`"`) {
					t.Errorf("the DOM lacks the image %s", im.URL)
				}
				if !srv.wasFetched(im.ID) {
					t.Errorf("the browser did not load the image %s", im.ID)
				}
			}
		}
		for _, msg := range []string{"cost $0.0125 is over max_cost $0.01", "the task failed; completed expected", "assets/poster.png was modified since apply saved it"} {
			if !strings.Contains(dom, msg) {
				t.Errorf("the DOM lacks the failed check %q", msg)
			}
		}
		if n := strings.Count(dom, `<li class="failed">`); n != 3 {
			t.Errorf("%d failed checks highlighted, want 3", n)
		}
		if strings.Contains(dom, canary) {
			t.Errorf("the page holds the secret")
		}
	})

	t.Run("filter from the link", func(t *testing.T) {
		dom, logs := runChromium(t, bin, "--window-size=1400,2000", "--dump-dom", url+"#filter=failing&q=task.st")
		if strings.Contains(logs, "Uncaught") {
			t.Errorf("the page logged a script error:\n%s", logs)
		}
		// Failing tasks whose text holds "task.st": task.storm only.
		if want := "Showing 1 of 12 tasks"; !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %q", want)
		}
		if n := strings.Count(dom, `<article class="card failing" data-status="failed"`); n != 1 {
			t.Errorf("task.storm's card: %d", n)
		}
		if n := strings.Count(dom, " hidden=\"\">"); n != 11 {
			t.Errorf("%d hidden cards, want 11", n)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(t.TempDir(), "report.png")
		runChromium(t, bin, "--window-size=1400,1700", "--screenshot="+shot, url)
		data, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("the screenshot is not a PNG: %v", err)
		}
		b := img.Bounds()
		if b.Dx() < 1000 || b.Dy() < 1000 || len(data) < 50_000 {
			t.Errorf("the screenshot is %dx%d, %d bytes: too small to be the page", b.Dx(), b.Dy(), len(data))
		}
		colors := map[color.RGBA]bool{}
		for y := b.Min.Y; y < b.Max.Y; y += 7 {
			for x := b.Min.X; x < b.Max.X; x += 7 {
				r, g, bl, _ := img.At(x, y).RGBA()
				colors[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}] = true
			}
		}
		if len(colors) < 200 {
			t.Errorf("the screenshot has %d colours: not the rendered page", len(colors))
		}
	})
}
