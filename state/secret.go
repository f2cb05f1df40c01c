package state

import (
	"bytes"
	"encoding/json"
	"slices"
)

// MinSecretLen is the shortest value Protect takes as a secret: a shorter
// one would match ordinary text. Mynth's API keys and Public Access Tokens
// are far longer.
const MinSecretLen = 8

// secrets are the values a state must never hold: the API key and the
// Public Access Tokens the running command holds, each also in the form a
// JSON string would escape it to. The state is checked by comparing these
// values, never by what text looks like: a prompt may well read
// "pat_sullivan_bakery", and it is the user's to record.
type secrets struct {
	values [][]byte
}

// count is how many values s holds; nil holds none.
func (s *secrets) count() int {
	if s == nil {
		return 0
	}
	return len(s.values)
}

// add adds v (and its JSON-escaped form) unless it is too short or known.
func (s *secrets) add(v string) {
	if len(v) < MinSecretLen {
		return
	}
	for _, form := range [][]byte{[]byte(v), bytes.Trim(jsonString(v), `"`)} {
		if !slices.ContainsFunc(s.values, func(b []byte) bool { return bytes.Equal(b, form) }) {
			s.values = append(s.values, form)
		}
	}
}

// in reports whether b holds one of the secrets. JSON in b that spells a
// character with a \u escape is also read as its strings.
func (s *secrets) in(b []byte) bool {
	if s == nil || len(s.values) == 0 {
		return false
	}
	for _, v := range s.values {
		if bytes.Contains(b, v) {
			return true
		}
	}
	if !bytes.Contains(b, []byte(`\u`)) {
		return false
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return false
	}
	return s.inValue(v)
}

// inValue reports whether a decoded JSON value holds a secret in one of
// its strings or object keys.
func (s *secrets) inValue(v any) bool {
	switch v := v.(type) {
	case string:
		return s.in([]byte(v))
	case []any:
		return slices.ContainsFunc(v, s.inValue)
	case map[string]any:
		for k, e := range v {
			if s.in([]byte(k)) || s.inValue(e) {
				return true
			}
		}
	}
	return false
}

// file reports where f's top-level fields hold a secret.
func (s *secrets) file(f *File) (string, bool) {
	if s.in([]byte(f.Lineage)) {
		return "the lineage", true
	}
	if s.in([]byte(f.ToolVersion)) {
		return "the tool version", true
	}
	return "", false
}

// task reports where one task holds a secret, as "ADDRESS FIELD".
func (s *secrets) task(addr string, t *Task) (string, bool) {
	if s.in([]byte(addr)) {
		return "an address", true
	}
	if t == nil {
		return "", false
	}
	fields := []struct {
		name  string
		value []byte
	}{
		{"id", []byte(t.ID)},
		{"status", []byte(t.Status)},
		{"created_at", []byte(t.CreatedAt)},
		{"updated_at", []byte(t.UpdatedAt)},
		{"request", t.Request},
		{"result", t.Result},
	}
	for _, sf := range t.Files {
		fields = append(fields, struct {
			name  string
			value []byte
		}{"files", []byte(sf.Path + " " + sf.ImageID + " " + sf.URL + " " + sf.SHA256)})
	}
	for _, fl := range fields {
		if s.in(fl.value) {
			return addr + " " + fl.name, true
		}
	}
	return "", false
}

// attempt reports where one write-ahead creation record holds a secret.
func (s *secrets) attempt(addr string, at *Attempt) (string, bool) {
	if s.in([]byte(addr)) {
		return "an address", true
	}
	if at == nil {
		return "", false
	}
	if s.in(at.Request) {
		return "the creation record of " + addr + " request", true
	}
	if s.in([]byte(at.ID + " " + at.StartedAt + " " + at.Error)) {
		return "the creation record of " + addr, true
	}
	return "", false
}
