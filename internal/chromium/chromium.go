// Package chromium finds and runs headless Chromium, for the tests that
// render mynthform's HTML report in a real browser (planner/render) and
// take the README's screenshot from a real run (cmd/mynthform), and
// probes a page's images (ImageProbe). It owns nothing else: the pages and
// what is checked in them are the callers'.
package chromium

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Names are the executables Find looks for, in order.
var Names = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// SkipReason is what a test says when Find finds no browser: its test is
// skipped, and .ci/run prints a NOTE for it.
const SkipReason = "no chromium binary found (install it: apt-get install chromium; .ci/run does): the HTML report is not checked in a browser"

// Find returns the path of a Chromium binary on PATH, "" when there is
// none.
func Find() string {
	for _, name := range Names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Run runs bin headless with args, in a fresh profile under a temporary
// directory that it removes, and returns its standard output and error.
// The flags keep it off the network and deterministic: no background
// networking, no sync, no first-run dialogs, a virtual time budget for
// scripts.
func Run(ctx context.Context, bin string, args ...string) (stdout, stderr string, err error) {
	profile, err := os.MkdirTemp("", "mynthform-chromium-")
	if err != nil {
		return "", "", fmt.Errorf("chromium profile: %w", err)
	}
	defer os.RemoveAll(profile)
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
		"--hide-scrollbars", "--virtual-time-budget=10000",
	}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Dir = profile
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), errOut.String(), fmt.Errorf("chromium %v: %w", args, err)
	}
	return out.String(), errOut.String(), nil
}

// ImageProbe is a script a test adds to a page (before </body>): once the
// page has loaded, it writes one line per <img> into a <pre id="probe">,
// which --dump-dom then shows: the data-side of its closest element that
// has one ("-" when none), its title (else its alt text) and its
// naturalWidth, tab-separated. ProbedImages reads them back.
const ImageProbe = `<script>window.addEventListener('load', function () {
  var out = [];
  document.querySelectorAll('img').forEach(function (i) {
    var s = i.closest('[data-side]');
    out.push((s ? s.getAttribute('data-side') : '-') + '\t' + (i.title || i.alt) + '\t' + i.naturalWidth);
  });
  var pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = out.join('\n');
  document.body.appendChild(pre);
});</script>`

// ProbedImage is one image as ImageProbe saw it. NaturalWidth is 0 when
// the image did not load.
type ProbedImage struct {
	Side, Title  string
	NaturalWidth int
}

var probeRE = regexp.MustCompile(`(?s)<pre id="probe">(.*?)</pre>`)

// ProbedImages reads the lines ImageProbe wrote into dom (the output of
// --dump-dom), in page order.
func ProbedImages(dom string) ([]ProbedImage, error) {
	m := probeRE.FindStringSubmatch(dom)
	if m == nil {
		return nil, fmt.Errorf("the image probe did not run: no <pre id=\"probe\"> in the page")
	}
	var out []ProbedImage
	for _, line := range strings.Split(m[1], "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("image probe line %q: want 3 tab-separated fields", line)
		}
		w, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("image probe line %q: %w", line, err)
		}
		out = append(out, ProbedImage{Side: f[0], Title: f[1], NaturalWidth: w})
	}
	return out, nil
}
