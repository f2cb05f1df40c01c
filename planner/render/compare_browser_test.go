package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"hash/fnv"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/internal/chromium"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/state"
)

var compareScreenshotOut = flag.String("compare-screenshot", "", "also write the browser test's screenshot of the HTML comparison to this `file` (docs/compare.png)")

// TestComparisonInBrowser renders the comparison's HTML in headless
// Chromium, its base images served over HTTP and the branch's poster from
// its saved file only (its URL answers 404), and checks that every image
// before and after is visible (naturalWidth > 0); then it takes a
// screenshot.
func TestComparisonInBrowser(t *testing.T) {
	bin := chromium.Find()
	if bin == "" {
		t.Log("*** NO CHROMIUM BINARY FOUND: THE BROWSER TEST OF THE HTML COMPARISON IS SKIPPED ***")
		t.Skip(chromium.SkipReason)
	}
	srv := newImageServer(t)
	dir := t.TempDir()
	poster := testPNG(t, 300, 420, 42)
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assets", "poster.png"), poster, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(poster)
	baseState, branchState, p := comparisonFixture(t, srv.URL)
	branchState.Tasks["task.poster"].Files = []state.SavedFile{{Path: "assets/poster.png", ImageID: "img_poster_new", SHA256: hex.EncodeToString(sum[:])}}
	// The branch's poster URL is one that no longer loads, like an
	// emulator's after it stopped.
	for _, tk := range p.Tasks {
		if tk.Address == "task.poster" {
			tk.Images[0].URL = srv.URL + "/gone/img_poster_new.png"
		}
	}
	c := planner.Compare(baseState, branchState, p, nil)
	var page bytes.Buffer
	if err := (&HTML{Dir: dir}).RenderComparison(&page, c); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "compare.html")
	withProbe := strings.Replace(page.String(), "</body>", chromium.ImageProbe+"</body>", 1)
	if err := os.WriteFile(file, []byte(withProbe), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(file)

	dom, logs := runChromium(t, bin, "--window-size=1400,2000", "--dump-dom", url)
	if strings.Contains(logs, "Uncaught") {
		t.Errorf("the page logged a script error:\n%s", logs)
	}
	probed, err := chromium.ProbedImages(dom)
	if err != nil {
		t.Fatalf("%v:\n%.2000s", err, dom)
	}
	widths := map[string]int{}
	for _, im := range probed {
		widths[im.Side+" "+im.Title] = im.NaturalWidth
	}
	want := []string{"Before img_banner_old", "Before img_icon", "Before img_logo", "Before img_poster_old", "After img_poster_new", "After img_card"}
	for _, k := range want {
		w, ok := widths[k]
		if !ok {
			t.Errorf("no image %s in the page (%v)", k, widths)
		} else if w <= 0 {
			t.Errorf("image %s is not visible: naturalWidth %d", k, w)
		}
	}
	if len(widths) != len(want) {
		t.Errorf("%d images, want %d: %v", len(widths), len(want), widths)
	}
	if srv.wasFetched("img_poster_new") {
		t.Errorf("the saved file should have replaced the URL")
	}
	t.Logf("natural widths: %v", widths)

	shot := filepath.Join(t.TempDir(), "compare.png")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	runChromium(t, bin, "--window-size=1280,1500", "--screenshot="+shot, url)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 1000 {
		t.Errorf("the screenshot is %dx%d", b.Dx(), b.Dy())
	}
	if *compareScreenshotOut != "" {
		if err := os.WriteFile(*compareScreenshotOut, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// The README's sample comment shows the same images, small.
		imgDir := filepath.Join(filepath.Dir(*compareScreenshotOut), "compare-images")
		if err := os.MkdirAll(imgDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"img_banner_old", "img_poster_old", "img_poster_new", "img_card", "img_icon", "img_logo"} {
			h := fnv.New32a()
			h.Write([]byte(id))
			wd, ht := 160, 120
			if strings.Contains(id, "poster") {
				wd, ht = 120, 168
			}
			if err := os.WriteFile(filepath.Join(imgDir, id+".png"), testPNG(t, wd, ht, h.Sum32()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
