package main

import (
	"bytes"
	"context"
	"flag"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mynthform/mynthform/internal/chromium"
)

var screenshotOut = flag.String("screenshot", "", "write the screenshot of examples/ci-gate's HTML report, from a real run, to this `file` (../../docs/report.png is the README's)")

// TestE2EReportInBrowser is the README's screenshot, from a real run:
// examples/ci-gate applied against the emulator as its README says, with
// the prompt of task.card marked [[fail-image]] so that the emulator fails
// its second image (a warning there: the plan passes), its HTML report
// written by the binary and opened in headless Chromium. The page runs
// without script errors and shows every task, the warning, and the saved
// images embedded and visible (naturalWidth > 0) though the emulator that
// made them is gone; the screenshot is a real picture. With -screenshot FILE
// it is written there (docs/report.png).
func TestE2EReportInBrowser(t *testing.T) {
	bin := chromium.Find()
	if bin == "" {
		t.Log("*** NO CHROMIUM BINARY FOUND: THE REPORT SCREENSHOT TEST IS SKIPPED ***")
		t.Skip(chromium.SkipReason)
	}
	root := t.TempDir()
	copyDir(t, filepath.Join("..", "..", "examples", "ci-gate"), filepath.Join(root, "examples", "ci-gate"))
	for _, junk := range []string{".mynthform", "assets", "mynth.state.json", "mynth.state.json.backup"} {
		os.RemoveAll(filepath.Join(root, "examples", "ci-gate", junk))
	}
	spec := filepath.Join(root, "examples", "ci-gate", "main.mynth.hcl")
	src, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	const card = `"Greeting card illustration of a teapot, watercolour"`
	if !bytes.Contains(src, []byte(card)) {
		t.Fatal("the ci-gate card prompt changed; update this test")
	}
	writeFile(t, spec, bytes.Replace(src, []byte(card), []byte(`"Greeting card illustration of a teapot, watercolour [[fail-image]]"`), 1))
	mustCode(t, runBin(t, root, nil, "-C", "examples/ci-gate", "--emulator", "apply", "--auto-approve"), 0, "apply")
	mustCode(t, runBin(t, root, nil, "-C", "examples/ci-gate", "--emulator", "report", "--format", "html", "-o", "report.html"), 0, "report")
	url := "file://" + filepath.ToSlash(filepath.Join(root, "examples", "ci-gate", "report.html"))
	page, err := os.ReadFile(filepath.Join(root, "examples", "ci-gate", "report.html"))
	if err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) (string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		stdout, stderr, err := chromium.Run(ctx, bin, args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		return stdout, stderr
	}
	dom, logs := run("--window-size=1400,4000", "--dump-dom", url)
	if strings.Contains(logs, "Uncaught") || strings.Contains(logs, "SyntaxError") {
		t.Errorf("the page logged a script error:\n%s", logs)
	}
	for _, want := range []string{"Showing 2 of 2 tasks", "task.hero", "task.card", "Plan passed",
		"image 2 failed, so assets/card-2.webp cannot be saved"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// The two saved images are embedded: the page needs no server.
	if n := strings.Count(dom, `src="data:image/png;base64,`); n != 2 {
		t.Errorf("%d embedded images, want 2", n)
	}
	// The emulator that made them is gone (each run of the binary stops
	// its own): their URLs no longer load, yet the browser shows both.
	links := regexp.MustCompile(`href="(http://127\.0\.0\.1:\d+/images/[^"]+)"`).FindAllStringSubmatch(dom, -1)
	if len(links) != 2 {
		t.Errorf("%d links to the emulator's images, want 2", len(links))
	}
	for _, l := range links {
		if resp, err := http.Get(l[1]); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers (%s): the test cannot tell the saved file from the URL", l[1], resp.Status)
		}
	}
	withProbe := strings.Replace(string(page), "</body>", chromium.ImageProbe+"</body>", 1)
	probeFile := filepath.Join(t.TempDir(), "report.html")
	writeFile(t, probeFile, []byte(withProbe))
	probeDOM, _ := run("--window-size=1400,4000", "--dump-dom", "file://"+filepath.ToSlash(probeFile))
	probed, err := chromium.ProbedImages(probeDOM)
	if err != nil {
		t.Fatal(err)
	}
	if len(probed) != 2 {
		t.Errorf("%d images in the page, want 2: %v", len(probed), probed)
	}
	for _, im := range probed {
		if im.NaturalWidth <= 0 {
			t.Errorf("image %q is not visible (naturalWidth %d) now that the emulator is gone", im.Title, im.NaturalWidth)
		}
	}
	t.Logf("images: %v", probed)

	shot := filepath.Join(t.TempDir(), "report.png")
	run("--window-size=1400,1300", "--screenshot="+shot, url)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	colors := map[color.RGBA]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 5 {
		for x := b.Min.X; x < b.Max.X; x += 5 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colors[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}] = true
		}
	}
	if b.Dx() < 1000 || b.Dy() < 1000 || len(colors) < 50 {
		t.Errorf("the screenshot is %dx%d with %d colours: not the rendered page", b.Dx(), b.Dy(), len(colors))
	}
	if *screenshotOut != "" {
		if err := os.WriteFile(*screenshotOut, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
