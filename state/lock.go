package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/mynthform/mynthform/internal/atomicfile"
)

// Holder is who holds the state lock, as recorded in the lock file. Its
// fields are in the order of their JSON names, so that keys come out
// sorted.
type Holder struct {
	// Host is the holder's host name.
	Host string `json:"host"`
	// Operation is what the holder is doing: "apply", "state rm", ...
	Operation string `json:"operation"`
	// PID is the holder's process id.
	PID int `json:"pid"`
	// Time is when the lock was taken, in UTC.
	Time time.Time `json:"time"`
}

// String describes the holder: "apply (pid 123 on host x since
// 2026-01-02T12:00:01Z)".
func (h Holder) String() string {
	op := h.Operation
	if op == "" {
		op = "another command"
	}
	return fmt.Sprintf("%s (pid %d on host %s since %s)", op, h.PID, h.Host, h.Time.UTC().Format(time.RFC3339))
}

// LockError is returned by Lock when another process held the lock for the
// whole timeout.
type LockError struct {
	// Path is the lock file.
	Path string
	// Holder is who holds the lock, nil when the lock file does not say
	// (the holder has just taken it, or is an older mynthform).
	Holder *Holder
	// Waited is how long Lock waited.
	Waited time.Duration
}

// Error names the holder: "the state is locked by apply (pid 123 on host x
// since ...); waited 10s".
func (e *LockError) Error() string {
	who := "another process"
	if e.Holder != nil {
		who = e.Holder.String()
	}
	return fmt.Sprintf("the state is locked by %s; waited %s (lock file %s). Wait for it to finish, or give --lock-timeout to wait longer; the lock is released as soon as that process exits",
		who, e.Waited.Round(time.Millisecond), e.Path)
}

// Lock is a held state lock.
type Lock struct {
	store *Store
	root  *atomicfile.Root // the state's directory, while locked
	f     *os.File         // the lock file, locked
	rel   string           // the lock file inside root
	// Holder is what the lock file records about this holder.
	Holder Holder
}

// Lock takes the state lock, <state>.lock, for op (the operation named to
// others who wait: "apply", "state mv", ...). It waits up to timeout (0:
// try once), then fails with a *LockError that names the holder. The lock
// is an advisory kernel lock on the file: it is released when the process
// exits, however it exits. Locks of different Stores, in one process or
// several, exclude each other. The lock file is opened inside the state's
// directory and never through a symbolic link: a link at its path is
// refused.
func (s *Store) Lock(ctx context.Context, op string, timeout time.Duration) (*Lock, error) {
	path := s.LockPath()
	start := time.Now()
	deadline := start.Add(timeout)
	delay := 5 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("waiting for the state lock: %w", err)
		}
		l, err := s.tryLock(op)
		switch {
		case errors.Is(err, errLockMoved):
			continue
		case err != nil:
			return nil, fmt.Errorf("taking the state lock %s: %w", path, err)
		case l != nil:
			s.mu.Lock()
			s.locked++
			s.cleanedUnderLock = false
			s.mu.Unlock()
			return l, nil
		}
		now := time.Now()
		if !now.Before(deadline) {
			return nil, &LockError{Path: path, Holder: s.waitHolder(ctx), Waited: now.Sub(start)}
		}
		wait := min(delay, deadline.Sub(now))
		delay = min(2*delay, 100*time.Millisecond)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for the state lock: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// tryLock tries once to take the lock: nil and no error when another
// process holds it, errLockMoved when the file was replaced meanwhile.
func (s *Store) tryLock(op string) (*Lock, error) {
	root, err := s.openRoot()
	if err != nil {
		return nil, err
	}
	f, rel, err := s.openLockFile(root)
	if err != nil {
		root.Close()
		return nil, err
	}
	fail := func(err error) (*Lock, error) {
		f.Close()
		root.Close()
		return nil, err
	}
	ok, err := lockFile(f)
	if err != nil {
		return fail(err)
	}
	if !ok {
		return fail(nil)
	}
	// The holder removes the lock file when it unlocks; a file locked
	// after that is no longer the lock: take the new one.
	same, err := isFileAt(root, rel, f)
	if err != nil {
		return fail(err)
	}
	if !same {
		return fail(errLockMoved)
	}
	l := &Lock{store: s, root: root, f: f, rel: rel, Holder: Holder{Host: hostname(), Operation: op, PID: os.Getpid(), Time: time.Now().UTC().Truncate(time.Second)}}
	if err := l.record(); err != nil {
		return fail(fmt.Errorf("recording the holder: %w", err))
	}
	return l, nil
}

// record writes the holder into the lock file, through the open file
// that is locked.
func (l *Lock) record() error {
	b, err := json.Marshal(l.Holder)
	if err != nil {
		return err
	}
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err = l.f.WriteAt(append(b, '\n'), 0)
	return err
}

// Unlock releases the lock and removes the lock file (and with it the
// holder's record). Removing it before releasing is what keeps this free of
// races: a process that locks the removed file sees that it is no longer
// at the path, and tries again. Unlocking twice is harmless.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	f, root := l.f, l.root
	l.f, l.root = nil, nil
	defer root.Close()
	l.store.mu.Lock()
	l.store.locked--
	l.store.cleanedUnderLock = false
	l.store.mu.Unlock()
	var rmErr error
	if same, err := isFileAt(root, l.rel, f); err != nil || !same {
		// Not our file any more: leave whatever is there.
	} else if runtime.GOOS == "windows" {
		// Windows cannot remove an open file: only clear the record.
		rmErr = f.Truncate(0)
	} else {
		rmErr = root.OS().Remove(l.rel)
	}
	if errors.Is(rmErr, os.ErrNotExist) {
		rmErr = nil
	}
	// Closing the file releases the kernel lock.
	if err := f.Close(); err != nil {
		return fmt.Errorf("releasing the state lock %s: %w", l.store.LockPath(), err)
	}
	if rmErr != nil {
		return fmt.Errorf("releasing the state lock: %w", rmErr)
	}
	return nil
}

// waitHolder reads who holds the lock, giving a holder that has only just
// taken it a moment to record itself.
func (s *Store) waitHolder(ctx context.Context) *Holder {
	for range 20 {
		if h := s.readHolder(); h != nil {
			return h
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(5 * time.Millisecond):
		}
	}
	return s.readHolder()
}

// readHolder reads who holds the lock, nil when the file does not say
// (or is not a regular file inside the state's directory).
func (s *Store) readHolder() *Holder {
	root, err := s.openRoot()
	if err != nil {
		return nil
	}
	defer root.Close()
	rel, err := root.ResolveDir(s.name + ".lock")
	if err != nil {
		return nil
	}
	if info, err := root.OS().Lstat(rel); err != nil || !info.Mode().IsRegular() {
		return nil
	}
	b, err := root.OS().ReadFile(rel)
	if err != nil {
		return nil
	}
	var h Holder
	if err := json.Unmarshal(b, &h); err != nil || h.PID == 0 {
		return nil
	}
	return &h
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}
