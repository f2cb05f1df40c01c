package state

import (
	"errors"
	"fmt"
)

// The kinds of refusal, for errors.Is on an *Error.
var (
	// ErrNewerVersion: the file was written by a newer format version.
	ErrNewerVersion = errors.New("newer state format version")
	// ErrCorrupt: the file is empty, truncated, not JSON, or not a state.
	ErrCorrupt = errors.New("damaged state file")
	// ErrConflict: the file holds git conflict markers.
	ErrConflict = errors.New("state file holds git conflict markers")
	// ErrSerial: the file on disk has moved on since it was read.
	ErrSerial = errors.New("state file changed since it was read")
	// ErrSerialExhausted: the serial is at MaxSerial and cannot grow.
	ErrSerialExhausted = errors.New("state serial exhausted")
	// ErrLineage: the file on disk is another state altogether.
	ErrLineage = errors.New("state file of another lineage")
	// ErrSecret: the state holds what looks like an API key or a PAT.
	ErrSecret = errors.New("state holds a secret")
)

// Error is a refusal to read or write a state file. Nothing on disk has
// been changed when it is returned. Hint says how to recover.
type Error struct {
	// Path is the state file.
	Path string
	// Where names a state that is not a file, such as "PostgreSQL
	// workspace default (schema mynthform)"; it is used when Path is "".
	Where string
	// Kind is one of the Err* values above; errors.Is matches it.
	Kind error
	// Problem says what is wrong, without the path.
	Problem string
	// Hint says what the user can do about it.
	Hint string
	// Err is the underlying cause, if any.
	Err error
}

// Error returns "PATH: PROBLEM; HINT".
func (e *Error) Error() string {
	s := e.Problem
	if e.Path != "" {
		s = fmt.Sprintf("state file %s: %s", e.Path, e.Problem)
	} else if e.Where != "" {
		s = fmt.Sprintf("%s: %s", e.Where, e.Problem)
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Is reports whether target is the error's Kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }
