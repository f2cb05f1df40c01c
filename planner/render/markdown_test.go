package render

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/mynthform/mynthform/planner"
)

// imgTags parses the HTML of markdown text and returns the attributes of
// every element it holds, which must all be <img>.
func imgTags(t *testing.T, md string) []map[string]string {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(md), &html.Node{Type: html.ElementNode, Data: "td", DataAtom: atom.Td})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			if n.Data != "img" {
				t.Errorf("an element <%s %v> in the report", n.Data, attr)
			}
			out = append(out, attr)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return out
}

// cells splits a markdown table row at its unescaped pipes.
func cells(row string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row):
			cur.WriteByte(row[i])
			cur.WriteByte(row[i+1])
			i++
		case row[i] == '|':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(row[i])
		}
	}
	return append(out, cur.String())
}

// TestMarkdownThumbnails gives images hostile URLs and checks that only
// absolute http(s) URLs without credentials become thumbnails, that each
// is one <img> with the URL as its src, and that every table row keeps its
// cells.
func TestMarkdownThumbnails(t *testing.T) {
	urls := map[string]bool{
		"https://cdn.example.test/a.png":                  true,
		"http://127.0.0.1:8080/images/b.png?x=1&y=2":      true,
		"https://cdn.example.test/c|d`e.png":              true,
		`https://cdn.example.test/"onerror="alert(1).png`: true,
		"https://cdn.example.test/<script>.png":           true,
		"javascript:alert(1)":                             false,
		"data:image/png;base64,AAAA":                      false,
		"/images/relative.png":                            false,
		"ftp://cdn.example.test/x.png":                    false,
		"https://user:secret@cdn.example.test/x.png":      false,
		"https://cdn.example.test/a b.png":                false,
		"https://cdn.example.test/a\n.png":                false,
		"https:///nohost.png":                             false,
		"":                                                false,
	}
	var images []planner.Image
	i := 0
	for u := range urls {
		images = append(images, planner.Image{ID: fmt.Sprintf("img_%d\"<b>|", i), Status: "succeeded", URL: u})
		i++
	}
	images = append(images, planner.Image{ID: "img_failed", Status: "failed", URL: "https://cdn.example.test/failed.png"})
	p := summarize(&planner.Plan{Tasks: []*planner.TaskPlan{{
		Address: "task.x", ID: "tsk_1", Action: planner.ActionUpdate, Status: planner.StatusCompleted,
		Images: images, Checks: []planner.Check{passed("status", "completed")},
	}}})
	var buf bytes.Buffer
	if err := (&Markdown{}).Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	var got []string
	for _, a := range imgTags(t, out) {
		if diff := cmp.Diff([]string{"alt", "src", "width"}, slices.Sorted(maps.Keys(a))); diff != "" {
			t.Errorf("attributes (-want +got):\n%s", diff)
		}
		if a["width"] != "160" {
			t.Errorf("width %q", a["width"])
		}
		got = append(got, a["src"])
	}
	var want []string
	for _, im := range images {
		if urls[im.URL] && im.Status == "succeeded" {
			// The characters that end an attribute, a cell or a tag are
			// percent-encoded; the browser asks for the same resource.
			r := strings.NewReplacer("|", "%7C", "`", "%60", `"`, "%22", "<", "%3C", ">", "%3E")
			want = append(want, r.Replace(im.URL))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("thumbnail sources (-want +got):\n%s", diff)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| `task.x`") {
			n := len(cells(line))
			if n != 4 && n != 9 { // the gallery's two cells or the task table's seven
				t.Errorf("a row with %d cells: %s", n-2, line)
			}
		}
	}
	if strings.Contains(out, "secret@") {
		t.Errorf("a URL with a password is shown")
	}
}

// quietPlan is the mixed plan with n more unchanged tasks, each with an
// image.
func quietPlan(n int) *planner.Plan {
	p := mixedPlan(goldenBase)
	for i := range n {
		p.Tasks = append(p.Tasks, &planner.TaskPlan{
			Address: fmt.Sprintf("task.quiet_%03d", i), ID: fmt.Sprintf("tsk_Q%03d", i), Action: planner.ActionNone,
			Status: planner.StatusCompleted, Cost: amt("0.0125"), RequestVerifiable: true,
			Images: []planner.Image{img(goldenBase, fmt.Sprintf("img_q%03d", i), "1024x1024", "0.0125")},
			Checks: []planner.Check{passed("status", "completed")},
		})
	}
	return summarize(p)
}

// TestMarkdownDropsQuietThumbnailsFirst sets the limit just under the full
// report: the thumbnails of the unchanged tasks, and nothing else, give
// way, and the report says how many.
func TestMarkdownDropsQuietThumbnailsFirst(t *testing.T) {
	p := quietPlan(40)
	m := Markdown{}
	full := m.build(p, mdFull, DefaultMarkdownLimit)
	var buf bytes.Buffer
	if err := (&Markdown{Limit: len(full) - 1}).Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// 40 and the mixed plan's task.product["mug"].
	if !strings.Contains(out, "41 thumbnails of unchanged tasks left out to stay under the size limit") {
		t.Errorf("the report does not say how many thumbnails it left out:\n%s", out)
	}
	if strings.Contains(out, "img_q0") || strings.Contains(out, "img_prodmug") {
		t.Errorf("a thumbnail of an unchanged task is still there")
	}
	// Everything else is as in the full report: every line of it that is
	// not a quiet thumbnail is kept, in order.
	var want []string
	for _, line := range strings.Split(full, "\n") {
		if !strings.Contains(line, "/images/img_q") && !strings.Contains(line, "/images/img_prodmug") {
			want = append(want, line)
		}
	}
	// The quiet gallery's own header goes too.
	for i := len(want) - 2; i >= 0; i-- {
		if want[i] == "| Task | Images |" {
			want = append(want[:i], want[i+2:]...)
			break
		}
	}
	got := strings.Split(out, "\n")
	j := 0
	for _, line := range got {
		if j < len(want) && line == want[j] {
			j++
		}
	}
	if j != len(want) {
		t.Errorf("line %q of the full report is missing", want[j])
	}
	for _, f := range p.Failures() {
		if !strings.Contains(out, "`"+orPlan(f.Address)+"`") {
			t.Errorf("the failure of %s is gone", f.Address)
		}
	}
	if !strings.Contains(out, "**Total cost:**") || !strings.HasPrefix(out, "❌ **mynthform plan failed**") {
		t.Errorf("the verdict or the total is gone")
	}
}

var leftOutRE = regexp.MustCompile(`(\d+) (?:more )?thumbnails?(?: of unchanged tasks| of tasks with changes or failures)? left out|\((\d+) thumbnails? left out\)`)

// TestMarkdownLimitThumbnails checks, on plans of 10,000 tasks, that the
// thumbnails shown and those said to be left out add up to every image,
// and that the gallery never pushes out a failing task.
func TestMarkdownLimitThumbnails(t *testing.T) {
	for _, failEvery := range []int{0, 10, 1} {
		t.Run(fmt.Sprintf("fail every %d", failEvery), func(t *testing.T) {
			p := bigPlan(10000, failEvery)
			var buf bytes.Buffer
			if err := (&Markdown{}).Render(&buf, p); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if len(out) > DefaultMarkdownLimit {
				t.Fatalf("%d bytes", len(out))
			}
			shown := strings.Count(out, "<img ")
			left := 0
			for _, m := range leftOutRE.FindAllStringSubmatch(out, -1) {
				n, _ := strconv.Atoi(m[1] + m[2])
				left += n
			}
			if shown+left != 10000 {
				t.Errorf("%d thumbnails shown + %d said to be left out = %d, want 10000", shown, left, shown+left)
			}
			if failEvery == 10 {
				for _, ft := range p.FailingTasks() {
					if !strings.Contains(out, ft.Address) {
						t.Fatalf("failing task %s is not named", ft.Address)
					}
				}
			}
			t.Logf("%d bytes, %d thumbnails shown, %d left out", len(out), shown, left)
		})
	}
}

// TestMarkdownBigGolden keeps the report of a 10,000-task plan (one task
// in ten failing) as a golden file.
func TestMarkdownBigGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := (&Markdown{}).Render(&buf, bigPlan(10000, 10)); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "big-10000.md", buf.Bytes())
}
