package mynth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"unicode/utf8"
)

// decodeStrict decodes exactly one JSON value from b into v: a truncated
// value, a second value or trailing garbage is an error. Unknown fields are
// allowed (the API grows).
//
// json.Unmarshal accepts exactly the bodies the stream decoding below
// accepts (one value, then only white space) and fills v the same way, in
// one pass and without a copy of b into a decoder's buffer: it is tried
// first. Its errors are worded differently, so a body it refuses is
// decoded again, from a zero v, the slow way, whose error is returned.
// v must point to a zero value, as it does in every caller.
func decodeStrict(b []byte, v any) error {
	if json.Unmarshal(b, v) == nil {
		return nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv.Elem().SetZero()
	}
	return decodeStream(b, v)
}

// decodeStream is decodeStrict's decoding of a body json.Unmarshal refused,
// for its errors: "empty body", the first value's own error, or trailing
// data after it.
func decodeStream(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body")
		}
		return err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON value at offset %d", end)
	}
	return nil
}

// unwrapData returns the object inside {"data": {...}} when b is exactly
// such a wrapper, else b. Some documentation pages show responses wrapped
// this way.
func unwrapData(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' || !bytes.Contains(b, []byte(`"data"`)) {
		return b
	}
	var outer map[string]json.RawMessage
	if json.Unmarshal(b, &outer) != nil || len(outer) != 1 {
		return b
	}
	inner, ok := outer["data"]
	inner = bytes.TrimSpace(inner)
	if !ok || len(inner) == 0 || inner[0] != '{' {
		return b
	}
	return inner
}

// decodeObject decodes body strictly into v, or, when body is a {"data":
// ...} wrapper and empty(v) says the direct decoding found nothing, the
// wrapped object. It returns the object decoded, as sent.
func decodeObject[T any](body []byte, v *T, empty func(*T) bool) ([]byte, error) {
	if err := decodeStrict(body, v); err != nil {
		return nil, err
	}
	raw := bytes.TrimSpace(body)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	if empty(v) {
		if inner := unwrapData(raw); len(inner) != len(raw) {
			var w T
			if err := json.Unmarshal(inner, &w); err != nil {
				return nil, err
			}
			*v, raw = w, inner
		}
	}
	return raw, nil
}

// DecodeTask decodes the body of GET /tasks/:id strictly. Task.Raw is the
// task object exactly as sent (surrounding white space trimmed; a {"data":
// ...} wrapper removed). The task must have an id and a status.
func DecodeTask(body []byte) (*Task, error) {
	return decodeTask(body, false)
}

// decodeTask is DecodeTask. owned says that body is the caller's to give
// away (a response body read for this call alone): Task.Raw is then a
// slice of it rather than a copy.
func decodeTask(body []byte, owned bool) (*Task, error) {
	parts := new(taskParts)
	t := &parts.task
	var raw []byte
	if scanTaskParts(body, parts) && (t.ID != "" || t.Status != "") {
		// The plain case, decoded without reflection; an object without
		// an id or status may be a {"data": ...} wrapper, which
		// decodeObject unwraps.
		raw = bytes.TrimSpace(body)
	} else {
		*t = Task{}
		var err error
		raw, err = decodeObject(body, t, func(t *Task) bool { return t.ID == "" && t.Status == "" })
		if err != nil {
			return nil, fmt.Errorf("task: %w", err)
		}
	}
	if t.ID == "" {
		return nil, errors.New("task: no id")
	}
	if t.Status == "" {
		return nil, fmt.Errorf("task %s: no status", t.ID)
	}
	if owned {
		t.Raw = raw
	} else {
		t.Raw = append(json.RawMessage(nil), raw...)
	}
	return t, nil
}

// DecodeCreated decodes the body of POST /image/generate strictly, in
// either documented form ({"taskId": ...} or {"data": {"taskId": ...}}).
func DecodeCreated(body []byte) (Created, error) {
	var c Created
	if err := decodeStrict(body, &c); err != nil {
		return Created{}, fmt.Errorf("creation response: %w", err)
	}
	return c, nil
}

// DecodeStatus decodes the body of GET /tasks/:id/status strictly. The
// status must be present; a value this client does not know is returned
// as is.
func DecodeStatus(body []byte) (Status, error) {
	var s TaskStatus
	if _, err := decodeObject(body, &s, func(s *TaskStatus) bool { return s.Status == "" }); err != nil {
		return "", fmt.Errorf("status: %w", err)
	}
	if s.Status == "" {
		return "", errors.New("status: no status field")
	}
	return s.Status, nil
}

// DecodeResults decodes the body of GET /tasks/:id/results strictly.
func DecodeResults(body []byte) (*Results, error) {
	var r Results
	if _, err := decodeObject(body, &r, func(r *Results) bool { return r.Images == nil }); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	for i, im := range r.Images {
		if im.Status == "" {
			return nil, fmt.Errorf("results: image %d has no status", i)
		}
	}
	return &r, nil
}

// DecodeUploaded decodes the body of POST /image/upload strictly.
func DecodeUploaded(body []byte) ([]string, error) {
	var u struct {
		URLs []string `json:"urls"`
	}
	if _, err := decodeObject(body, &u, func(u *struct {
		URLs []string `json:"urls"`
	}) bool {
		return u.URLs == nil
	}); err != nil {
		return nil, fmt.Errorf("upload response: %w", err)
	}
	return u.URLs, nil
}

// DecodeError reads an error body into an *APIError with the given status.
// It accepts the flat form that Mynth's official SDK reads and the
// emulator answers ({"error":"text","message":"text","code","field"}; the
// text is error, else message, as in the SDK), the nested form some
// documentation pages show ({"error":{"code","message","field"}}), and a
// bare {"code","message","field"}; anything else (HTML from a proxy, an
// empty body) gives an APIError with the HTTP status text as message. It
// never fails.
func DecodeError(status int, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	type fields struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	}
	var outer struct {
		fields
		Error json.RawMessage `json:"error"`
	}
	if decodeStrict(body, &outer) == nil {
		f := outer.fields
		if len(outer.Error) > 0 {
			var inner fields
			var text string
			if json.Unmarshal(outer.Error, &inner) == nil {
				f = fields{
					Code:    firstNonEmpty(inner.Code, f.Code),
					Message: firstNonEmpty(inner.Message, f.Message),
					Field:   firstNonEmpty(inner.Field, f.Field),
				}
			} else if json.Unmarshal(outer.Error, &text) == nil {
				// The official SDK takes the text from error before message.
				f.Message = firstNonEmpty(text, f.Message)
			}
		}
		e.Code, e.Message, e.Field = oneLine(f.Code, 100), oneLine(f.Message, 500), oneLine(f.Field, 200)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// oneLine shortens server text to one line of at most max bytes.
func oneLine(s string, max int) string {
	s = string(bytes.Join(bytes.Fields([]byte(s)), []byte(" ")))
	if len(s) > max {
		for max > 0 && !utf8.RuneStart(s[max]) {
			max--
		}
		s = s[:max] + "..."
	}
	return s
}
