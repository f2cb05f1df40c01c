package state

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/mynthform/mynthform/internal/atomicfile"
)

// Store reads and writes one state file. Its methods are safe for
// concurrent use; Save calls are serialized.
type Store struct {
	// path is the state file as given, for messages; dir is the directory
	// every file of the state must stay inside, and name the state file
	// inside it.
	path, dir, name string

	mu sync.Mutex
	// last is the file as this Store last read or wrote it, so that Save
	// need not parse the file again when nobody else changed it.
	last struct {
		raw  []byte
		file *File
		// stamp is the state file's as this Store last wrote it (when
		// stamped): under the lock, a file that still has it is the one
		// written, and Save need not read it again.
		stamp   fileStamp
		stamped bool
	}
	// enc remembers how each task and write-ahead record was last
	// encoded.
	enc encodeCache
	// readBuf and encBuf are buffers Save reuses for reading the file and
	// encoding the next one (a large state is a megabyte or more, written
	// many times by one apply); nil when none is free.
	readBuf, encBuf []byte
	// locked counts the locks this Store holds (stray temporary files may
	// then be removed at once: nobody else is writing); cleanedUnderLock
	// is set once they were, under the lock held now.
	locked           int
	cleanedUnderLock bool
	// sec are the values the state must never hold (see Protect).
	sec secrets
}

// Protect adds secrets the state must never hold: the API key and the
// Public Access Tokens the command holds. Save refuses to write a state
// in which any of them appears, and Load to read one; values shorter
// than MinSecretLen are ignored. Nothing else is refused for what it
// looks like: text of the spec that resembles a key is the user's.
func (s *Store) Protect(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sec.values)
	for _, v := range values {
		s.sec.add(v)
	}
	if len(s.sec.values) == n {
		return
	}
	// The cached encodings of tasks were checked without the new values:
	// Save checks each against them before reusing it (see encodeFile),
	// rather than encoding every task again. The file last read or
	// written is checked now, once.
	added := secrets{values: s.sec.values[n:]}
	if s.last.raw != nil && added.in(s.last.raw) {
		s.last.raw, s.last.file, s.last.stamped = nil, nil, false
	}
}

// Open returns the Store of the state file at path, a path named on the
// command line: the state, its backup, its lock and their temporary files
// must stay in path's directory, after symbolic links. Nothing is read
// yet.
func Open(path string) *Store {
	return &Store{path: path, dir: filepath.Dir(path), name: filepath.Base(path)}
}

// OpenIn returns the Store of the state file name inside dir (the spec
// directory): name is relative to dir, or absolute inside it, and every
// file of the state must stay inside dir, after symbolic links. Nothing is
// read yet.
func OpenIn(dir, name string) *Store {
	path := name
	if !filepath.IsAbs(name) {
		path = filepath.Join(dir, name)
	}
	return &Store{path: path, dir: dir, name: name}
}

// Path returns the state file's path.
func (s *Store) Path() string { return s.path }

// BackupPath returns where Save keeps the previous state: <state>.backup.
func (s *Store) BackupPath() string { return s.path + ".backup" }

// LockPath returns the lock file: <state>.lock.
func (s *Store) LockPath() string { return s.path + ".lock" }

// Load reads the state. A missing file gives a new empty File (newest
// version, serial 0, a fresh lineage, no tool version) and no error.
// Anything else that is not a complete state this build can read is
// refused with an *Error that says how to recover; it is never taken for
// an empty state. Load changes nothing on disk but stray temporary files
// of writers that were killed.
func (s *Store) Load() (*File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	root, err := s.openRoot()
	if err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	defer root.Close()
	s.cleanTemps(root)
	data, err := s.readFile(root, nil)
	if errors.Is(err, fs.ErrNotExist) {
		return New(""), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	f, err := s.decode(data)
	if err != nil {
		return nil, err
	}
	return f.Clone(), nil
}

// decode decodes data read from the state file, with the Store's path and
// recovery hints in refusals; it remembers the result, and keeps data when
// it differs from what it remembered.
func (s *Store) decode(data []byte) (*File, error) {
	if s.last.file != nil && bytes.Equal(data, s.last.raw) {
		return s.last.file, nil
	}
	if s.sec.in(data) {
		return nil, &Error{Path: s.path, Kind: ErrSecret,
			Problem: "the file holds the API key or a Public Access Token this command holds",
			Hint:    "remove it from the file by hand and rotate that key; mynthform never records one"}
	}
	f, err := Decode(data)
	if err != nil {
		return nil, s.refusal(err)
	}
	s.last.raw, s.last.file = data, f
	return f, nil
}

// refusal fills in the path and, for a damaged file, how to recover.
func (s *Store) refusal(err error) error {
	var se *Error
	if !errors.As(err, &se) {
		return err
	}
	c := *se
	c.Path = s.path
	if c.Hint == "" && errors.Is(&c, ErrCorrupt) {
		c.Hint = s.restoreHint()
	}
	return &c
}

// restoreHint says how to get a readable state back: from the backup when
// there is one, else from git.
func (s *Store) restoreHint() string {
	git := fmt.Sprintf("the last committed one from git (git checkout -- %s)", s.path)
	if _, err := os.Stat(s.BackupPath()); err != nil {
		return fmt.Sprintf("there is no backup (%s); restore %s", s.BackupPath(), git)
	}
	return fmt.Sprintf("restore the previous state from %s (mynthform keeps it there), or %s", s.BackupPath(), git)
}

// Save writes f as the new state, and reports whether it wrote anything.
// Callers hold the lock (Lock) from before Load until after Save.
//
// When the file on disk records the same content as f (everything but the
// serial and the tool version), Save writes nothing, leaves the file
// byte-for-byte untouched and returns false; so does an f without tasks or attempts
// when there is no file yet. Otherwise it increments f.Serial, keeps the
// current file as <state>.backup, and replaces the state atomically: it
// writes a temporary file in the same directory, fsyncs it, renames it
// over the state and fsyncs the directory, so that a crash at any moment
// leaves either the old or the new state, whole.
//
// Save refuses, with an *Error and without writing, when the file on disk
// has a newer serial than f (another process wrote it since f was read),
// is of another lineage, cannot be read, when f's serial is MaxSerial
// (the serial never wraps back to a smaller one), or when f holds one of
// the secrets given to Protect.
func (s *Store) Save(f *File) (bool, error) {
	if f == nil {
		return false, errors.New("saving the state: nil file")
	}
	if f.Version > FormatVersion {
		return false, fmt.Errorf("saving the state: format version %d is newer than this build's %d", f.Version, FormatVersion)
	}
	if f.Lineage == "" {
		return false, errors.New("saving the state: the file has no lineage (use state.New)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	root, err := s.openRoot()
	if err != nil {
		return false, fmt.Errorf("reading the state before saving: %w", err)
	}
	defer root.Close()
	s.cleanTemps(root)

	var data []byte
	var cur *File
	if s.unchanged(root) {
		// Under the lock, the file is still the one this Store wrote.
		data, cur = s.last.raw, s.last.file
	} else {
		data, err = s.readFile(root, s.readBuf)
	}
	switch {
	case cur != nil:
	case errors.Is(err, fs.ErrNotExist):
		data = nil
	case err != nil:
		return false, fmt.Errorf("reading the state before saving: %w", err)
	default:
		cur, err = s.decode(data)
		// The buffer is free again unless decode kept what it read.
		s.readBuf = data
		if sameBuffer(s.last.raw, data) {
			s.readBuf = nil
		}
		if err != nil {
			var se *Error
			if errors.As(err, &se) {
				c := *se
				c.Problem += "; not overwriting it"
				return false, &c
			}
			return false, err
		}
	}
	if cur != nil {
		if cur.Lineage != f.Lineage {
			return false, &Error{Path: s.path, Kind: ErrLineage,
				Problem: fmt.Sprintf("the file on disk is another state (lineage %s, not %s)", cur.Lineage, f.Lineage),
				Hint:    "it was replaced since it was read; run plan again against it"}
		}
		if cur.Serial > f.Serial {
			return false, &Error{Path: s.path, Kind: ErrSerial,
				Problem: fmt.Sprintf("another process wrote serial %d since serial %d was read", cur.Serial, f.Serial),
				Hint:    "run plan again to see the state as it is now"}
		}
		if cur.ContentEqual(f) {
			return false, nil
		}
	} else if len(f.Tasks) == 0 && len(f.Attempts) == 0 && len(f.Uploads) == 0 {
		return false, nil
	}
	if f.Serial >= MaxSerial {
		return false, &Error{Path: s.path, Kind: ErrSerialExhausted,
			Problem: fmt.Sprintf("the serial is %d, the largest a state may hold, so it cannot grow; not saving", f.Serial),
			Hint:    "start a new state: move the file away, then import the tasks it records"}
	}
	next := *f
	next.Version = FormatVersion
	next.Serial = f.Serial + 1
	// Only the tasks and records that changed since the last save are
	// encoded (and checked for secrets) again.
	out, err := encodeFile(&next, &s.enc, &s.sec, s.encBuf)
	var se *Error
	if errors.As(err, &se) {
		c := *se
		c.Path = s.path
		return false, &c
	}
	if err != nil {
		return false, fmt.Errorf("saving the state: %w", err)
	}
	s.last.stamped = false
	if err := s.write(root, out, cur != nil, data); err != nil {
		s.encBuf = out
		return false, err
	}
	f.Version = FormatVersion
	f.Serial = next.Serial
	// What is on disk now, sharing the cache's private copies of the tasks.
	saved := &File{Version: FormatVersion, Serial: f.Serial, Lineage: f.Lineage, ToolVersion: f.ToolVersion, Tasks: make(map[string]*Task, len(f.Tasks))}
	for addr := range f.Tasks {
		saved.Tasks[addr] = s.enc.tasks[addr].v
	}
	if len(f.Attempts) > 0 {
		saved.Attempts = make(map[string]*Attempt, len(f.Attempts))
		for addr := range f.Attempts {
			saved.Attempts[addr] = s.enc.attempts[addr].v
		}
	}
	for _, h := range f.History {
		saved.History = append(saved.History, h.Clone())
	}
	saved.Uploads = f.CloneUploads()
	// The previous encoding is free for the next one.
	s.encBuf = s.last.raw
	s.last.raw, s.last.file = out, saved
	s.last.stamp, s.last.stamped = s.stampNow(root)
	return true, nil
}

// stampNow returns the stamp of the state file inside root as it is now;
// false when it has none.
func (s *Store) stampNow(root *atomicfile.Root) (fileStamp, bool) {
	rel, err := root.Resolve(s.name)
	if err != nil {
		return fileStamp{}, false
	}
	info, err := root.OS().Lstat(rel)
	if err != nil {
		return fileStamp{}, false
	}
	return stampOf(info)
}

// unchanged reports whether, under the lock, the state file inside root
// is still the one this Store wrote last, as its stamp shows, so that its
// bytes are s.last.raw without reading them again (a megabyte at every
// save of a large apply). Only a writer that ignores the lock could have
// replaced it meanwhile, and that changed the stamp.
func (s *Store) unchanged(root *atomicfile.Root) bool {
	if s.locked == 0 || !s.last.stamped || s.last.raw == nil || s.last.file == nil {
		return false
	}
	now, ok := s.stampNow(root)
	return ok && now.same(s.last.stamp)
}

// sameBuffer reports whether a and b share their first byte's storage.
func sameBuffer(a, b []byte) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:1][0] == &b[:1][0]
}
