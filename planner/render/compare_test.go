package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/state"
)

// stateTask is a state record of a completed task with one image per id.
func stateTask(t testing.TB, base, id, prompt string, imageIDs ...string) *state.Task {
	t.Helper()
	r := mynth.Request{Prompt: &mynth.Prompt{Positive: prompt}, Model: flash}
	res := mynth.Result{Model: flash, Images: []mynth.Image{}}
	total := mynth.Amount{}
	for _, im := range imageIDs {
		c := mynth.MustParseAmount("0.0125")
		res.Images = append(res.Images, mynth.Image{Status: mynth.ImageSucceeded, ID: im, URL: base + "/images/" + im + ".png", Size: "1024x1024", Cost: &c})
		total = total.Add(c)
	}
	res.Cost = &mynth.Cost{Images: total, Total: total}
	rq, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return &state.Task{ID: id, Status: mynth.StatusCompleted, Request: rq, Result: rs}
}

// comparisonFixture is a base state and a branch (state and plan) with a
// task of every kind: unchanged, replaced and applied on the branch,
// replaced and to be generated, removed (gone from the state, and
// forgotten by the plan), added and applied, added and to be generated.
func comparisonFixture(t testing.TB, base string) (baseState, branchState *state.File, p *planner.Plan) {
	baseState = state.New("test")
	baseState.Tasks = map[string]*state.Task{
		"task.hero":     stateTask(t, base, "tsk_HERO", "Editorial product photo of a ceramic mug", "img_hero"),
		"task.poster":   stateTask(t, base, "tsk_POSTER_OLD", "Retro travel poster of Porto, bold flat colours", "img_poster_old"),
		"task.banner":   stateTask(t, base, "tsk_BANNER", "Wide banner of a mountain lake at dawn", "img_banner_old"),
		"task.old_logo": stateTask(t, base, "tsk_LOGO", "A flat logo of a fox", "img_logo"),
		"task.icon":     stateTask(t, base, "tsk_ICON", "Flat app icon of a paper plane", "img_icon"),
	}
	baseState.Tasks["task.poster"].Files = []state.SavedFile{{Path: "assets/poster.png", ImageID: "img_poster_old", SHA256: strings.Repeat("0", 64)}}
	branchState = state.New("test")
	branchState.Tasks = map[string]*state.Task{
		"task.hero":     baseState.Tasks["task.hero"],
		"task.poster":   stateTask(t, base, "tsk_POSTER_NEW", "Retro travel poster of Lisbon, bold flat colours", "img_poster_new"),
		"task.banner":   baseState.Tasks["task.banner"],
		"task.icon":     baseState.Tasks["task.icon"],
		"task.new_card": stateTask(t, base, "tsk_CARD", "A greeting card with a <b>bold</b> sun", "img_card"),
	}
	p = summarize(&planner.Plan{Tasks: []*planner.TaskPlan{
		{Address: "task.banner", ID: "tsk_BANNER", Action: planner.ActionReplace, Status: planner.StatusCompleted,
			Cost: amt("0.0125"), Estimate: amt("0.0125"), Request: req("Wide banner of a mountain lake at dusk, soft mist", "", flash, "landscape"),
			Images: []planner.Image{img(base, "img_banner_old", "1536x1024", "0.0125")}, Checks: []planner.Check{}},
		{Address: "task.hero", ID: "tsk_HERO", Action: planner.ActionNone, Status: planner.StatusCompleted, Cost: amt("0.0125"),
			Request: req("Editorial product photo of a ceramic mug", "", flash, ""),
			Images:  []planner.Image{img(base, "img_hero", "1024x1024", "0.0125")}, Checks: []planner.Check{}},
		{Address: "task.icon", ID: "tsk_ICON", Action: planner.ActionForget, Status: planner.StatusCompleted, Cost: amt("0.0125"),
			Images: []planner.Image{img(base, "img_icon", "1024x1024", "0.0125")}, Checks: []planner.Check{}},
		{Address: "task.new_card", ID: "tsk_CARD", Action: planner.ActionNone, Status: planner.StatusCompleted, Cost: amt("0.0125"),
			Request: req("A greeting card with a <b>bold</b> sun", "", flash, ""),
			Images:  []planner.Image{img(base, "img_card", "1024x1024", "0.0125")}, Checks: []planner.Check{}},
		{Address: "task.poster", ID: "tsk_POSTER_NEW", Action: planner.ActionNone, Status: planner.StatusCompleted, Cost: amt("0.0125"),
			Request: req("Retro travel poster of Lisbon, bold flat colours", "", flash, ""),
			Images:  []planner.Image{{ID: "img_poster_new", Status: "succeeded", URL: base + "/images/img_poster_new.png", Size: "1024x1536", Cost: amt("0.0125"), File: "assets/poster.png"}},
			Files:   []planner.FileStatus{{Path: "assets/poster.png", State: "ok", ImageID: "img_poster_new"}},
			Checks:  []planner.Check{}},
		{Address: `task.product["bowl"]`, Action: planner.ActionGenerate, Status: planner.StatusNotCreated,
			Request: req("Studio photo of a stoneware bowl", "", flash, "square"), Images: []planner.Image{}, Checks: []planner.Check{}},
	}})
	return baseState, branchState, p
}

func TestCompare(t *testing.T) {
	baseState, branchState, p := comparisonFixture(t, goldenBase)
	c := planner.Compare(baseState, branchState, p, nil)
	var got []string
	for _, ct := range c.Tasks {
		got = append(got, ct.Change+" "+ct.Address)
	}
	want := []string{"replaced task.banner", "replaced task.poster", "added task.new_card", `added task.product["bowl"]`, "removed task.icon", "removed task.old_logo"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	s := c.Summary
	if s.Added != 2 || s.Replaced != 2 || s.Removed != 2 || s.Unchanged != 1 || s.Unpriced != 1 {
		t.Errorf("summary %+v", s)
	}
	// Before: five recorded tasks at $0.0125. After: hero, new_card,
	// poster recorded, banner's estimate; bowl unpriced.
	if s.CostBefore.String() != "0.06250000" || s.CostAfter.String() != "0.05000000" || s.CostChange.String() != "-0.01250000" {
		t.Errorf("cost %s → %s (%s)", s.CostBefore, s.CostAfter, s.CostChange)
	}
	for _, ct := range c.Tasks {
		if ct.Address == "task.poster" {
			if ct.Before.Prompt != "Retro travel poster of Porto, bold flat colours" || ct.After.Prompt != "Retro travel poster of Lisbon, bold flat colours" {
				t.Errorf("poster prompts %q → %q", ct.Before.Prompt, ct.After.Prompt)
			}
			if len(ct.Before.Images) != 1 || ct.Before.Images[0].ID != "img_poster_old" || ct.After.Images[0].ID != "img_poster_new" {
				t.Errorf("poster images %v → %v", ct.Before.Images, ct.After.Images)
			}
		}
	}
}

func TestComparisonGolden(t *testing.T) {
	baseState, branchState, p := comparisonFixture(t, goldenBase)
	c := planner.Compare(baseState, branchState, p, nil)
	for name, r := range map[string]ComparisonRenderer{"md": &Markdown{}, "html": &HTML{}, "json": JSON{}} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := r.RenderComparison(&buf, c); err != nil {
				t.Fatal(err)
			}
			if name != "json" && bytes.Contains(buf.Bytes(), []byte("<b>bold</b>")) {
				t.Errorf("a prompt's markup was not escaped")
			}
			checkGolden(t, "compare."+name, buf.Bytes())
		})
	}
}

// TestComparisonHTMLUsesVerifiedFiles embeds the branch's saved file, and
// never the base's record of the same path: the file now holds the new
// image, whose hash is not the one the base recorded. With BaseDir (the
// base branch's checkout) the base's own file is embedded, checked by its
// hash.
func TestComparisonHTMLUsesVerifiedFiles(t *testing.T) {
	dir := t.TempDir()
	png := testPNG(t, 40, 30, 7)
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assets", "poster.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(png)
	baseState, branchState, p := comparisonFixture(t, goldenBase)
	branchState.Tasks["task.poster"].Files = []state.SavedFile{{Path: "assets/poster.png", ImageID: "img_poster_new", SHA256: hex.EncodeToString(sum[:])}}
	oldPNG := testPNG(t, 40, 30, 8)
	oldSum := sha256.Sum256(oldPNG)
	baseState.Tasks["task.poster"].Files = []state.SavedFile{{Path: "assets/poster.png", ImageID: "img_poster_old", SHA256: hex.EncodeToString(oldSum[:])}}
	c := planner.Compare(baseState, branchState, p, nil)
	srcs := comparisonSrcs(t, &HTML{Dir: dir}, c)
	if !strings.HasPrefix(srcs["After img_poster_new"], "data:image/png;base64,") {
		t.Errorf("the branch's saved file is not embedded: %.80s", srcs["After img_poster_new"])
	}
	if srcs["Before img_poster_old"] != goldenBase+"/images/img_poster_old.png" {
		t.Errorf("the base image must keep its URL (its file was overwritten): %.80s", srcs["Before img_poster_old"])
	}
	// The base branch's checkout (BaseDir) holds the base's poster: it is
	// embedded, the base's bytes, never the branch's; a file there with
	// other bytes is not.
	baseDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(baseDir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(baseDir, "assets", "poster.png"), oldPNG, 0o644); err != nil {
		t.Fatal(err)
	}
	srcs = comparisonSrcs(t, &HTML{Dir: dir, BaseDir: baseDir}, c)
	if want := "data:image/png;base64," + base64.StdEncoding.EncodeToString(oldPNG); srcs["Before img_poster_old"] != want {
		t.Errorf("the base's file in BaseDir is not embedded as the base image: %.80s", srcs["Before img_poster_old"])
	}
	if want := "data:image/png;base64," + base64.StdEncoding.EncodeToString(png); srcs["After img_poster_new"] != want {
		t.Errorf("the branch's image must come from Dir: %.80s", srcs["After img_poster_new"])
	}
	if err := os.WriteFile(filepath.Join(baseDir, "assets", "poster.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	srcs = comparisonSrcs(t, &HTML{Dir: dir, BaseDir: baseDir}, c)
	if srcs["Before img_poster_old"] != goldenBase+"/images/img_poster_old.png" {
		t.Errorf("a BaseDir file with other bytes must not be embedded: %.80s", srcs["Before img_poster_old"])
	}
}

// comparisonSrcs renders c with h and returns the src of each image by
// "side title" ("Before img_poster_old").
func comparisonSrcs(t *testing.T, h *HTML, c *planner.Comparison) map[string]string {
	t.Helper()
	var buf bytes.Buffer
	if err := h.RenderComparison(&buf, c); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	srcs := map[string]string{} // side/title → src
	var walk func(n *html.Node, side string)
	walk = func(n *html.Node, side string) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "data-side" {
					side = a.Val
				}
			}
			if n.Data == "img" {
				var title, src string
				for _, a := range n.Attr {
					switch a.Key {
					case "title":
						title = a.Val
					case "src":
						src = a.Val
					}
				}
				srcs[side+" "+title] = src
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch, side)
		}
	}
	walk(doc, "")
	return srcs
}

// TestComparisonMarkdownLimit compares 10,000 added tasks: the comment
// stays under DefaultComparisonLimit, leaves the thumbnails out first
// and says how many tasks and thumbnails it left out.
func TestComparisonMarkdownLimit(t *testing.T) {
	p := bigPlan(10000, 0)
	c := planner.Compare(state.New("test"), nil, p, nil)
	var buf bytes.Buffer
	if err := (&Markdown{}).RenderComparison(&buf, c); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if len(out) > DefaultComparisonLimit {
		t.Fatalf("%d bytes", len(out))
	}
	for _, want := range []string{"10000 added, 0 replaced, 0 removed, 0 unchanged", "10000 thumbnails left out", "more (cut to stay under the size limit"} {
		if !strings.Contains(out, want) {
			t.Errorf("the comparison lacks %q", want)
		}
	}
	if strings.Contains(out, "<img ") {
		t.Errorf("a thumbnail is left while rows are cut")
	}
	t.Logf("%d bytes", len(out))
}
