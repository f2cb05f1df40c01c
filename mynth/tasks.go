package mynth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

const acceptJSON = "application/json"

// Generate creates a task (POST /image/generate). Its answer carries the
// task id and, when req.Access asked for one, the task's Public Access
// Token.
//
// Generate is retried only when the request certainly did not reach Mynth
// (the connection could not be made) or Mynth answered 429. When the
// request was sent but no usable answer came back (the connection dropped,
// a timeout, a truncated or malformed body, a 5xx) the error wraps
// ErrUnknownOutcome: the task may exist and cost money, so the caller must
// not simply repeat the request. 400 (validation, with the field), 401 and
// 402 (insufficient balance) are final *APIError values.
func (c *Client) Generate(ctx context.Context, req Request) (Created, error) {
	if err := c.needAPIKey("POST /image/generate"); err != nil {
		return Created{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Created{}, fmt.Errorf("POST /image/generate: encoding the request: %w", err)
	}
	var created Created
	err = c.do(ctx, &call{
		method:   http.MethodPost,
		url:      c.base + "/image/generate",
		name:     "POST /image/generate",
		body:     jsonBody(body),
		creation: true,
		auth:     true,
		accept:   acceptJSON,
		timeout:  c.timeout,
		maxBytes: c.maxBytes,
		handle: func(b []byte) (err error) {
			created, err = DecodeCreated(b)
			return err
		},
	})
	if err != nil {
		return Created{}, err
	}
	return created, nil
}

// Task reads the full task (GET /tasks/:id). It needs the API key of the
// task's owner: a Public Access Token gets ErrUnauthorized, another
// account's task ErrNotFound. Task.Raw holds the task as received.
func (c *Client) Task(ctx context.Context, id string) (*Task, error) {
	var task *Task
	err := c.get(ctx, id, "", func(b []byte) (err error) {
		// b was read for this call alone: Raw may keep it.
		t, err := decodeTask(b, true)
		if err != nil {
			return err
		}
		if t.ID != id {
			return fmt.Errorf("asked for task %s, got task %s", id, t.ID)
		}
		task = t
		return nil
	})
	return task, err
}

// Status reads a task's status (GET /tasks/:id/status) with the API key or
// the task's Public Access Token.
func (c *Client) Status(ctx context.Context, id string) (Status, error) {
	var st Status
	err := c.get(ctx, id, "/status", func(b []byte) (err error) {
		st, err = DecodeStatus(b)
		return err
	})
	return st, err
}

// Results reads a task's images (GET /tasks/:id/results) with the API key
// or the task's Public Access Token.
func (c *Client) Results(ctx context.Context, id string) (*Results, error) {
	var res *Results
	err := c.get(ctx, id, "/results", func(b []byte) (err error) {
		res, err = DecodeResults(b)
		return err
	})
	return res, err
}

// needAPIKey refuses, before sending anything, a Public Access Token on an
// endpoint that takes only the API key (Mynth would answer 401). The
// error wraps ErrInvalid and ErrUnauthorized.
func (c *Client) needAPIKey(name string) error {
	if strings.HasPrefix(c.token, "pat_") {
		return fmt.Errorf("%s: %w: %w: a Public Access Token only reads its task's status and results; this needs the API key", name, ErrInvalid, ErrUnauthorized)
	}
	return nil
}

// get reads /tasks/:id<suffix> with the read retry policy.
func (c *Client) get(ctx context.Context, id, suffix string, handle func([]byte) error) error {
	path := "/tasks/" + url.PathEscape(id) + suffix
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("GET %s: %w: empty task id", path, ErrInvalid)
	}
	return c.do(ctx, &call{
		method:   http.MethodGet,
		url:      c.base + path,
		name:     "GET " + path,
		auth:     true,
		accept:   acceptJSON,
		timeout:  c.timeout,
		maxBytes: c.maxBytes,
		handle:   handle,
	})
}

func jsonBody(b []byte) func() (io.Reader, string, error) {
	return func() (io.Reader, string, error) {
		return bytes.NewReader(b), acceptJSON, nil
	}
}
