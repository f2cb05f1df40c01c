package planner

import (
	"strings"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
)

// sensitiveText stands in for a sensitive value in the plan.
const sensitiveText = "(sensitive)"

// requestFields are the spec's sensitive field names that are request
// fields (the others are id, files and access_token).
var requestFields = []string{"prompt", "model", "size", "count", "inputs", "output", "webhook", "content_rating", "metadata", "access"}

// hasSensitiveRequest reports whether a request field of t is, or derives
// from, a sensitive value.
func hasSensitiveRequest(t *spec.Task) bool {
	for _, f := range requestFields {
		if t.Sensitive[f] {
			return true
		}
	}
	return false
}

// sensitiveFields lists t's sensitive request fields.
func sensitiveFields(t *spec.Task) []string {
	var out []string
	for _, f := range requestFields {
		if t.Sensitive[f] {
			out = append(out, f)
		}
	}
	return out
}

// changeIsSensitive reports whether a change at path shows a sensitive
// value of t: a sensitive request field, or what the result echoes of one
// (the enhanced prompt, the model).
func changeIsSensitive(t *spec.Task, path string) bool {
	if len(t.Sensitive) == 0 {
		return false
	}
	if rest, ok := strings.CutPrefix(path, "request."); ok {
		top, _, _ := strings.Cut(rest, ".")
		top, _, _ = strings.Cut(top, "[")
		return t.Sensitive[top]
	}
	switch {
	case path == "request":
		return hasSensitiveRequest(t)
	case t.Sensitive["prompt"] && (matchPath(path, "result.prompt_enhance") || path == "result"):
		return true
	case t.Sensitive["model"] && (matchPath(path, "result.model") || path == "result"):
		return true
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

// setRequestFields sets the named fields of dst (names as in requestFields)
// to their values in src; other names (a saved plan is input) are ignored.
func setRequestFields(dst *mynth.Request, src mynth.Request, fields []string) {
	for _, f := range fields {
		switch f {
		case "prompt":
			dst.Prompt = src.Prompt
		case "model":
			dst.Model = src.Model
		case "size":
			dst.Size = src.Size
		case "count":
			dst.Count = src.Count
		case "inputs":
			dst.Inputs = src.Inputs
		case "output":
			dst.Output = src.Output
		case "webhook":
			dst.Webhook = src.Webhook
		case "content_rating":
			dst.ContentRating = src.ContentRating
		case "metadata":
			dst.Metadata = src.Metadata
		case "access":
			dst.Access = src.Access
		}
	}
}
