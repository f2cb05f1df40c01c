package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mynthform/mynthform/mynth"
)

// The JSON shapes of a task in the newest format. Their fields are in the
// order of their JSON names, so that encoding/json writes sorted keys (it
// writes struct fields in declaration order). The top level is written by
// encodeFile, in the same order.
type (
	taskJSON struct {
		CreatedAt string          `json:"created_at,omitempty"`
		Files     []savedFileJSON `json:"files,omitempty"`
		ID        string          `json:"id"`
		Request   json.RawMessage `json:"request,omitempty"`
		Result    json.RawMessage `json:"result,omitempty"`
		Status    mynth.Status    `json:"status"`
		UpdatedAt string          `json:"updated_at,omitempty"`
	}
	attemptJSON struct {
		ID        string          `json:"attempt_id"`
		Error     string          `json:"error,omitempty"`
		Request   json.RawMessage `json:"request"`
		StartedAt string          `json:"started_at"`
	}
	savedFileJSON struct {
		ImageID string `json:"image_id"`
		Path    string `json:"path"`
		SHA256  string `json:"sha256"`
		Size    int64  `json:"size"`
		URL     string `json:"url"`
	}
)

// upgrade turns the content of a file of format version v into version
// v+1; Decode reads every older file through each step.
func upgrade(v int, data []byte) ([]byte, error) {
	switch v {
	case 1:
		// Version 2 added the optional "attempts" object (write-ahead
		// creation records) and "history" array (the ledger): a version
		// 1 file is a version 2 file without either.
		var top map[string]json.RawMessage
		if err := json.Unmarshal(data, &top); err != nil {
			return nil, err
		}
		for _, k := range []string{"attempts", "history"} {
			if _, ok := top[k]; ok {
				return nil, fmt.Errorf("%q is not a field of version 1 (was the version changed by hand?)", k)
			}
		}
		top["version"] = json.RawMessage("2")
		return json.Marshal(top)
	case 2:
		// Version 3 added the optional "uploads" object: a version 2 file
		// is a version 3 file without it.
		var top map[string]json.RawMessage
		if err := json.Unmarshal(data, &top); err != nil {
			return nil, err
		}
		if _, ok := top["uploads"]; ok {
			return nil, errors.New(`"uploads" is not a field of version 2 (was the version changed by hand?)`)
		}
		top["version"] = json.RawMessage("3")
		return json.Marshal(top)
	default:
		return nil, fmt.Errorf("no upgrade from state format version %d", v)
	}
}

// Encode returns the file as the state format writes it: JSON with sorted
// keys, two-space indentation and a trailing newline. The same content
// always encodes to the same bytes. Request and result JSON are written in
// canonical form (see Canonical).
func Encode(f *File) ([]byte, error) {
	return encodeFile(f, nil, nil, nil)
}

// encodeCache remembers how the tasks and the write-ahead records of the
// last encoding were encoded, so that saving a large state in which few of
// them changed encodes only those, and assembles the file from the
// remembered pieces. Its tasks and records are private copies, never
// changed once stored. The zero value is ready.
type encodeCache struct {
	tasks    map[string]cached[*Task]
	attempts map[string]cached[*Attempt]
	// addrs are the addresses of the tasks of the last encoding that
	// succeeded, sorted; valid says they are known (keys(tasks) is then
	// the same set). An encoding that fails leaves them unknown.
	addrs []string
	valid bool
}

// cached is the encoding of one task or write-ahead record, kept for the
// next encoding of the file.
type cached[T interface{ Equal(T) bool }] struct {
	v T // a copy of what was encoded
	// member is v as a member of "tasks" or "attempts": a newline, the
	// indentation, its quoted address, ": " and the indented object.
	member []byte
	// checked is how many of the secrets' values v was checked against;
	// values added later (Protect) are checked before reuse.
	checked int
}

// reuse returns the member cached in m for addr when its value is equal
// to v, once it is checked against the secrets added since it was (check
// is secrets.task or secrets.attempt); ok is false when there is none to
// reuse, and an error of kind ErrSecret when v holds one of the secrets.
func reuse[T interface{ Equal(T) bool }](m map[string]cached[T], addr string, v T, sec *secrets, check func(*secrets, string, T) (string, bool)) (member []byte, ok bool, err error) {
	c, ok := m[addr]
	if !ok || !c.v.Equal(v) {
		return nil, false, nil
	}
	if n := sec.count(); c.checked < n {
		added := secrets{values: sec.values[c.checked:n]}
		if where, found := check(&added, addr, v); found {
			return nil, false, secretError(where)
		}
		c.checked = n
		m[addr] = c
	}
	return c.member, true, nil
}

// memberOf returns a member of an object indented at the second level:
// "\n    " + the quoted key + ": " + value.
func memberOf(key string, value []byte) []byte {
	k := jsonString(key)
	b := make([]byte, 0, 7+len(k)+len(value))
	b = append(b, "\n    "...)
	b = append(b, k...)
	b = append(b, ": "...)
	return append(b, value...)
}

// sortedAddrs returns f's task addresses, sorted: the cached ones that
// remain, merged with the new ones, when the cache knows them; the result
// is the cache's until the next encoding.
func (c *encodeCache) sortedAddrs(f *File) []string {
	if c == nil || !c.valid {
		return f.Addresses()
	}
	kept := 0
	for _, a := range c.addrs {
		if _, ok := f.Tasks[a]; ok {
			kept++
		}
	}
	if kept == len(c.addrs) && kept == len(f.Tasks) {
		return c.addrs
	}
	var added []string
	if len(f.Tasks) > kept {
		for a := range f.Tasks {
			if _, ok := c.tasks[a]; !ok {
				added = append(added, a)
			}
		}
		slices.Sort(added)
	}
	out := make([]string, 0, len(f.Tasks))
	old := c.addrs
	for len(old) > 0 || len(added) > 0 {
		if len(old) > 0 {
			if _, ok := f.Tasks[old[0]]; !ok {
				old = old[1:]
				continue
			}
		}
		if len(added) == 0 || len(old) > 0 && old[0] < added[0] {
			out, old = append(out, old[0]), old[1:]
		} else {
			out, added = append(out, added[0]), added[1:]
		}
	}
	return out
}

// encodeFile is Encode. With a cache it reuses the encoding of every task
// and write-ahead record equal to the cached one, and stores the others.
// With sec it refuses, with an *Error of kind ErrSecret, a file that holds
// one of the secrets: every task and record it encodes afresh is checked
// before it is cached, and a cached one against the values added since it
// was checked. The result is written into dst's storage when it is large
// enough.
func encodeFile(f *File, cache *encodeCache, sec *secrets, dst []byte) ([]byte, error) {
	if f == nil {
		return nil, errors.New("encoding state: nil file")
	}
	if f.Lineage == "" {
		return nil, errors.New("encoding state: the file has no lineage")
	}
	addrs := cache.sortedAddrs(f)
	if cache != nil {
		// Valid again only once this encoding succeeds.
		cache.valid = false
		if cache.tasks == nil {
			cache.tasks = map[string]cached[*Task]{}
		}
	}
	parts := make([][]byte, len(addrs))
	size := 0
	for i, addr := range addrs {
		t := f.Tasks[addr]
		if cache != nil {
			member, ok, err := reuse(cache.tasks, addr, t, sec, (*secrets).task)
			if err != nil {
				return nil, err
			}
			if ok {
				parts[i] = member
				size += len(member) + 1
				continue
			}
		}
		if where, ok := sec.task(addr, t); ok {
			return nil, secretError(where)
		}
		tj, err := taskToJSON(t)
		if err != nil {
			return nil, fmt.Errorf("encoding state: %s: %w", addr, err)
		}
		b, err := marshalIndented(tj, "    ")
		if err != nil {
			return nil, fmt.Errorf("encoding state: %s: %w", addr, err)
		}
		parts[i] = memberOf(addr, b)
		size += len(parts[i]) + 1
		if cache != nil {
			cache.tasks[addr] = cached[*Task]{v: t.Clone(), member: parts[i], checked: sec.count()}
		}
	}

	// The layout of encoding/json's indented output, which the golden
	// test pins.
	if where, ok := sec.file(f); ok {
		return nil, secretError(where)
	}
	attempts, err := encodeAttempts(f, cache, sec)
	if err != nil {
		return nil, err
	}
	history, err := encodeHistory(f)
	if err != nil {
		return nil, err
	}
	uploads, err := encodeUploads(f, sec)
	if err != nil {
		return nil, err
	}
	need := size + len(attempts) + len(history) + len(uploads) + len(f.Lineage) + len(f.ToolVersion) + 256
	if cap(dst) < need {
		// A state that apply writes grows with every task it records:
		// room to spare saves a new buffer at each save.
		dst = make([]byte, 0, need+need/8)
	}
	buf := bytes.NewBuffer(dst[:0])
	buf.WriteString("{\n")
	buf.Write(attempts)
	buf.Write(history)
	buf.WriteString("  \"lineage\": ")
	buf.Write(jsonString(f.Lineage))
	fmt.Fprintf(buf, ",\n  \"serial\": %d,\n  \"tasks\": {", f.Serial)
	for i := range addrs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(parts[i])
	}
	if len(addrs) > 0 {
		buf.WriteString("\n  ")
	}
	buf.WriteString("},\n  \"tool_version\": ")
	buf.Write(jsonString(f.ToolVersion))
	buf.WriteString(",\n")
	buf.Write(uploads)
	fmt.Fprintf(buf, "  \"version\": %d\n}\n", FormatVersion)
	if cache != nil {
		if len(cache.tasks) > len(addrs) {
			for addr := range cache.tasks {
				if _, ok := f.Tasks[addr]; !ok {
					delete(cache.tasks, addr)
				}
			}
		}
		cache.addrs, cache.valid = addrs, true
	}
	return buf.Bytes(), nil
}

// historyJSON is a ledger entry as written, its fields in the order of
// their JSON names.
type historyJSON struct {
	Address       string        `json:"address"`
	Cost          *mynth.Amount `json:"cost,omitempty"`
	CreatedAt     string        `json:"created_at,omitempty"`
	ID            string        `json:"id"`
	Reason        string        `json:"reason"`
	ReplacedBy    string        `json:"replaced_by,omitempty"`
	RequestSHA256 string        `json:"request_sha256,omitempty"`
	SupersededAt  string        `json:"superseded_at"`
}

// encodeHistory returns the "history" member of the top level, with its
// trailing comma and newline, or nothing when the ledger is empty.
func encodeHistory(f *File) ([]byte, error) {
	if len(f.History) == 0 {
		return nil, nil
	}
	out := make([]historyJSON, len(f.History))
	for i, h := range f.History {
		if err := checkSuperseded(h); err != nil {
			return nil, fmt.Errorf("encoding state: history[%d]: %w", i, err)
		}
		out[i] = historyJSON{h.Address, h.Cost, h.CreatedAt, h.ID, h.Reason, h.ReplacedBy, h.RequestSHA256, h.SupersededAt}
	}
	b, err := marshalIndented(out, "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding state: history: %w", err)
	}
	res := append([]byte(`  "history": `), b...)
	return append(res, ",\n"...), nil
}

// encodeUploads returns the "uploads" member of the top level, with its
// trailing comma and newline, or nothing when f records no upload. With
// sec it refuses an upload that holds a secret.
func encodeUploads(f *File, sec *secrets) ([]byte, error) {
	if len(f.Uploads) == 0 {
		return nil, nil
	}
	for path, u := range f.Uploads {
		if err := checkUpload(path, u); err != nil {
			return nil, fmt.Errorf("encoding state: uploads: %w", err)
		}
		if sec.in([]byte(path + " " + u.URL + " " + u.UploadedAt)) {
			return nil, secretError("the upload of " + path)
		}
	}
	// encoding/json sorts map keys and writes Upload's fields in order.
	b, err := marshalIndented(f.Uploads, "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding state: uploads: %w", err)
	}
	out := append([]byte(`  "uploads": `), b...)
	return append(out, ",\n"...), nil
}

// checkUpload refuses an upload record that cannot be one.
func checkUpload(path string, u *Upload) error {
	switch {
	case path == "":
		return errors.New("an upload has no path")
	case u == nil:
		return fmt.Errorf("the upload of %s is null", path)
	case !isSHA256Hex(u.SHA256):
		return fmt.Errorf("the upload of %s has sha256 %q, not 64 lower-case hex digits", path, u.SHA256)
	case u.Size <= 0:
		return fmt.Errorf("the upload of %s has size %d", path, u.Size)
	case !strings.HasPrefix(u.URL, "https://") && !strings.HasPrefix(u.URL, "http://"):
		return fmt.Errorf("the upload of %s has URL %q, not http or https", path, u.URL)
	}
	return nil
}

// isSHA256Hex reports whether s is 64 lower-case hex digits.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkSuperseded refuses a ledger entry that cannot be one.
func checkSuperseded(h *Superseded) error {
	switch {
	case h == nil:
		return errors.New("the entry is null")
	case h.Address == "":
		return errors.New("the entry has no address")
	case h.ID == "":
		return fmt.Errorf("the entry of %s has no id", h.Address)
	case h.Reason != SupersededReplaced && h.Reason != SupersededForgotten:
		return fmt.Errorf("the entry of %s has reason %q, not %q or %q", h.Address, h.Reason, SupersededReplaced, SupersededForgotten)
	case h.SupersededAt == "":
		return fmt.Errorf("the entry of %s has no superseded_at", h.Address)
	}
	return nil
}

// encodeAttempts returns the "attempts" member of the top level, with
// its trailing comma and newline, or nothing when f has no attempt. With
// sec it refuses an attempt that holds a secret. With a cache it reuses
// the encoding of every record equal to the cached one (checking it only
// against the secrets added since), and stores the others.
func encodeAttempts(f *File, cache *encodeCache, sec *secrets) ([]byte, error) {
	if cache != nil {
		defer func() {
			if len(cache.attempts) > len(f.Attempts) {
				for addr := range cache.attempts {
					if _, ok := f.Attempts[addr]; !ok {
						delete(cache.attempts, addr)
					}
				}
			}
		}()
	}
	if len(f.Attempts) == 0 {
		return nil, nil
	}
	addrs := f.AttemptAddresses()
	parts := make([][]byte, len(addrs))
	size := 0
	for i, addr := range addrs {
		at := f.Attempts[addr]
		if cache != nil {
			member, ok, err := reuse(cache.attempts, addr, at, sec, (*secrets).attempt)
			if err != nil {
				return nil, err
			}
			if ok {
				parts[i] = member
				size += len(member) + 1
				continue
			}
		}
		aj, err := attemptToJSON(at)
		if err != nil {
			return nil, fmt.Errorf("encoding state: attempt at %s: %w", addr, err)
		}
		if where, ok := sec.attempt(addr, at); ok {
			return nil, secretError(where)
		}
		b, err := marshalIndented(aj, "    ")
		if err != nil {
			return nil, fmt.Errorf("encoding state: attempts: %w", err)
		}
		parts[i] = memberOf(addr, b)
		size += len(parts[i]) + 1
		if cache != nil {
			if cache.attempts == nil {
				cache.attempts = map[string]cached[*Attempt]{}
			}
			cache.attempts[addr] = cached[*Attempt]{v: at.Clone(), member: parts[i], checked: sec.count()}
		}
	}
	// The layout of encoding/json's indented map (its keys sorted).
	out := make([]byte, 0, size+32)
	out = append(out, `  "attempts": {`...)
	for i, p := range parts {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, p...)
	}
	return append(out, "\n  },\n"...), nil
}

func attemptToJSON(at *Attempt) (attemptJSON, error) {
	if at == nil {
		return attemptJSON{}, errors.New("no attempt recorded")
	}
	if at.ID == "" {
		return attemptJSON{}, errors.New("the attempt has no id")
	}
	req, err := canonicalField(at.Request)
	if err != nil {
		return attemptJSON{}, fmt.Errorf("request: %w", err)
	}
	if req == nil {
		return attemptJSON{}, errors.New("the attempt has no request")
	}
	return attemptJSON{ID: at.ID, Error: at.Error, Request: req, StartedAt: at.StartedAt}, nil
}

// secretError is the refusal to write a state that holds a secret.
func secretError(where string) error {
	return &Error{Kind: ErrSecret,
		Problem: where + " holds the API key or a Public Access Token this command holds; not saving it",
		Hint:    "a secret never belongs in a request: give a task's token with access_token, which is never recorded, and rotate the key that was exposed"}
}

// marshalIndented encodes v indented by two spaces, every line after the
// first prefixed by prefix, without HTML escaping or a final newline.
func marshalIndented(v any, prefix string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// jsonString encodes s as a JSON string, without HTML escaping.
func jsonString(s string) []byte {
	plain := utf8.ValidString(s) && !strings.Contains(s, "\u2028") && !strings.Contains(s, "\u2029")
	for i := 0; plain && i < len(s); i++ {
		plain = s[i] >= 0x20
	}
	if !plain {
		b, _ := marshalIndented(s, "") // a string always encodes
		return b
	}
	b := make([]byte, 0, len(s)+8)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// EncodeTask returns one recorded task as the state file holds it (sorted
// keys, two-space indentation, a trailing newline), for `state show --json`.
func EncodeTask(t *Task) ([]byte, error) {
	tj, err := taskToJSON(t)
	if err != nil {
		return nil, fmt.Errorf("encoding task: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tj); err != nil {
		return nil, fmt.Errorf("encoding task: %w", err)
	}
	return buf.Bytes(), nil
}

func taskToJSON(t *Task) (taskJSON, error) {
	if t == nil {
		return taskJSON{}, errors.New("no task recorded")
	}
	if t.ID == "" {
		return taskJSON{}, errors.New("the task has no id")
	}
	req, err := canonicalField(t.Request)
	if err != nil {
		return taskJSON{}, fmt.Errorf("request: %w", err)
	}
	res, err := canonicalField(t.Result)
	if err != nil {
		return taskJSON{}, fmt.Errorf("result: %w", err)
	}
	tj := taskJSON{
		CreatedAt: t.CreatedAt,
		ID:        t.ID,
		Request:   req,
		Result:    res,
		Status:    t.Status,
		UpdatedAt: t.UpdatedAt,
	}
	for _, sf := range t.Files {
		tj.Files = append(tj.Files, savedFileJSON{ImageID: sf.ImageID, Path: sf.Path, SHA256: sf.SHA256, Size: sf.Size, URL: sf.URL})
	}
	return tj, nil
}

// canonicalField is Canonical for a request or result field, with JSON
// null taken as absent.
func canonicalField(raw json.RawMessage) (json.RawMessage, error) {
	c, err := Canonical(raw)
	if err != nil || string(c) == "null" {
		return nil, err
	}
	return c, nil
}

// Canonical returns raw JSON in canonical form: object keys sorted, no
// insignificant whitespace, no HTML escaping, numbers exactly as written
// (they are never converted to floats). Empty input gives nil. Equal
// values of the same JSON give the same bytes, so the state diffs well.
func Canonical(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	if out, ok := canonicalFast(raw); ok {
		return out, nil
	}
	return canonicalSlow(raw)
}

// canonicalSlow is Canonical by decoding and encoding again.
func canonicalSlow(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the value")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Decode reads a state file's content. It refuses, with an *Error (Path
// empty), anything that is not a complete state of a format version this
// build knows: it never returns an empty state for a damaged file.
func Decode(data []byte) (*File, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Kind: ErrCorrupt, Problem: "the file is empty (a write was cut short, or it was truncated)"}
	}
	if line, ok := conflictMarker(data); ok {
		return nil, &Error{Kind: ErrConflict,
			Problem: fmt.Sprintf("line %d holds a git conflict marker", line),
			Hint:    "resolve the merge conflict (keep one side's tasks whole, or take one side and run plan and apply again), then retry"}
	}
	// The common case, a file of the newest version, is read in one pass.
	v, strictErr := parseFile(data)
	if strictErr == nil && string(v.Version) == strconv.Itoa(FormatVersion) {
		if err := duplicateKeys(data); err != nil {
			return nil, err
		}
		return finishFile(v)
	}
	// Otherwise the version decides what the problem is.
	var head struct {
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, syntaxError(data, err)
	}
	if len(head.Version) == 0 || string(head.Version) == "null" {
		return nil, &Error{Kind: ErrCorrupt, Problem: "no format version: this is not a mynthform state file"}
	}
	version, err := strconv.Atoi(string(head.Version))
	if err != nil || version < 1 {
		return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("the format version %s is not a positive integer", head.Version)}
	}
	if version > FormatVersion {
		return nil, &Error{Kind: ErrNewerVersion,
			Problem: fmt.Sprintf("written by a newer mynthform (state format version %d; this build reads up to %d)", version, FormatVersion),
			Hint:    "upgrade mynthform"}
	}
	// Every older version is a subset of the newest in shape, so a
	// problem the strict reading found is one of the file as written,
	// with its position; so is a key written twice.
	if strictErr != nil {
		return nil, strictErr
	}
	if err := duplicateKeys(data); err != nil {
		return nil, err
	}
	for from := version; from < FormatVersion; from++ {
		if data, err = upgrade(from, data); err != nil {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("upgrading from state format version %d: %v", from, err), Err: err}
		}
	}
	if v, err = parseFile(data); err != nil {
		return nil, err
	}
	return finishFile(v)
}

// fileJSON is the top level of a file of the newest version as read.
type fileJSON struct {
	Version     json.RawMessage     `json:"version"`
	Serial      *uint64             `json:"serial"`
	Lineage     *string             `json:"lineage"`
	ToolVersion string              `json:"tool_version"`
	Tasks       map[string]*Task    `json:"tasks"`
	Attempts    map[string]*Attempt `json:"attempts"`
	History     []*Superseded       `json:"history"`
	Uploads     map[string]*Upload  `json:"uploads"`
}

// parseFile reads data as a file of the newest version, refusing unknown
// fields.
func parseFile(data []byte) (*fileJSON, error) {
	var v fileJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Kind: ErrCorrupt, Problem: "data after the end of the state"}
	}
	return &v, nil
}

// finishFile checks a file parseFile read and makes it a File.
func finishFile(v *fileJSON) (*File, error) {
	switch {
	case v.Lineage == nil || *v.Lineage == "":
		return nil, &Error{Kind: ErrCorrupt, Problem: "no lineage"}
	case v.Serial == nil:
		return nil, &Error{Kind: ErrCorrupt, Problem: "no serial"}
	case v.Tasks == nil:
		return nil, &Error{Kind: ErrCorrupt, Problem: `no "tasks" object`}
	}
	f := &File{Version: FormatVersion, Serial: *v.Serial, Lineage: *v.Lineage, ToolVersion: v.ToolVersion, Tasks: v.Tasks}
	for addr, t := range f.Tasks {
		if t == nil {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("%s: the task is null", addr)}
		}
		if t.ID == "" {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("%s: the task has no id", addr)}
		}
		var err error
		if t.Request, err = canonicalField(t.Request); err != nil {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("%s: request: %v", addr, err), Err: err}
		}
		if t.Result, err = canonicalField(t.Result); err != nil {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("%s: result: %v", addr, err), Err: err}
		}
	}
	if len(v.Attempts) > 0 {
		f.Attempts = v.Attempts
	}
	for i, h := range v.History {
		if err := checkSuperseded(h); err != nil {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("history[%d]: %v", i, err), Err: err}
		}
	}
	if len(v.History) > 0 {
		f.History = v.History
	}
	for path, u := range v.Uploads {
		if err := checkUpload(path, u); err != nil {
			return nil, &Error{Kind: ErrCorrupt, Problem: "uploads: " + err.Error(), Err: err}
		}
	}
	if len(v.Uploads) > 0 {
		f.Uploads = v.Uploads
	}
	for addr, at := range f.Attempts {
		if at == nil {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("the creation record of %s is null", addr)}
		}
		if at.ID == "" {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("the creation record of %s has no attempt_id", addr)}
		}
		var err error
		if at.Request, err = canonicalField(at.Request); err != nil {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("the creation record of %s: request: %v", addr, err), Err: err}
		}
		if at.Request == nil {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("the creation record of %s has no request", addr)}
		}
	}
	return f, nil
}

// duplicateKeys refuses a key that appears twice at the top level, in
// "tasks" or "attempts", or in one task or attempt: encoding/json keeps
// the last silently, and a merge that kept both sides of a task would
// forget the other task, which Mynth may have charged for. data is a file
// that parseFile read, so it is valid JSON; one pass over its bytes is
// enough.
func duplicateKeys(data []byte) error {
	type container struct {
		object bool
		level  int    // 0 the top level, 1 "tasks", 2 a task; -1 deeper
		in     string // how a refusal names the object
		keys   keySet // keys so far, for levels 0 to 2
	}
	var stack []container
	wantKey := false // the next string is a key
	key := ""        // the last key read at a checked level
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			end := stringEnd(data, i)
			top := len(stack) - 1
			if wantKey && stack[top].level >= 0 {
				k := data[i+1 : end-1]
				if bytes.IndexByte(k, '\\') >= 0 {
					var unquoted string
					if json.Unmarshal(data[i:end], &unquoted) != nil {
						return nil
					}
					k = []byte(unquoted)
				}
				if !stack[top].keys.add(k) {
					return &Error{Kind: ErrCorrupt,
						Problem: fmt.Sprintf("%q appears twice in %s (a merge kept both sides?)", k, stack[top].in),
						Hint:    "keep the one you mean and delete the other by hand (a task dropped so is forgotten; import can record it again), then retry"}
				}
				if stack[top].level < 2 {
					key = string(k) // names the object it opens, if any
				}
			}
			wantKey = false
			i = end - 1
		case '{':
			c := container{object: true, level: -1}
			switch top := len(stack) - 1; {
			case top < 0:
				c.level, c.in = 0, "the top level"
			case stack[top].object && stack[top].level == 0 && (key == "tasks" || key == "attempts" || key == "uploads"):
				c.level, c.in = 1, strconv.Quote(key)
			case stack[top].object && stack[top].level == 1:
				c.level, c.in = 2, key
			}
			stack = append(stack, c)
			wantKey = true
		case '[':
			stack = append(stack, container{level: -1})
			wantKey = false
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			wantKey = len(stack) > 0 && stack[len(stack)-1].object
		}
	}
	return nil
}

// keySet is the keys of one object. Most objects have a few keys, which a
// slice holds without allocating; "tasks" may have thousands.
type keySet struct {
	few  [][]byte
	many map[string]bool
}

// add adds k and reports whether it was new.
func (s *keySet) add(k []byte) bool {
	if s.many != nil {
		if s.many[string(k)] {
			return false
		}
		s.many[string(k)] = true
		return true
	}
	for _, seen := range s.few {
		if bytes.Equal(seen, k) {
			return false
		}
	}
	s.few = append(s.few, k)
	if len(s.few) > 16 {
		s.many = make(map[string]bool, 2*len(s.few))
		for _, seen := range s.few {
			s.many[string(seen)] = true
		}
		s.few = nil
	}
	return true
}

// stringEnd returns the index just after the JSON string that starts at
// data[start].
func stringEnd(data []byte, start int) int {
	for i := start + 1; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// syntaxError turns a JSON decoding error into a refusal that says where.
func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || (errors.As(err, &se) && se.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n")))):
		return &Error{Kind: ErrCorrupt, Problem: "the JSON ends too early (the file was truncated)", Err: err}
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset)
		return &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, err), Err: err}
	case errors.As(err, &te):
		line, col := lineCol(data, te.Offset)
		return &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("line %d, column %d: %v", line, col, err), Err: err}
	default:
		return &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("not a state file: %v", err), Err: err}
	}
}

func lineCol(data []byte, offset int64) (int, int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// conflictMarker finds the first line that git writes around a merge
// conflict. No line of a JSON document can begin so.
func conflictMarker(data []byte) (int, bool) {
	line := 0
	for len(data) > 0 {
		line++
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		l = bytes.TrimRight(l, "\r")
		switch {
		case bytes.HasPrefix(l, []byte("<<<<<<<")), bytes.HasPrefix(l, []byte(">>>>>>>")),
			bytes.HasPrefix(l, []byte("|||||||")), bytes.Equal(l, []byte("=======")):
			return line, true
		}
	}
	return 0, false
}
