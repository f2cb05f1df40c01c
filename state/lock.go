package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gofrs/flock"
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
	fl    *flock.Flock
	// Holder is what the lock file records about this holder.
	Holder Holder
}

// Lock takes the state lock, <state>.lock, for op (the operation named to
// others who wait: "apply", "state mv", ...). It waits up to timeout (0:
// try once), then fails with a *LockError that names the holder. The lock
// is an advisory kernel lock on the file: it is released when the process
// exits, however it exits. Locks of different Stores, in one process or
// several, exclude each other.
func (s *Store) Lock(ctx context.Context, op string, timeout time.Duration) (*Lock, error) {
	path := s.LockPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("taking the state lock: %w", err)
	}
	start := time.Now()
	deadline := start.Add(timeout)
	delay := 5 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("waiting for the state lock: %w", err)
		}
		fl := flock.New(path, flock.SetPermissions(0o644))
		ok, err := fl.TryLock()
		if err != nil {
			return nil, fmt.Errorf("taking the state lock %s: %w", path, err)
		}
		if ok {
			// The holder removes the lock file when it unlocks; a file
			// locked after that is no longer the lock: take the new one.
			same, err := lockedFileIsPath(fl, path)
			if err != nil {
				_ = fl.Unlock()
				return nil, fmt.Errorf("taking the state lock %s: %w", path, err)
			}
			if !same {
				_ = fl.Unlock()
				continue
			}
			l := &Lock{store: s, fl: fl, Holder: Holder{Host: hostname(), Operation: op, PID: os.Getpid(), Time: time.Now().UTC().Truncate(time.Second)}}
			if err := l.record(); err != nil {
				_ = fl.Unlock()
				return nil, fmt.Errorf("taking the state lock %s: recording the holder: %w", path, err)
			}
			s.mu.Lock()
			s.locked++
			s.mu.Unlock()
			return l, nil
		}
		now := time.Now()
		if !now.Before(deadline) {
			return nil, &LockError{Path: path, Holder: waitHolder(ctx, path), Waited: now.Sub(start)}
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

// record writes the holder into the lock file, in place (the file must
// stay the one that is locked).
func (l *Lock) record() error {
	b, err := json.Marshal(l.Holder)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(l.fl.Path(), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Unlock releases the lock and removes the lock file (and with it the
// holder's record). Removing it before releasing is what keeps this free of
// races: a process that locks the removed file sees that it is no longer
// at the path, and tries again. Unlocking twice is harmless.
func (l *Lock) Unlock() error {
	if l == nil || l.fl == nil {
		return nil
	}
	fl := l.fl
	l.fl = nil
	l.store.mu.Lock()
	l.store.locked--
	l.store.mu.Unlock()
	var rmErr error
	if runtime.GOOS == "windows" {
		// Windows cannot remove an open file: only clear the record.
		rmErr = os.Truncate(fl.Path(), 0)
	} else {
		rmErr = os.Remove(fl.Path())
	}
	if errors.Is(rmErr, os.ErrNotExist) {
		rmErr = nil
	}
	if err := fl.Unlock(); err != nil {
		return fmt.Errorf("releasing the state lock %s: %w", fl.Path(), err)
	}
	if rmErr != nil {
		return fmt.Errorf("releasing the state lock: %w", rmErr)
	}
	return nil
}

// lockedFileIsPath reports whether the file fl locked is still the one at
// path.
func lockedFileIsPath(fl *flock.Flock, path string) (bool, error) {
	held, err := fl.Stat()
	if err != nil {
		return false, err
	}
	now, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(held, now), nil
}

// waitHolder reads who holds the lock, giving a holder that has only just
// taken it a moment to record itself.
func waitHolder(ctx context.Context, path string) *Holder {
	for range 20 {
		if h := readHolder(path); h != nil {
			return h
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(5 * time.Millisecond):
		}
	}
	return readHolder(path)
}

// readHolder reads who holds the lock, nil when the file does not say.
func readHolder(path string) *Holder {
	b, err := os.ReadFile(path)
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
