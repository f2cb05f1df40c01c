package mynth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mynthform/mynthform/internal/termtext"
)

// Sentinel errors. Test for them with errors.Is; an *APIError matches the
// sentinel of its status code.
var (
	// ErrUnauthorized: the token is missing or wrong, or a Public Access
	// Token was used where only the API key works (HTTP 401 or 403).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNotFound: the task does not exist or the caller may not see it
	// (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrInsufficientBalance: the account cannot pay for the task (HTTP 402).
	ErrInsufficientBalance = errors.New("insufficient balance")
	// ErrValidation: Mynth refused the request as invalid (HTTP 400 or 422);
	// APIError.Field names the offending field.
	ErrValidation = errors.New("validation error")
	// ErrRateLimited: Mynth answered 429 to every attempt.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnknownOutcome: a creation request may have reached Mynth but no
	// usable answer came back. The task may exist and may have been charged
	// for; the client never retries such a request and callers must not
	// repeat it blindly.
	ErrUnknownOutcome = errors.New("outcome unknown: the request may have reached Mynth and created a task")
	// ErrMalformed: the response body was not the JSON expected (truncated,
	// trailing data, wrong shape).
	ErrMalformed = errors.New("malformed response")
	// ErrTooLarge: the response body was larger than the client accepts.
	ErrTooLarge = errors.New("response too large")
	// ErrInvalid: the client refused to send the request (an empty task id,
	// an upload that breaks the documented limits, a URL that is not http
	// or https). Nothing was sent.
	ErrInvalid = errors.New("invalid request")
	// ErrWaitTimeout: Wait gave up before the task finished.
	ErrWaitTimeout = errors.New("task still pending")
)

// APIError is an error answer from Mynth: any HTTP status the call does not
// accept, with the error body's code, message and field when it had them.
// Its message never contains a token: text from the server that looks like
// one is redacted.
type APIError struct {
	// Method and Path name the request, e.g. "GET" and "/tasks/tsk_123"
	// (for downloads, the image URL without its query).
	Method, Path string
	// StatusCode is the HTTP status, e.g. 404.
	StatusCode int
	// Code is the machine-readable code of the error body, e.g.
	// "not_found", "validation_error", "insufficient_balance".
	Code string
	// Message is the human-readable message of the error body, or the HTTP
	// status text when the body had none.
	Message string
	// Field names the offending request field of a validation error.
	Field string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
}

// Error reads like "GET /tasks/tsk_x: 404 not_found: Task not found".
// What the server wrote (code, message, field) is data: its control
// characters and newlines are escaped (package termtext), so that the
// message stays one line that cannot forge a CI log's workflow commands.
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Method != "" || e.Path != "" {
		b.WriteString(strings.TrimSpace(e.Method + " " + e.Path))
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d", e.StatusCode)
	text := http.StatusText(e.StatusCode)
	code, msg, field := termtext.Line(e.Code), termtext.Line(e.Message), termtext.Line(e.Field)
	switch {
	case code != "":
		b.WriteString(" " + code)
		if msg != "" {
			b.WriteString(": " + msg)
		}
	case msg == "" || msg == text:
		if text != "" {
			b.WriteString(" " + text)
		}
	default:
		if text != "" {
			b.WriteString(" " + text)
		}
		b.WriteString(": " + msg)
	}
	if field != "" {
		b.WriteString(" (field " + field + ")")
	}
	return b.String()
}

// Is maps the status code to the package's sentinels, so that
// errors.Is(err, ErrNotFound) holds for a 404.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrInsufficientBalance:
		return e.StatusCode == http.StatusPaymentRequired
	case ErrValidation:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// redactedError hides every token in the text of an error it wraps, and
// escapes its control characters, while keeping the chain for errors.Is
// and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err unchanged when its text holds no token and no
// control character, else an error with the same chain, the tokens
// replaced and the control characters escaped: an error of the client
// quotes what the server sent (ids, statuses, content types, messages),
// and is printed on one line.
func redactErr(err error, token string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := termtext.Line(redact(msg, token))
	if red == msg {
		return err
	}
	return &redactedError{msg: red, err: err}
}

// redacted replaces a token.
const redacted = "[REDACTED]"

// redact removes from s the client's token, in clear or base64-encoded
// (a server that echoes the request's headers may encode them), and
// anything that looks like a Mynth API key (mak_...) or Public Access
// Token (pat_...).
func redact(s, token string) string {
	if token != "" && strings.Contains(s, token) {
		s = strings.ReplaceAll(s, token, redacted)
	}
	for _, enc := range encodedForms(token) {
		if strings.Contains(s, enc) {
			s = strings.ReplaceAll(s, enc, redacted)
		}
	}
	for _, prefix := range []string{"mak_", "pat_"} {
		s = redactPrefixed(s, prefix)
	}
	return s
}

// minEncodedToken is the shortest part of a token, in bytes, whose base64
// encoding redact looks for: shorter runs of base64 text could be anything.
const minEncodedToken = 12

// encodedForms returns the texts that token becomes inside base64, in the
// standard and the URL alphabet: base64 encodes three bytes at a time, so
// inside a longer encoded text (base64 of "Authorization: Bearer mak_...")
// the token starts at one of three alignments. For each, the form is the
// encoding of the whole groups the token alone fills; the one or two
// characters at either end also depend on the bytes around it.
func encodedForms(token string) []string {
	var forms []string
	for skip := 0; skip < 3 && skip < len(token); skip++ {
		part := token[skip:]
		part = part[:len(part)/3*3]
		if len(part) < minEncodedToken {
			continue
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			if f := enc.EncodeToString([]byte(part)); !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	return forms
}

func redactPrefixed(s, prefix string) string {
	if !strings.Contains(s, prefix) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, prefix)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		// Only at a word start: "xmak_" is not a key.
		if i > 0 && isTokenByte(s[i-1]) {
			b.WriteString(s[:i+len(prefix)])
			s = s[i+len(prefix):]
			continue
		}
		b.WriteString(s[:i])
		j := i + len(prefix)
		for j < len(s) && isTokenByte(s[j]) {
			j++
		}
		if j == i+len(prefix) {
			b.WriteString(prefix)
		} else {
			b.WriteString(redacted)
		}
		s = s[j:]
	}
}

func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// Hint says what the user can do about the error, in a sentence that ends
// with the fix; it names no secret.
func (e *APIError) Hint() string {
	switch {
	case e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden:
		return "Mynth refused the credentials: check that MYNTH_API_KEY holds an API key (mak_...) of the account that owns the task, or that the task's access_token is its own Public Access Token."
	case e.StatusCode == http.StatusPaymentRequired:
		return "The Mynth account has too little balance for this request: add credit, then run again."
	case e.StatusCode == http.StatusNotFound:
		return "The task does not exist, or belongs to another account: check the task id and MYNTH_API_KEY."
	case e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity:
		if e.Field != "" {
			return fmt.Sprintf("Mynth refused the request: fix %s in the spec (run mynthform validate), then run again.", termtext.Line(e.Field))
		}
		return "Mynth refused the request: fix the task in the spec (run mynthform validate), then run again."
	case e.StatusCode == http.StatusTooManyRequests:
		return "Mynth is limiting the rate of requests: wait a moment and run again, or lower --parallelism."
	case e.StatusCode >= 500:
		return "Mynth failed to answer: run again later; a read is retried, a creation never is."
	}
	return "Run again; if it fails the same way, the request may not be one Mynth accepts."
}
