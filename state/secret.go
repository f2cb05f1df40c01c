package state

import (
	"bytes"
)

// looksSecret reports whether b holds what looks like a Mynth API key
// (mak_...) or a Public Access Token (pat_...): the prefix at the start of
// a word, then a letter or digit and at least five more token characters
// (letters, digits, '_' or '-'). Prose such as "a pat_of butter" does not.
func looksSecret(b []byte) bool {
	for _, prefix := range [][]byte{[]byte("mak_"), []byte("pat_")} {
		rest := b
		for {
			i := bytes.Index(rest, prefix)
			if i < 0 {
				break
			}
			wordStart := i == 0 || !isTokenByte(rest[i-1]) || rest[i-1] == '-'
			tail := rest[i+len(prefix):]
			n := 0
			for n < len(tail) && isTokenByte(tail[n]) {
				n++
			}
			if wordStart && n >= 6 && tail[0] != '_' && tail[0] != '-' {
				return true
			}
			rest = rest[i+1:]
		}
	}
	return false
}

func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// findSecret reports where f holds a value that looks like an API key or a
// PAT, as "ADDRESS FIELD". The state never holds one: callers record the
// request without its access token, and this is the last line of defence.
func findSecret(f *File) (string, bool) {
	if where, ok := fileSecret(f); ok {
		return where, true
	}
	for _, addr := range f.Addresses() {
		if where, ok := taskSecret(addr, f.Tasks[addr]); ok {
			return where, true
		}
	}
	return "", false
}

// fileSecret is findSecret for the top-level fields.
func fileSecret(f *File) (string, bool) {
	if looksSecret([]byte(f.Lineage)) {
		return "the lineage", true
	}
	if looksSecret([]byte(f.ToolVersion)) {
		return "the tool version", true
	}
	return "", false
}

// taskSecret is findSecret for one task.
func taskSecret(addr string, t *Task) (string, bool) {
	if looksSecret([]byte(addr)) {
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
		if looksSecret(fl.value) {
			return addr + " " + fl.name, true
		}
	}
	return "", false
}
