package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Backend is where a state lives: a file (*Store) or a database
// (package state/pgstate). The planner and the commands use a state only
// through it, so that they do not care which one they have.
//
// Its contract is Store's: Load gives a new empty File when no state has
// been written; Save writes only a File whose content changed, increments
// its serial, and refuses with an *Error (ErrLineage, ErrSerial, ErrSecret)
// a File that is not of the stored state's lineage or was read at an older
// serial; LockState excludes every other holder of the same state, in any
// process on any machine, until Unlock or until the holder dies. Callers
// hold the lock from before Load until after the last Save.
type Backend interface {
	// Load reads the state.
	Load() (*File, error)
	// Save writes f as the new state and reports whether it wrote
	// anything.
	Save(f *File) (bool, error)
	// LockState takes the state lock for op ("apply", "state mv", ...),
	// waiting up to timeout (0: try once). When another holder keeps it
	// for the whole timeout the error names that holder.
	LockState(ctx context.Context, op string, timeout time.Duration) (Unlocker, error)
	// Describe names the state for messages: "state file mynth.state.json",
	// "PostgreSQL workspace default (schema mynthform)". It never holds a
	// secret.
	Describe() string
	// Protect adds values the state must never hold (the API key, Public
	// Access Tokens): Save refuses to write a state holding one, Load to
	// read one.
	Protect(values ...string)
}

// Unlocker releases a held state lock. Unlocking twice is harmless.
type Unlocker interface {
	Unlock() error
}

var _ Backend = (*Store)(nil)

// LockState is Lock, for the Backend interface.
func (s *Store) LockState(ctx context.Context, op string, timeout time.Duration) (Unlocker, error) {
	l, err := s.Lock(ctx, op, timeout)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Describe returns "state file PATH".
func (s *Store) Describe() string { return "state file " + s.path }

// Write is what a Backend other than Store writes for Save: the checks of
// Save against cur, the state as stored now (nil when none is), and the
// encoding of the next version of f.
type Write struct {
	// Skip is true when nothing is to be written: cur has the same
	// content as f, or there is no state yet and f records no task and no
	// creation attempt.
	Skip bool
	// Serial is the serial of the new version, f.Serial+1.
	Serial uint64
	// Data is the new version, encoded exactly as a state file holds it.
	Data []byte
	// File is the new version as a File of its own (a deep copy of f at
	// Serial), for the backend to remember as stored.
	File *File
}

// Codec does for a Backend other than Store what Store does around its
// writes: it refuses the secrets given to Protect, and encodes a state
// exactly as a state file holds it, re-encoding only the tasks that
// changed since its last encoding. The zero value is ready; it is safe
// for concurrent use.
type Codec struct {
	mu    sync.Mutex
	sec   secrets
	cache encodeCache
}

// Protect adds values the state must never hold (the API key, Public
// Access Tokens); values shorter than MinSecretLen are ignored. It reports
// whether any was new: what the backend remembers was checked without it.
func (c *Codec) Protect(values ...string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.sec.values)
	for _, v := range values {
		c.sec.add(v)
	}
	// The cached encodings stay: encodeFile checks each against the new
	// values before reusing it.
	return len(c.sec.values) != n
}

// Holds reports whether data, a stored state, holds one of the protected
// values.
func (c *Codec) Holds(data []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sec.in(data)
}

// PrepareWrite does what Save does before it writes: it refuses f when
// cur is of another lineage, has a newer serial than f, or when f holds a
// protected value (each an *Error with Where set to where, which names the
// state for messages), and otherwise encodes f at the next serial. It
// changes neither f nor cur; once the write is done the caller sets
// f.Version to FormatVersion and f.Serial to Write.Serial.
func (c *Codec) PrepareWrite(where string, cur, f *File) (Write, error) {
	if f == nil {
		return Write{}, errors.New("saving the state: nil file")
	}
	if f.Version > FormatVersion {
		return Write{}, fmt.Errorf("saving the state: format version %d is newer than this build's %d", f.Version, FormatVersion)
	}
	if f.Lineage == "" {
		return Write{}, errors.New("saving the state: the file has no lineage (use state.New)")
	}
	if cur != nil {
		if cur.Lineage != f.Lineage {
			return Write{}, &Error{Where: where, Kind: ErrLineage,
				Problem: fmt.Sprintf("the stored state is another one (lineage %s, not %s)", cur.Lineage, f.Lineage),
				Hint:    "it was replaced since it was read; run plan again against it"}
		}
		if cur.Serial > f.Serial {
			return Write{}, &Error{Where: where, Kind: ErrSerial,
				Problem: fmt.Sprintf("another process wrote serial %d since serial %d was read", cur.Serial, f.Serial),
				Hint:    "run plan again to see the state as it is now"}
		}
		if cur.ContentEqual(f) {
			return Write{Skip: true}, nil
		}
	} else if len(f.Tasks) == 0 && len(f.Attempts) == 0 && len(f.Uploads) == 0 {
		return Write{Skip: true}, nil
	}
	return c.EncodeAt(where, f, f.Serial+1)
}

// EncodeAt encodes f as a state file holds it, at the given serial and
// the newest format version, refusing with an *Error (ErrSecret, Where set
// to where) an f that holds a protected value. It changes nothing in f.
func (c *Codec) EncodeAt(where string, f *File, serial uint64) (Write, error) {
	next := f.Clone()
	next.Version = FormatVersion
	next.Serial = serial
	c.mu.Lock()
	defer c.mu.Unlock()
	data, err := encodeFile(next, &c.cache, &c.sec, nil)
	var se *Error
	if errors.As(err, &se) {
		e := *se
		e.Where = where
		return Write{}, &e
	}
	if err != nil {
		return Write{}, fmt.Errorf("saving the state: %w", err)
	}
	return Write{Serial: serial, Data: data, File: next}, nil
}
