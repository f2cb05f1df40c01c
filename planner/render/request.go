package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mynthform/mynthform/internal/termtext"
	"github.com/mynthform/mynthform/planner"
)

// requestFieldOrder is the order in which the human plan lists the fields
// of a request: the API reference's order. Fields it does not name follow,
// sorted.
var requestFieldOrder = []string{"prompt", "model", "size", "count", "inputs", "output", "metadata", "webhook", "content_rating", "access"}

// sends reports whether apply sends t's request: a task it generates or
// replaces.
func sends(t *planner.TaskPlan) bool {
	return t.Request != nil && (t.Action == planner.ActionGenerate || t.Action == planner.ActionReplace)
}

// subfieldOrder is the order of the members of a request's objects that
// have a natural one (the prompt's positive before its negative, a size's
// type before its dimensions); the others follow, sorted.
var subfieldOrder = []string{"positive", "negative", "enhance", "type", "width", "height", "mode", "aspectRatio", "scale", "prefer", "role", "source", "url", "format", "quality", "enabled", "custom", "levels", "value", "description"}

// sortFields sorts keys by order, then by name.
func sortFields(keys []string, order []string) {
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := slices.Index(order, keys[i]), slices.Index(order, keys[j])
		switch {
		case a >= 0 && b >= 0:
			return a < b
		case a >= 0 || b >= 0:
			return a >= 0
		}
		return keys[i] < keys[j]
	})
}

// sensitiveValue marks a redacted field in a request document.
type sensitiveValue struct{}

// knownAfterApply marks, in a request document, an input URL that apply
// learns: the human plan prints it bare, JSON as the string.
type knownAfterApply struct{}

// MarshalJSON writes the string "(known after apply)".
func (knownAfterApply) MarshalJSON() ([]byte, error) {
	return json.Marshal(planner.KnownAfterApply)
}

// requestDocument is the request apply sends for t as a JSON object, in the
// API's shape, with every field the plan redacted set to "(sensitive)"; nil
// when apply sends none.
func requestDocument(t *planner.TaskPlan) (map[string]any, error) {
	if !sends(t) {
		return nil, nil
	}
	raw, err := json.Marshal(t.Request)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", t.Address, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	doc := map[string]any{}
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: decoding the request: %w", t.Address, err)
	}
	if inputs, ok := doc["inputs"].([]any); ok {
		for _, i := range t.UnknownInputs {
			if i < 0 || i >= len(inputs) {
				continue
			}
			switch in := inputs[i].(type) {
			case string:
				inputs[i] = knownAfterApply{}
			case map[string]any:
				if src, ok := in["source"].(map[string]any); ok {
					src["url"] = knownAfterApply{}
				}
			}
		}
	}
	for _, f := range t.RequestRedacted {
		doc[f] = sensitiveValue{}
	}
	return doc, nil
}

// unknownPaths lists, in the syntax of change paths (prefix, then
// ".name" and "[N]"), every value of v that apply learns, in document
// order (object members sorted); never nil.
func unknownPaths(prefix string, v any) []string {
	out := []string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case knownAfterApply:
			out = append(out, path)
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				walk(path+"."+k, v[k])
			}
		case []any:
			for i, e := range v {
				walk(path+"["+strconv.Itoa(i)+"]", e)
			}
		}
	}
	if m, ok := v.(map[string]any); ok && m != nil {
		walk(prefix, m)
	}
	return out
}

// jsonRequest is the request document for --json: redacted fields are the
// string "(sensitive)".
func jsonRequest(t *planner.TaskPlan) (map[string]any, error) {
	doc, err := requestDocument(t)
	if doc == nil {
		return nil, err
	}
	for k, v := range doc {
		if _, ok := v.(sensitiveValue); ok {
			doc[k] = sensitiveText
		}
	}
	return doc, nil
}

// requestLine is one "path = value" line of a request in the human plan.
type requestLine struct {
	path, value string
}

// requestLines flattens t's request into one line per value: objects by
// dotted path (prompt.negative), arrays by index (inputs[0]), values as
// JSON, redacted fields as (sensitive). It is nil when apply sends no
// request for t.
func requestLines(t *planner.TaskPlan) ([]requestLine, error) {
	doc, err := requestDocument(t)
	if doc == nil {
		return nil, err
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sortFields(keys, requestFieldOrder)
	var out []requestLine
	for _, k := range keys {
		out = flattenValue(out, k, doc[k])
	}
	return out, nil
}

func flattenValue(out []requestLine, path string, v any) []requestLine {
	switch v := v.(type) {
	case sensitiveValue:
		return append(out, requestLine{path, sensitiveText})
	case knownAfterApply:
		return append(out, requestLine{path, planner.KnownAfterApply})
	case map[string]any:
		if len(v) == 0 {
			return append(out, requestLine{path, "{}"})
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sortFields(keys, subfieldOrder)
		for _, k := range keys {
			out = flattenValue(out, path+"."+k, v[k])
		}
		return out
	case []any:
		if len(v) == 0 {
			return append(out, requestLine{path, "[]"})
		}
		for i, e := range v {
			out = flattenValue(out, path+"["+strconv.Itoa(i)+"]", e)
		}
		return out
	}
	return append(out, requestLine{path, formatValue(v, false)})
}

// taskRequest writes the request apply will send for t, aligned on "=".
func (h Human) taskRequest(out *errWriter, t *planner.TaskPlan) {
	lines, err := requestLines(t)
	if err != nil {
		taskField(out, "request", h.paint(ansiRed, termtext.Line(err.Error())))
		return
	}
	if lines == nil {
		return
	}
	width := 0
	for _, l := range lines {
		width = max(width, len(l.path))
	}
	out.printf("    request: (what apply sends)\n")
	for _, l := range lines {
		out.printf("      %s %s%s = %s\n", h.paint(ansiGreen, "+"), termtext.Line(l.path), strings.Repeat(" ", width-len(l.path)), termtext.Line(l.value))
	}
}
