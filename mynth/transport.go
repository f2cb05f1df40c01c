package mynth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// call is one logical API call: the request to send (rebuilt for every
// attempt) and how to treat its answers.
type call struct {
	method string
	url    string // absolute
	// path names the request in messages, after the method (name): the
	// API path ("/tasks/tsk_x"), or the URL as shown for a download.
	path string
	// body returns a fresh request body and its content type; nil: none.
	body func() (io.Reader, string, error)
	// creation: retried only when certainly not sent (dial errors) or on
	// 429; anything else after sending is ErrUnknownOutcome.
	creation bool
	// auth: send the token. Never for image downloads.
	auth     bool
	accept   string
	timeout  time.Duration
	maxBytes int64
	// handle receives the body of a 2xx answer, with id, and returns
	// what it made of it, kept in result for the caller. An error is a
	// malformed answer: retried for reads, ErrUnknownOutcome for a
	// creation. A handle that is a plain function rather than a closure
	// costs no allocation per call.
	handle func(id string, body []byte) (any, error)
	// id is the task a read asks for, passed to handle.
	id string
	// result is what the last call of handle returned.
	result any
}

// name is the request for messages, "GET /tasks/tsk_x".
func (cl *call) name() string { return cl.method + " " + cl.path }

// outcome is the result of one attempt.
type outcome struct {
	err        error
	retry      bool
	retryAfter time.Duration
}

// do runs c with retries and returns the final error, redacted.
func (c *Client) do(ctx context.Context, cl *call) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", cl.name(), err)
	}
	for attempt := 1; ; attempt++ {
		out := c.attempt(ctx, cl)
		if out.err == nil {
			return nil
		}
		if !out.retry || attempt >= c.retry.MaxAttempts {
			err := out.err
			if out.retry && attempt > 1 {
				err = fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return redactErr(err, c.token)
		}
		if err := sleepCtx(ctx, c.backoff(attempt, out.retryAfter)); err != nil {
			return redactErr(fmt.Errorf("%s: %w (while waiting to retry after: %v)", cl.name(), err, out.err), c.token)
		}
	}
}

// attempt sends the request once and classifies the answer.
func (c *Client) attempt(ctx context.Context, cl *call) outcome {
	actx, cancel := context.WithTimeout(ctx, cl.timeout)
	defer cancel()

	var body io.Reader
	var contentType string
	if cl.body != nil {
		var err error
		if body, contentType, err = cl.body(); err != nil {
			return outcome{err: fmt.Errorf("%s: %w", cl.name(), err)}
		}
	}
	req, err := c.newRequest(actx, cl, body)
	if err != nil {
		return outcome{err: fmt.Errorf("%s: %w: %w", cl.name(), ErrInvalid, unwrapURLError(err))}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	// The values are the client's own, shared by every request: the keys
	// are already canonical, so this is what Header.Set would store.
	switch cl.accept {
	case "":
	case acceptJSON:
		req.Header["Accept"] = c.acceptHeader
	default:
		req.Header.Set("Accept", cl.accept)
	}
	req.Header["User-Agent"] = c.uaHeader
	if cl.auth && c.authHeader != nil {
		req.Header["Authorization"] = c.authHeader
	}

	resp, err := c.send(req, cl)
	if err != nil {
		return c.transportFailure(ctx, actx, cl, err)
	}
	defer resp.Body.Close()

	var retryAfter time.Duration
	if v := resp.Header.Get("Retry-After"); v != "" {
		retryAfter = parseRetryAfter(v, time.Now())
	}
	data, tooLarge, readErr := readCapped(resp, cl.maxBytes)

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		switch {
		case readErr != nil:
			return c.transportFailure(ctx, actx, cl, fmt.Errorf("reading the response: %w", readErr))
		case tooLarge:
			err := fmt.Errorf("%s: %w: more than %d bytes", cl.name(), ErrTooLarge, cl.maxBytes)
			if cl.creation {
				err = fmt.Errorf("%s: %w: %w: more than %d bytes", cl.name(), ErrUnknownOutcome, ErrTooLarge, cl.maxBytes)
			}
			return outcome{err: err}
		}
		res, err := cl.handle(cl.id, data)
		cl.result = res
		if err != nil {
			if cl.creation {
				return outcome{err: fmt.Errorf("%s: %d with %w: %w: %w", cl.name(), resp.StatusCode, ErrMalformed, ErrUnknownOutcome, err)}
			}
			return outcome{err: fmt.Errorf("%s: %w: %w", cl.name(), ErrMalformed, err), retry: true}
		}
		return outcome{}
	}

	if cl.creation && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// The request reached a server, which may have created the task
		// before it redirected; the redirect is not followed.
		where := ""
		if loc, err := url.Parse(resp.Header.Get("Location")); err == nil && loc.Host != "" {
			// Scheme and host only: a query or user info may hold a secret.
			where = " to " + loc.Scheme + "://" + loc.Host
		}
		return outcome{err: fmt.Errorf("%s: %w: the server answered %d, a redirect%s, which is never followed for a creation", cl.name(), ErrUnknownOutcome, resp.StatusCode, where)}
	}
	apiErr := DecodeError(resp.StatusCode, data)
	apiErr.Method, apiErr.Path = cl.method, cl.path
	apiErr.RetryAfter = retryAfter
	apiErr.Code = redact(apiErr.Code, c.token)
	apiErr.Message = redact(apiErr.Message, c.token)
	apiErr.Field = redact(apiErr.Field, c.token)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return outcome{err: apiErr, retry: true, retryAfter: retryAfter}
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		if cl.creation {
			return outcome{err: fmt.Errorf("%w; %w", apiErr, ErrUnknownOutcome)}
		}
		return outcome{err: apiErr, retry: true, retryAfter: retryAfter}
	}
	return outcome{err: apiErr}
}

// newRequest is http.NewRequestWithContext of cl's method and URL. A URL
// that is c's plain base (plainBase) and a plain path after it is not
// parsed: the request is made with an empty URL, which is then set to
// what url.Parse makes of the whole (the base's scheme and host, the
// path as it is). TestNewRequestMatchesNetHTTP holds the two equal.
func (c *Client) newRequest(ctx context.Context, cl *call, body io.Reader) (*http.Request, error) {
	if c.originLen == 0 || len(cl.url) <= c.originLen || cl.url[:c.originLen] != c.base[:c.originLen] ||
		cl.url[c.originLen] != '/' || !plainPath(cl.url[c.originLen:]) {
		return http.NewRequestWithContext(ctx, cl.method, cl.url, body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, "", body)
	if err != nil {
		return nil, err
	}
	*req.URL = c.origin
	req.URL.Path = cl.url[c.originLen:]
	req.Host = c.origin.Host
	return req, nil
}

// send sends req and returns the answer, redirects followed as c.http
// follows them.
//
// An API read (a GET with the token) of a client whose *http.Client
// NewClient made itself goes to its transport directly: http.Client's
// redirect bookkeeping (a copy of the headers, the list of hops) costs
// about 1 µs a read, and API reads are not redirected. When one is, it
// is sent again through c.http, which follows the redirect (and drops the
// token off the origin, keepTokenOnOrigin): a GET can be sent twice.
// Everything else (creations, uploads, downloads, which image hosts do
// redirect) goes through c.http, and so does a URL with user info, for
// which http.Client adds basic authentication.
func (c *Client) send(req *http.Request, cl *call) (*http.Response, error) {
	if c.direct == nil || !cl.auth || req.Method != http.MethodGet || req.URL.User != nil {
		return c.http.Do(req)
	}
	resp, err := c.direct.RoundTrip(req)
	if err != nil {
		// As http.Client reports TLS spoken to a plain HTTP server.
		if tlsErr, ok := err.(tls.RecordHeaderError); ok && string(tlsErr.RecordHeader[:]) == "HTTP/" {
			err = http.ErrSchemeMismatch
		}
		return nil, err
	}
	if !isRedirect(resp) {
		return resp, nil
	}
	// Read a little, as http.Client does, so that the connection is
	// reused.
	_, _ = io.CopyN(io.Discard, resp.Body, 2<<10)
	resp.Body.Close()
	return c.http.Do(req)
}

// isRedirect reports an answer that http.Client follows for a GET: 301,
// 302, 303, 307 or 308 with a Location.
func isRedirect(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return resp.Header.Get("Location") != ""
	}
	return false
}

// transportFailure classifies a failure to get a whole answer: reads are
// retried; a creation is retried only when it was certainly not sent.
func (c *Client) transportFailure(ctx, actx context.Context, cl *call, err error) outcome {
	cause := unwrapURLError(err)
	notSent := isDialError(err)
	if ctxErr := ctx.Err(); ctxErr != nil {
		if cl.creation && !notSent {
			return outcome{err: fmt.Errorf("%s: %w: %w", cl.name(), ErrUnknownOutcome, ctxErr)}
		}
		return outcome{err: fmt.Errorf("%s: %w", cl.name(), ctxErr)}
	}
	if actx.Err() != nil {
		cause = fmt.Errorf("no complete answer within %s: %w", cl.timeout, cause)
	}
	if cl.creation && !notSent {
		return outcome{err: fmt.Errorf("%s: %w: %w", cl.name(), ErrUnknownOutcome, cause)}
	}
	return outcome{err: fmt.Errorf("%s: %w", cl.name(), cause), retry: true}
}

// readCapped reads at most max bytes of the body; tooLarge reports a body
// (or a declared Content-Length) beyond that.
func readCapped(resp *http.Response, max int64) (data []byte, tooLarge bool, err error) {
	if resp.ContentLength > max {
		return nil, true, nil
	}
	if resp.ContentLength > 0 {
		// net/http ends the body at the announced length and reports a
		// shorter one as io.ErrUnexpectedEOF.
		data = make([]byte, resp.ContentLength)
		n, err := io.ReadFull(resp.Body, data)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return data[:n], false, err
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, max+1))
	if int64(len(data)) > max {
		return data[:max], true, nil
	}
	return data, false, err
}

// isDialError reports an error from before any byte of the request could
// be sent: the connection was never made (refused, unreachable, DNS).
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// unwrapURLError drops the *url.Error wrapper of net/http, whose text
// repeats the method and full URL; the call's own name says which request
// failed.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// backoff is the delay before retry number attempt (1 = first retry):
// the server's Retry-After when it sent one (capped), else exponential
// backoff from BaseDelay, capped at MaxDelay, with "equal jitter" (half
// fixed, half random) so that parallel clients spread out.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	p := c.retry
	if retryAfter > 0 {
		return min(retryAfter, p.MaxRetryAfter)
	}
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d/2 + time.Duration(c.jitter.float64()*float64(d/2))
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 when
// absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 86400 {
			n = 86400
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
