// Package mynth is a Go client for the Mynth image-generation API, usable
// on its own (Mynth publishes no Go SDK).
//
// It owns two things: the API's types (Task, Request, Result, Image,
// Cost, and the exact decimal Amount used for every price, never a float),
// which keep the API's loose shapes (a prompt or size as a string or an
// object, both creation response forms) and tolerate fields added later,
// with RequestFields, the one table of a request's fields that
// comparison, redaction and `state show` walk; and the Client, which sends requests with one token (an API key
// "mak_..." or a task's Public Access Token "pat_...") over a transport
// tuned for many parallel requests.
//
// The client is strict in what it accepts: every response body is capped
// in size and must be exactly one JSON value of the expected shape;
// anything else is an error wrapping ErrMalformed or ErrTooLarge. Errors
// from Mynth are *APIError values that name the request ("GET
// /tasks/tsk_x: 404 not_found: ...") and match the sentinels
// ErrUnauthorized, ErrNotFound, ErrInsufficientBalance, ErrValidation and
// ErrRateLimited with errors.Is. No error text, and no printed form of a
// Client, Options or Created, ever contains a token. The token goes only
// to the API's origin: a redirect elsewhere loses the Authorization
// header, and a Public Access Token is refused before sending on the
// endpoints that take only the API key (Generate, Upload).
//
// Reads (Task, Status, Results, Download, Upload) are retried on network
// errors, 429 and 5xx other than 501, with capped exponential backoff,
// jitter and Retry-After, a bounded number of times (RetryPolicy).
// Creation (Generate) is retried only when the request certainly did not
// reach Mynth: the connection could not be made, or Mynth answered 429.
// When a creation request was sent and no usable answer came back the
// error wraps ErrUnknownOutcome, and the task may exist and cost money.
// Wait polls a task like the official SDK does.
//
// The package holds no global mutable state. The emulator in the
// mynthtest subpackage serves the same API locally for tests; the
// mynthform planner (package planner) builds on this client through its
// own small interface.
package mynth
