package planner

import (
	"encoding/json"
	"slices"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// ComparisonFormatVersion is the version of the comparison's JSON
// document (`report --compare-to --format json`); it is only ever
// extended.
const ComparisonFormatVersion = "1"

// Comparison is what a branch changes against a base: the tasks added,
// replaced and removed between the base's state file (the branch a pull
// request goes into) and the branch as its plan leaves it, with images,
// prompts and costs on both sides. Unchanged tasks are counted only. Like
// Plan it is pure data; package render shows it.
type Comparison struct {
	FormatVersion string            `json:"format_version"`
	Summary       ComparisonSummary `json:"summary"`
	// Tasks are the replaced, added and removed tasks, in that order, each
	// kind by address.
	Tasks []ComparedTask `json:"tasks"`
}

// ComparisonSummary counts the comparison and sums its cost.
type ComparisonSummary struct {
	Added     int `json:"added"`
	Replaced  int `json:"replaced"`
	Removed   int `json:"removed"`
	Unchanged int `json:"unchanged"`
	// CostBefore is the recorded cost of every task of the base state.
	CostBefore mynth.Amount `json:"cost_before"`
	// CostAfter is the recorded cost of every task the branch keeps, plus
	// the estimate of every task it will generate.
	CostAfter mynth.Amount `json:"cost_after"`
	// CostChange is CostAfter - CostBefore.
	CostChange mynth.Amount `json:"cost_change"`
	// Unpriced counts the tasks to generate whose price is unknown; they
	// are not in CostAfter.
	Unpriced int `json:"unpriced"`
}

// Kinds of ComparedTask.Change.
const (
	ComparedAdded    = "added"
	ComparedReplaced = "replaced"
	ComparedRemoved  = "removed"
)

// ComparedTask is one task that differs between base and branch.
type ComparedTask struct {
	Address string `json:"address"`
	// Change is "added", "replaced" or "removed".
	Change string `json:"change"`
	// Before is the task in the base state (nil when added), After the task
	// on the branch (nil when removed).
	Before *ComparedSide `json:"before"`
	After  *ComparedSide `json:"after"`
}

// ComparedSide is a task on one side of a comparison.
type ComparedSide struct {
	ID     string `json:"id"`
	Status Status `json:"status"`
	// ToGenerate is set on the branch side when apply will generate the
	// task: it has no images yet, and Cost is the estimate (nil when the
	// price is unknown).
	ToGenerate bool          `json:"to_generate,omitempty"`
	Prompt     string        `json:"prompt,omitempty"`
	Negative   string        `json:"negative,omitempty"`
	Model      string        `json:"model,omitempty"`
	Cost       *mynth.Amount `json:"cost"`
	Images     []Image       `json:"images"`
	// Files are the saved files of the images, with the hash the file
	// must have to be the image (from that side's state).
	Files []ComparedFile `json:"files,omitempty"`
}

// ComparedFile is a saved image file of one side.
type ComparedFile struct {
	Path    string `json:"path"`
	ImageID string `json:"image_id"`
	SHA256  string `json:"sha256"`
}

// Compare compares the base state with the branch: its plan p (made from
// the branch's spec and state, as `plan` makes it) and its state branch.
// It reads nothing and writes nothing.
//
// An address in the base and not on the branch (or forgotten by the plan)
// is removed; one on the branch and not in the base is added; one in both
// with another task id, or that the plan generates or replaces, is
// replaced; the others are unchanged.
//
// sensitive returns what the branch's spec marks sensitive for the task
// at an address (spec.Task's Sensitive; nil hides nothing). The base side
// of a replaced task is hidden with the branch task's marks, as
// RedactStateTask hides it: the base state carries no marks, and a value
// secret on the branch was no less secret in the base. A removed task has
// no marks; its base side is as the base recorded it.
func Compare(base, branch *state.File, p *Plan, sensitive func(addr string) map[string]bool) *Comparison {
	c := &Comparison{FormatVersion: ComparisonFormatVersion, Tasks: []ComparedTask{}}
	s := &c.Summary
	inPlan := map[string]*TaskPlan{}
	for _, t := range p.Tasks {
		inPlan[t.Address] = t
	}
	var baseTasks map[string]*state.Task
	if base != nil {
		baseTasks = base.Tasks
	}
	for _, addr := range sortedKeys(baseTasks) {
		bt := baseTasks[addr]
		before := sideOfState(bt)
		if before.Cost != nil {
			s.CostBefore = s.CostBefore.Add(*before.Cost)
		}
		t := inPlan[addr]
		if t == nil || t.Action == ActionForget {
			c.Tasks = append(c.Tasks, ComparedTask{Address: addr, Change: ComparedRemoved, Before: before})
			s.Removed++
		}
	}
	for _, t := range p.Tasks {
		if t.Action == ActionForget {
			continue
		}
		var rec *state.Task
		if branch != nil {
			rec = branch.Tasks[t.Address]
		}
		after := sideOfPlan(t, rec)
		switch {
		case after.ToGenerate && after.Cost == nil:
			s.Unpriced++
		case after.Cost != nil:
			s.CostAfter = s.CostAfter.Add(*after.Cost)
		}
		bt := baseTasks[t.Address]
		switch {
		case bt == nil:
			c.Tasks = append(c.Tasks, ComparedTask{Address: t.Address, Change: ComparedAdded, After: after})
			s.Added++
		case after.ToGenerate || bt.ID != t.ID:
			c.Tasks = append(c.Tasks, ComparedTask{Address: t.Address, Change: ComparedReplaced, Before: sideOfState(redactBase(bt, t, sensitive)), After: after})
			s.Replaced++
		default:
			s.Unchanged++
		}
	}
	rank := map[string]int{ComparedReplaced: 0, ComparedAdded: 1, ComparedRemoved: 2}
	slices.SortStableFunc(c.Tasks, func(a, b ComparedTask) int {
		switch {
		case rank[a.Change] != rank[b.Change]:
			return rank[a.Change] - rank[b.Change]
		case a.Address < b.Address:
			return -1
		case a.Address > b.Address:
			return 1
		}
		return 0
	})
	s.CostChange = s.CostAfter.Sub(s.CostBefore)
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// redactBase returns bt, the base's record of the task that t replaces,
// hidden with the marks of the branch's task (sensitive's, and those the
// plan left out of t's request).
func redactBase(bt *state.Task, t *TaskPlan, sensitive func(addr string) map[string]bool) *state.Task {
	marks := map[string]bool{}
	if sensitive != nil {
		for k, v := range sensitive(t.Address) {
			marks[k] = marks[k] || v
		}
	}
	for _, k := range t.RequestRedacted {
		marks[k] = true
	}
	return RedactStateTask(bt, marks)
}

// sideOfState is a task as a state file records it. A request member or
// result that does not decode leaves its fields empty: the comparison
// shows what it can.
func sideOfState(t *state.Task) *ComparedSide {
	side := &ComparedSide{ID: t.ID, Status: Status(t.Status), Images: []Image{}}
	// Member by member: a redacted member ("(sensitive)" where an object
	// was) must not cost the others.
	var req map[string]json.RawMessage
	if len(t.Request) > 0 && json.Unmarshal(t.Request, &req) == nil {
		var prompt mynth.Prompt
		if raw, ok := req["prompt"]; ok && json.Unmarshal(raw, &prompt) == nil {
			side.Prompt, side.Negative = prompt.Positive, prompt.Negative
		}
		if raw, ok := req["model"]; ok {
			_ = json.Unmarshal(raw, &side.Model) // not a string: no model
		}
	}
	var res mynth.Result
	if len(t.Result) > 0 && json.Unmarshal(t.Result, &res) == nil {
		total := res.Total()
		side.Cost = &total
		if side.Model == "" {
			side.Model = res.Model
		}
		for _, im := range res.Images {
			side.Images = append(side.Images, Image{ID: im.ID, Status: string(im.Status), URL: im.URL, Size: im.Size, Cost: im.Cost, Error: im.ErrorMessage()})
		}
	}
	for _, f := range t.Files {
		side.Files = append(side.Files, ComparedFile{Path: f.Path, ImageID: f.ImageID, SHA256: f.SHA256})
		for i := range side.Images {
			if side.Images[i].ID == f.ImageID && f.ImageID != "" {
				side.Images[i].File = f.Path
			}
		}
	}
	return side
}

// sideOfPlan is a task as the branch leaves it: the plan's view of it,
// with the files that the plan found intact and rec (the branch's record)
// hashes.
func sideOfPlan(t *TaskPlan, rec *state.Task) *ComparedSide {
	side := &ComparedSide{ID: t.ID, Status: t.Status, Model: t.Model, Images: []Image{}}
	if t.Request != nil {
		if t.Request.Prompt != nil {
			side.Prompt, side.Negative = t.Request.Prompt.Positive, t.Request.Prompt.Negative
		}
		if t.Request.Model != "" {
			side.Model = t.Request.Model
		}
	}
	// What the plan left out of the request reads as the base side of a
	// replaced task reads it (RedactStateTask).
	if slices.Contains(t.RequestRedacted, "prompt") {
		side.Prompt, side.Negative = sensitiveText, ""
	}
	if slices.Contains(t.RequestRedacted, "model") {
		side.Model = sensitiveText
	}
	if t.Action == ActionGenerate || t.Action == ActionReplace {
		side.ToGenerate = true
		side.ID, side.Status = "", StatusNotCreated
		side.Cost = t.Estimate
		return side
	}
	side.Cost = t.Cost
	side.Images = append(side.Images, t.Images...)
	hashes := map[string]string{}
	if rec != nil && rec.ID == t.ID {
		for _, f := range rec.Files {
			hashes[f.Path] = f.SHA256
		}
	}
	for _, f := range t.Files {
		if f.State == "ok" && hashes[f.Path] != "" {
			side.Files = append(side.Files, ComparedFile{Path: f.Path, ImageID: f.ImageID, SHA256: hashes[f.Path]})
		}
	}
	return side
}
