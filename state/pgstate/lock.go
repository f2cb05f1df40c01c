package pgstate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mynthform/mynthform/state"
)

// LockError is returned by LockState when another holder kept the lock
// for the whole timeout.
type LockError struct {
	// Where names the state (Backend.Describe).
	Where string
	// Holder is who holds the lock, nil when its record is missing (it has
	// only just taken it, or is gone).
	Holder *state.Holder
	// Waited is how long LockState waited.
	Waited time.Duration
}

// Error names the holder, as the file lock's error does.
func (e *LockError) Error() string {
	who := "another process"
	if e.Holder != nil {
		who = e.Holder.String()
	}
	return fmt.Sprintf("the state is locked by %s; waited %s (%s). Wait for it to finish, or give --lock-timeout to wait longer; the server releases the lock as soon as that process exits or loses its connection",
		who, e.Waited.Round(time.Millisecond), e.Where)
}

// Lock is a held advisory lock on a workspace.
type Lock struct {
	b   *Backend
	key int64
	// Holder is what the locks table records about this holder.
	Holder state.Holder
}

// LockState takes the workspace's lock for op, waiting up to timeout (0:
// try once); then it fails with a *LockError that names the holder. The
// lock is a session-level advisory lock of this Backend's connection: the
// server releases it when the connection ends, however the process ended.
// Beside it, the locks table records the holder (pid, host, operation,
// time) for those who wait.
func (b *Backend) LockState(ctx context.Context, op string, timeout time.Duration) (state.Unlocker, error) {
	l, err := b.Lock(ctx, op, timeout)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Lock is LockState, returning the *Lock.
func (b *Backend) Lock(ctx context.Context, op string, timeout time.Duration) (*Lock, error) {
	key := lockKey(b.schema, b.workspace)
	start := time.Now()
	deadline := start.Add(timeout)
	delay := 10 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("waiting for the state lock: %w", err)
		}
		ok, err := b.tryLock(ctx, key)
		if err != nil {
			return nil, err
		}
		if ok {
			l := &Lock{b: b, key: key, Holder: state.Holder{Host: hostname(), Operation: op, PID: os.Getpid(), Time: time.Now().UTC().Truncate(time.Second)}}
			if err := l.record(ctx); err != nil {
				_ = l.Unlock()
				return nil, err
			}
			return l, nil
		}
		now := time.Now()
		if !now.Before(deadline) {
			h, err := b.holder(ctx)
			if err != nil {
				return nil, err
			}
			return nil, &LockError{Where: b.Describe(), Holder: h, Waited: now.Sub(start)}
		}
		wait := min(delay, deadline.Sub(now))
		delay = min(2*delay, 250*time.Millisecond)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for the state lock: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// tryLock tries the advisory lock once.
func (b *Backend) tryLock(ctx context.Context, key int64) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	conn, err := b.session()
	if err != nil {
		return false, err
	}
	qctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var ok bool
	if err := conn.QueryRow(qctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		return false, b.wrap("taking the state lock", err)
	}
	return ok, nil
}

// record writes the holder beside the lock, tied to this connection's
// server process.
func (l *Lock) record(ctx context.Context) error {
	b := l.b
	b.mu.Lock()
	defer b.mu.Unlock()
	conn, err := b.session()
	if err != nil {
		return err
	}
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
	defer cancel()
	_, err = conn.Exec(qctx, `INSERT INTO `+b.table("locks")+` (workspace, pid, host, operation, locked_at, backend_pid)
		VALUES ($1, $2, $3, $4, $5, pg_backend_pid())
		ON CONFLICT (workspace) DO UPDATE SET pid = EXCLUDED.pid, host = EXCLUDED.host, operation = EXCLUDED.operation,
			locked_at = EXCLUDED.locked_at, backend_pid = EXCLUDED.backend_pid`,
		b.workspace, l.Holder.PID, l.Holder.Host, l.Holder.Operation, l.Holder.Time)
	return b.wrap("recording the state lock's holder", err)
}

// holder reads who holds the workspace's lock: the record of a server
// process that holds an advisory lock now, nil when there is none (the
// holder has only just taken it, or a killed holder's record is left).
func (b *Backend) holder(ctx context.Context) (*state.Holder, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	conn, err := b.session()
	if err != nil {
		return nil, err
	}
	qctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var h state.Holder
	err = conn.QueryRow(qctx, `SELECT l.pid, l.host, l.operation, l.locked_at FROM `+b.table("locks")+` l
		WHERE l.workspace = $1 AND EXISTS (
			SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.granted AND k.pid = l.backend_pid
				AND k.classid = (($2::bigint >> 32) & 4294967295)::oid AND k.objid = ($2::bigint & 4294967295)::oid)`,
		b.workspace, lockKey(b.schema, b.workspace)).Scan(&h.PID, &h.Host, &h.Operation, &h.Time)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, b.wrap("reading who holds the state lock", err)
	}
	h.Time = h.Time.UTC()
	return &h, nil
}

// Unlock removes the holder's record and releases the lock. Unlocking
// twice is harmless.
func (l *Lock) Unlock() error {
	if l == nil || l.b == nil {
		return nil
	}
	b := l.b
	l.b = nil
	b.mu.Lock()
	defer b.mu.Unlock()
	conn, err := b.session()
	if err != nil {
		// A closed connection released the lock already.
		return nil
	}
	ctx, cancel := context.WithTimeout(b.ctx, opTimeout)
	defer cancel()
	if _, err := conn.Exec(ctx, `DELETE FROM `+b.table("locks")+` WHERE workspace = $1 AND backend_pid = pg_backend_pid()`, b.workspace); err != nil {
		return b.wrap("releasing the state lock", err)
	}
	var released bool
	if err := conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1)`, l.key).Scan(&released); err != nil {
		return b.wrap("releasing the state lock", err)
	}
	return nil
}
