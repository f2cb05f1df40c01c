package planner

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/mynthform/mynthform/spec"
)

// SavedVariable is a variable value a saved plan was made with. A sensitive
// value is kept only as a keyed digest: apply needs it again, and refuses
// another value.
type SavedVariable struct {
	// Type is the value's type, as go-cty writes types in JSON.
	Type json.RawMessage `json:"type"`
	// Value is the value as JSON; absent when Sensitive.
	Value json.RawMessage `json:"value,omitempty"`
	// Sensitive is set for a variable declared sensitive.
	Sensitive bool `json:"sensitive,omitempty"`
	// Digest is the keyed digest of a sensitive value.
	Digest string `json:"digest,omitempty"`
}

// newSalt returns the random key of a saved plan's digests.
func newSalt() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making the saved plan's digest key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// digest is the HMAC-SHA256 of data keyed by the plan's salt: without the
// salt a digest of a short secret could be looked up in a table; the salt
// is in the file, so the digest proves equality and reveals nothing more.
func (sp *SavedPlan) digest(data []byte) string {
	m := hmac.New(sha256.New, []byte(sp.Salt))
	m.Write(data)
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

// encodeValue writes v and its type as JSON.
func encodeValue(v cty.Value) (typ, val json.RawMessage, err error) {
	if !v.IsWhollyKnown() {
		return nil, nil, fmt.Errorf("the value is not known")
	}
	if typ, err = ctyjson.MarshalType(v.Type()); err != nil {
		return nil, nil, err
	}
	if val, err = ctyjson.Marshal(v, v.Type()); err != nil {
		return nil, nil, err
	}
	return typ, val, nil
}

// recordSpec records what the plan was made from: the spec files, the
// variable values, and the digest of each request apply will send.
func (sp *SavedPlan) recordSpec(s *spec.Spec) error {
	salt, err := newSalt()
	if err != nil {
		return err
	}
	sp.Salt = salt
	sp.Sources = map[string]string{}
	for _, src := range s.Sources {
		sp.Sources[src.Name] = src.SHA256
	}
	sp.Variables = map[string]SavedVariable{}
	for _, v := range s.Variables {
		typ, val, err := encodeValue(v.Value)
		if err != nil {
			return fmt.Errorf("saving var.%s: %w", v.Name, err)
		}
		sv := SavedVariable{Type: typ, Value: val}
		if v.Sensitive {
			sv = SavedVariable{Type: typ, Sensitive: true, Digest: sp.digest(val)}
		}
		sp.Variables[v.Name] = sv
	}
	sp.Requests = map[string]string{}
	for _, tp := range sp.Plan.Tasks {
		req, err := sendingRequest(tp, s)
		if err != nil {
			return err
		}
		if req == nil {
			continue
		}
		sp.Requests[tp.Address] = sp.digest(req)
	}
	return nil
}

// sendingRequest is the request apply sends for tp, as JSON, its redacted
// fields taken from s as apply takes them; nil when tp creates nothing.
func sendingRequest(tp *TaskPlan, s *spec.Spec) ([]byte, error) {
	if tp.Request == nil || (tp.Action != ActionGenerate && tp.Action != ActionReplace) {
		return nil, nil
	}
	r := *tp.Request
	if len(tp.RequestRedacted) > 0 {
		st := s.Task(tp.Address)
		if st == nil {
			return nil, fmt.Errorf("%s is no longer declared in the spec", tp.Address)
		}
		setRequestFields(&r, st.Request, tp.RequestRedacted)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", tp.Address, err)
	}
	return b, nil
}

// SavedValues are the values of the non-sensitive variables the plan was
// made with, for spec.LoadOptions.Saved.
func (sp *SavedPlan) SavedValues() (map[string]cty.Value, error) {
	out := map[string]cty.Value{}
	for name, sv := range sp.Variables {
		if sv.Sensitive {
			continue
		}
		ty, err := ctyjson.UnmarshalType(sv.Type)
		if err != nil {
			return nil, fmt.Errorf("the saved plan's var.%s: %w", name, err)
		}
		v, err := ctyjson.Unmarshal(sv.Value, ty)
		if err != nil {
			return nil, fmt.Errorf("the saved plan's var.%s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

// SensitiveVariables names the sensitive variables of the plan: apply
// needs their values again.
func (sp *SavedPlan) SensitiveVariables() []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(sp.Variables)) {
		if sp.Variables[name].Sensitive {
			out = append(out, "var."+name)
		}
	}
	return out
}

// CheckSpec refuses a saved plan when s is not what it was made from: a
// spec file added, removed or changed, a variable with another value (a
// sensitive one compared by digest), or a request apply would send that
// differs from the planned one. The error lists every difference and
// wraps ErrStalePlan.
func (sp *SavedPlan) CheckSpec(s *spec.Spec) error {
	var why []string
	now := map[string]string{}
	for _, src := range s.Sources {
		now[src.Name] = src.SHA256
	}
	for _, name := range slices.Sorted(maps.Keys(sp.Sources)) {
		switch sum, ok := now[name]; {
		case !ok:
			why = append(why, name+" was removed")
		case sum != sp.Sources[name]:
			why = append(why, name+" changed")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(now)) {
		if _, ok := sp.Sources[name]; !ok {
			why = append(why, name+" was added")
		}
	}
	vars := map[string]spec.Variable{}
	for _, v := range s.Variables {
		vars[v.Name] = v
	}
	for _, name := range slices.Sorted(maps.Keys(sp.Variables)) {
		if d := sp.checkVariable(name, vars); d != "" {
			why = append(why, d)
		}
	}
	for _, tp := range sp.Plan.Tasks {
		want, ok := sp.Requests[tp.Address]
		if !ok {
			continue
		}
		got, err := sendingRequest(tp, s)
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		// What apply sends is the plan's request; the spec must still ask
		// for it too (a file a request reads may have changed).
		var specReq []byte
		if st := s.Task(tp.Address); st != nil {
			specReq, err = json.Marshal(st.Request)
		}
		if err != nil || sp.digest(got) != want || sp.digest(specReq) != want {
			why = append(why, fmt.Sprintf("the request of %s is not the one planned", tp.Address))
		}
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: the spec is not the one it was made from (%s)", ErrStalePlan, strings.Join(why, "; "))
}

// checkVariable compares var.name now with its saved value, returning ""
// when they agree and else why not, never showing a sensitive value.
func (sp *SavedPlan) checkVariable(name string, vars map[string]spec.Variable) string {
	sv := sp.Variables[name]
	v, ok := vars[name]
	if !ok {
		return fmt.Sprintf("var.%s is no longer declared", name)
	}
	if sv.Sensitive != v.Sensitive {
		return fmt.Sprintf("var.%s is no longer declared the same way", name)
	}
	typ, val, err := encodeValue(v.Value)
	if err != nil {
		return fmt.Sprintf("var.%s: %v", name, err)
	}
	if sv.Sensitive {
		if sp.digest(val) != sv.Digest {
			return fmt.Sprintf("var.%s is sensitive and its value is not the one the plan was made with (give that value again)", name)
		}
		return ""
	}
	if !bytes.Equal(typ, sv.Type) || !bytes.Equal(val, sv.Value) {
		return fmt.Sprintf("var.%s is %s, the plan was made with %s", name, val, sv.Value)
	}
	return ""
}
