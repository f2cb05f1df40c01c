package state

import (
	"regexp"
	"sort"
)

// secretPattern matches what looks like a Mynth API key (mak_...) or a
// Public Access Token (pat_...): the prefix at the start of a word,
// followed by at least six more token characters. Prose such as
// "a pat_of butter" does not match.
var secretPattern = regexp.MustCompile(`(?:^|[^A-Za-z0-9_])(?:mak|pat)_[A-Za-z0-9][A-Za-z0-9_\-]{5,}`)

// findSecret reports where f holds a value that looks like an API key or a
// PAT, as "ADDRESS FIELD". The state never holds one: callers record the
// request without its access token, and this is the last line of defence.
func findSecret(f *File) (string, bool) {
	if secretPattern.MatchString(f.Lineage) {
		return "the lineage", true
	}
	if secretPattern.MatchString(f.ToolVersion) {
		return "the tool version", true
	}
	addrs := make([]string, 0, len(f.Tasks))
	for addr := range f.Tasks {
		addrs = append(addrs, addr)
	}
	sort.Strings(addrs)
	for _, addr := range addrs {
		t := f.Tasks[addr]
		if secretPattern.MatchString(addr) {
			return "an address", true
		}
		if t == nil {
			continue
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
			fields = append(fields,
				struct {
					name  string
					value []byte
				}{"files", []byte(sf.Path + " " + sf.ImageID + " " + sf.URL + " " + sf.SHA256)})
		}
		for _, fl := range fields {
			if secretPattern.Match(fl.value) {
				return addr + " " + fl.name, true
			}
		}
	}
	return "", false
}
