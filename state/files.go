package state

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/mynthform/mynthform/internal/atomicfile"
)

// This file holds the Store's file operations: every one goes through an
// atomicfile.Root of the Store's directory, so that no symbolic link (at
// the state, its backup or its lock, or at a directory on the way) can
// lead a read or a write outside it.

// openRoot opens the directory every file of the state stays inside,
// creating it when it does not exist yet (a path named on the command
// line, in a directory to be made).
func (s *Store) openRoot() (*atomicfile.Root, error) {
	root, err := atomicfile.OpenRoot(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(s.dir, 0o755); err == nil {
			root, err = atomicfile.OpenRoot(s.dir)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the state's directory: %w", err)
	}
	return root, nil
}

// outside explains an *atomicfile.OutsideError for the state file named
// what.
func (s *Store) outside(what string, err error) error {
	var oe *atomicfile.OutsideError
	if !errors.As(err, &oe) {
		return err
	}
	via := ""
	if oe.Link != "" {
		via = " through the symbolic link " + filepath.ToSlash(oe.Link)
	}
	return fmt.Errorf("%s leads outside %s%s: mynthform reads and writes the state, its backup and its lock only inside that directory; replace the link by the file itself, or give the path on the command line (--state PATH)", what, oe.Root, via)
}

// readFile reads the state file inside root, following a symbolic link
// only inside the Store's directory. A missing file is fs.ErrNotExist. The
// bytes go into buf when it is large enough (Save reuses one buffer for
// its reads).
func (s *Store) readFile(root *atomicfile.Root, buf []byte) ([]byte, error) {
	rel, err := root.Resolve(s.name)
	if err != nil {
		return nil, s.outside(s.path, err)
	}
	f, err := root.OS().Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := 0
	if info, err := f.Stat(); err == nil && info.Size() > 0 && info.Size() < 1<<40 {
		size = int(info.Size())
	}
	// One byte more than the size, so that a file that did not grow is
	// read to its end without growing the buffer.
	data := buf[:0]
	if cap(data) < size+1 {
		// A state that apply writes grows with every save: room to spare
		// saves a new buffer at each read.
		data = make([]byte, 0, size+size/8+1)
	}
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = slices.Grow(data, 4096)
		}
	}
}

// write keeps the current state as the backup (when there is one: prev
// is its bytes) and replaces the state with out, atomically, inside root.
//
// The new state takes over the storage of the backup it drops (see
// atomicfile.CreateOptions.Recycle), when the backup is a plain file
// beside the state: a write then neither makes a file nor frees one, and
// writes over blocks the file already has (about a quarter less time
// and a third less system CPU per save of a 1,000-task state, where
// ext4 without a journal skips recently freed inodes one by one).
func (s *Store) write(root *atomicfile.Root, out []byte, hasPrev bool, prev []byte) error {
	o := &atomicfile.CreateOptions{}
	if hasPrev {
		if backup, err := root.ResolveDir(s.name + ".backup"); err == nil {
			o.Recycle = backup
		}
	}
	p, err := root.Create(s.name, 0o644, o)
	if err != nil {
		return fmt.Errorf("saving the state: %w", s.outside(s.path, err))
	}
	defer p.Cleanup()
	if hasPrev {
		if err := s.backup(root, prev); err != nil {
			return fmt.Errorf("saving the state: keeping the previous one as %s: %w", s.BackupPath(), s.outside(s.BackupPath(), err))
		}
	}
	if err := p.Ready(); err != nil {
		return fmt.Errorf("saving the state: %w", err)
	}
	if _, err := p.Write(out); err != nil {
		return fmt.Errorf("saving the state: %w", err)
	}
	if err := p.Commit(); err != nil {
		return fmt.Errorf("saving the state: %w", err)
	}
	return nil
}

// backup makes the current state file <state>.backup, atomically: a hard
// link to it under a temporary name, renamed over the backup (the state
// itself is then replaced by a rename, so the link keeps the old bytes).
// Where hard links are not possible it writes prev, the bytes read. A
// backup that is a symbolic link is replaced, never written through.
func (s *Store) backup(root *atomicfile.Root, prev []byte) error {
	state, err := root.Resolve(s.name)
	if err != nil {
		return err
	}
	backup, err := root.ResolveDir(s.name + ".backup")
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(backup), "."+filepath.Base(backup)+strconv.FormatUint(rand.Uint64(), 10))
	if err := root.OS().Link(state, tmp); err == nil {
		err := root.OS().Rename(tmp, backup)
		// When the backup already is the state file (a writer was killed
		// between the two renames), rename does nothing and tmp stays.
		// (Looked for first: a remove of a name that is gone costs two
		// failed calls, an unlink and an rmdir.)
		if _, lerr := root.OS().Lstat(tmp); err != nil || lerr == nil {
			_ = root.OS().Remove(tmp)
		}
		return err
	}
	p, err := root.Create(backup, 0o644, &atomicfile.CreateOptions{NoFollow: true})
	if err != nil {
		return err
	}
	defer p.Cleanup()
	if _, err := p.Write(prev); err != nil {
		return err
	}
	return p.Commit()
}

// staleTempAge is how old a temporary file must be before a Store that
// does not hold the lock takes it for a killed writer's: a live writer
// renames its temporary file within moments.
const staleTempAge = time.Minute

// cleanTemps removes temporary files that writers of this state (or its
// backup) left behind when they were killed, beside the state's path and
// beside the file a link there points at. Under the lock every such file
// is stray; without it only old ones are, since a live writer may be
// about to rename its own. Under the lock it cleans once: no other writer
// can leave one while the lock is held, and this Store removes its own
// when a write fails.
func (s *Store) cleanTemps(root *atomicfile.Root) {
	if s.locked > 0 && s.cleanedUnderLock {
		return
	}
	named, err := root.ResolveDir(s.name)
	if err != nil {
		return
	}
	s.cleanTempsOf(root, named)
	if target, err := root.Resolve(s.name); err == nil && target != named {
		s.cleanTempsOf(root, target)
	}
	s.cleanedUnderLock = s.locked > 0
}

// cleanTempsOf removes the stray temporary files of rel, the state or
// the file a symbolic link at the state's path points at.
func (s *Store) cleanTempsOf(root *atomicfile.Root, rel string) {
	dir := filepath.Dir(rel)
	d, err := root.OS().Open(dir)
	if err != nil {
		return
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return
	}
	pattern := tempPattern(rel)
	now := time.Now()
	for _, e := range entries {
		if !e.Type().IsRegular() || !pattern.MatchString(e.Name()) {
			continue
		}
		if s.locked == 0 {
			info, err := e.Info()
			if err != nil || now.Sub(info.ModTime()) < staleTempAge {
				continue
			}
		}
		_ = root.OS().Remove(filepath.Join(dir, e.Name()))
	}
}

// tempPattern matches the temporary files of the state and its backup:
// "." + base name (+ ".backup") + digits, as atomicfile and backup name them.
func tempPattern(path string) *regexp.Regexp {
	return regexp.MustCompile(`^\.` + regexp.QuoteMeta(filepath.Base(path)) + `(\.backup)?[0-9]+$`)
}

// openLockFile opens the lock file, creating it, inside root: it is never
// opened through a symbolic link (one there is refused: it is not
// mynthform's), and what is opened is checked to be the regular file at
// the lock's path.
func (s *Store) openLockFile(root *atomicfile.Root) (*os.File, string, error) {
	rel, err := root.ResolveDir(s.name + ".lock")
	if err != nil {
		return nil, "", s.outside(s.LockPath(), err)
	}
	if err := root.OS().MkdirAll(filepath.Dir(rel), 0o755); err != nil {
		return nil, "", err
	}
	if info, err := root.OS().Lstat(rel); err == nil && !info.Mode().IsRegular() {
		return nil, "", notRegularLock(s.LockPath(), info)
	}
	f, err := root.OS().OpenFile(rel, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		f, err = root.OS().OpenFile(rel, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			// Removed by a holder that unlocked meanwhile.
			err = errLockMoved
		}
	}
	if err != nil {
		return nil, "", err
	}
	same, err := isFileAt(root, rel, f)
	if err == nil && !same {
		err = errLockMoved
	}
	if err != nil {
		f.Close()
		return nil, "", err
	}
	return f, rel, nil
}

// errLockMoved is openLockFile's error when the lock file was replaced
// while it was being opened; Lock tries again.
var errLockMoved = errors.New("the lock file was replaced while it was opened")

// notRegularLock refuses a lock path that holds something else than a
// regular file.
func notRegularLock(path string, info fs.FileInfo) error {
	what := "is not a regular file"
	if info.Mode()&fs.ModeSymlink != 0 {
		what = "is a symbolic link, which mynthform never follows (it makes its lock file itself)"
	}
	return fmt.Errorf("the lock file %s %s; remove it and run the command again", path, what)
}

// isFileAt reports whether f is the regular file at rel inside root (and
// not reached through a symbolic link).
func isFileAt(root *atomicfile.Root, rel string, f *os.File) (bool, error) {
	held, err := f.Stat()
	if err != nil {
		return false, err
	}
	now, err := root.OS().Lstat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return now.Mode().IsRegular() && os.SameFile(held, now), nil
}
