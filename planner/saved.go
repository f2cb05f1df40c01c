package planner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// SavedPlanFormatVersion is the version of the saved plan file (plan
// --out). ReadSavedPlan refuses other versions. Version 2 added what the
// plan was made from (spec files, variable values, request digests).
const SavedPlanFormatVersion = "2"

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
	// Scope holds the --target and --exclude addresses (as "targets" and
	// "excludes").
	spec.Scope
	// Refresh is false when the plan was made from the state alone.
	Refresh bool  `json:"refresh"`
	Plan    *Plan `json:"plan"`
	// Observed holds each refreshed task as the API sent it, by address.
	Observed map[string]json.RawMessage `json:"observed,omitempty"`
	// Redacted lists, by address, the request fields whose values were
	// left out of Observed because the spec marks them sensitive, and
	// "id" for a sensitive task id; Resolve puts the spec's values back.
	Redacted map[string][]string `json:"redacted,omitempty"`
	// Replace are the --replace addresses.
	Replace []spec.Address `json:"replace,omitempty"`

	// What the plan was made from; CheckSpec refuses any other spec.
	//
	// Salt keys the digests (HMAC-SHA256), random for each plan.
	Salt string `json:"salt"`
	// Sources are the spec files by name, with their sha256.
	Sources map[string]string `json:"sources"`
	// Variables are the variable values, sensitive ones as digests.
	Variables map[string]SavedVariable `json:"variables"`
	// Requests are, by address, the digests of the requests apply sends
	// (sensitive values included, which is why they are keyed digests).
	Requests map[string]string `json:"request_digests"`
}

// NewSavedPlan wraps p, made against st, for saving.
func NewSavedPlan(p *Plan, st *state.File, opts Options, toolVersion string) (*SavedPlan, error) {
	if opts.Spec == nil {
		return nil, fmt.Errorf("planner: NewSavedPlan needs the spec")
	}
	sp := &SavedPlan{
		FormatVersion: SavedPlanFormatVersion,
		ToolVersion:   toolVersion,
		Scope:         opts.Scope,
		Replace:       opts.Replace,
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
		if st := opts.Spec.Task(t.Address); st != nil && len(st.Sensitive) > 0 {
			fields := sensitiveFields(st)
			if st.Sensitive["id"] {
				fields = append(fields, "id")
			}
			if raw, err = redactObserved(raw, fields); err != nil {
				return nil, fmt.Errorf("saving the observation of %s: %w", t.Address, err)
			}
			if len(fields) > 0 {
				if sp.Redacted == nil {
					sp.Redacted = map[string][]string{}
				}
				sp.Redacted[t.Address] = fields
			}
		}
		sp.Observed[t.Address] = raw
	}
	if err := sp.recordSpec(opts.Spec); err != nil {
		return nil, fmt.Errorf("saving the plan: %w", err)
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
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
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
		if !ok || len(sp.Redacted[t.Address]) > 0 {
			// A redacted observation is restored by Resolve.
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

// redactObserved replaces the given request members of a raw task (and its
// id, when fields holds "id") with "(sensitive)", and drops what the result
// echoes of them.
func redactObserved(raw json.RawMessage, fields []string) (json.RawMessage, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	sens := []byte(`"` + sensitiveText + `"`)
	if _, ok := doc["id"]; ok && slices.Contains(fields, "id") {
		doc["id"] = sens
	}
	if req := nonNull(doc["request"]); req != nil {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(req, &m); err != nil {
			return nil, fmt.Errorf("request: %w", err)
		}
		for _, f := range fields {
			if _, ok := m[f]; ok {
				m[f] = sens
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		doc["request"] = b
	}
	if res := nonNull(doc["result"]); res != nil {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(res, &m); err != nil {
			return nil, fmt.Errorf("result: %w", err)
		}
		marked := map[string]bool{}
		for _, key := range fields {
			marked[key] = true
		}
		hideEchoes(m, sensitiveEchoes(marked), false)
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		doc["result"] = b
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return canonical(out)
}

// Resolve restores the observations that NewSavedPlan redacted, taking the
// sensitive request values from the spec (the plan found them equal to the
// remote ones, or it would have reported a change). Apply calls it after
// ReadSavedPlan; until then those tasks have no Observed.
func (sp *SavedPlan) Resolve(s *spec.Spec) error {
	for _, t := range sp.Plan.Tasks {
		fields := sp.Redacted[t.Address]
		raw, ok := sp.Observed[t.Address]
		if len(fields) == 0 || !ok {
			continue
		}
		st := s.Task(t.Address)
		if st == nil {
			return fmt.Errorf("saved plan: %s is no longer declared in the spec", t.Address)
		}
		want, err := json.Marshal(st.Request)
		if err != nil {
			return fmt.Errorf("saved plan: %s: %w", t.Address, err)
		}
		var specReq, doc, req map[string]json.RawMessage
		if err := json.Unmarshal(want, &specReq); err != nil {
			return fmt.Errorf("saved plan: %s: %w", t.Address, err)
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("saved plan: the observation of %s: %w", t.Address, err)
		}
		if err := json.Unmarshal(doc["request"], &req); err != nil {
			return fmt.Errorf("saved plan: the observed request of %s: %w", t.Address, err)
		}
		for _, f := range fields {
			if _, ok := req[f]; !ok {
				continue
			}
			if v, ok := specReq[f]; ok {
				req[f] = v
			} else {
				delete(req, f)
			}
		}
		if doc["request"], err = json.Marshal(req); err != nil {
			return err
		}
		if slices.Contains(fields, "id") {
			// The plan read the task at the spec's id.
			if doc["id"], err = json.Marshal(st.ID); err != nil {
				return err
			}
		}
		full, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		var obs mynth.Task
		if err := json.Unmarshal(full, &obs); err != nil {
			return fmt.Errorf("saved plan: the observation of %s: %w", t.Address, err)
		}
		obs.Raw = full
		t.Observed = &obs
	}
	return nil
}

// RestoreEchoes reads again, with api (an API key's), each observed task
// whose saved observation left out what its result echoes of a sensitive
// field (the images' sizes of a sensitive size): the saved plan cannot
// hold them without showing them, and the spec cannot give them back, so
// without this apply would record the task without them. Call it after
// Resolve. When the task reads as the plan saw it (its fresh observation,
// hidden alike, is the saved one), apply records the fresh observation,
// whole; otherwise the task changed since the plan was made (or cannot be
// read now), and the plan's observation is kept, as planned: the next
// plan records the change. It returns the addresses so kept, each with
// why.
func (sp *SavedPlan) RestoreEchoes(ctx context.Context, api API) []string {
	var kept []string
	for _, t := range sp.Plan.Tasks {
		fields := sp.Redacted[t.Address]
		saved, ok := sp.Observed[t.Address]
		if !ok || t.Observed == nil || t.Observed.ID == "" || t.Observed.Request == nil || len(fields) == 0 {
			continue
		}
		marked := map[string]bool{}
		for _, f := range fields {
			marked[f] = true
		}
		if len(sensitiveEchoes(marked)) == 0 {
			continue
		}
		fresh, err := api.Task(ctx, t.Observed.ID)
		if err != nil {
			kept = append(kept, t.Address+": it cannot be read again")
			continue
		}
		raw, err := observedRaw(fresh)
		var hidden, want json.RawMessage
		if err == nil {
			hidden, err = redactObserved(raw, fields)
		}
		if err == nil {
			want, err = canonical(saved) // the file indents it
		}
		if err != nil || !bytes.Equal(hidden, want) {
			kept = append(kept, t.Address+": it changed at Mynth since the plan was made")
			continue
		}
		fresh.Raw = raw
		t.Observed = fresh
	}
	return kept
}
