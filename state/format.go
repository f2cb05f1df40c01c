package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/mynthform/mynthform/mynth"
)

// The JSON shapes of the newest format. Their fields are in the order of
// their JSON names, so that encoding/json writes sorted keys (it writes
// struct fields in declaration order and map keys sorted).
type (
	fileJSON struct {
		Lineage     string              `json:"lineage"`
		Serial      uint64              `json:"serial"`
		Tasks       map[string]taskJSON `json:"tasks"`
		ToolVersion string              `json:"tool_version"`
		Version     int                 `json:"version"`
	}
	taskJSON struct {
		CreatedAt string          `json:"created_at,omitempty"`
		Files     []savedFileJSON `json:"files,omitempty"`
		ID        string          `json:"id"`
		Request   json.RawMessage `json:"request,omitempty"`
		Result    json.RawMessage `json:"result,omitempty"`
		Status    mynth.Status    `json:"status"`
		UpdatedAt string          `json:"updated_at,omitempty"`
	}
	savedFileJSON struct {
		ImageID string `json:"image_id"`
		Path    string `json:"path"`
		SHA256  string `json:"sha256"`
		Size    int64  `json:"size"`
		URL     string `json:"url"`
	}
)

// upgrades turns a file of format version v into version v+1, by v. There
// is only version 1 so far; a version 2 adds upgrades[1].
var upgrades = map[int]func(data []byte) ([]byte, error){}

// Encode returns the file as the state format writes it: JSON with sorted
// keys, two-space indentation and a trailing newline. The same content
// always encodes to the same bytes. Request and result JSON are written in
// canonical form (see Canonical).
func Encode(f *File) ([]byte, error) {
	if f == nil {
		return nil, errors.New("encoding state: nil file")
	}
	if f.Lineage == "" {
		return nil, errors.New("encoding state: the file has no lineage")
	}
	v := fileJSON{
		Lineage:     f.Lineage,
		Serial:      f.Serial,
		Tasks:       make(map[string]taskJSON, len(f.Tasks)),
		ToolVersion: f.ToolVersion,
		Version:     FormatVersion,
	}
	for addr, t := range f.Tasks {
		tj, err := taskToJSON(t)
		if err != nil {
			return nil, fmt.Errorf("encoding state: %s: %w", addr, err)
		}
		v.Tasks[addr] = tj
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding state: %w", err)
	}
	return buf.Bytes(), nil
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
	if isCanonical(raw) {
		return append(json.RawMessage(nil), raw...), nil
	}
	// JSON read from an indented state file is canonical once compacted.
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err == nil && isCanonical(compact.Bytes()) {
		return compact.Bytes(), nil
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
	for v := version; v < FormatVersion; v++ {
		up, ok := upgrades[v]
		if !ok {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("state format version %d is not supported", v)}
		}
		if data, err = up(data); err != nil {
			return nil, &Error{Kind: ErrCorrupt, Problem: fmt.Sprintf("upgrading from state format version %d: %v", v, err), Err: err}
		}
	}
	return decodeV1(data)
}

func decodeV1(data []byte) (*File, error) {
	var v struct {
		Version     int              `json:"version"`
		Serial      *uint64          `json:"serial"`
		Lineage     *string          `json:"lineage"`
		ToolVersion string           `json:"tool_version"`
		Tasks       map[string]*Task `json:"tasks"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Kind: ErrCorrupt, Problem: "data after the end of the state"}
	}
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
	if where, ok := findSecret(f); ok {
		return nil, &Error{Kind: ErrSecret,
			Problem: fmt.Sprintf("%s holds what looks like an API key or a Public Access Token", where),
			Hint:    "remove it from the file by hand and rotate that key; mynthform never records one"}
	}
	return f, nil
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
