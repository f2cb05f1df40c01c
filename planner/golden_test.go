package planner_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/plan")

const (
	goldenKey  = "mak_golden_CANARY_key"
	createdAt  = "2026-01-15T10:30:00.000Z"
	updatedAt  = "2026-01-15T10:30:12.000Z"
	gemini     = "google/gemini-3.1-flash-image"
	lampPAT    = "pat_lamp_CANARY"
	chairPAT   = "pat_chair_CANARY"
	portMasked = "http://127.0.0.1:PORT"
)

// seeder builds tasks in the API's shape and adds them to the emulator.
type seeder struct {
	t   *testing.T
	srv *mynthtest.Server
}

func (s seeder) image(id, size, cost string) mynth.Image {
	c := mynth.MustParseAmount(cost)
	return mynth.Image{Status: mynth.ImageSucceeded, ID: id, URL: s.srv.URL + "/images/" + id + ".png", Cost: &c, Size: size}
}

func result(fee string, images ...mynth.Image) *mynth.Result {
	var sum mynth.Amount
	for _, im := range images {
		if im.Cost != nil {
			sum = sum.Add(*im.Cost)
		}
	}
	cost := &mynth.Cost{Images: sum, Total: sum}
	if fee != "" {
		f := mynth.MustParseAmount(fee)
		cost.Fee, cost.Total = &f, sum.Add(f)
	}
	return &mynth.Result{Model: gemini, Images: images, Cost: cost}
}

func task(id string, status mynth.Status, req mynth.Request, res *mynth.Result) mynth.Task {
	return mynth.Task{ID: id, Status: status, Type: "image.generate", CreatedAt: createdAt, UpdatedAt: updatedAt, Request: &req, Result: res}
}

func req(prompt, size string, count int) mynth.Request {
	r := mynth.Request{Prompt: &mynth.Prompt{Positive: prompt}, Model: gemini, Count: count}
	if size != "" {
		r.Size = &mynth.Size{Preset: size}
	}
	return r
}

func (s seeder) add(key string, t mynth.Task, pat string) {
	s.t.Helper()
	if err := s.srv.Emulator.AddTask(key, t, pat); err != nil {
		s.t.Fatal(err)
	}
}

// record returns what the state records of task id as the emulator serves
// it, changed by edit.
func (s seeder) record(id string, edit func(*mynth.Task)) *state.Task {
	s.t.Helper()
	raw, ok := s.srv.Emulator.Task(id)
	if !ok {
		s.t.Fatalf("no task %s", id)
	}
	var t mynth.Task
	if err := json.Unmarshal(raw, &t); err != nil {
		s.t.Fatal(err)
	}
	t.Raw = raw
	if edit != nil {
		edit(&t)
		t.Raw = nil
	}
	rec, err := planner.StateTaskFromObserved(&t)
	if err != nil {
		s.t.Fatal(err)
	}
	return rec
}

// copyFixture copies testdata/plan/NAME into a temporary directory.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "testdata", "plan", name)
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadSpec(t *testing.T, dir string, vars ...string) *spec.Spec {
	t.Helper()
	sp, diags := spec.Load(dir, spec.LoadOptions{Vars: vars})
	if diags.HasErrors() {
		t.Fatalf("loading the fixture: %v", diags)
	}
	return sp
}

func writeFile(t *testing.T, dir, name, content string) state.SavedFile {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	return state.SavedFile{Path: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))}
}

// checkGolden renders p as human text and JSON and compares both with the
// golden files testdata/plan/NAME.{human,json}.golden, with the emulator's
// port masked. It also checks that no canary reaches either output.
func checkGolden(t *testing.T, name, url string, p *planner.Plan) {
	t.Helper()
	for _, v := range []struct {
		ext string
		r   render.Renderer
	}{{"human", &render.Human{}}, {"json", &render.JSON{}}} {
		var buf bytes.Buffer
		if err := v.r.Render(&buf, p); err != nil {
			t.Fatal(err)
		}
		got := strings.ReplaceAll(buf.String(), url, portMasked)
		if strings.Contains(got, "CANARY") {
			t.Errorf("%s %s output holds a secret:\n%s", name, v.ext, got)
		}
		path := filepath.Join("..", "testdata", "plan", name+"."+v.ext+".golden")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./planner -run %s -update)", err, t.Name())
		}
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("%s %s plan differs from %s (-want +got):\n%s", name, v.ext, path, diff)
		}
	}
}

// TestGoldenPlan plans the fixture spec, which has a task for every
// action, status, check outcome and error, against the emulator over HTTP.
func TestGoldenPlan(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	s := seeder{t, srv}
	failedImage := mynth.Image{Status: mynth.ImageFailed, Error: json.RawMessage(`{"code":"content_policy","message":"the image was blocked by the content policy"}`)}

	s.add(goldenKey, task("tsk_ADOPTED", mynth.StatusCompleted, req("Editorial product photo of a ceramic mug", "landscape", 1),
		result("", s.image("img_ADOPTED", "1536x1024", "0.0125"))), "")
	s.add(goldenKey, task("tsk_UNCHANGED", mynth.StatusCompleted, req("a stoneware bowl", "square", 0),
		result("", s.image("img_UNCHANGED", "1024x1024", "0.0125"))), "")
	s.add(goldenKey, task("tsk_REPLACED", mynth.StatusCompleted, req("a teapot", "", 0),
		result("", s.image("img_REPLACED", "1024x1024", "0.0125"))), "")
	s.add(goldenKey, task("tsk_UPDATED", mynth.StatusCompleted, req("a jug", "", 0),
		result("", s.image("img_UPDATED", "1024x1024", "0.0125"))), "")
	s.add(goldenKey, task("tsk_DRIFTED", mynth.StatusCompleted, req("a plate, as it was made", "", 0),
		result("", s.image("img_DRIFTED", "1024x1024", "0.0125"))), "")
	s.add(goldenKey, task("tsk_FAILED", mynth.StatusFailed, req("a [[fail]] saucer", "", 0), nil), "")
	s.add(goldenKey, task("tsk_PENDING", mynth.StatusPending, req("a cup still generating", "", 0), nil), "")
	s.add(goldenKey, task("tsk_IGNORED", mynth.StatusCompleted, req("a spoon", "", 0),
		result("", s.image("img_IGNORED", "1024x1024", "0.0125"))), "")
	s.add(goldenKey, task("tsk_WARNED", mynth.StatusCompleted, req("a fork", "", 2),
		result("0.001", s.image("img_WARNED0", "1024x1024", "0.0125"), s.image("img_WARNED1", "1024x1024", "0.0125"))), "")
	s.add(goldenKey, task("tsk_FAILIMG", mynth.StatusCompleted, req("two knives [[fail-image]]", "", 2),
		result("", s.image("img_FAILIMG0", "1024x1024", "0.0125"), failedImage)), "")
	// Another account's task looks missing; it is never read here.
	s.add("mak_someone_else", task("tsk_OTHER", mynth.StatusCompleted, req("theirs", "", 0), nil), "")

	dir := copyFixture(t, "fixture")
	sp := loadSpec(t, dir)
	bowl := writeFile(t, dir, "assets/unchanged.png", "the saved bowl")
	bowl.ImageID, bowl.URL = "img_UNCHANGED", srv.URL+"/images/img_UNCHANGED.png"

	st := state.New("test")
	st.Tasks["task.unchanged"] = s.record("tsk_UNCHANGED", nil)
	st.Tasks["task.unchanged"].Files = []state.SavedFile{bowl}
	st.Tasks["task.replaced"] = s.record("tsk_REPLACED", nil)
	st.Tasks["task.updated"] = s.record("tsk_UPDATED", func(t *mynth.Task) { t.Status, t.Result = mynth.StatusPending, nil })
	st.Tasks["task.drifted"] = s.record("tsk_DRIFTED", nil)
	st.Tasks["task.failed"] = s.record("tsk_FAILED", nil)
	st.Tasks["task.pending"] = s.record("tsk_PENDING", nil)
	st.Tasks["task.ignored"] = s.record("tsk_IGNORED", func(t *mynth.Task) { t.Result.Images[0].URL = "https://cdn.example/rotated.png" })
	st.Tasks["task.warned"] = s.record("tsk_WARNED", nil)
	st.Tasks["task.fail_image"] = s.record("tsk_FAILIMG", nil)
	st.Tasks["task.forgotten"] = s.record("tsk_UNCHANGED", func(t *mynth.Task) { t.ID = "tsk_FORGOTTEN" })

	api := planner.ClientAPI{Client: mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: goldenKey})}
	p, err := planner.MakePlan(context.Background(), planner.Options{Spec: sp, State: st, API: api, Refresh: true, HasAPIKey: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "fixture", srv.URL, p)

	// Every action, status and outcome is covered.
	seen := map[string]bool{}
	for _, tp := range p.Tasks {
		seen["action "+string(tp.Action)] = true
		seen["status "+string(tp.Status)] = true
		for _, c := range tp.Checks {
			seen["outcome "+string(c.Outcome)] = true
		}
		if tp.Drift {
			seen["drift"] = true
		}
		if tp.Error != nil {
			seen["error"] = true
		}
	}
	for _, want := range []string{"action generate", "action adopt", "action replace", "action update", "action forget", "action none",
		"status pending", "status completed", "status failed", "status unknown", "status not_created",
		"outcome passed", "outcome failed", "outcome pending", "drift", "error"} {
		if !seen[want] {
			t.Errorf("the fixture plan has no %s", want)
		}
	}
}

// TestGoldenPlanPATOnly plans without an API key: tasks with an
// access_token are read through it, the others fail to be read.
func TestGoldenPlanPATOnly(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	s := seeder{t, srv}
	s.add(goldenKey, task("tsk_PATONLY", mynth.StatusCompleted, req("a lamp", "", 0),
		result("", s.image("img_LAMP", "1024x1024", "0.0125"))), lampPAT)
	s.add(goldenKey, task("tsk_CHAIR", mynth.StatusCompleted, req("a chair", "", 0),
		result("0.001", s.image("img_CHAIR", "1024x1024", "0.0125"))), chairPAT)
	s.add(goldenKey, task("tsk_NOTOKEN", mynth.StatusCompleted, req("a table", "", 0), nil), "")

	dir := copyFixture(t, "patonly")
	sp := loadSpec(t, dir, "token="+lampPAT, "chair_token="+chairPAT)
	st := state.New("test")
	st.Tasks["task.recorded"] = s.record("tsk_CHAIR", nil)

	api := planner.ClientAPI{Client: mynth.NewClient(mynth.Options{BaseURL: srv.URL})}
	p, err := planner.MakePlan(context.Background(), planner.Options{Spec: sp, State: st, API: api, Refresh: true, HasAPIKey: false, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "patonly", srv.URL, p)
}

// TestGoldenPlanRequest plans the request fixture with --replace: the full
// request a generate sends (its sensitive webhook as (sensitive)) and the
// files it writes, a replacement of an unchanged task, a pinned task that
// cannot be replaced, and a forgotten task whose files stay on disk.
func TestGoldenPlanRequest(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	s := seeder{t, srv}
	s.add(goldenKey, task("tsk_AGAIN", mynth.StatusCompleted, req("a stoneware bowl", "", 0),
		result("", s.image("img_AGAIN", "1024x1024", "0.0125"))), "")
	s.add(goldenKey, task("tsk_PINNED", mynth.StatusCompleted, req("a teapot", "", 0),
		result("", s.image("img_PINNED", "1024x1024", "0.0125"))), "")

	dir := copyFixture(t, "request")
	sp := loadSpec(t, dir, "hook_token=CANARY_hook")
	bowl := writeFile(t, dir, "assets/bowl.png", "the saved bowl")
	bowl.ImageID = "img_AGAIN"
	kept := writeFile(t, dir, "assets/old-0.png", "an old image")
	kept.ImageID = "img_OLD0"
	gone := state.SavedFile{Path: "assets/old-1.png", SHA256: kept.SHA256, Size: kept.Size, ImageID: "img_OLD1"}

	st := state.New("test")
	st.Tasks["task.again"] = s.record("tsk_AGAIN", nil)
	st.Tasks["task.again"].Files = []state.SavedFile{bowl}
	st.Tasks["task.pinned"] = s.record("tsk_PINNED", nil)
	st.Tasks["task.old"] = s.record("tsk_AGAIN", func(t *mynth.Task) { t.ID = "tsk_OLD" })
	st.Tasks["task.old"].Files = []state.SavedFile{kept, gone}

	api := planner.ClientAPI{Client: mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: goldenKey})}
	p, err := planner.MakePlan(context.Background(), planner.Options{Spec: sp, State: st, API: api, Refresh: true, HasAPIKey: true, Dir: dir,
		Replace: []spec.Address{{Name: "again"}, {Name: "pinned"}, {Name: "old"}}})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "request", srv.URL, p)

	actions := map[string]planner.Action{}
	for _, tp := range p.Tasks {
		actions[tp.Address] = tp.Action
	}
	want := map[string]planner.Action{"task.full": planner.ActionGenerate, "task.again": planner.ActionReplace,
		"task.pinned": planner.ActionNone, "task.old": planner.ActionForget}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if !p.Failed() {
		t.Error("a plan that --replace's a pinned task does not fail")
	}
}

// TestGoldenPlanBudget plans the budget fixture: estimates priced from the
// state and from the spec, a task of unknown price, and a max_total that
// the estimate passes (the plan fails before anything is spent).
func TestGoldenPlanBudget(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	s := seeder{t, srv}
	s.add(goldenKey, task("tsk_RECORDED", mynth.StatusCompleted, req("a stoneware bowl", "square", 0),
		result("", s.image("img_RECORDED", "1024x1024", "0.0125"))), "")
	s.add(goldenKey, task("tsk_OLDPLATE", mynth.StatusCompleted, req("a plate", "square", 0),
		result("", s.image("img_OLDPLATE", "1024x1024", "0.04"))), "")

	dir := copyFixture(t, "budget")
	sp := loadSpec(t, dir)
	st := state.New("test")
	st.Tasks["task.recorded"] = s.record("tsk_RECORDED", nil)
	st.Tasks["task.replaced"] = s.record("tsk_OLDPLATE", func(t *mynth.Task) { t.UpdatedAt = createdAt })

	api := planner.ClientAPI{Client: mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: goldenKey})}
	p, err := planner.MakePlan(context.Background(), planner.Options{Spec: sp, State: st, API: api, Refresh: true, HasAPIKey: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "budget", srv.URL, p)

	want := planner.Estimate{Total: mynth.MustParseAmount("0.0615"), Priced: 3, Unpriced: 1}
	if diff := cmp.Diff(want, p.Summary.Estimate, cmp.Comparer(func(a, b mynth.Amount) bool { return a.Cmp(b) == 0 })); diff != "" {
		t.Errorf("estimate (-want +got):\n%s", diff)
	}
	outcomes := map[string]planner.Outcome{}
	for _, c := range p.Checks {
		outcomes[string(c.Name)] = c.Outcome
	}
	if diff := cmp.Diff(map[string]planner.Outcome{"budget": planner.OutcomeFailed, "budget_spent": planner.OutcomePassed, "budget_unpriced": planner.OutcomeFailed}, outcomes); diff != "" {
		t.Errorf("budget checks (-want +got):\n%s", diff)
	}
	if len(p.BudgetRefusal()) != 1 {
		t.Errorf("apply is not refused: %+v", p.BudgetRefusal())
	}
}
