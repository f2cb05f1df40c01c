package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/planner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/render")

// goldenBase is the image URL prefix of the golden fixtures.
const goldenBase = "https://images.example.test"

var goldenDir = filepath.Join("..", "..", "testdata", "render")

// views are the renderers under golden test, by file suffix.
func views() map[string]Renderer {
	return map[string]Renderer{
		"human.txt":      &Human{},
		"human-ansi.txt": &Human{Color: true},
		"json":           JSON{},
		"md":             &Markdown{},
		"junit.xml":      JUnit{},
		"html":           &HTML{},
		"github.txt":     &GitHubAnnotations{Dir: "assets-spec"},
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name+".golden")
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./planner/render -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; -update rewrites it):\n%s", name, diff)
	}
}

// loadPlanFixtures reads the plans that the planner's own golden test
// makes from its fixture specs (testdata/plan), kept here as snapshots of
// their JSON documents in testdata/render/input, so that every view is
// tested over the plans `plan` makes too.
func loadPlanFixtures(t *testing.T) map[string]*planner.Plan {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(goldenDir, "input", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no plan fixtures in %s: %v", filepath.Join(goldenDir, "input"), err)
	}
	out := map[string]*planner.Plan{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var p planner.Plan
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[strings.TrimSuffix(filepath.Base(path), ".json")] = &p
	}
	return out
}

// TestJSONRoundTrip checks that the JSON view of a plan-fixture snapshot
// reproduces the snapshot: the document decodes into the plan model and
// encodes back byte for byte.
func TestJSONRoundTrip(t *testing.T) {
	for name, p := range loadPlanFixtures(t) {
		want, err := os.ReadFile(filepath.Join(goldenDir, "input", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := (JSON{}).Render(&got, p); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), got.String()); diff != "" {
			t.Errorf("%s (-snapshot +rendered):\n%s", name, diff)
		}
	}
}

func TestGolden(t *testing.T) {
	plans := fixturePlans(goldenBase)
	for name, p := range loadPlanFixtures(t) {
		plans[name] = p
	}
	for _, pname := range slices.Sorted(maps.Keys(plans)) {
		for _, vname := range slices.Sorted(maps.Keys(views())) {
			t.Run(pname+"."+vname, func(t *testing.T) {
				var buf bytes.Buffer
				if err := views()[vname].Render(&buf, plans[pname]); err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(buf.Bytes(), []byte(canary)) || bytes.Contains(buf.Bytes(), []byte("pat_OLD")) {
					t.Fatalf("the output holds the sensitive value")
				}
				checkGolden(t, pname+"."+vname, buf.Bytes())
			})
		}
	}
}

func TestHumanNoColorHasNoEscapes(t *testing.T) {
	for name, p := range fixturePlans(goldenBase) {
		var buf bytes.Buffer
		if err := (&Human{}).Render(&buf, p); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(buf.Bytes(), []byte("\x1b")) {
			t.Errorf("%s: uncolored output holds an escape sequence", name)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	tests := map[string]struct {
		plan *planner.Plan
		want string
	}{
		"design example": {
			plan: summarize(&planner.Plan{Tasks: []*planner.TaskPlan{
				{Address: "task.a", Action: planner.ActionGenerate, Status: planner.StatusNotCreated},
				{Address: "task.b", Action: planner.ActionUpdate, Status: planner.StatusCompleted, Cost: amt("0.0125")},
				{Address: "task.c", Action: planner.ActionUpdate, Status: planner.StatusCompleted, Cost: amt("0.0125")},
				{Address: "task.d", Action: planner.ActionNone, Status: planner.StatusCompleted, Cost: amt("0.0125")},
			}}),
			want: "Plan: 1 to generate, 0 to replace, 2 to update, 0 to forget. Cost: $0.0375 over 3 tasks. Estimate: $0.00 for 0 tasks to create, plus 1 task of unknown price.",
		},
		"priced and unpriced": {
			plan: summarize(&planner.Plan{Tasks: []*planner.TaskPlan{
				{Address: "task.a", Action: planner.ActionGenerate, Status: planner.StatusNotCreated, Estimate: amt("0.025")},
				{Address: "task.b", Action: planner.ActionReplace, Status: planner.StatusCompleted, Cost: amt("0.0125"), Estimate: amt("0.0125")},
				{Address: "task.c", Action: planner.ActionGenerate, Status: planner.StatusNotCreated},
				{Address: "task.d", Action: planner.ActionAdopt, Status: planner.StatusCompleted, Cost: amt("0.0125")},
			}}),
			want: "Plan: 2 to generate, 1 to adopt, 1 to replace, 0 to update, 0 to forget. Cost: $0.025 over 2 tasks. Estimate: $0.0375 for 2 tasks to create, plus 1 task of unknown price.",
		},
		"adopt shown": {
			plan: summarize(&planner.Plan{Tasks: []*planner.TaskPlan{
				{Address: "task.a", Action: planner.ActionAdopt, Status: planner.StatusCompleted, Cost: amt("0.0125")},
			}}),
			want: "Plan: 0 to generate, 1 to adopt, 0 to replace, 0 to update, 0 to forget. Cost: $0.0125 over 1 task.",
		},
		"empty": {
			plan: summarize(&planner.Plan{}),
			want: "Plan: 0 to generate, 0 to replace, 0 to update, 0 to forget. Cost: $0.00 over 0 tasks.",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, summaryLine(tc.plan)); diff != "" {
				t.Error(diff)
			}
			if tc.plan.Summary.Estimate.Unpriced > 0 {
				var unpriced []string
				for _, tp := range tc.plan.Tasks {
					if (tp.Action == planner.ActionGenerate || tp.Action == planner.ActionReplace) && tp.Estimate == nil {
						unpriced = append(unpriced, tp.Address)
					}
				}
				want := strings.TrimSuffix(tc.want, ".") + " (" + strings.Join(unpriced, ", ") + ")."
				if diff := cmp.Diff(want, humanSummaryLine(tc.plan)); diff != "" {
					t.Errorf("human summary line names the unpriced tasks (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestJSONShape decodes the document generically and checks the contract:
// arrays never null, error null or string, amounts with eight places,
// sensitive values hidden.
func TestJSONShape(t *testing.T) {
	for name, p := range fixturePlans(goldenBase) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := (JSON{}).Render(&buf, p); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) || !bytes.HasPrefix(buf.Bytes(), []byte("{\n  \"format_version\": \"1\",")) {
				t.Fatalf("not one indented document ending in a newline:\n%s", buf.String())
			}
			dec := json.NewDecoder(&buf)
			dec.UseNumber()
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if _, err := dec.Token(); !errors.Is(err, io.EOF) {
				t.Fatalf("more than one JSON value: %v", err)
			}
			for _, key := range []string{"tasks", "diagnostics", "checks"} {
				if _, ok := doc[key].([]any); !ok {
					t.Errorf("%s is %T, want an array", key, doc[key])
				}
			}
			summary := doc["summary"].(map[string]any)
			checkAmount(t, "summary.cost", summary["cost"], false)
			for _, raw := range doc["tasks"].([]any) {
				task := raw.(map[string]any)
				addr := task["address"].(string)
				for _, key := range []string{"images", "changes", "checks", "files"} {
					if _, ok := task[key].([]any); !ok {
						t.Errorf("%s: %s is %T, want an array", addr, key, task[key])
					}
				}
				if e := task["error"]; e != nil {
					if _, ok := e.(string); !ok {
						t.Errorf("%s: error is %T", addr, e)
					}
				}
				checkAmount(t, addr+".cost", task["cost"], true)
				for _, im := range task["images"].([]any) {
					checkAmount(t, addr+".images[].cost", im.(map[string]any)["cost"], true)
				}
				for _, c := range task["changes"].([]any) {
					c := c.(map[string]any)
					if c["sensitive"] == true && (c["before"] != sensitiveText || c["after"] != sensitiveText) {
						t.Errorf("%s: sensitive change printed: %v", addr, c)
					}
				}
			}
		})
	}
}

func checkAmount(t *testing.T, what string, v any, nullable bool) {
	t.Helper()
	if v == nil && nullable {
		return
	}
	s, ok := v.(string)
	if !ok {
		t.Errorf("%s is %T, want a string", what, v)
		return
	}
	if i := strings.IndexByte(s, '.'); i < 0 || len(s)-i-1 != 8 {
		t.Errorf("%s = %q, want eight decimal places", what, s)
	}
}

// TestMarkdownLimit renders plans of 10,000 tasks and checks that the
// report stays under the limit and names every failing task.
func TestMarkdownLimit(t *testing.T) {
	tests := map[string]struct {
		tasks, failEvery int
		nameAll          bool
	}{
		"no failures":          {10000, 0, true},
		"one in ten fails":     {10000, 10, true},
		"one in five fails":    {10000, 5, true},
		"small, one in 3 fail": {300, 3, true},
		// 10,000 addresses cannot fit in 65,536 characters: the list is cut
		// with a count, and the verdict still says how many fail.
		"every task fails": {10000, 1, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := bigPlan(tc.tasks, tc.failEvery)
			var buf bytes.Buffer
			if err := (&Markdown{}).Render(&buf, p); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if len(out) > DefaultMarkdownLimit {
				t.Fatalf("the report is %d bytes, over the limit of %d", len(out), DefaultMarkdownLimit)
			}
			first, _, _ := strings.Cut(out, "\n")
			if !strings.Contains(first, summaryLine(p)) {
				t.Errorf("the first line lacks the summary: %q", first)
			}
			if !strings.Contains(out, "**Total cost:** "+p.Summary.Cost.Dollars()) {
				t.Errorf("the total cost is missing")
			}
			failing := p.FailingTasks()
			if tc.failEvery > 0 && !strings.HasPrefix(first, "❌") {
				t.Errorf("verdict %q, want a failure", first)
			}
			if !strings.Contains(first, plural.Count(len(failing), "failing task")) && len(failing) > 0 {
				t.Errorf("the verdict does not count the failing tasks: %q", first)
			}
			if tc.nameAll {
				for _, ft := range failing {
					if !strings.Contains(out, ft.Address) {
						t.Fatalf("failing task %s is not named", ft.Address)
					}
				}
			} else if !strings.Contains(out, "more failing") {
				t.Errorf("a cut list must say how many are left out")
			}
			t.Logf("%d tasks, %d failing: %d bytes", tc.tasks, len(failing), len(out))
		})
	}
}

// TestMarkdownSmallLimit checks every level of collapsing on the mixed
// plan with limits from generous to tiny.
func TestMarkdownSmallLimit(t *testing.T) {
	p := mixedPlan(goldenBase)
	for _, limit := range []int{100000, 6000, 3000, 1500, 900, 400} {
		var buf bytes.Buffer
		if err := (&Markdown{Limit: limit}).Render(&buf, p); err != nil {
			t.Fatal(err)
		}
		if buf.Len() > limit {
			t.Errorf("limit %d: %d bytes", limit, buf.Len())
		}
		if !strings.HasPrefix(buf.String(), "❌ **mynthform plan failed**") {
			t.Errorf("limit %d: the verdict is gone:\n%s", limit, buf.String())
		}
		if limit >= 900 {
			for _, ft := range p.FailingTasks() {
				if !strings.Contains(buf.String(), ft.Address) {
					t.Errorf("limit %d: %s is not named:\n%s", limit, ft.Address, buf.String())
				}
			}
		}
	}
}

// TestJUnitWellFormed decodes the JUnit document back and checks the
// counts and a failure message.
func TestJUnitWellFormed(t *testing.T) {
	p := mixedPlan(goldenBase)
	// Characters XML cannot hold, and markup, in a message.
	p.Tasks[0].Checks = append(p.Tasks[0].Checks, failed("size", "bad \x00\x1b size <img src=x> & \"quotes\" ]]>"))
	var buf bytes.Buffer
	if err := (JUnit{}).Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, buf.String())
		}
	}
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	wantTests := len(p.Checks)
	for _, tk := range p.Tasks {
		wantTests += 1 + len(tk.Checks)
	}
	wantTests += len(failuresOf(p, planner.FailureDiagnostic))
	if s.Tests != wantTests || len(s.Cases) != wantTests {
		t.Errorf("tests = %d (%d cases), want %d", s.Tests, len(s.Cases), wantTests)
	}
	var failedNames []string
	for _, c := range s.Cases {
		if c.Failure != nil {
			failedNames = append(failedNames, c.ClassName+" "+c.Name)
		}
	}
	sort.Strings(failedNames)
	want := []string{
		"task.banner size", "task.banner task",
		"task.broken error: Task could not be read", "task.broken task",
		"task.hero_mug max_cost", "task.hero_mug task",
		"task.pinned task",
		"task.poster file", "task.poster task",
		"task.storm status", "task.storm task",
	}
	if diff := cmp.Diff(want, failedNames); diff != "" {
		t.Errorf("failed test cases (-want +got):\n%s", diff)
	}
	for _, c := range s.Cases {
		if c.ClassName == "task.hero_mug" && c.Name == "max_cost" && c.Failure.Message != "cost $0.0125 is over max_cost $0.01" {
			t.Errorf("max_cost failure message %q", c.Failure.Message)
		}
		if c.ClassName == "task.slow" && c.Name == "status" && c.Skipped == nil {
			t.Errorf("a pending check must be skipped")
		}
	}
}

// TestHTMLParses parses the page and checks its structure: no external
// scripts or stylesheets, a card per task, images, failed checks, and no
// markup from the plan's values.
func TestHTMLParses(t *testing.T) {
	p := mixedPlan(goldenBase)
	var buf bytes.Buffer
	if err := (&HTML{}).Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var cards, imgs, failedChecks, bolds int
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			switch n.Data {
			case "script":
				if attr["src"] != "" {
					t.Errorf("external script %q", attr["src"])
				}
			case "link":
				t.Errorf("external resource <link href=%q>", attr["href"])
			case "img":
				imgs++
				if !strings.HasPrefix(attr["src"], goldenBase+"/images/") {
					t.Errorf("image src %q", attr["src"])
				}
			case "article":
				cards++
			case "li":
				if attr["class"] == "failed" {
					failedChecks++
				}
			case "b":
				bolds++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if cards != len(p.Tasks) {
		t.Errorf("%d cards, want %d", cards, len(p.Tasks))
	}
	wantImgs := 0
	for _, tk := range p.Tasks {
		wantImgs += succeededImages(tk)
	}
	if imgs != wantImgs {
		t.Errorf("%d images, want %d", imgs, wantImgs)
	}
	if failedChecks != 3 {
		t.Errorf("%d failed checks highlighted, want 3", failedChecks)
	}
	if bolds != 0 {
		t.Errorf("markup from a prompt was not escaped")
	}
	if bytes.Contains(buf.Bytes(), []byte(canary)) {
		t.Errorf("the page holds the secret")
	}
}

func TestHTMLEmbedsSavedFiles(t *testing.T) {
	dir := t.TempDir()
	png := testPNG(t, 64, 48, 0)
	if err := os.MkdirAll(filepath.Join(dir, "assets", "products"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assets", "products", "mug.webp"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	// Too big to embed, and outside the spec directory: both linked.
	if err := os.WriteFile(filepath.Join(dir, "assets", "fox-1.png"), bytes.Repeat([]byte{0}, EmbedMaxFile+1), 0o644); err != nil {
		t.Fatal(err)
	}
	p := mixedPlan(goldenBase)
	p.Tasks[0].Images[0].File = "../outside.png"
	var buf bytes.Buffer
	if err := (&HTML{Dir: dir}).Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, `src="data:image/png;base64,`); n != 1 {
		t.Errorf("%d embedded images, want 1", n)
	}
	if strings.Contains(out, `src="`+goldenBase+`/images/img_prodmug.png"`) {
		t.Errorf("the saved file should replace the URL")
	}
	if !strings.Contains(out, `src="`+goldenBase+`/images/img_fox1.png"`) {
		t.Errorf("a file over the limit should be linked")
	}
}

func TestGitHubEscaping(t *testing.T) {
	p := summarize(&planner.Plan{Tasks: []*planner.TaskPlan{{
		Address: `task.x["a,b:c"]`, ID: "tsk_1", Action: planner.ActionNone, Status: planner.StatusCompleted,
		Checks: []planner.Check{failed("size", "100% wrong\r\nsecond line: a, b")},
		Range:  rng("dir,odd:name.mynth.hcl", 4, 9),
	}}})
	var buf bytes.Buffer
	if err := (&GitHubAnnotations{}).Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	want := "::error file=dir%2Codd%3Aname.mynth.hcl,line=4,endLine=9,title=mynthform%3A task.x[\"a%2Cb%3Ac\"] size check failed::100%25 wrong%0D%0Asecond line: a, b\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Error(diff)
	}
}

func TestGitHubAnnotationLimit(t *testing.T) {
	var buf bytes.Buffer
	if err := (GitHubAnnotations{}).Render(&buf, bigPlan(100, 4)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != GitHubAnnotationLimit {
		t.Fatalf("%d annotations, want %d:\n%s", len(lines), GitHubAnnotationLimit, buf.String())
	}
	if want := "::error title=mynthform%3A 16 more::16 more errors; the job summary and `mynthform plan` list them all."; lines[9] != want {
		t.Errorf("last line %q, want %q", lines[9], want)
	}
}

func TestGitHubStepSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(path, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ann bytes.Buffer
	p := mixedPlan(goldenBase)
	if err := GitHub(&ann, path, p, "specs/web"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "earlier step\n❌ **mynthform plan failed**") {
		t.Errorf("the summary was not appended:\n%.200s", got)
	}
	if !strings.Contains(ann.String(), "::error file=specs/web/main.mynth.hcl,line=1,endLine=10,") {
		t.Errorf("annotations:\n%s", ann.String())
	}
}

func TestRepoRelative(t *testing.T) {
	ws := t.TempDir()
	tests := []struct{ dir, ws, want string }{
		{filepath.Join(ws, "specs", "web"), ws, "specs/web"},
		{ws, ws, ""},
		{"specs", "", "specs"},
		{filepath.Join(ws, "..", "elsewhere"), ws, filepath.ToSlash(filepath.Clean(filepath.Join(ws, "..", "elsewhere")))},
	}
	for _, tc := range tests {
		if got := RepoRelative(tc.dir, tc.ws); got != tc.want {
			t.Errorf("RepoRelative(%q, %q) = %q, want %q", tc.dir, tc.ws, got, tc.want)
		}
	}
}

// failingWriter fails every write, to prove that errors are returned.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	p := mixedPlan(goldenBase)
	for name, v := range views() {
		if err := v.Render(failingWriter{}, p); err == nil {
			t.Errorf("%s: no error from a failing writer", name)
		}
	}
}

func BenchmarkRender10k(b *testing.B) {
	p := bigPlan(10000, 10)
	for _, name := range slices.Sorted(maps.Keys(views())) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := views()[name].Render(io.Discard, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestJSONIsTheIndentingEncoders: the JSON view, which indents its
// compact encoding in one pass, writes exactly what an Encoder with
// SetIndent writes, on the fixtures and on a large plan.
func TestJSONIsTheIndentingEncoders(t *testing.T) {
	for _, p := range []*planner.Plan{mixedPlan(goldenBase), bigPlan(300, 7), {}} {
		var got bytes.Buffer
		if err := (JSON{}).Render(&got, p); err != nil {
			t.Fatal(err)
		}
		doc, err := newJSONDoc(p)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("the JSON view differs from the indenting encoder:\n%s", cmp.Diff(want.String(), got.String()))
		}
	}
}
