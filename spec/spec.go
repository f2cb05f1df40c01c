package spec

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/internal/graph"
	"github.com/mynthform/mynthform/mynth"
)

// Spec is the typed, validated result of reading a directory's
// *.mynth.hcl and *.mynth.json files. Load returns the best partial Spec it
// can together with its diagnostics.
type Spec struct {
	// Dir is the directory the spec was read from.
	Dir string
	// Files holds every parsed file by name, for printing diagnostics
	// with source snippets (hcl.NewDiagnosticTextWriter). Variable files
	// are left out when a variable is sensitive, so that no snippet can
	// show a secret.
	Files map[string]*hcl.File
	// Settings is the mynth block, with defaults filled in.
	Settings Settings
	// Budget is the budget block, nil when there is none.
	Budget *Budget
	// Tasks holds every task instance, sorted by address.
	Tasks []*Task
	// Graph is the task graph: one node per task address, an edge from
	// each task to every task it takes an input from. Never nil. Load
	// refuses a cycle with a diagnostic, so a Spec without errors has an
	// acyclic Graph.
	Graph *graph.Graph
	// Sources are the spec files read, sorted by name (variable files
	// are not among them); a saved plan records them.
	Sources []Source
	// Variables are the declared variables with their values, sorted by
	// name; a saved plan records them (the sensitive ones as digests).
	Variables []Variable
}

// Task returns the task instance at addr, or nil.
func (s *Spec) Task(addr string) *Task {
	for _, t := range s.Tasks {
		if t.Address == addr {
			return t
		}
	}
	return nil
}

// Addr is the task's address as an Address (Address is its String).
func (t *Task) Addr() Address { return Address{Name: t.Name, Key: t.Key, HasKey: t.HasKey} }

// Settings is the mynth block.
type Settings struct {
	// State is the state file path, relative to Dir unless absolute.
	// Default "mynth.state.json".
	State string
	// Parallelism bounds concurrent API calls. Default 10.
	Parallelism int
	// BaseURL is the API base URL, "" when not set (MYNTH_BASE_URL and the
	// built-in default are applied by the caller).
	BaseURL string
	// Backend is where the state lives when not in the State file; nil
	// for the file.
	Backend *Backend
	// Manifest is the file, relative to Dir unless absolute, that every
	// apply writes the state into as a state file holds it ("" for none),
	// so that the repository keeps a reviewable record while the state
	// lives in a backend.
	Manifest  string
	DeclRange hcl.Range
}

// Budget is the budget block.
type Budget struct {
	// MaxTotal, when set, is the most that the spec's current tasks may
	// cost together: the results the state holds, plus the estimate of
	// what apply will create. A task replaced or forgotten stops counting.
	MaxTotal *mynth.Amount
	// MaxSpent, when set, is the most that may be spent in all: MaxTotal's
	// sum plus every task the state's ledger keeps (replaced or forgotten).
	MaxSpent *mynth.Amount
	// Unpriced says what a task to create of no known price does to the
	// plan's budget check: a warning (default) or an error.
	Unpriced Unpriced
	// Prices are the spec's own per-image prices, which win over the
	// prices learned from the state.
	Prices []*Price
	// DeclRange is the range of the budget block's header; Ranges holds
	// the range of each attribute set in it, by name ("max_total").
	DeclRange hcl.Range
	Ranges    map[string]hcl.Range
}

// Unpriced is the budget's unpriced setting.
type Unpriced string

// The unpriced settings.
const (
	UnpricedWarn  Unpriced = "warn"
	UnpricedError Unpriced = "error"
)

// Price is one price block: what one image of Model costs, fee included.
type Price struct {
	// Model is the model id as requests name it ("auto" for requests that
	// leave the model to Mynth).
	Model string
	// Size is the resolved image size the price applies to ("1536x1024");
	// "" prices every size of the model.
	Size string
	// Image is the price of one image, fee included; never zero.
	Image     mynth.Amount
	DeclRange hcl.Range
}

// Task is one task instance: a task block, or one element of a task block
// with for_each.
type Task struct {
	// Address is task.NAME, or task.NAME["KEY"] under for_each.
	Address string
	// Name is the block label; Key is the for_each key ("" without one).
	Name   string
	Key    string
	HasKey bool

	// ID is the pinned task id ("" when the task is to be generated).
	ID string
	// Request is the normalized API request. A field the spec leaves out
	// is nil or empty and is not compared. Request.Inputs is set only when
	// every input is a literal URL; otherwise Inputs holds them and the
	// planner resolves them (ResolveInputs).
	Request mynth.Request
	// Inputs are the task's inputs as declared, in order: URLs, files of
	// the spec directory, and references to other tasks. Nil when the
	// task sets no inputs.
	Inputs []Input
	// AccessToken is the task's Public Access Token. It is a secret: never
	// print, log or store it.
	AccessToken string
	// Expect is the task's expectations, with defaults filled in; never nil.
	Expect *Expect
	// Files are the paths the task's succeeded images are saved to, one per
	// image, relative to the spec directory.
	Files []string
	// IgnoreChanges are change paths (as in planner.Change.Path, with [*]
	// wildcards) whose differences are not reported.
	IgnoreChanges []string
	// Sensitive names the fields whose value is, or derives from, a
	// sensitive variable ("prompt", "model", "metadata", "access_token",
	// ...; the request's JSON field names plus "id", "access_token" and
	// "files"). Renderers print such a field as (sensitive). access_token
	// is always listed when set. Nil when nothing is sensitive.
	Sensitive map[string]bool

	// DeclRange is the range of the task block's header; Ranges holds the
	// range of each attribute or block set in the task, by name ("prompt",
	// "expect.max_cost", ...).
	DeclRange hcl.Range
	Ranges    Ranges
}

// Severity says whether a failed expectation fails the run.
type Severity string

// Severities of an expect block.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Expect is what a task's result must look like.
type Expect struct {
	// Status is the status the task must reach. Default completed.
	Status mynth.Status
	// Images is the least number of succeeded images. Default: the
	// request's count, or 1.
	Images int
	// Size, when set, is the size every succeeded image must have ("1536x1024").
	Size string
	// MaxCost, when set, is the most the task may cost in total.
	MaxCost *mynth.Amount
	// Severity is error (default) or warning.
	Severity  Severity
	DeclRange hcl.Range
}
