package planner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

func amount(s string) *mynth.Amount { a := mynth.MustParseAmount(s); return &a }

// remoteTask is a completed task with n succeeded square images.
func remoteTask(id, prompt string, n int) *mynth.Task {
	res := &mynth.Result{Model: "m1", Cost: &mynth.Cost{}}
	var total mynth.Amount
	for i := range n {
		res.Images = append(res.Images, mynth.Image{Status: mynth.ImageSucceeded, ID: id + "_img" + string(rune('0'+i)),
			URL: "https://cdn/" + id + "/" + string(rune('0'+i)) + ".png", Cost: amount("0.0125"), Size: "1024x1024"})
		total = total.Add(mynth.MustParseAmount("0.0125"))
	}
	res.Cost.Images, res.Cost.Total = total, total
	return &mynth.Task{ID: id, Status: mynth.StatusCompleted, Request: &mynth.Request{Prompt: &mynth.Prompt{Positive: prompt}, Model: "m1", Size: &mynth.Size{Preset: "square"}, Count: n}, Result: res}
}

func recordOf(t *testing.T, rt *mynth.Task) *state.Task {
	t.Helper()
	st, err := StateTaskFromObserved(rt)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func specTask(addr, id, prompt string) *spec.Task {
	return &spec.Task{
		Address: addr, Name: strings.TrimPrefix(addr, "task."), ID: id,
		Request: mynth.Request{Prompt: &mynth.Prompt{Positive: prompt}, Model: "m1", Size: &mynth.Size{Preset: "square"}},
		Expect:  &spec.Expect{Status: mynth.StatusCompleted, Images: 1, Severity: spec.SeverityError},
	}
}

// summaryOf projects a plan onto what the tests compare.
type taskSummary struct {
	Address, ID string
	Action      Action
	Status      Status
	Changes     []string
	Drift       bool
	Unverified  bool
	Error       string
	Checks      []string
	Files       []string
}

func project(p *Plan) []taskSummary {
	var out []taskSummary
	for _, t := range p.Tasks {
		s := taskSummary{Address: t.Address, ID: t.ID, Action: t.Action, Status: t.Status, Drift: t.Drift, Unverified: !t.RequestVerifiable}
		for _, c := range t.Changes {
			s.Changes = append(s.Changes, c.Path)
		}
		if t.Error != nil {
			s.Error = *t.Error
		}
		for _, c := range t.Checks {
			s.Checks = append(s.Checks, string(c.Name)+"="+string(c.Outcome))
		}
		for _, f := range t.Files {
			s.Files = append(s.Files, f.Path+"="+f.State)
		}
		out = append(out, s)
	}
	return out
}

func TestMakePlanActions(t *testing.T) {
	done := remoteTask("tsk_done", "a mug", 1)
	moved := remoteTask("tsk_moved", "a bowl", 1)
	movedRecorded := *moved
	movedRecorded.Status = mynth.StatusPending
	movedRecorded.Result = nil
	pinned := remoteTask("tsk_pinned", "a cup", 1)
	drifted := remoteTask("tsk_drift", "the old prompt", 1)
	urls := remoteTask("tsk_urls", "a vase", 1)
	urlsRecorded := *remoteTask("tsk_urls", "a vase", 1)
	urlsRecorded.Result.Images[0].URL = "https://cdn/rotated.png"
	failed := remoteTask("tsk_failed", "a [[fail]] plate", 1)
	failed.Status, failed.Result = mynth.StatusFailed, nil
	pending := remoteTask("tsk_pending", "a jug", 1)
	pending.Status, pending.Result = mynth.StatusPending, nil

	api := newFakeAPI(done, moved, pinned, drifted, urls, failed, pending)
	api.errs["tsk_broken"] = errors.New("boom")

	urlsSpec := specTask("task.urls", "", "a vase")
	urlsSpec.IgnoreChanges = []string{"result.images[*].url"}
	sp := &spec.Spec{Settings: spec.Settings{Parallelism: 4}, Tasks: []*spec.Task{
		specTask("task.adopt", "tsk_pinned", "a cup"),
		specTask("task.broken", "tsk_broken", "x"),
		specTask("task.done", "", "a mug"),
		specTask("task.drift", "tsk_drift", "the new prompt"),
		specTask("task.failed", "", "a [[fail]] plate"),
		specTask("task.moved", "", "a bowl"),
		specTask("task.new", "", "a new thing"),
		specTask("task.pending", "", "a jug"),
		specTask("task.replace", "", "a changed prompt"),
		urlsSpec,
	}}
	st := &state.File{Tasks: map[string]*state.Task{
		"task.done":    recordOf(t, done),
		"task.drift":   recordOf(t, drifted),
		"task.failed":  recordOf(t, failed),
		"task.gone":    recordOf(t, remoteTask("tsk_gone", "old", 1)),
		"task.moved":   recordOf(t, &movedRecorded),
		"task.pending": recordOf(t, pending),
		"task.replace": recordOf(t, done),
		"task.urls":    recordOf(t, &urlsRecorded),
	}}
	p, err := MakePlan(context.Background(), Options{Spec: sp, State: st, API: api, Refresh: true, HasAPIKey: true, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := []taskSummary{
		{Address: "task.adopt", ID: "tsk_pinned", Action: ActionAdopt, Status: StatusCompleted, Checks: []string{"status=passed", "images=passed"}},
		{Address: "task.broken", ID: "tsk_broken", Action: ActionAdopt, Status: StatusUnknown, Unverified: true, Error: "task.broken (tsk_broken): boom"},
		{Address: "task.done", ID: "tsk_done", Action: ActionNone, Status: StatusCompleted, Checks: []string{"status=passed", "images=passed"}},
		{Address: "task.drift", ID: "tsk_drift", Action: ActionNone, Status: StatusCompleted, Drift: true, Changes: []string{"request.prompt"}, Checks: []string{"status=passed", "images=passed"}},
		{Address: "task.failed", ID: "tsk_failed", Action: ActionNone, Status: StatusFailed, Checks: []string{"status=failed", "images=failed"}},
		{Address: "task.gone", ID: "tsk_gone", Action: ActionForget, Status: StatusCompleted},
		{Address: "task.moved", ID: "tsk_moved", Action: ActionUpdate, Status: StatusCompleted, Changes: []string{"status", "result.cost", "result.images", "result.model"}, Checks: []string{"status=passed", "images=passed"}},
		{Address: "task.new", Action: ActionGenerate, Status: StatusNotCreated, Checks: []string{"status=pending", "images=pending"}},
		{Address: "task.pending", ID: "tsk_pending", Action: ActionNone, Status: StatusPending, Checks: []string{"status=pending", "images=pending"}},
		{Address: "task.replace", ID: "tsk_done", Action: ActionReplace, Status: StatusCompleted, Changes: []string{"request.prompt"}, Checks: []string{"status=pending", "images=pending"}},
		{Address: "task.urls", ID: "tsk_urls", Action: ActionNone, Status: StatusCompleted, Checks: []string{"status=passed", "images=passed"}},
	}
	if diff := cmp.Diff(want, project(p)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	wantSummary := Summary{Generate: 1, Adopt: 2, Replace: 1, Update: 1, Forget: 1, None: 5,
		Checks: CheckCounts{Passed: 10, Failed: 2, Pending: 6}, Cost: mynth.MustParseAmount("0.0875"),
		// The generate and the replace, priced from what the state recorded.
		Estimate: Estimate{Total: mynth.MustParseAmount("0.025"), Priced: 2}}
	if diff := cmp.Diff(wantSummary, p.Summary, cmp.Comparer(func(a, b mynth.Amount) bool { return a.Cmp(b) == 0 })); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if !p.Failed() || !p.HasChanges() {
		t.Errorf("Failed() = %v, HasChanges() = %v; want true, true", p.Failed(), p.HasChanges())
	}
	if got := api.peak.Load(); got > 4 {
		t.Errorf("peak concurrency %d, want at most 4", got)
	}
	for _, tp := range p.Tasks {
		if tp.Address == "task.drift" {
			want := []Change{{Path: "request.prompt", Before: "the old prompt", After: "the new prompt"}}
			if diff := cmp.Diff(want, tp.Changes); diff != "" {
				t.Errorf("drift changes (-want +got):\n%s", diff)
			}
		}
	}
}

func TestMakePlanTargets(t *testing.T) {
	sp := &spec.Spec{Tasks: []*spec.Task{
		specTask(`task.p["a"]`, "", "a"), specTask(`task.p["b"]`, "", "b"), specTask("task.pq", "", "c"), specTask("task.q", "", "d"),
	}}
	st := &state.File{Tasks: map[string]*state.Task{`task.p["z"]`: {ID: "tsk_z", Status: mynth.StatusCompleted}, "task.gone": {ID: "tsk_g"}}}
	tests := []struct {
		name              string
		targets, excludes []string
		want              []string
	}{
		{"all", nil, nil, []string{`task.gone`, `task.p["a"]`, `task.p["b"]`, `task.p["z"]`, "task.pq", "task.q"}},
		{"name selects instances", []string{"task.p"}, nil, []string{`task.p["a"]`, `task.p["b"]`, `task.p["z"]`}},
		{"one instance", []string{`task.p["b"]`}, nil, []string{`task.p["b"]`}},
		{"exclude", nil, []string{"task.p", "task.gone"}, []string{"task.pq", "task.q"}},
		{"target and exclude", []string{"task.p"}, []string{`task.p["a"]`}, []string{`task.p["b"]`, `task.p["z"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := MakePlan(context.Background(), Options{Spec: sp, State: st, Scope: spec.Scope{Targets: addresses(t, tt.targets), Excludes: addresses(t, tt.excludes)}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tp := range p.Tasks {
				got = append(got, tp.Address)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
		})
	}
}

// addresses parses each of list.
func addresses(t *testing.T, list []string) []spec.Address {
	t.Helper()
	var out []spec.Address
	for _, s := range list {
		a, err := spec.ParseAddress(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func TestMakePlanPAT(t *testing.T) {
	rt := remoteTask("tsk_pat", "a mug", 2)
	api := newFakeAPI(rt)
	api.pats["tsk_pat"] = "pat_secret_canary"
	withPAT := specTask("task.pat", "tsk_pat", "a mug")
	withPAT.AccessToken = "pat_secret_canary"
	wrongPAT := specTask("task.wrong", "tsk_pat", "a mug")
	wrongPAT.AccessToken = "pat_wrong_canary"
	sp := &spec.Spec{Tasks: []*spec.Task{withPAT, specTask("task.nokey", "tsk_pat", "a mug"), wrongPAT}}
	p, err := MakePlan(context.Background(), Options{Spec: sp, API: api, Refresh: true, HasAPIKey: false})
	if err != nil {
		t.Fatal(err)
	}
	want := []taskSummary{
		{Address: "task.nokey", ID: "tsk_pat", Action: ActionAdopt, Status: StatusUnknown, Unverified: true,
			Error: "MYNTH_API_KEY is not set and task.nokey has no access_token"},
		{Address: "task.pat", ID: "tsk_pat", Action: ActionAdopt, Status: StatusCompleted, Unverified: true, Checks: []string{"status=passed", "images=passed"}},
		{Address: "task.wrong", ID: "tsk_pat", Action: ActionAdopt, Status: StatusUnknown, Unverified: true, Error: "task.wrong (tsk_pat): task tsk_pat: unauthorized (401)"},
	}
	if diff := cmp.Diff(want, project(p)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	pat := p.Tasks[1]
	if pat.Cost == nil || pat.Cost.String() != "0.02500000" || len(pat.Images) != 2 {
		t.Errorf("PAT task: cost %v, %d images; want 0.02500000 and 2", pat.Cost, len(pat.Images))
	}
	if !strings.Contains(pat.Reason, "access_token") {
		t.Errorf("PAT task reason %q does not mention the access_token", pat.Reason)
	}
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "canary") {
		t.Errorf("plan JSON holds an access token: %s", raw)
	}
}

func TestMakePlanNoRefresh(t *testing.T) {
	rt := remoteTask("tsk_1", "a mug", 1)
	sp := &spec.Spec{Tasks: []*spec.Task{specTask("task.a", "", "a mug"), specTask("task.b", "", "changed"), specTask("task.c", "tsk_pin", "x")}}
	st := &state.File{Tasks: map[string]*state.Task{"task.a": recordOf(t, rt), "task.b": recordOf(t, rt)}}
	p, err := MakePlan(context.Background(), Options{Spec: sp, State: st, Refresh: false})
	if err != nil {
		t.Fatal(err)
	}
	want := []taskSummary{
		{Address: "task.a", ID: "tsk_1", Action: ActionNone, Status: StatusCompleted, Checks: []string{"status=passed", "images=passed"}},
		{Address: "task.b", ID: "tsk_1", Action: ActionReplace, Status: StatusCompleted, Changes: []string{"request.prompt"}, Checks: []string{"status=pending", "images=pending"}},
		{Address: "task.c", ID: "tsk_pin", Action: ActionAdopt, Status: StatusUnknown, Unverified: true, Checks: []string{"status=pending", "images=pending"}},
	}
	if diff := cmp.Diff(want, project(p)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

func TestMakePlanFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(content))
		return hex.EncodeToString(sum[:])
	}
	rt := remoteTask("tsk_f", "files", 3)
	rec := recordOf(t, rt)
	okSum := write("a/0.png", "zero")
	write("a/1.png", "tampered")
	rec.Files = []state.SavedFile{
		{Path: "a/0.png", ImageID: rt.Result.Images[0].ID, SHA256: okSum},
		{Path: "a/1.png", ImageID: rt.Result.Images[1].ID, SHA256: okSum},
		{Path: "a/2.png", ImageID: rt.Result.Images[2].ID, SHA256: okSum},
	}
	unsaved := remoteTask("tsk_u", "unsaved", 1)
	failedImg := remoteTask("tsk_fi", "x", 2)
	failedImg.Result.Images[1] = mynth.Image{Status: mynth.ImageFailed, Error: json.RawMessage(`"content policy"`)}

	mk := func(addr, id, prompt string, files ...string) *spec.Task {
		s := specTask(addr, "", prompt)
		s.Files = files
		return s
	}
	sp := &spec.Spec{Tasks: []*spec.Task{
		mk("task.f", "tsk_f", "files", "a/0.png", "a/1.png", "a/2.png"),
		mk("task.fi", "tsk_fi", "x", "b/0.png", "b/1.png"),
		mk("task.u", "tsk_u", "unsaved", "c/0.png"),
	}}
	st := &state.File{Tasks: map[string]*state.Task{"task.f": rec, "task.u": recordOf(t, unsaved), "task.fi": recordOf(t, failedImg)}}
	p, err := MakePlan(context.Background(), Options{Spec: sp, State: st, API: newFakeAPI(rt, unsaved, failedImg), Refresh: true, HasAPIKey: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []taskSummary{
		{Address: "task.f", ID: "tsk_f", Action: ActionUpdate, Status: StatusCompleted,
			Checks: []string{"status=passed", "images=passed", "file=passed", "file=pending", "file=pending"},
			Files:  []string{"a/0.png=ok", "a/1.png=modified", "a/2.png=missing"}},
		{Address: "task.fi", ID: "tsk_fi", Action: ActionNone, Status: StatusCompleted,
			Checks: []string{"status=passed", "images=passed", "file=pending", "file=failed"},
			Files:  []string{"b/0.png=absent", "b/1.png=failed"}},
		{Address: "task.u", ID: "tsk_u", Action: ActionUpdate, Status: StatusCompleted,
			Checks: []string{"status=passed", "images=passed", "file=pending"},
			Files:  []string{"c/0.png=absent"}},
	}
	// task.fi has an unsaved succeeded image too: it is an update.
	want[1].Action = ActionUpdate
	if diff := cmp.Diff(want, project(p)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if got := p.Tasks[0].Reason; got != "file a/1.png was modified; file a/2.png is missing" {
		t.Errorf("reason %q", got)
	}
}

func TestMakePlanChecks(t *testing.T) {
	rt := remoteTask("tsk_c", "x", 2)
	rt.Result.Images[1].Size = "512x512"
	sp := &spec.Spec{Budget: &spec.Budget{MaxTotal: amountPtr("0.02")}, Tasks: []*spec.Task{specTask("task.c", "tsk_c", "x"), specTask("task.n", "", "y")}}
	sp.Tasks[0].Expect = &spec.Expect{Status: mynth.StatusCompleted, Images: 3, Size: "1024x1024", MaxCost: amount("0.01"), Severity: spec.SeverityWarning}
	p, err := MakePlan(context.Background(), Options{Spec: sp, API: newFakeAPI(rt), Refresh: true, HasAPIKey: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []Check{
		{Name: "status", Outcome: OutcomePassed, Message: "status is completed", Severity: "warning"},
		{Name: "images", Outcome: OutcomeFailed, Message: "2 images succeeded, expected at least 3", Severity: "warning"},
		{Name: "size", Outcome: OutcomeFailed, Message: "image tsk_c_img1 is 512x512, expected 1024x1024", Severity: "warning"},
		{Name: "max_cost", Outcome: OutcomeFailed, Message: "cost $0.025 is over max_cost $0.01", Severity: "warning"},
	}
	if diff := cmp.Diff(want, p.Tasks[0].Checks); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	wantBudget := []Check{{Name: "budget", Outcome: OutcomeFailed, Message: "recorded $0.025 + estimate $0.0125 (task.n) = $0.0375 is over max_total $0.02; apply would stop before passing it", Severity: "error"}}
	if diff := cmp.Diff(wantBudget, p.Checks); diff != "" {
		t.Errorf("budget (-want +got):\n%s", diff)
	}
}

func TestMakePlanNoRequest(t *testing.T) {
	rt := remoteTask("tsk_nr", "a mug", 1)
	rt.Request = nil
	sp := &spec.Spec{Tasks: []*spec.Task{specTask("task.a", "tsk_nr", "a mug")}}
	p, err := MakePlan(context.Background(), Options{Spec: sp, API: newFakeAPI(rt), Refresh: true, HasAPIKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if tp := p.Tasks[0]; tp.RequestVerifiable || tp.Drift || !strings.Contains(tp.Reason, "without its request") {
		t.Errorf("task without request: verifiable %v, drift %v, reason %q", tp.RequestVerifiable, tp.Drift, tp.Reason)
	}
}
