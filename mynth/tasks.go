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
		path:     "/image/generate",
		body:     jsonBody(body),
		creation: true,
		auth:     true,
		accept:   acceptJSON,
		timeout:  c.timeout,
		maxBytes: c.maxBytes,
		handle: func(_ string, b []byte) (_ any, err error) {
			created, err = DecodeCreated(b)
			return nil, err
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
	result, err := c.get(ctx, id, "", handleTask)
	task, _ := result.(*Task)
	return task, err
}

// handleTask decodes the answer of GET /tasks/id into a *Task. It is a
// function, not a closure, so that a read costs no allocation for it.
func handleTask(id string, b []byte) (any, error) {
	// b was read for this call alone: Raw may keep it.
	t, err := decodeTask(b, true)
	if err != nil {
		return nil, err
	}
	if t.ID != id {
		return nil, fmt.Errorf("asked for task %s, got task %s", id, t.ID)
	}
	return t, nil
}

// Status reads a task's status (GET /tasks/:id/status) with the API key or
// the task's Public Access Token.
func (c *Client) Status(ctx context.Context, id string) (Status, error) {
	var st Status
	_, err := c.get(ctx, id, "/status", func(_ string, b []byte) (_ any, err error) {
		st, err = DecodeStatus(b)
		return nil, err
	})
	return st, err
}

// Results reads a task's images (GET /tasks/:id/results) with the API key
// or the task's Public Access Token.
func (c *Client) Results(ctx context.Context, id string) (*Results, error) {
	var res *Results
	_, err := c.get(ctx, id, "/results", func(_ string, b []byte) (_ any, err error) {
		res, err = DecodeResults(b)
		return nil, err
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

// get reads /tasks/:id<suffix> with the read retry policy and returns
// the result handle left in the call. The URL is made in one piece, the
// path in messages being its end.
func (c *Client) get(ctx context.Context, id, suffix string, handle func(string, []byte) (any, error)) (any, error) {
	u := c.base + "/tasks/" + url.PathEscape(id) + suffix
	path := u[len(c.base):]
	if strings.TrimSpace(id) == "" {
		return nil, fmt.Errorf("GET %s: %w: empty task id", path, ErrInvalid)
	}
	cl := call{
		method:   http.MethodGet,
		url:      u,
		path:     path,
		auth:     true,
		accept:   acceptJSON,
		timeout:  c.timeout,
		maxBytes: c.maxBytes,
		handle:   handle,
		id:       id,
	}
	if err := c.do(ctx, &cl); err != nil {
		return nil, err
	}
	return cl.result, nil
}

func jsonBody(b []byte) func() (io.Reader, string, error) {
	return func() (io.Reader, string, error) {
		return bytes.NewReader(b), acceptJSON, nil
	}
}
