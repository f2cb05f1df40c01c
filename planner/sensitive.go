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
	for _, e := range sensitiveEchoes(t.Sensitive) {
		if matchPath(path, "result."+e) || pathHolds(path, "result."+e) {
			return true
		}
	}
	return false
}

// sensitiveEchoes lists what the result echoes of the request fields that
// sensitive marks (mynth.RequestField.Echoes).
func sensitiveEchoes(sensitive map[string]bool) []string {
	var out []string
	for _, f := range mynth.RequestFields() {
		if sensitive[f.Key] {
			out = append(out, f.Echoes...)
		}
	}
	return out
}

// pathHolds reports whether the value at path holds the one at pattern (a
// path with "[*]" for any index): "result.images[0]" holds
// "result.images[*].size".
func pathHolds(path, pattern string) bool {
	var b strings.Builder
	for rest := path; rest != ""; {
		i := strings.IndexByte(rest, '[')
		j := strings.IndexByte(rest, ']')
		if i < 0 || j < i {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i] + "[*]")
		rest = rest[j+1:]
	}
	p := b.String()
	return strings.HasPrefix(pattern, p) && (len(pattern) == len(p) || pattern[len(p)] == '.' || pattern[len(p)] == '[')
}

// hideEchoes edits m, a task's result, at each of echoes: a string value
// becomes "(sensitive)" when keepStrings is set, and any other value (or
// every value, without keepStrings) is left out.
func hideEchoes(m map[string]json.RawMessage, echoes []string, keepStrings bool) {
	for _, e := range echoes {
		hideEcho(m, e, keepStrings)
	}
}

func hideEcho(m map[string]json.RawMessage, echo string, keepStrings bool) {
	key, rest, list := strings.Cut(echo, "[*].")
	v, ok := m[key]
	switch {
	case !ok:
	case list:
		var elems []map[string]json.RawMessage
		if json.Unmarshal(v, &elems) != nil {
			delete(m, key) // not a list of objects: hide all of it
			return
		}
		for _, el := range elems {
			if el != nil {
				hideEcho(el, rest, keepStrings)
			}
		}
		if b, err := json.Marshal(elems); err == nil {
			m[key] = b
		} else {
			delete(m, key)
		}
	case keepStrings && bytes.HasPrefix(bytes.TrimSpace(v), []byte(`"`)):
		m[key] = json.RawMessage(`"` + sensitiveText + `"`)
	default:
		delete(m, key)
	}
}

// redactSensitive removes from tp every value that is, or derives from, a
// sensitive value of t. The sensitive fields of the request are left out
// and listed in RequestRedacted (apply takes them from the spec); the
// others stay, so that what apply creates can still be counted and priced.
func redactSensitive(tp *TaskPlan, t *spec.Task) {
	if len(t.Sensitive) == 0 {
		return
	}
	if t.Sensitive["id"] && tp.ID != "" {
		hideID(tp, tp.ID)
	}
	if hasSensitiveRequest(t) && tp.Request != nil {
		fields := sensitiveFields(t)
		r := *tp.Request
		setRequestFields(&r, mynth.Request{}, fields)
		tp.Request, tp.RequestRedacted = &r, fields
	}
	if echoes := sensitiveEchoes(t.Sensitive); len(echoes) > 0 {
		hidePlanEchoes(tp, echoes)
	}
	for i := range tp.Changes {
		c := &tp.Changes[i]
		if changeIsSensitive(t, c.Path) {
			c.Sensitive, c.Before, c.After = true, nil, nil
		}
	}
}

// hideID hides id, the task's id that the spec marks sensitive, in tp:
// its ID, and every message that names it (a 404 on that id). Apply reads
// the id from the observation, not from ID.
func hideID(tp *TaskPlan, id string) {
	tp.ID = sensitiveText
	hide := func(s string) string { return strings.ReplaceAll(s, id, sensitiveText) }
	if tp.Error != nil {
		e := hide(*tp.Error)
		tp.Error = &e
	}
	tp.Reason = hide(tp.Reason)
	for i := range tp.Checks {
		tp.Checks[i].Message = hide(tp.Checks[i].Message)
	}
}

// hidePlanEchoes hides echoes in tp's view of the task's result: its
// model and images, which mirror the result's members of those names (the
// model is also the request's, which the echo of a sensitive model hides
// alike).
func hidePlanEchoes(tp *TaskPlan, echoes []string) {
	type view struct {
		Model  string  `json:"model,omitempty"`
		Images []Image `json:"images"`
	}
	b, err := json.Marshal(view{tp.Model, tp.Images})
	var m map[string]json.RawMessage
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err == nil {
		hideEchoes(m, echoes, true)
		b, err = json.Marshal(m)
	}
	var v view
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err != nil {
		// Cannot happen (the view is this package's); hide it all.
		tp.Model, tp.Images = sensitiveText, []Image{}
		return
	}
	tp.Model, tp.Images = v.Model, v.Images
	if tp.Images == nil {
		tp.Images = []Image{}
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
	// The result echoes nothing of a token: only the fields marked count.
	c.Result = editObject(c.Result, func(m map[string]json.RawMessage) {
		hideEchoes(m, sensitiveEchoes(sensitive), true)
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
