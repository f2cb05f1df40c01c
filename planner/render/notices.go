package render

// This file holds the short reports that commands print about what they
// did: validate's verdict line, version, the notes of plan --out and
// report --out, state push's line, and the emulator's banners. Each is a
// value the command fills from what it decided; Render only writes.

import (
	"fmt"
	"io"
	"strconv"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/planner"
)

// writeOnce writes text to w, wrapping a failed write with what it was.
func writeOnce(w io.Writer, what, text string) error {
	if _, err := io.WriteString(w, text); err != nil {
		return fmt.Errorf("writing %s: %w", what, err)
	}
	return nil
}

// ValidSpec is the line `mynthform validate` prints for a valid spec.
type ValidSpec struct {
	// Tasks is how many tasks the spec declares.
	Tasks int
}

// Render writes the line to w.
func (v ValidSpec) Render(w io.Writer) error {
	return writeOnce(w, "the verdict", fmt.Sprintf("The spec is valid: %s.\n", plural.Count(v.Tasks, "task")))
}

// Version is what `mynthform version` prints.
type Version struct {
	// Tool names the build (see the command's describeBuild).
	Tool string
	// StateFormat is the newest state format version the build writes.
	StateFormat int
}

// Render writes the version to w.
func (v Version) Render(w io.Writer) error {
	return writeOnce(w, "the version", fmt.Sprintf("mynthform %s\nstate format version %d\n", v.Tool, v.StateFormat))
}

// PlanSaved is the note `plan --out FILE` prints after the human plan.
type PlanSaved struct {
	// Path is the file as the user named it.
	Path string
}

// Render writes the note to w.
func (v PlanSaved) Render(w io.Writer) error {
	return writeOnce(w, "the note", fmt.Sprintf("\nSaved the plan to %s. Apply exactly this plan with: mynthform apply %s\n", v.Path, v.Path))
}

// ReportWritten is the line `report --out FILE` prints once the report is
// in its file.
type ReportWritten struct {
	// Format is the report's format as given to --format.
	Format string
	// Tasks is how many tasks the plan holds.
	Tasks int
	// Comparison is the summary of a --compare-to report, nil for a
	// report of the plan.
	Comparison *planner.ComparisonSummary
	// Path is the file as the user named it.
	Path string
}

// Render writes the line to w.
func (v ReportWritten) Render(w io.Writer) error {
	what := fmt.Sprintf("the %s report of %s", v.Format, plural.Count(v.Tasks, "task"))
	if c := v.Comparison; c != nil {
		what = fmt.Sprintf("the %s comparison (%d added, %d replaced, %d removed, %d unchanged)", v.Format, c.Added, c.Replaced, c.Removed, c.Unchanged)
	}
	return writeOnce(w, "the line", fmt.Sprintf("Wrote %s to %s.\n", what, v.Path))
}

// StatePushed is the line `mynthform state push` prints.
type StatePushed struct {
	// File is the state file pushed, as the user named it ("-" read
	// standard input).
	File string
	// Backend describes where it went (state.Backend's Describe).
	Backend string
	// Serial is the serial the backend gave it; Tasks how many tasks it
	// records.
	Serial uint64
	Tasks  int
}

// Render writes the line to w.
func (v StatePushed) Render(w io.Writer) error {
	return writeOnce(w, "the line", fmt.Sprintf("Pushed %s to the %s: serial %d, %s.\n", v.File, v.Backend, v.Serial, plural.Count(v.Tasks, "task")))
}

// EmulatorInUse is the first line of stdout of a command run with
// --emulator.
type EmulatorInUse struct {
	// URL is the in-process emulator's; Store the file that keeps its
	// tasks.
	URL, Store string
}

// Render writes the line to w.
func (v EmulatorInUse) Render(w io.Writer) error {
	return writeOnce(w, "the line", fmt.Sprintf("Using the local Mynth emulator at %s (store %s); no API key needed.\n", v.URL, v.Store))
}

// EmulatorBanner is what `mynthform emulator` prints once it listens:
// where, what it holds, how to point a client at it, which faults it
// injects.
type EmulatorBanner struct {
	// URL is where it listens.
	URL string
	// Store is --store, "" when nothing is kept; StoreExisted says the
	// store was there before it started (so the seed was not loaded).
	Store        string
	StoreExisted bool
	// Seed is --seed, "" when none.
	Seed string
	// Tasks is how many tasks it holds once started.
	Tasks int
	// Key is the API key to give clients (any key, or a placeholder for
	// a strict seed's).
	Key string
	// FaultRate is --fault-rate; Endpoints the fault rates of single
	// endpoints, in the order to print them.
	FaultRate float64
	Endpoints []EndpointFaults
}

// EndpointFaults is the fault rate of one endpoint of the emulator.
type EndpointFaults struct {
	Endpoint string
	Rate     float64
}

// Render writes the banner to w.
func (v EmulatorBanner) Render(w io.Writer) error {
	out := newErrWriter(w)
	out.printf("Mynth emulator listening on %s\n", v.URL)
	if v.Store != "" {
		out.printf("Tasks are kept in %s (%d now).\n", v.Store, v.Tasks)
		if v.StoreExisted && v.Seed != "" {
			out.printf("The store already exists, so %s was not loaded; delete the store to start again from the seed.\n", v.Seed)
		}
	} else if v.Seed != "" {
		out.printf("Loaded %s from %s; nothing is kept after it stops.\n", plural.Count(v.Tasks, "task"), v.Seed)
	}
	out.printf("Point mynthform (or any Mynth client) at it:\n\n  export MYNTH_BASE_URL=%s MYNTH_API_KEY=%s\n\n", v.URL, v.Key)
	// The official JavaScript SDK reads MYNTH_API_KEY but not
	// MYNTH_BASE_URL: its base URL is an option of its constructor.
	out.printf("Mynth's JavaScript SDK ignores MYNTH_BASE_URL; give it the URL:\n\n  new Mynth({ baseUrl: %q })\n\n", v.URL)
	if v.FaultRate > 0 {
		out.printf("Injecting faults into %g%% of requests.\n", v.FaultRate*100)
	}
	for _, e := range v.Endpoints {
		out.printf("Injecting faults into %s%% of %s requests.\n", strconv.FormatFloat(e.Rate*100, 'g', -1, 64), e.Endpoint)
	}
	out.printf("Press Ctrl-C to stop.\n")
	return out.flush()
}

// NoMatch is the warning that the value of an address flag (--target,
// --exclude, --replace) selects no task of the spec or the state.
type NoMatch struct {
	// Flag is the flag's name without dashes; Address the value as an
	// address (spec.Address's String, so escaped).
	Flag, Address string
	// Suggestion is a known address near Address, "" when none is.
	Suggestion string
}

// Render writes the warning to w.
func (v NoMatch) Render(w io.Writer) error {
	hint := ""
	if v.Suggestion != "" {
		hint = "; did you mean " + v.Suggestion + "?"
	}
	return writeOnce(w, "the warning", fmt.Sprintf("Warning: --%s %s matches no task in the spec or the state%s\n", v.Flag, v.Address, hint))
}

// NoAPIKey is the warning that a command talks to Mynth without
// MYNTH_API_KEY.
type NoAPIKey struct{}

// Render writes the warning to w.
func (NoAPIKey) Render(w io.Writer) error {
	return writeOnce(w, "the warning", "Warning: MYNTH_API_KEY is not set: only tasks with an access_token can be read, and nothing can be generated.\n"+
		"    Set MYNTH_API_KEY to your Mynth API key, or run with --emulator to use the local emulator.\n")
}

// PlanningInterrupted is the line printed when a signal stops planning.
type PlanningInterrupted struct{}

// Render writes the line to w.
func (PlanningInterrupted) Render(w io.Writer) error {
	return writeOnce(w, "the line", "mynthform: interrupted while planning; nothing was changed.\n")
}

// AlsoRecorded is import's warning that the task it records is already
// recorded at another address.
type AlsoRecorded struct {
	// ID is the task's; Address where the state records it already.
	ID, Address string
}

// Render writes the warning to w.
func (v AlsoRecorded) Render(w io.Writer) error {
	return writeOnce(w, "the warning", fmt.Sprintf("Warning: task %s is also recorded as %s.\n", v.ID, v.Address))
}

// SpecHasErrors is the state commands' warning that they go on with a spec
// that has errors, and which state they use.
type SpecHasErrors struct {
	// Backend describes the state used (state.Backend's Describe).
	Backend string
}

// Render writes the warning to w.
func (v SpecHasErrors) Render(w io.Writer) error {
	return writeOnce(w, "the warning", fmt.Sprintf("Warning: the spec has errors (run mynthform validate); using the %s. Give --state PATH to use another.\n", v.Backend))
}

// Reformatted is fmt's line naming a file that is not in canonical form
// (rewritten, or with --check only named).
type Reformatted struct {
	// Path is the file, as fmt found it.
	Path string
}

// Render writes the line to w.
func (v Reformatted) Render(w io.Writer) error {
	return writeOnce(w, "the file name", v.Path+"\n")
}

// EmulatorStopped is the line `mynthform emulator` prints once it has
// stopped.
type EmulatorStopped struct{}

// Render writes the line to w.
func (EmulatorStopped) Render(w io.Writer) error {
	return writeOnce(w, "the line", "Emulator stopped.\n")
}
