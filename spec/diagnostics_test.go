package spec

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixtureDir holds one directory per fixture spec. Each marks the
// diagnostics it must produce on the line they point at, with a comment
// "# ERROR: Summary" or "# WARNING: Summary" ("|" separates several);
// "# ERROR@0: Summary" marks a diagnostic with no range. JSON has no
// comments: a JSON file's marks are in FILE.want, as "LINE: ERROR: Summary".
const fixtureDir = "../testdata/spec"

// wantDiag is a diagnostic as fixtures mark it.
type wantDiag struct {
	File     string
	Line     int
	Severity string
	Summary  string
}

var markerPattern = regexp.MustCompile(`#\s*(ERROR|WARNING)(@0)?:\s*(.+)$`)

func expectedDiagnostics(t *testing.T, dir string) []wantDiag {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.mynth.*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []wantDiag
	for _, name := range names {
		markers, fixed := name, false
		if strings.HasSuffix(name, ".json") {
			markers, fixed = name+".want", true
		}
		f, err := os.Open(markers)
		if os.IsNotExist(err) && fixed {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			text := sc.Text()
			if fixed {
				n, rest, _ := strings.Cut(text, ":")
				line, _ = strconv.Atoi(n)
				text = "#" + rest
			}
			m := markerPattern.FindStringSubmatch(text)
			if m == nil {
				continue
			}
			for _, summary := range strings.Split(m[3], "|") {
				w := wantDiag{File: filepath.Base(name), Line: line, Severity: strings.ToLower(m[1]), Summary: strings.TrimSpace(summary)}
				if m[2] != "" {
					w.File, w.Line = "", 0
				}
				out = append(out, w)
			}
		}
		f.Close()
	}
	sortDiags(out)
	return out
}

func gotDiagnostics(diags hcl.Diagnostics) []wantDiag {
	out := []wantDiag{}
	for _, d := range diags {
		w := wantDiag{Severity: "error", Summary: d.Summary}
		if d.Severity == hcl.DiagWarning {
			w.Severity = "warning"
		}
		if d.Subject != nil {
			w.File, w.Line = filepath.Base(d.Subject.Filename), d.Subject.Start.Line
		}
		out = append(out, w)
	}
	sortDiags(out)
	return out
}

func sortDiags(ds []wantDiag) {
	sort.Slice(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Summary < b.Summary
	})
}

// TestFixtureDiagnostics loads every fixture spec and compares the
// diagnostics with those its comments mark, then the rendered text with a
// golden file (go test -update rewrites them).
func TestFixtureDiagnostics(t *testing.T) {
	dirs, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		if specs, _ := filepath.Glob(filepath.Join(fixtureDir, d.Name(), "*.mynth.*")); len(specs) == 0 {
			continue // golden files of other tests
		}
		t.Run(d.Name(), func(t *testing.T) {
			dir := filepath.Join(fixtureDir, d.Name())
			want := expectedDiagnostics(t, dir)
			if want == nil {
				want = []wantDiag{}
			}
			sp, diags := Load(dir, LoadOptions{})
			if sp == nil || sp.Files == nil {
				t.Fatal("Load returned no Spec or no Files")
			}
			if diff := cmp.Diff(want, gotDiagnostics(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			for _, dg := range diags {
				if dg.Subject == nil {
					continue
				}
				if !strings.HasSuffix(strings.TrimSpace(dg.Detail), ".") {
					t.Errorf("%s: detail does not end a sentence: %q", dg.Summary, dg.Detail)
				}
			}
			var buf bytes.Buffer
			w := hcl.NewDiagnosticTextWriter(&buf, sp.Files, 100, false)
			if err := w.WriteDiagnostics(diags); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join(dir, "diagnostics.golden"), buf.Bytes())
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestResuggest checks that hcl's own "Did you mean" in its schema
// diagnostics is replaced by suggest's, among the names hcl looks among,
// and that its other hints and unknown wordings are kept.
func TestResuggest(t *testing.T) {
	schema := &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "files"}, {Name: "id"}, {Name: "size"}, {Name: "prompt"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "expect"}, {Type: "output"}},
	}
	set := &hcl.BodyContent{Attributes: hcl.Attributes{"prompt": &hcl.Attribute{Name: "prompt"}}}
	for name, tc := range map[string]struct {
		summary, detail, want string
	}{
		"nearest, not hcl's first": {"Unsupported argument", `An argument named "sizes" is not expected here. Did you mean "files"?`, `An argument named "sizes" is not expected here. Did you mean "size"?`},
		"hcl's too far":            {"Unsupported argument", `An argument named "xy" is not expected here. Did you mean "id"?`, `An argument named "xy" is not expected here.`},
		"ours where hcl had none":  {"Unsupported argument", `An argument named "fiels" is not expected here.`, `An argument named "fiels" is not expected here. Did you mean "files"?`},
		"set already":              {"Unsupported argument", `An argument named "promtp" is not expected here.`, `An argument named "promtp" is not expected here.`},
		"block hint kept":          {"Unsupported argument", `An argument named "expect" is not expected here. Did you mean to define a block of type "expect"?`, `An argument named "expect" is not expected here. Did you mean to define a block of type "expect"?`},
		"block":                    {"Unsupported block type", `Blocks of type "exepct" are not expected here.`, `Blocks of type "exepct" are not expected here. Did you mean "expect"?`},
		"block, not an attribute":  {"Unsupported block type", `Blocks of type "sizes" are not expected here.`, `Blocks of type "sizes" are not expected here.`},
		"json property":            {"Extraneous JSON object property", `No argument or block type is named "ouptut". Did you mean "output"?`, `No argument or block type is named "ouptut". Did you mean "output"?`},
		"json too far":             {"Extraneous JSON object property", `No argument or block type is named "xy". Did you mean "id"?`, `No argument or block type is named "xy".`},
		"unknown wording":          {"Unsupported argument", `Something else about "sizes".`, `Something else about "sizes".`},
	} {
		t.Run(name, func(t *testing.T) {
			if got := resuggest(tc.summary, tc.detail, schema, set); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
