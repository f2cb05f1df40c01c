package planner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/google/renameio/v2"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// SavedPlanFormatVersion is the version of the saved plan file (plan
// --out). ReadSavedPlan refuses other versions.
const SavedPlanFormatVersion = "1"

// SavedPlan is a plan saved by `plan --out FILE` for `apply FILE`: the plan,
// the state it was made against (lineage and serial, so that apply refuses
// it once the state has moved on), the tasks as refresh observed them (what
// apply records), and the options that shaped it.
type SavedPlan struct {
	FormatVersion string `json:"format_version"`
	// ToolVersion is the mynthform version that wrote the file.
	ToolVersion string `json:"tool_version,omitempty"`
	// Lineage and Serial identify the state the plan was made against.
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
	// Targets and Excludes are the --target and --exclude addresses.
	Targets  []string `json:"targets,omitempty"`
	Excludes []string `json:"excludes,omitempty"`
	// Refresh is false when the plan was made from the state alone.
	Refresh bool  `json:"refresh"`
	Plan    *Plan `json:"plan"`
	// Observed holds each refreshed task as the API sent it, by address.
	Observed map[string]json.RawMessage `json:"observed,omitempty"`
}

// NewSavedPlan wraps p, made against st, for saving.
func NewSavedPlan(p *Plan, st *state.File, opts Options, toolVersion string) (*SavedPlan, error) {
	sp := &SavedPlan{
		FormatVersion: SavedPlanFormatVersion,
		ToolVersion:   toolVersion,
		Targets:       opts.Targets,
		Excludes:      opts.Excludes,
		Refresh:       opts.Refresh,
		Plan:          p,
		Observed:      map[string]json.RawMessage{},
	}
	if st != nil {
		sp.Lineage, sp.Serial = st.Lineage, st.Serial
	}
	for _, t := range p.Tasks {
		if t.Observed == nil {
			continue
		}
		raw, err := observedRaw(t.Observed)
		if err != nil {
			return nil, fmt.Errorf("saving the observation of %s: %w", t.Address, err)
		}
		sp.Observed[t.Address] = raw
	}
	return sp, nil
}

// observedRaw is the task as the API sent it, without any access token.
func observedRaw(t *mynth.Task) (json.RawMessage, error) {
	raw := t.Raw
	if len(bytes.TrimSpace(raw)) == 0 {
		var err error
		if raw, err = json.Marshal(t); err != nil {
			return nil, err
		}
	}
	return canonicalScrubbed(raw)
}

// Write saves the plan to path, replacing it atomically.
func (sp *SavedPlan) Write(path string) error {
	data, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the plan: %w", err)
	}
	data = append(data, '\n')
	if err := renameio.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing the plan to %s: %w", path, err)
	}
	return nil
}

// ReadSavedPlan reads a plan saved by Write, restoring each task's Observed.
func ReadSavedPlan(path string) (*SavedPlan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the saved plan: %w", err)
	}
	var head struct {
		FormatVersion string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("saved plan %s is not a plan file: %w", path, err)
	}
	if head.FormatVersion != SavedPlanFormatVersion {
		return nil, fmt.Errorf("saved plan %s has format version %q; this build reads version %s; make the plan again with this build", path, head.FormatVersion, SavedPlanFormatVersion)
	}
	var sp SavedPlan
	if err := json.Unmarshal(data, &sp); err != nil {
		return nil, fmt.Errorf("saved plan %s: %w", path, err)
	}
	if sp.Plan == nil {
		return nil, fmt.Errorf("saved plan %s holds no plan", path)
	}
	for _, t := range sp.Plan.Tasks {
		if t == nil {
			return nil, fmt.Errorf("saved plan %s holds an empty task", path)
		}
		raw, ok := sp.Observed[t.Address]
		if !ok {
			continue
		}
		var obs mynth.Task
		if err := json.Unmarshal(raw, &obs); err != nil {
			return nil, fmt.Errorf("saved plan %s: the observation of %s: %w", path, t.Address, err)
		}
		obs.Raw = raw
		t.Observed = &obs
	}
	return &sp, nil
}

// ErrStalePlan is returned by CheckState when a saved plan no longer
// matches the state.
var ErrStalePlan = errors.New("saved plan is stale")

// CheckState refuses a saved plan made against another state (another
// lineage) or an older one (the state's serial has moved on since).
func (sp *SavedPlan) CheckState(st *state.File) error {
	if st == nil {
		return nil
	}
	if sp.Lineage != "" && st.Lineage != "" && sp.Lineage != st.Lineage {
		return fmt.Errorf("%w: it was made against another state (lineage %s, the state's is %s); run plan again", ErrStalePlan, sp.Lineage, st.Lineage)
	}
	if st.Serial != sp.Serial {
		return fmt.Errorf("%w: the state has changed since it was made (serial %d, now %d); run plan again", ErrStalePlan, sp.Serial, st.Serial)
	}
	return nil
}
