package planner

import (
	"github.com/mynthform/mynthform/mynth"
)

// PlanFormatVersion is the version of the JSON plan document. The document
// is only ever extended.
const PlanFormatVersion = "1"

// Action is what apply will do for one task.
type Action string

// The actions of a plan.
const (
	ActionNone     Action = "none"
	ActionGenerate Action = "generate"
	ActionAdopt    Action = "adopt"
	ActionReplace  Action = "replace"
	ActionUpdate   Action = "update"
	ActionForget   Action = "forget"
)

// Symbol is the action's mark in the human plan.
func (a Action) Symbol() string {
	switch a {
	case ActionGenerate, ActionAdopt:
		return "+"
	case ActionReplace:
		return "-/+"
	case ActionUpdate:
		return "~"
	case ActionForget:
		return "-"
	}
	return " "
}

// Status is a task's status in a plan: a mynth.Status, or StatusUnknown
// when the task could not be read, StatusNotCreated for a task that does
// not exist yet, or StatusUnknownOutcome when a creation request for it
// got no answer (the state holds its write-ahead record).
type Status string

// Statuses beyond the API's own.
const (
	StatusPending    Status = "pending"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
	StatusUnknown    Status = "unknown"
	StatusNotCreated Status = "not_created"
	// StatusUnknownOutcome: apply sent a creation request for the task
	// and no answer was recorded; the task may exist and may have been
	// charged for. The plan fails until the task is imported or the
	// record cleared.
	StatusUnknownOutcome Status = "unknown_outcome"
)

// Outcome is the result of one check.
type Outcome string

// Check outcomes.
const (
	OutcomePassed  Outcome = "passed"
	OutcomeFailed  Outcome = "failed"
	OutcomePending Outcome = "pending"
)

// Plan is the comparison of spec, state and remote. It is pure data: the
// renderers in planner/render turn it into text, and apply carries it out.
type Plan struct {
	FormatVersion string      `json:"format_version"`
	Summary       Summary     `json:"summary"`
	Tasks         []*TaskPlan `json:"tasks"`
	// Checks not tied to one task (the budget).
	Checks      []Check      `json:"checks,omitempty"`
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// Summary counts the plan's actions and checks, and totals its cost.
type Summary struct {
	Generate int          `json:"generate"`
	Adopt    int          `json:"adopt"`
	Replace  int          `json:"replace"`
	Update   int          `json:"update"`
	Forget   int          `json:"forget"`
	None     int          `json:"none"`
	Checks   CheckCounts  `json:"checks"`
	Cost     mynth.Amount `json:"cost"`
	// Estimate is what apply will spend creating the plan's tasks.
	Estimate Estimate `json:"estimate"`
}

// Estimate totals the estimates of the tasks a plan creates (generate
// and replace), priced with the PriceBook.
type Estimate struct {
	// Total is the sum of the known estimates.
	Total mynth.Amount `json:"total"`
	// Priced and Unpriced count the tasks to create whose price is known,
	// and those whose price is not (they are not in Total).
	Priced   int `json:"priced"`
	Unpriced int `json:"unpriced"`
}

// CheckCounts counts checks by outcome.
type CheckCounts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
}

// TaskPlan is the plan for one task address.
type TaskPlan struct {
	Address string `json:"address"`
	// ID is the task id: pinned, recorded or observed; "" before generation.
	ID     string `json:"id"`
	Action Action `json:"action"`
	// Reason says why the action was chosen, in a short phrase.
	Reason string        `json:"reason,omitempty"`
	Status Status        `json:"status"`
	Model  string        `json:"model,omitempty"`
	Cost   *mynth.Amount `json:"cost"`
	// Estimate is what apply will spend on the task: the request's count ×
	// the price book's image price for a generate or replace (nil when no
	// price is known, or the model or count is sensitive), $0 for every
	// other action, nil for a task that cannot be planned.
	Estimate *mynth.Amount `json:"estimate"`
	Images   []Image       `json:"images"`
	// Changes are the differences found, each silenced by ignore_changes
	// already removed.
	Changes []Change `json:"changes"`
	Checks  []Check  `json:"checks"`
	// Drift is set when the request of a pinned task differs from the spec.
	Drift bool `json:"drift,omitempty"`
	// RequestVerifiable is false when only a PAT could read the task, so
	// its request could not be compared.
	RequestVerifiable bool `json:"request_verifiable"`
	// Files are the task's declared files and their state on disk.
	Files []FileStatus `json:"files,omitempty"`
	// Request is the spec's request (nil for forget); it is what apply sends.
	Request *mynth.Request `json:"request,omitempty"`
	// UnknownInputs lists the indexes of Request.Inputs whose URL is
	// known only after apply (a file to upload, or the image of a task
	// that apply creates first); their URL is "" in Request.
	UnknownInputs []int `json:"unknown_inputs,omitempty"`
	// RequestRedacted lists the request fields left out of Request because
	// they are, or derive from, a sensitive value; apply takes them from
	// the spec.
	RequestRedacted []string `json:"request_redacted,omitempty"`
	// Error says why the task could not be read or planned; nil otherwise.
	Error *string `json:"error"`
	// Range is where the task is declared (nil for forget).
	Range *Range `json:"range,omitempty"`

	// Observed is the task as refresh read it (nil when it was not read);
	// apply records it. It is carried in saved plans, not in --json.
	Observed *mynth.Task `json:"-"`
}

// Image is one image of a task as the plan reports it.
type Image struct {
	ID     string        `json:"id,omitempty"`
	Status string        `json:"status"`
	URL    string        `json:"url,omitempty"`
	Size   string        `json:"size,omitempty"`
	Cost   *mynth.Amount `json:"cost,omitempty"`
	Error  string        `json:"error,omitempty"`
	// File is the repository path the image is saved to, if any.
	File string `json:"file,omitempty"`
}

// Change is one difference, at a path such as "request.prompt" or
// "result.images[0].url". Before and After are JSON values (nil when absent).
type Change struct {
	Path   string `json:"path"`
	Before any    `json:"before"`
	After  any    `json:"after"`
	// Sensitive changes print as (sensitive).
	Sensitive bool `json:"sensitive,omitempty"`
	// Text marks Before and After as words for people, not values of the
	// request: an input file as "refs/mug.png sha256 ab12…", a URL known
	// only after apply. Views print them unquoted.
	Text bool `json:"text,omitempty"`
	// AfterUnknown marks an After that apply learns (After is then the
	// words KnownAfterApply): a URL of an input it uploads or creates first.
	AfterUnknown bool `json:"after_unknown,omitempty"`
	// Range is the spec attribute the changed value comes from (the
	// prompt's `positive` line for "request.prompt.positive"), nil when
	// the spec has no attribute for it (a result, or a default). Drift
	// annotations point here.
	Range *Range `json:"range,omitempty"`
}

// Check is one evaluated expectation.
type Check struct {
	// Name is the expectation: status, images, size, max_cost, file, budget.
	Name    CheckName `json:"name"`
	Outcome Outcome   `json:"outcome"`
	Message string    `json:"message"`
	// Severity is error or warning; a failed warning does not fail the run
	// (see Fails).
	Severity Severity `json:"severity,omitempty"`
	// Range is the spec attribute that set the expectation (the
	// `max_cost` line of an expect block, the task's `files`, the budget's
	// `max_total`), else the block that holds it; nil when the spec has
	// no place for it. Annotations and other located output point here.
	Range *Range `json:"range,omitempty"`
}

// FileStatus is the state of one declared file on disk.
type FileStatus struct {
	Path string `json:"path"`
	// State is "ok", "missing", "modified", "absent" (not yet saved) or
	// "failed" (its image, or its whole task, failed).
	State   string `json:"state"`
	ImageID string `json:"image_id,omitempty"`
}

// Diagnostic is a problem found while planning, with its source range when
// it has one.
type Diagnostic struct {
	// Severity is error or warning; an error fails the run (see Fails).
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	Address  string   `json:"address,omitempty"`
	Range    *Range   `json:"range,omitempty"`
}

// Range is a source range in a spec file.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Pos is a position in a spec file; lines and columns count from 1.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// HasChanges reports whether applying the plan would change anything.
func (p *Plan) HasChanges() bool {
	s := p.Summary
	return s.Generate+s.Adopt+s.Replace+s.Update+s.Forget > 0
}
