package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// noisyPNG returns a real PNG of w×w random pixels (noise does not
// compress, so its size grows with w).
func noisyPNG(t testing.TB, w int, seed int64) []byte {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	img := image.NewRGBA(image.Rect(0, 0, w, w))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Intn(256))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func noisyJPEG(t testing.TB, w int) []byte {
	t.Helper()
	rng := rand.New(rand.NewSource(7))
	img := image.NewRGBA(image.Rect(0, 0, w, w))
	for x := 0; x < w; x++ {
		for y := 0; y < w; y++ {
			img.Set(x, y, color.RGBA{byte(rng.Intn(256)), byte(rng.Intn(256)), byte(rng.Intn(256)), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webpBytes is a RIFF WEBP header (what the type is told by) padded to n
// bytes.
func webpBytes(n int) []byte {
	b := make([]byte, n)
	copy(b, "RIFF\x00\x00\x00\x00WEBPVP8 ")
	return b
}

func writeBytes(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFileInputs(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "mug" {
  prompt = "a mug"
  inputs = [
    { file = "refs/mug.png", role = "reference" },
    { file = "./refs/../refs/side.jpg" },
    { file = "refs/back.webp", role = "context" },
    "https://example.com/a.png",
  ]
}
`})
	pngData, jpgData := noisyPNG(t, 40, 1), noisyJPEG(t, 40)
	writeBytes(t, dir, "refs/mug.png", pngData)
	writeBytes(t, dir, "refs/side.jpg", jpgData)
	writeBytes(t, dir, "refs/back.webp", webpBytes(2048))
	sp := mustLoad(t, dir, LoadOptions{})
	task := sp.Task("task.mug")
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	want := []Input{
		{Role: "reference", File: &FileInput{Path: "refs/mug.png", SHA256: sum(pngData), Size: int64(len(pngData)), ContentType: "image/png"}},
		{File: &FileInput{Path: "refs/side.jpg", SHA256: sum(jpgData), Size: int64(len(jpgData)), ContentType: "image/jpeg"}},
		{Role: "context", File: &FileInput{Path: "refs/back.webp", SHA256: sum(webpBytes(2048)), Size: 2048, ContentType: "image/webp"}},
		{URL: "https://example.com/a.png"},
	}
	if diff := cmp.Diff(want, task.Inputs, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Range" }, cmp.Ignore())); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}
	if task.Request.Inputs != nil {
		t.Errorf("Request.Inputs = %v, want nil while files are to be uploaded", task.Request.Inputs)
	}
	if got := task.Inputs[0].Range; got.Start.Line != 5 || !strings.HasSuffix(got.Filename, "main.mynth.hcl") {
		t.Errorf("Inputs[0].Range = %v, want line 5 of main.mynth.hcl", got)
	}
}

// TestFileInputProblems tries every way a file input can be wrong and
// checks that each is one diagnostic, at the file's line, naming the file.
func TestFileInputProblems(t *testing.T) {
	outside := t.TempDir()
	writeBytes(t, outside, "secret.png", noisyPNG(t, 40, 2))
	tests := map[string]struct {
		path  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		"missing":   {path: "refs/nope.png", want: "does not exist"},
		"outside":   {path: "../secret.png", want: "leaves the spec directory"},
		"absolute":  {path: filepath.Join(outside, "secret.png"), want: "is absolute"},
		"directory": {path: "refs/", want: "names a directory"},
		"state dir": {path: ".mynthform/x.png", want: "lies in .mynthform/"},
		"spec file": {path: "main.mynth.hcl", want: "names a spec or variable file"},
		"too small": {path: "refs/tiny.png", setup: func(t *testing.T, dir string) { writeBytes(t, dir, "refs/tiny.png", noisyPNG(t, 2, 1)) }, want: "Mynth takes uploads of 1 KB (1024 bytes) to 10 MB (10485760 bytes). Use a larger image."},
		"empty":     {path: "refs/empty.png", setup: func(t *testing.T, dir string) { writeBytes(t, dir, "refs/empty.png", nil) }, want: "is 0 bytes"},
		"too large": {path: "refs/huge.webp", setup: func(t *testing.T, dir string) { writeBytes(t, dir, "refs/huge.webp", webpBytes(MaxInputFileBytes+1)) }, want: "is 10485761 bytes; Mynth takes uploads of 1 KB (1024 bytes) to 10 MB (10485760 bytes). Use a smaller image."},
		"text named png": {path: "refs/notes.png", setup: func(t *testing.T, dir string) {
			writeBytes(t, dir, "refs/notes.png", bytes.Repeat([]byte("not an image\n"), 200))
		}, want: "is not a JPEG, PNG or WEBP image by its content (it reads as text/plain"},
		"gif": {path: "refs/anim.png", setup: func(t *testing.T, dir string) {
			writeBytes(t, dir, "refs/anim.png", append([]byte("GIF89a"), make([]byte, 2000)...))
		}, want: "it reads as image/gif"},
		"symlink out": {path: "refs/link.png", setup: func(t *testing.T, dir string) {
			mkdir(t, dir, "refs")
			symlink(t, filepath.Join(outside, "secret.png"), filepath.Join(dir, "refs", "link.png"))
		}, want: "leads outside the spec directory through the symbolic link refs/link.png"},
		"directory link out": {path: "shared/secret.png", setup: func(t *testing.T, dir string) {
			symlink(t, outside, filepath.Join(dir, "shared"))
		}, want: "through the symbolic link shared"},
		"relative link out": {path: "refs/up.png", setup: func(t *testing.T, dir string) {
			mkdir(t, dir, "refs")
			symlink(t, "../../"+filepath.Base(outside)+"/secret.png", filepath.Join(dir, "refs", "up.png"))
		}, want: "leads outside the spec directory"},
		"dangling link": {path: "refs/gone.png", setup: func(t *testing.T, dir string) {
			mkdir(t, dir, "refs")
			symlink(t, "nothing-here.png", filepath.Join(dir, "refs", "gone.png"))
		}, want: "does not exist"},
		"not a file": {path: "refs/sub", setup: func(t *testing.T, dir string) { mkdir(t, dir, "refs/sub") }, want: "is not a regular file"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "mug" {
  prompt = "a mug"
  inputs = [
    { url = "https://example.com/ok.png" },
    { file = "` + strings.ReplaceAll(tt.path, `\`, `\\`) + `", role = "reference" },
  ]
}
`})
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			sp, diags := Load(dir, LoadOptions{})
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1:\n%s", len(diags), renderDiags(sp, diags))
			}
			d := diags[0]
			if d.Summary != "Invalid input file" || !strings.Contains(d.Detail, tt.want) {
				t.Errorf("diagnostic %q: %q, want %q", d.Summary, d.Detail, tt.want)
			}
			if d.Subject == nil || d.Subject.Start.Line != 6 || filepath.Base(d.Subject.Filename) != "main.mynth.hcl" {
				t.Errorf("diagnostic at %v, want line 6 of main.mynth.hcl", d.Subject)
			}
			if out := renderDiags(sp, diags); !strings.Contains(out, `{ file = "`) {
				t.Errorf("printed diagnostic has no snippet of the file line:\n%s", out)
			}
			if task := sp.Task("task.mug"); task == nil || task.Inputs != nil {
				t.Errorf("task with a bad input kept inputs: %+v", task)
			}
		})
	}
}

func mkdir(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(name)), 0o755); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
}

// TestFileInputSymlinkInside: a link that stays in the spec directory is
// followed, and the file is the one it leads to.
func TestFileInputSymlinkInside(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "mug" {
  prompt = "a mug"
  inputs = [{ file = "refs/current.png" }]
}
`})
	data := noisyPNG(t, 40, 3)
	writeBytes(t, dir, "refs/v2.png", data)
	symlink(t, "v2.png", filepath.Join(dir, "refs", "current.png"))
	sp := mustLoad(t, dir, LoadOptions{})
	f := sp.Task("task.mug").Inputs[0].File
	if f.Path != "refs/current.png" || f.Size != int64(len(data)) {
		t.Errorf("File = %+v", f)
	}
}

const chainSpec = `
locals {
  products = { mug = "a mug", bowl = "a bowl" }
}
task "sketch" {
  prompt = "a sketch"
  count  = 2
  files  = ["out/s0.png", "out/s1.png"]
}
task "final" {
  prompt = "final"
  inputs = [
    { url = task.sketch.images[1].url, role = "init" },
    "https://example.com/style.png",
  ]
}
task "product" {
  for_each = local.products
  prompt   = each.value
  inputs   = [{ url = "${task.sketch.images[0].url}", role = "reference" }]
}
task "variant" {
  for_each = local.products
  prompt   = "variant of ${each.value}"
  inputs   = [{ url = task.product[each.key].images[0].url, role = "init" }, task.product["mug"].images[0].url]
}
task "from_file" {
  prompt = "from the saved file"
  inputs = [{ file = task.sketch.files[1], role = "context" }]
}
`

func TestReferences(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": chainSpec})
	sp := mustLoad(t, dir, LoadOptions{})
	ignoreRange := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Range" }, cmp.Ignore())
	wantInputs := map[string][]Input{
		"task.final": {
			{Role: "init", Ref: &Ref{Address: "task.sketch", Attr: RefImageURL, Index: 1}},
			{URL: "https://example.com/style.png"},
		},
		`task.product["bowl"]`: {{Role: "reference", Ref: &Ref{Address: "task.sketch", Attr: RefImageURL}}},
		`task.variant["bowl"]`: {
			{Role: "init", Ref: &Ref{Address: `task.product["bowl"]`, Attr: RefImageURL}},
			{Ref: &Ref{Address: `task.product["mug"]`, Attr: RefImageURL}},
		},
		"task.from_file": {{Role: "context", File: &FileInput{Path: "out/s1.png", From: &Ref{Address: "task.sketch", Attr: RefFile, Index: 1}}}},
	}
	for addr, want := range wantInputs {
		if diff := cmp.Diff(want, sp.Task(addr).Inputs, ignoreRange); diff != "" {
			t.Errorf("%s inputs (-want +got):\n%s", addr, diff)
		}
	}
	wantEdges := []string{
		"task.final -> task.sketch",
		"task.from_file -> task.sketch",
		`task.product["bowl"] -> task.sketch`,
		`task.product["mug"] -> task.sketch`,
		`task.variant["bowl"] -> task.product["bowl"]`,
		`task.variant["bowl"] -> task.product["mug"]`,
		`task.variant["mug"] -> task.product["mug"]`,
	}
	var edges []string
	for _, e := range sp.Graph.Edges() {
		edges = append(edges, e.Down+" -> "+e.Up)
	}
	if diff := cmp.Diff(wantEdges, edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	wantOrder := []string{"task.sketch", "task.final", "task.from_file", `task.product["bowl"]`, `task.product["mug"]`, `task.variant["bowl"]`, `task.variant["mug"]`}
	if diff := cmp.Diff(wantOrder, sp.Graph.Order()); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if got := sp.Task("task.final").Inputs[0].Ref.String(); got != "task.sketch.images[1].url" {
		t.Errorf("Ref.String() = %q", got)
	}
	if got := sp.Task(`task.variant["mug"]`).Upstream(); !cmp.Equal(got, []string{`task.product["mug"]`}) {
		t.Errorf("Upstream() = %q", got)
	}
}

// TestReferenceProblems checks each wrong reference is one diagnostic at
// its line, with the fix.
func TestReferenceProblems(t *testing.T) {
	tests := map[string]struct {
		task    string
		summary string
		detail  string
	}{
		"missing task":     {`inputs = [{ url = task.skecth.images[0].url }]`, "Reference to undeclared task", `No task named "skecth" is declared. Did you mean "sketch"?`},
		"index past count": {`inputs = [{ url = task.sketch.images[2].url }]`, "Image index out of range", "task.sketch makes 2 image(s) (count = 2), so images[2] does not exist"},
		"missing key":      {`inputs = [{ url = task.product["mgu"].images[0].url }]`, "Reference to undeclared task instance", `task.product has no instance "mgu". Did you mean "mug"? Its keys are "bowl", "mug". Use one of them, or add "mgu" to its for_each.`},
		// Two of three letters changed is another word, not a typo.
		"unlike key":             {`inputs = [{ url = task.product["cup"].images[0].url }]`, "Reference to undeclared task instance", `task.product has no instance "cup". Its keys are "bowl", "mug". Use one of them, or add "cup" to its for_each.`},
		"no key":                 {`inputs = [{ url = task.product.images[0].url }]`, "Missing task instance key", `task.product["bowl"].images[0].url`},
		"bad attr":               {`inputs = [{ url = task.sketch.image[0].url }]`, "Unsupported task attribute", `task.sketch offers images[N].url, for an input's url, and files[N], for an input's file. Did you mean "images"?`},
		"no files":               {`inputs = [{ file = task.plain.files[0] }]`, "Task saves no files", "task.plain declares no files"},
		"file index":             {`inputs = [{ file = task.sketch.files[5] }]`, "File index out of range", "task.sketch saves 2 file(s)"},
		"id as url":              {`inputs = [{ url = task.sketch.id }]`, "Invalid input URL", "a task id, not an image URL; an input is an image. Take the task's image instead: task.sketch.images[0].url."},
		"id bare":                {`inputs = [task.product["mug"].id]`, "Invalid input URL", `inputs[0] is task.product["mug"].id, a task id`},
		"id as file":             {`inputs = [{ file = task.plain.id }]`, "Invalid input file", "inputs[0].file is task.plain.id, a task id, not a file path; an input is an image. Take the task's image instead: url = task.plain.images[0].url."},
		"no instances":           {`inputs = [{ url = task.none["a"].images[0].url }]`, "Reference to a task with no instances", `task "none" is declared, but its for_each is empty, so task.none has no instances and the instance "a" does not exist.`},
		"no instances, computed": {`inputs = [for k in ["a"] : task.none[k].images[0].url]`, "Reference to a task with no instances", "so task.none has no instances and an instance does not exist"},
		"file as url":            {`inputs = [{ url = task.sketch.files[0] }]`, "Invalid input URL", "Write file = task.sketch.files[0]"},
		"url as file":            {`inputs = [{ file = task.sketch.images[0].url }]`, "Invalid input file", "which is not a file path"},
		"text around":            {`inputs = [{ url = "${task.sketch.images[0].url}?w=512" }]`, "Invalid input reference", "takes the reference alone"},
		"two refs":               {`inputs = [{ url = "${task.sketch.images[0].url}${task.sketch.images[1].url}" }]`, "Invalid input reference", "several references"},
		"both":                   {`inputs = [{ url = "https://a/b.png", file = "x.png" }]`, "Conflicting input", "sets both url and file"},
		"neither":                {`inputs = [{ role = "init" }]`, "Missing input source", "has neither url nor file"},
		"bad role":               {`inputs = [{ url = task.sketch.images[0].url, role = "inti" }]`, "Invalid input role", `Did you mean "init"?`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
locals {
  products = { mug = "a mug", bowl = "a bowl" }
}
task "sketch" {
  prompt = "a sketch"
  count  = 2
  files  = ["out/s0.png", "out/s1.png"]
}
task "plain" {
  prompt = "no files"
}
task "product" {
  for_each = local.products
  prompt   = each.value
}
task "bad" {
  prompt = "p"
  ` + tt.task + `
}
task "none" {
  for_each = toset([])
  prompt   = each.value
}
`})
			sp, diags := Load(dir, LoadOptions{})
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1:\n%s", len(diags), renderDiags(sp, diags))
			}
			d := diags[0]
			if d.Summary != tt.summary || !strings.Contains(d.Detail, tt.detail) {
				t.Errorf("got %q: %q\nwant %q: …%q…", d.Summary, d.Detail, tt.summary, tt.detail)
			}
			if d.Subject == nil || d.Subject.Start.Line != 19 {
				t.Errorf("diagnostic at %v, want line 19", d.Subject)
			}
		})
	}
}

// TestReferenceToBrokenForEach: a task whose for_each cannot be evaluated
// has that one error; the inputs that refer to it add no "not declared".
func TestReferenceToBrokenForEach(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "broken" {
  for_each = 3
  prompt   = "p"
}
task "final" {
  prompt = "f"
  inputs = [task.broken["a"].images[0].url]
}
`})
	_, diags := Load(dir, LoadOptions{})
	if diff := cmp.Diff([]string{"Invalid for_each argument"}, summaries(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestTaskReferenceOutsideInputs(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "sketch" {
  prompt = "a sketch"
}
task "final" {
  prompt = "from ${task.sketch.id}"
}
`})
	_, diags := Load(dir, LoadOptions{})
	if diff := cmp.Diff([]string{"Task reference outside inputs"}, summaries(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// TestCycles: a cycle of three names all three tasks, in the order their
// references run; a task that takes from itself is a cycle too; the
// tasks off the cycle are not blamed.
func TestCycles(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "a" {
  prompt = "a"
  inputs = [{ url = task.c.images[0].url }]
}
task "b" {
  prompt = "b"
  inputs = [{ url = task.a.images[0].url }]
}
task "c" {
  prompt = "c"
  inputs = [{ url = task.b.images[0].url }]
}
task "selfish" {
  prompt = "s"
  inputs = [task.selfish.images[0].url]
}
task "free" {
  prompt = "f"
  inputs = [task.a.images[0].url]
}
`})
	sp, diags := Load(dir, LoadOptions{})
	if len(diags) != 2 {
		t.Fatalf("got %d diagnostics, want 2:\n%s", len(diags), renderDiags(sp, diags))
	}
	for _, d := range diags {
		if d.Summary != "Cycle between tasks" || d.Subject == nil {
			t.Errorf("diagnostic %q at %v", d.Summary, d.Subject)
		}
	}
	if want := "task.a → task.c → task.b → task.a"; !strings.Contains(diags[0].Detail, want) {
		t.Errorf("detail %q does not name the loop %q", diags[0].Detail, want)
	}
	if diags[0].Subject.Start.Line != 4 {
		t.Errorf("cycle reported at line %d, want 4 (task.a's inputs)", diags[0].Subject.Start.Line)
	}
	if want := "task.selfish → task.selfish"; !strings.Contains(diags[1].Detail, want) {
		t.Errorf("detail %q does not name %q", diags[1].Detail, want)
	}
	if strings.Contains(diags[0].Detail+diags[1].Detail, "task.free") {
		t.Errorf("task.free is blamed for a cycle it only hangs from")
	}
}

// TestInputsDoNotLeakSensitive: a sensitive URL is listed as sensitive
// and is not printed in a diagnostic.
func TestInputsSensitive(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "ref" {
  sensitive = true
  default   = "ftp://hunter2.example/x.png"
}
task "x" {
  prompt = "p"
  inputs = [{ url = var.ref }]
}
`})
	sp, diags := Load(dir, LoadOptions{})
	if len(diags) != 1 || strings.Contains(renderDiags(sp, diags), "hunter2") {
		t.Errorf("diagnostics leak or are wrong:\n%s", renderDiags(sp, diags))
	}
	dir = writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "ref" {
  sensitive = true
  default   = "https://hunter2.example/x.png"
}
task "x" {
  prompt = "p"
  inputs = [{ url = var.ref }]
}
`})
	sp = mustLoad(t, dir, LoadOptions{})
	if !sp.Task("task.x").Sensitive["inputs"] {
		t.Errorf("inputs not marked sensitive: %v", sp.Task("task.x").Sensitive)
	}
}
