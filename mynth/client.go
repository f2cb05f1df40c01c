package mynth

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultBaseURL is the Mynth API.
const DefaultBaseURL = "https://api.mynth.io"

// Defaults of Options and RetryPolicy.
const (
	DefaultTimeout          = 60 * time.Second
	DefaultDownloadTimeout  = 5 * time.Minute
	DefaultMaxResponseBytes = 8 << 20
	DefaultMaxDownloadBytes = 64 << 20
	DefaultUserAgent        = "mynth-go"
)

// Options configure a Client. The zero value talks to DefaultBaseURL with
// no token and sensible defaults.
type Options struct {
	// BaseURL is the API root, default "https://api.mynth.io". A path
	// prefix is kept ("http://127.0.0.1:8080/api").
	BaseURL string
	// Token is the API key (mak_...) or a task's Public Access Token
	// (pat_...). It is sent only in the Authorization header of API
	// requests, never to image URLs, and never appears in an error or in
	// the client's printed form.
	Token string
	// HTTPClient sends the requests. nil: a client tuned for many parallel
	// requests to one host (pooled keep-alive connections, dial and TLS
	// timeouts). Its own Timeout, if any, applies on top of Timeout below.
	HTTPClient *http.Client
	// Retry says how requests are retried; zero fields take the values of
	// DefaultRetryPolicy.
	Retry RetryPolicy
	// UserAgent is sent with every request, default "mynth-go".
	UserAgent string
	// Timeout bounds one attempt of an API request, from sending it to the
	// end of the response body; default 60s.
	Timeout time.Duration
	// DownloadTimeout bounds one attempt of a Download; default 5 min.
	DownloadTimeout time.Duration
	// MaxResponseBytes caps an API response body; a larger one is an error
	// wrapping ErrTooLarge. Default 8 MiB.
	MaxResponseBytes int64
}

// Format prints the options with the token redacted, whatever the verb.
func (o Options) Format(f fmt.State, verb rune) {
	tok := ""
	if o.Token != "" {
		tok = redacted
	}
	fmt.Fprintf(f, "mynth.Options{BaseURL:%q Token:%q UserAgent:%q Timeout:%s Retry:%+v}",
		o.BaseURL, tok, o.UserAgent, o.Timeout, o.Retry)
}

// RetryPolicy says how often and how patiently requests are retried. Zero
// fields take the values of DefaultRetryPolicy.
type RetryPolicy struct {
	// MaxAttempts bounds the attempts of one call, the first included; 1
	// turns retries off. Default 5.
	MaxAttempts int
	// BaseDelay is the delay before the first retry; each further retry
	// doubles it, with jitter. Default 250ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff delay. Default 8s.
	MaxDelay time.Duration
	// MaxRetryAfter caps how long a Retry-After header makes the client
	// wait. Default 30s.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns the policy used for zero fields: 5 attempts,
// backoff from 250ms doubling up to 8s, Retry-After honoured up to 30s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:   5,
		BaseDelay:     250 * time.Millisecond,
		MaxDelay:      8 * time.Second,
		MaxRetryAfter: 30 * time.Second,
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	def := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = def.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = def.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = def.MaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = def.MaxRetryAfter
	}
	return p
}

// Client talks to the Mynth API. It is safe for concurrent use; make one
// and share it. Methods that read (Task, Status, Results, Download, Upload)
// retry transient failures; Generate retries only when the request
// certainly did not reach Mynth.
type Client struct {
	base  string
	token string
	http  *http.Client
	// direct is the transport of the *http.Client NewClient made itself
	// (nil for Options.HTTPClient): API reads are sent through it
	// without the http.Client's redirect bookkeeping (see send).
	direct   http.RoundTripper
	retry    RetryPolicy
	ua       string
	timeout  time.Duration
	dlTime   time.Duration
	maxBytes int64
	jitter   *jitterSource // shared by clients made with WithToken
	// The header values of every request, made once rather than per
	// request (net/http only reads them): User-Agent, Accept of the JSON
	// API, and Authorization (nil without a token).
	uaHeader, acceptHeader, authHeader []string
	// origin is base's scheme and host as url.Parse reads them, and
	// originLen the length of their text at the start of base, when base
	// is a plain URL (see plainBase): a request URL that is base and a
	// plain path is then made without parsing it (newRequest). Zero
	// otherwise.
	origin    url.URL
	originLen int
}

// plainBase reads base as url.Parse does when it is scheme://host[/path]
// with a path that needs no escaping and nothing else (no user info,
// query, fragment or empty port), and returns its scheme and host and
// the length of their text; ok is false for any other base.
func plainBase(base string) (origin url.URL, n int, ok bool) {
	u, err := url.Parse(base)
	if err != nil || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.ForceQuery ||
		u.Fragment != "" || u.RawPath != "" || u.Host == "" || strings.HasSuffix(u.Host, ":") {
		return url.URL{}, 0, false
	}
	prefix := u.Scheme + "://" + u.Host
	if !strings.HasPrefix(base, prefix) || base[len(prefix):] != u.Path || !plainPath(u.Path) {
		return url.URL{}, 0, false
	}
	return url.URL{Scheme: u.Scheme, Host: u.Host}, len(prefix), true
}

// plainPath reports a path of unreserved characters and slashes only:
// url.Parse keeps it as it is, with no RawPath.
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/':
		default:
			return false
		}
	}
	return true
}

// jitterSource is a client's own random source for backoff jitter.
type jitterSource struct {
	mu  sync.Mutex
	rng *rand.Rand
}

// float64 returns a number in [0, 1).
func (j *jitterSource) float64() float64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.rng.Float64()
}

// NewClient returns a client for opts.
func NewClient(opts Options) *Client {
	c := &Client{
		base:     strings.TrimRight(opts.BaseURL, "/"),
		token:    opts.Token,
		http:     opts.HTTPClient,
		retry:    opts.Retry.withDefaults(),
		ua:       opts.UserAgent,
		timeout:  opts.Timeout,
		dlTime:   opts.DownloadTimeout,
		maxBytes: opts.MaxResponseBytes,
		jitter:   &jitterSource{rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))},
	}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if origin, n, ok := plainBase(c.base); ok {
		c.origin, c.originLen = origin, n
	}
	if c.http == nil {
		c.http = newHTTPClient()
		c.direct = c.http.Transport
	}
	c.http = keepTokenOnOrigin(c.http)
	if c.ua == "" {
		c.ua = DefaultUserAgent
	}
	c.uaHeader, c.acceptHeader = []string{c.ua}, []string{acceptJSON}
	c.setAuthHeader()
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.dlTime <= 0 {
		c.dlTime = DefaultDownloadTimeout
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	return c
}

// maxIdlePerHost is how many idle connections to one host the default
// transport keeps: at least as many as requests in flight (mynthform
// allows up to 1,000), so that every connection goes back to the pool
// after its answer instead of being closed and dialled again for the next
// request. An idle connection is closed after IdleConnTimeout.
const maxIdlePerHost = 1024

// newHTTPClient is the default transport: pooled keep-alive connections
// kept for up to maxIdlePerHost requests in flight to one host, bounded
// dial and TLS handshakes. Per-request deadlines come from contexts, not
// from http.Client.Timeout.
//
// It asks for no compression (no "Accept-Encoding: gzip"): an API answer
// is a few hundred bytes, one TCP segment with its headers whether
// compressed or not, and inflating it costs more CPU than the read
// without it (BenchmarkTaskGzip); images come compressed in their own
// format.
func newHTTPClient() *http.Client {
	// Only the Transport is set: API reads go to it directly (send), so
	// a Timeout, Jar or CheckRedirect set here would be skipped there.
	return &http.Client{
		Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: (&net.Dialer{
				Timeout:   10 * time.Second,
				KeepAlive: 30 * time.Second,
			}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          2 * maxIdlePerHost, // the API and an image host
			MaxIdleConnsPerHost:   maxIdlePerHost,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
			DisableCompression:    true,
		},
	}
}

// keepTokenOnOrigin returns a copy of hc that follows redirects of GET
// and HEAD requests as hc does but drops the Authorization header of one
// that leaves the origin (scheme, host and port) of the first request.
// net/http keeps the header for the same host name on any port or scheme,
// and for subdomains, which would send the token to another server or in
// clear text. A redirect of any other request (a creation, an upload) is
// never followed: the 3xx itself is the answer, so that a request body is
// never sent on to another server, nor a POST turned into a GET.
func keepTokenOnOrigin(hc *http.Client) *http.Client {
	cp := *hc
	next := hc.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
			return http.ErrUseLastResponse
		}
		if !sameOrigin(req.URL, via[0].URL) {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cp
}

// sameOrigin reports whether a and b have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOf(a) == portOf(b)
}

// portOf is u's port, or the default port of its scheme.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// WithToken returns a client that shares c's transport and settings but
// sends token instead: use it to read a task with its Public Access Token.
func (c *Client) WithToken(token string) *Client {
	cc := *c
	cc.token = token
	cc.setAuthHeader()
	return &cc
}

// setAuthHeader makes the Authorization value of c.token.
func (c *Client) setAuthHeader() {
	c.authHeader = nil
	if c.token != "" {
		c.authHeader = []string{"Bearer " + c.token}
	}
}

// BaseURL returns the API root the client talks to.
func (c *Client) BaseURL() string { return c.base }

// Format prints the client without its token, whatever the verb, so that
// %v, %+v and %#v of a client are safe to log.
func (c Client) Format(f fmt.State, verb rune) {
	tok := "none"
	if c.token != "" {
		tok = redacted
	}
	fmt.Fprintf(f, "mynth.Client{BaseURL:%q Token:%s}", c.base, tok)
}
