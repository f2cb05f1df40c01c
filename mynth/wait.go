package mynth

import (
	"context"
	"fmt"
	"time"

	"github.com/mynthform/mynthform/internal/termtext"
)

// WaitOptions set Wait's schedule. Zero fields take the official SDK's
// values (DefaultWaitFastInterval and the rest).
type WaitOptions struct {
	// Poll is how often Wait polls (PollSchedule).
	Poll PollSchedule
	// Timeout is how long Wait polls before giving up. Default
	// DefaultWaitTimeout.
	Timeout time.Duration
	// OnPoll, if set, is called after every successful poll with the
	// status read and the time waited so far.
	OnPoll func(st Status, waited time.Duration)
}

// The official SDK's polling schedule (mynthio/mynth-sdk, TaskAsync in
// src/task-async.ts), written here once: a poll every 2.5s while the wait
// is younger than 12s, then every 5s, giving up after 5 minutes. Wait and
// the planner's apply poll by it; the SDK adds up to 0.5s of random
// jitter to each interval, which they do not.
const (
	DefaultWaitFastInterval = 2500 * time.Millisecond
	DefaultWaitFastFor      = 12 * time.Second
	DefaultWaitSlowInterval = 5 * time.Second
	DefaultWaitTimeout      = 5 * time.Minute
)

// waitGrace is how long past its timeout Wait's last poll may take.
const waitGrace = 2 * time.Second

// orUnknown is the status for a message, "unknown" before the first
// answer.
func orUnknown(s Status) string {
	if s == "" {
		return "unknown"
	}
	return termtext.Line(string(s))
}

// PollSchedule is how often a pending task's status is polled: every Fast
// while the wait is younger than FastFor, then every Slow. Zero fields take
// the official SDK's values (DefaultWaitFastInterval, DefaultWaitFastFor,
// and DefaultWaitSlowInterval, or Fast when that is longer); a negative
// FastFor means no fast phase. Wait and the planner's apply both poll by
// it.
type PollSchedule struct {
	Fast, FastFor, Slow time.Duration
}

// WithDefaults fills the zero fields of p with the SDK's schedule.
func (p PollSchedule) WithDefaults() PollSchedule {
	if p.Fast <= 0 {
		p.Fast = DefaultWaitFastInterval
	}
	if p.FastFor < 0 {
		p.FastFor = 0
	} else if p.FastFor == 0 {
		p.FastFor = DefaultWaitFastFor
	}
	if p.Slow <= 0 {
		p.Slow = max(p.Fast, DefaultWaitSlowInterval)
	}
	return p
}

// Interval is the delay before the next poll of a task polled for elapsed,
// by a schedule with its defaults filled (WithDefaults).
func (p PollSchedule) Interval(elapsed time.Duration) time.Duration {
	if elapsed < p.FastFor {
		return p.Fast
	}
	return p.Slow
}

func (o WaitOptions) withDefaults() WaitOptions {
	o.Poll = o.Poll.WithDefaults()
	if o.Timeout <= 0 {
		o.Timeout = DefaultWaitTimeout
	}
	return o
}

// Wait polls the task's status (GET /tasks/:id/status, with the client's
// token: use WithToken for a Public Access Token) until it is completed or
// failed, and returns that status. Each poll is retried like any read; an
// error that survives the retries (401, 404, a dead network) ends the
// wait. When the timeout passes first, Wait returns the last status seen
// and an error wrapping ErrWaitTimeout; ctx cancels it at any time.
//
// Every poll is bounded by the time left until the timeout: a server that
// answers one byte at a time cannot hold a poll, or its retries, past it.
func (c *Client) Wait(ctx context.Context, id string, opts WaitOptions) (Status, error) {
	opts = opts.withDefaults()
	start := time.Now()
	deadline := start.Add(opts.Timeout)
	// The last look at the deadline itself gets a moment more.
	pollCtx, cancel := context.WithDeadline(ctx, deadline.Add(waitGrace))
	defer cancel()
	var last Status
	for {
		st, err := c.Status(pollCtx, id)
		if err != nil {
			if ctx.Err() == nil && pollCtx.Err() != nil {
				return last, fmt.Errorf("task %s: %w after %s (status %s; the last poll got no answer in time)", id, ErrWaitTimeout, opts.Timeout, orUnknown(last))
			}
			return last, fmt.Errorf("waiting for task %s: %w", id, err)
		}
		last = st
		waited := time.Since(start)
		if opts.OnPoll != nil {
			opts.OnPoll(st, waited)
		}
		if st.Done() {
			return st, nil
		}
		interval := opts.Poll.Interval(waited)
		now := time.Now()
		if !now.Add(interval).Before(deadline) {
			// One last look at the deadline itself, then give up.
			if rest := deadline.Sub(now); rest > 0 {
				if err := sleepCtx(ctx, rest); err != nil {
					return last, fmt.Errorf("waiting for task %s: %w", id, err)
				}
				if st, err := c.Status(pollCtx, id); err == nil {
					last = st
					if opts.OnPoll != nil {
						opts.OnPoll(st, time.Since(start))
					}
					if st.Done() {
						return st, nil
					}
				}
			}
			return last, fmt.Errorf("task %s: %w after %s (status %s)", id, ErrWaitTimeout, opts.Timeout, termtext.Line(string(last)))
		}
		if err := sleepCtx(ctx, interval); err != nil {
			return last, fmt.Errorf("waiting for task %s: %w", id, err)
		}
	}
}
