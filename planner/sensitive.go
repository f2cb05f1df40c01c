package planner

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// sensitiveText stands in for a sensitive value in the plan.
const sensitiveText = "(sensitive)"

// hasSensitiveRequest reports whether a request field of t is, or derives
// from, a sensitive value.
func hasSensitiveRequest(t *spec.Task) bool {
	return len(sensitiveFields(t)) > 0
}

// sensitiveFields lists t's sensitive request fields by JSON key, in
// mynth.RequestFields' order.
func sensitiveFields(t *spec.Task) []string {
	var out []string
	for _, f := range mynth.RequestFields() {
		if t.Sensitive[f.Key] {
			out = append(out, f.Key)
		}
	}
	return out
}

// changeIsSensitive reports whether a change at path shows a sensitive
// value of t: a sensitive request field, or what the result echoes of one
// (mynth.RequestField.Echoes: the enhanced prompt, the model).
func changeIsSensitive(t *spec.Task, path string) bool {
	if len(t.Sensitive) == 0 {
		return false
	}
	if rest, ok := strings.CutPrefix(path, "request."); ok {
		top, _, _ := strings.Cut(rest, ".")
		top, _, _ = strings.Cut(top, "[")
		return t.Sensitive[top]
	}
	if path == "request" {
		return hasSensitiveRequest(t)
	}
	for _, f := range mynth.RequestFields() {
		if !t.Sensitive[f.Key] {
			continue
		}
		for _, e := range f.Echoes {
			if path == "result" || matchPath(path, "result."+e) {
				return true
			}
		}
	}
	return false
}

// redactSensitive removes from tp every value that is, or derives from, a
// sensitive value of t. The sensitive fields of the request are left out
// and listed in RequestRedacted (apply takes them from the spec); the
// others stay, so that what apply creates can still be counted and priced.
func redactSensitive(tp *TaskPlan, t *spec.Task) {
	if len(t.Sensitive) == 0 {
		return
	}
	if hasSensitiveRequest(t) && tp.Request != nil {
		fields := sensitiveFields(t)
		r := *tp.Request
		setRequestFields(&r, mynth.Request{}, fields)
		tp.Request, tp.RequestRedacted = &r, fields
	}
	if t.Sensitive["model"] && tp.Model != "" {
		tp.Model = sensitiveText
	}
	for i := range tp.Changes {
		c := &tp.Changes[i]
		if changeIsSensitive(t, c.Path) {
			c.Sensitive, c.Before, c.After = true, nil, nil
		}
	}
}

// setRequestFields sets the named fields of dst (JSON keys, as in
// mynth.RequestFields) to their values in src; other names (a saved plan is
// input) are ignored.
func setRequestFields(dst *mynth.Request, src mynth.Request, fields []string) {
	for _, key := range fields {
		if f, ok := mynth.RequestFieldByKey(key); ok {
			f.Copy(dst, src)
		}
	}
}

// RedactStateTask returns a copy of t, a recorded task, with the values
// that sensitive (a spec.Task's Sensitive) marks replaced by
// "(sensitive)": the id, the file paths, the request fields of
// mynth.RequestFields (the one that asks for a token wherever the
// access_token is sensitive), and what the result echoes of them. An echo
// that is a string reads "(sensitive)"; any other is left out, so that the
// result still decodes.
func RedactStateTask(t *state.Task, sensitive map[string]bool) *state.Task {
	c := t.Clone()
	if len(sensitive) == 0 {
		return c
	}
	if sensitive["id"] {
		c.ID = sensitiveText
	}
	if sensitive["files"] {
		for i := range c.Files {
			c.Files[i].Path = sensitiveText
		}
	}
	sens, _ := json.Marshal(sensitiveText)
	var hidden []mynth.RequestField
	for _, f := range mynth.RequestFields() {
		if sensitive[f.Key] || (f.Token && sensitive["access_token"]) {
			hidden = append(hidden, f)
		}
	}
	c.Request = editObject(c.Request, func(m map[string]json.RawMessage) {
		for _, f := range hidden {
			if _, ok := m[f.Key]; ok {
				m[f.Key] = sens
			}
		}
	})
	c.Result = editObject(c.Result, func(m map[string]json.RawMessage) {
		for _, f := range hidden {
			if !sensitive[f.Key] {
				continue // the result echoes nothing of a token
			}
			for _, e := range f.Echoes {
				v, ok := m[e]
				switch {
				case !ok:
				case bytes.HasPrefix(bytes.TrimSpace(v), []byte(`"`)):
					m[e] = sens
				default:
					delete(m, e)
				}
			}
		}
	})
	return c
}

// editObject applies edit to raw, a JSON object, and returns it in the
// state's canonical form; raw as it is when it is not an object.
func editObject(raw json.RawMessage, edit func(m map[string]json.RawMessage)) json.RawMessage {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return raw
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	if c, err := state.Canonical(b); err == nil {
		b = c
	}
	return b
}
