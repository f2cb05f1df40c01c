package planner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// maxPollErrors is how many reads of a task in a row may fail, each after
// the client's own retries, before apply gives up on it.
const maxPollErrors = 3

// errApplyWaitTimeout is returned by wait when --wait-timeout passes.
var errApplyWaitTimeout = errors.New("wait timeout")

// wait polls the status of task id until it is done, then reads the full
// task (with pat, only its results). When a read with the API key is
// refused (401) and fallbackPAT is set, it goes on with that access token.
// It gives up after WaitTimeout, on a final error (401, 404), or after
// maxPollErrors failed reads in a row. It polls by ApplyOptions.Poll, the
// schedule package mynth keeps.
//
// Every read is bounded by the time left until WaitTimeout: a server that
// answers one byte at a time cannot hold a poll (and its retries) past it.
func (a *applier) wait(ctx context.Context, id, pat, fallbackPAT string, recorded *state.Task) (*mynth.Task, error) {
	start := a.now()
	waitCtx, cancel := context.WithTimeout(ctx, a.opts.WaitTimeout)
	defer cancel()
	// timedOut tells a read cut short by the wait's deadline from one
	// that failed by itself.
	timedOut := func() bool { return ctx.Err() == nil && waitCtx.Err() != nil }
	errs := 0
	for {
		status, err := a.pollStatus(waitCtx, id, pat)
		switch {
		case err == nil:
			errs = 0
			if status.Done() {
				t, err := a.readDone(waitCtx, id, pat, status, recorded)
				if err != nil && timedOut() {
					return nil, errApplyWaitTimeout
				}
				if err != nil || t.Status.Done() {
					return t, err
				}
				// The full task lags behind its status: poll again.
			}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case timedOut():
			return nil, errApplyWaitTimeout
		case errors.Is(err, mynth.ErrUnauthorized) && pat == "" && fallbackPAT != "":
			pat, fallbackPAT = fallbackPAT, ""
			continue
		case errors.Is(err, mynth.ErrNotFound), errors.Is(err, mynth.ErrUnauthorized):
			return nil, err
		default:
			errs++
			if errs >= maxPollErrors {
				return nil, err
			}
		}
		t := time.NewTimer(a.opts.Poll.Interval(a.now().Sub(start)))
		select {
		case <-waitCtx.Done():
			t.Stop()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, errApplyWaitTimeout
		case <-t.C:
		}
	}
}

func (a *applier) pollStatus(ctx context.Context, id, pat string) (mynth.Status, error) {
	if err := a.acquire(ctx); err != nil {
		return "", err
	}
	defer a.release()
	return a.opts.API.Status(ctx, id, pat)
}

// readDone reads a finished task: the full task with the API key, or its
// results with a PAT (then merged with what the state recorded).
func (a *applier) readDone(ctx context.Context, id, pat string, status mynth.Status, recorded *state.Task) (*mynth.Task, error) {
	if err := a.acquire(ctx); err != nil {
		return nil, err
	}
	defer a.release()
	if pat == "" {
		t, err := a.opts.API.Task(ctx, id)
		if err != nil {
			return nil, err
		}
		if t == nil || t.ID != id {
			return nil, fmt.Errorf("reading task %s: the answer is for another task", id)
		}
		return t, nil
	}
	r, err := a.opts.API.Results(ctx, id, pat)
	if err != nil {
		return nil, err
	}
	var images []mynth.Image
	if r != nil {
		images = r.Images
	}
	return mergePATRead(id, status, images, recorded)
}
