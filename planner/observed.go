package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// rawMembers returns the request and result of t as the API sent them
// (t.Raw), or as marshaled from the typed fields when t has no Raw (fakes).
// A member that is absent or null is nil.
func rawMembers(t *mynth.Task) (request, result json.RawMessage, err error) {
	if len(bytes.TrimSpace(t.Raw)) == 0 {
		if t.Request != nil {
			if request, err = json.Marshal(t.Request); err != nil {
				return nil, nil, fmt.Errorf("task %s: request: %w", t.ID, err)
			}
		}
		if t.Result != nil {
			if result, err = json.Marshal(t.Result); err != nil {
				return nil, nil, fmt.Errorf("task %s: result: %w", t.ID, err)
			}
		}
		return request, result, nil
	}
	if request, result, ok := scanMembers(t.Raw); ok {
		return nonNull(request), nonNull(result), nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(t.Raw, &m); err != nil {
		return nil, nil, fmt.Errorf("task %s: %w", t.ID, err)
	}
	return nonNull(m["request"]), nonNull(m["result"]), nil
}

// scanMembers returns the request and result members of raw, a JSON
// object, as decoding it into a map[string]json.RawMessage would (the
// last of duplicate keys wins), without the map: it walks the top-level
// members and slices their values out of raw. It gives up (ok false) on
// anything but a valid object whose keys have no escapes, which the map
// decoding then handles.
func scanMembers(raw []byte) (request, result json.RawMessage, ok bool) {
	if !json.Valid(raw) {
		return nil, nil, false
	}
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, nil, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil, nil, true
	}
	for i < len(raw) && raw[i] == '"' {
		end := bytes.IndexByte(raw[i+1:], '"')
		if end < 0 {
			return nil, nil, false
		}
		key := raw[i+1 : i+1+end]
		if bytes.IndexByte(key, '\\') >= 0 {
			return nil, nil, false
		}
		i = skipSpace(raw, i+2+end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, nil, false
		}
		start := skipSpace(raw, i+1)
		stop := skipValue(raw, start)
		if stop < 0 {
			return nil, nil, false
		}
		switch string(key) {
		case "request":
			request = raw[start:stop]
		case "result":
			result = raw[start:stop]
		}
		i = skipSpace(raw, stop)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
			continue
		}
		return request, result, i < len(raw) && raw[i] == '}'
	}
	return nil, nil, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at b[i], which is
// valid JSON, or -1.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return -1
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			i++
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
			i++
		default:
			i++
		}
		if depth == 0 && i > 0 && (b[i-1] == '"' || b[i-1] == '}' || b[i-1] == ']') {
			return i
		}
	}
	if depth == 0 {
		return i
	}
	return -1
}

func nonNull(raw json.RawMessage) json.RawMessage {
	if s := bytes.TrimSpace(raw); len(s) == 0 || string(s) == "null" {
		return nil
	}
	return raw
}

// StateTaskFromObserved turns a task as read from Mynth into the state's
// record of it: id, status, timestamps, and the request and result as
// canonical JSON (keys sorted, numbers exact, unknown fields kept). The one
// thing it removes is any access token the API might have echoed: a state
// file never holds a secret. Apply and import use it.
func StateTaskFromObserved(t *mynth.Task) (*state.Task, error) {
	if t == nil {
		return nil, fmt.Errorf("no task to record")
	}
	req, res, err := rawMembers(t)
	if err != nil {
		return nil, err
	}
	out := &state.Task{ID: t.ID, Status: t.Status, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if out.Request, err = canonicalScrubbedRequest(req); err != nil {
		return nil, fmt.Errorf("task %s: request: %w", t.ID, err)
	}
	if out.Result, err = canonicalScrubbed(res); err != nil {
		return nil, fmt.Errorf("task %s: result: %w", t.ID, err)
	}
	return out, nil
}

// canonicalScrubbed returns raw without access tokens, in canonical form.
// raw is a task, a result or another document the API wrote; a request in
// it is scrubbed as canonicalScrubbedRequest does.
func canonicalScrubbed(raw json.RawMessage) (json.RawMessage, error) {
	return scrubbedCanonical(raw, true)
}

// canonicalScrubbedRequest is canonicalScrubbed for a request, which
// holds the spec's own text: only members named as access tokens are
// removed, never a value for what it looks like ("pat_sullivan_bakery" is
// a fine name for a bakery). The state refuses the real API key and PATs
// by value.
func canonicalScrubbedRequest(raw json.RawMessage) (json.RawMessage, error) {
	return scrubbedCanonical(raw, false)
}

func scrubbedCanonical(raw json.RawMessage, byValue bool) (json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	tree, err := decodeTree(raw)
	if err != nil {
		return nil, err
	}
	tree = scrubTokens(tree, byValue)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(plainValue(tree)); err != nil {
		return nil, err
	}
	return canonical(bytes.TrimSpace(buf.Bytes()))
}

// scrubTokens removes object members that hold an access token: a member
// whose name mentions a token and, with byValue, any string that looks
// like a PAT or an API key; the member "request" is the spec's text, in
// which only names count.
func scrubTokens(v any, byValue bool) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			lk := strings.ToLower(k)
			if strings.Contains(lk, "accesstoken") || strings.Contains(lk, "access_token") || (byValue && isSecret(e)) {
				delete(v, k)
				continue
			}
			v[k] = scrubTokens(e, byValue && k != "request")
		}
	case jsonArray:
		for i, e := range v {
			if byValue && isSecret(e) {
				v[i] = nil
				continue
			}
			v[i] = scrubTokens(e, byValue)
		}
	}
	return v
}

// isSecret reports whether v is a string that is a whole API key or PAT:
// mak_ or pat_, then a letter or digit and at least five more token
// characters. Prose that merely mentions one is kept.
func isSecret(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < 10 || !(strings.HasPrefix(s, "pat_") || strings.HasPrefix(s, "mak_")) {
		return false
	}
	for i, c := range s[4:] {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// mergePATRead builds what a read with an access token observed: the status
// and images from Mynth, and everything else (request, model, cost) from the
// state's record of the same task, when there is one. The task's Raw is set
// so that apply records exactly this.
func mergePATRead(id string, status mynth.Status, images []mynth.Image, recorded *state.Task) (*mynth.Task, error) {
	doc := map[string]any{"id": id, "status": string(status)}
	result := map[string]json.RawMessage{}
	if recorded != nil {
		if recorded.CreatedAt != "" {
			doc["createdAt"] = recorded.CreatedAt
		}
		if recorded.UpdatedAt != "" && recorded.Status == status {
			doc["updatedAt"] = recorded.UpdatedAt
		}
		if len(recorded.Request) > 0 {
			doc["request"] = json.RawMessage(recorded.Request)
		}
		if len(recorded.Result) > 0 {
			if err := json.Unmarshal(recorded.Result, &result); err != nil {
				return nil, fmt.Errorf("recorded result: %w", err)
			}
		}
	}
	if images != nil || len(result) > 0 {
		merged, err := keepRecordedImages(images, result["images"])
		if err != nil {
			return nil, err
		}
		result["images"] = merged
		doc["result"] = result
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var t mynth.Task
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	t.Raw = raw
	return &t, nil
}

// keepRecordedImages returns the images read as JSON, each one as the state
// recorded it when it is the same image: a record made from a full read
// keeps members that mynth.Image does not model, and a read through the
// access token must not report their absence as a change.
func keepRecordedImages(read []mynth.Image, recorded json.RawMessage) (json.RawMessage, error) {
	var old []json.RawMessage
	if len(recorded) > 0 && json.Unmarshal(recorded, &old) != nil {
		old = nil
	}
	out := make([]json.RawMessage, len(read))
	for i, im := range read {
		b, err := json.Marshal(im)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
		out[i] = b
		if i >= len(old) {
			continue
		}
		var was mynth.Image
		if json.Unmarshal(old[i], &was) != nil {
			continue
		}
		if wb, err := json.Marshal(was); err == nil && bytes.Equal(wb, b) {
			out[i] = old[i]
		}
	}
	return json.Marshal(out)
}
