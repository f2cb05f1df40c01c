package mynthtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mynthform/mynthform/mynth"
)

// Options configures an Emulator. The zero value is a working emulator:
// tasks complete on the first read after creation, no faults, nothing
// persisted.
type Options struct {
	// Delay is the time from creation to completion. 0 completes a task on
	// the first read after its creation (the creation answer itself always
	// says pending).
	Delay time.Duration
	// Latency is added to every request; Jitter adds up to that much more,
	// drawn from the emulator's seeded random source.
	Latency time.Duration
	Jitter  time.Duration
	// Faults injects failures, overall and per endpoint (see Faults).
	Faults Faults
	// Seed preloads accounts, tasks and PATs (LoadSeed reads a seed file).
	Seed *Seed
	// StorePath persists every task to this JSON file, written atomically
	// after every change, and loads it at start when it exists. A store is
	// itself a valid seed file. When both a store that exists and a Seed are
	// given, the store wins and the seed is ignored.
	StorePath string
	// StoreDir is the directory the store must stay inside, after
	// symbolic links: a write that a link would lead elsewhere is
	// refused. "" is the store's own directory. (mynthform --emulator
	// keeps its store in .mynthform/ and passes the spec directory.)
	StoreDir string

	// BaseURL is the absolute URL image links start with
	// ("http://127.0.0.1:8787"). Empty: taken from each request's Host.
	// NewServer and Start set it.
	BaseURL string
	// RandSeed seeds the random source that draws faults and jitter, so that
	// a test sees the same sequence each run (given the same order of
	// requests). Ids and tokens come from crypto/rand, not from it.
	RandSeed uint64
	// Clock returns the current time; nil is time.Now. Tests move a fake
	// clock to step tasks through their lifecycle.
	Clock func() time.Time
	// Log, when set, receives one line per request: time, method, path,
	// status, duration and the fault injected, never a token.
	Log io.Writer
}

// Emulator is an in-memory Mynth API. It is an http.Handler, safe for
// concurrent use. Build one with New; NewServer and Start serve it over
// HTTP.
type Emulator struct {
	opts Options
	now  func() time.Time

	mu      sync.Mutex
	tasks   map[string]*task       // by task id
	order   []string               // task ids in the order they were added
	pats    map[string]string      // sha256 of a PAT -> task id
	images  map[string]imageSize   // image id -> size, for GET /images/<id>.png
	uploads map[string]uploadedImg // upload file name -> content
	// uploadOrder is the upload names in the order they were received,
	// as the store keeps them.
	uploadOrder []string
	keys        map[string]bool         // sha256 of the seed's API keys
	accounts    []string                // the seed's accounts, in order, kept in the store
	balances    map[string]mynth.Amount // remaining balance of the accounts that have one
	strict      bool
	addr        string // the address last listened on, kept in the store
	dirty       bool
	stored      []byte // the store's content as last read or written
	stats       Stats
	storeMu     sync.Mutex // serializes store writes
	logMu       sync.Mutex // serializes log lines

	faults faultState
	pngs   pngCache
}

// Stats counts what an emulator has served, for tests that check that faults
// were injected or that a creation was not repeated.
type Stats struct {
	// Requests counts requests per endpoint (unknown routes are not counted).
	Requests map[Endpoint]int
	// Faults counts the faults injected, by kind.
	Faults map[FaultKind]int
	// Created counts tasks created through POST /image/generate, including
	// those whose answer a fault then dropped.
	Created int
	// Uploaded counts files stored through POST /image/upload, including
	// those whose answer a fault then dropped.
	Uploaded int
}

// New returns an emulator configured by opts. It loads opts.StorePath when
// that file exists, else opts.Seed. The error reports a store or seed that
// cannot be read.
func New(opts Options) (*Emulator, error) {
	e := &Emulator{
		opts:     opts,
		now:      opts.Clock,
		tasks:    map[string]*task{},
		pats:     map[string]string{},
		images:   map[string]imageSize{},
		uploads:  map[string]uploadedImg{},
		keys:     map[string]bool{},
		balances: map[string]mynth.Amount{},
		stats:    Stats{Requests: map[Endpoint]int{}, Faults: map[FaultKind]int{}},
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	e.faults.init(opts.RandSeed, opts.Faults)
	e.pngs.init(128)

	seed := opts.Seed
	if opts.StorePath != "" {
		st, content, err := readStore(opts.StorePath)
		if err != nil {
			return nil, err
		}
		if st != nil {
			seed = st
			e.stored = content
		}
	}
	if seed != nil {
		if err := e.loadSeed(seed); err != nil {
			return nil, err
		}
	}
	if opts.StorePath != "" {
		e.dirty = true
		if err := e.persist(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// SetFaults replaces the fault configuration at run time, including any
// queued Next faults. It is safe for concurrent use.
func (e *Emulator) SetFaults(f Faults) { e.faults.set(f) }

// Stats returns a copy of the emulator's counters.
func (e *Emulator) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Stats{Requests: map[Endpoint]int{}, Faults: map[FaultKind]int{}, Created: e.stats.Created, Uploaded: e.stats.Uploaded}
	maps.Copy(s.Requests, e.stats.Requests)
	maps.Copy(s.Faults, e.stats.Faults)
	return s
}

// Tasks returns the number of tasks the emulator holds, of every account.
func (e *Emulator) Tasks() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.tasks)
}

// Task returns the task with id as GET /tasks/:id would serve it (moved
// along its lifecycle first), with image URLs made absolute with
// Options.BaseURL, and false when there is no such task.
func (e *Emulator) Task(id string) (json.RawMessage, bool) {
	e.mu.Lock()
	t, ok := e.tasks[id]
	var b []byte
	changed := false
	if ok {
		changed = e.settle(t)
		b = t.marshal(e.opts.BaseURL)
	}
	e.mu.Unlock()
	if changed {
		_ = e.persist()
	}
	return b, ok
}

// AddTask adds t to the account of apiKey (which becomes a known key, even
// for a strict seed), as a seed would. t.Raw is used when set (unknown
// fields kept), else t is marshalled. pat, when not
// empty, is the task's Public Access Token. A pending task added so stays
// pending unless its lifecycle is emulated (see EmulateTask).
func (e *Emulator) AddTask(apiKey string, t mynth.Task, pat string) error {
	raw := t.Raw
	if len(raw) == 0 {
		var err error
		if raw, err = json.Marshal(t); err != nil {
			return fmt.Errorf("add task %s: %w", t.ID, err)
		}
	}
	st, err := parseSeedTask(raw, e.now())
	if err != nil {
		return fmt.Errorf("add task: %w", err)
	}
	if pat != "" {
		st.patHash = hashToken(pat)
	}
	st.owner = hashToken(apiKey)
	e.mu.Lock()
	if !e.keys[st.owner] {
		e.keys[st.owner] = true
		e.accounts = append(e.accounts, st.owner)
	}
	err = e.addTask(st)
	e.dirty = true
	e.mu.Unlock()
	if err != nil {
		return err
	}
	return e.persist()
}

// EmulateTask makes a pending task move through the emulator's lifecycle
// (completing Options.Delay after its creation time, with a result computed
// from its request), as if the emulator had created it.
func (e *Emulator) EmulateTask(id string) error {
	e.mu.Lock()
	t, ok := e.tasks[id]
	if ok {
		t.emulate = true
		t.cachedStore = nil
		e.dirty = true
	}
	e.mu.Unlock()
	if !ok {
		return fmt.Errorf("emulate task %s: no such task", id)
	}
	return e.persist()
}

// addTask indexes t. The caller holds e.mu.
func (e *Emulator) addTask(t *task) error {
	if _, dup := e.tasks[t.id]; dup {
		return fmt.Errorf("task %s is defined twice", t.id)
	}
	if t.patHash != "" {
		if other, dup := e.pats[t.patHash]; dup {
			return fmt.Errorf("tasks %s and %s share a PAT", other, t.id)
		}
		e.pats[t.patHash] = t.id
	}
	e.tasks[t.id] = t
	e.order = append(e.order, t.id)
	e.indexImages(t)
	return nil
}

// hashToken is how the emulator remembers API keys and PATs: as the hex
// sha256 of the token, so that a store never holds a secret.
func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// Endpoint names an API endpoint for fault injection and statistics.
type Endpoint string

// The endpoints of the API.
const (
	EndpointGenerate Endpoint = "generate" // POST /image/generate
	EndpointTask     Endpoint = "task"     // GET /tasks/:id
	EndpointStatus   Endpoint = "status"   // GET /tasks/:id/status
	EndpointResults  Endpoint = "results"  // GET /tasks/:id/results
	EndpointUpload   Endpoint = "upload"   // POST /image/upload
	EndpointImage    Endpoint = "image"    // GET /images/<id>.png and uploaded files
)

// Endpoints lists every endpoint, in a stable order.
var Endpoints = []Endpoint{EndpointGenerate, EndpointTask, EndpointStatus, EndpointResults, EndpointUpload, EndpointImage}

// route is what a request path resolves to.
type route struct {
	endpoint Endpoint
	methods  []string // allowed methods
	id       string   // task id, image id or upload name
}

// match resolves a path; ok is false for a path the API does not have.
func match(path string) (route, bool) {
	switch path {
	case "/image/generate":
		return route{endpoint: EndpointGenerate, methods: []string{http.MethodPost}}, true
	case "/image/upload":
		return route{endpoint: EndpointUpload, methods: []string{http.MethodPost}}, true
	}
	get := []string{http.MethodGet, http.MethodHead}
	if rest, ok := strings.CutPrefix(path, "/tasks/"); ok {
		id, sub, _ := strings.Cut(rest, "/")
		if id == "" {
			return route{}, false
		}
		switch sub {
		case "":
			if strings.HasSuffix(rest, "/") {
				return route{}, false
			}
			return route{endpoint: EndpointTask, methods: get, id: id}, true
		case "status":
			return route{endpoint: EndpointStatus, methods: get, id: id}, true
		case "results":
			return route{endpoint: EndpointResults, methods: get, id: id}, true
		}
		return route{}, false
	}
	if rest, ok := strings.CutPrefix(path, "/images/"); ok {
		if id, ok := strings.CutSuffix(rest, ".png"); ok && id != "" && !strings.Contains(id, "/") {
			return route{endpoint: EndpointImage, methods: get, id: id}, true
		}
		return route{}, false
	}
	if rest, ok := strings.CutPrefix(path, "/uploads/"); ok && rest != "" && !strings.Contains(rest, "/") {
		return route{endpoint: EndpointImage, methods: get, id: "upload:" + rest}, true
	}
	return route{}, false
}

// response is an answer built in memory, so that faults can mangle it
// before it is written.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonResponse(status int, v any) *response {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, "internal_error", "encoding the answer: "+err.Error(), "")
	}
	return &response{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: b}
}

func rawJSONResponse(status int, b []byte) *response {
	return &response{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: b}
}

// apiError is an error body in the flat form that Mynth's official
// JavaScript SDK reads (mynthio/mynth-sdk, src/client.ts: the text from
// error, else message; the code from code): error and message both carry
// the text, code the machine-readable code, and field the offending field
// of a validation error. Some documentation pages show the same fields
// nested under "error"; mynth.DecodeError reads both.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
}

func errorResponse(status int, code, message, field string) *response {
	return jsonResponse(status, apiError{Error: message, Message: message, Code: code, Field: field})
}

func unauthorized(msg string) *response {
	return errorResponse(http.StatusUnauthorized, "unauthorized", msg, "")
}

func notFound(msg string) *response {
	return errorResponse(http.StatusNotFound, "not_found", msg, "")
}

// ServeHTTP serves the Mynth API.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := e.now()
	rt, ok := match(r.URL.Path)
	if !ok {
		e.write(w, r, notFound("no such endpoint: "+r.Method+" "+r.URL.Path), "")
		e.logf(start, r, http.StatusNotFound, "")
		return
	}
	if rt.cors() {
		// The PAT is meant for polling from a browser (the docs' browser
		// polling tutorial), so these answers, errors included, may be read
		// by a page of any origin. The bearer token is a header, not a
		// cookie, so "*" is enough.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
		if r.Method == http.MethodOptions {
			e.preflight(w, rt)
			e.logf(start, r, http.StatusNoContent, "preflight")
			return
		}
	}
	if !slices.Contains(rt.methods, r.Method) {
		resp := errorResponse(http.StatusMethodNotAllowed, "method_not_allowed",
			fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(rt.methods, " or ")), "")
		resp.header.Set("Allow", strings.Join(rt.methods, ", "))
		e.write(w, r, resp, "")
		e.logf(start, r, http.StatusMethodNotAllowed, "")
		return
	}
	e.mu.Lock()
	e.stats.Requests[rt.endpoint]++
	e.mu.Unlock()

	if err := e.sleep(r.Context(), e.opts.Latency+e.faults.jitter(e.opts.Jitter)); err != nil {
		e.logf(start, r, 0, "client gone")
		return
	}
	fault := e.faults.draw(rt.endpoint)
	if fault != "" {
		e.mu.Lock()
		e.stats.Faults[fault]++
		e.mu.Unlock()
	}
	status, note := e.serveWithFault(w, r, rt, fault)
	e.logf(start, r, status, note)
}

// cors reports whether the route answers cross-origin requests from a
// browser: the two endpoints a Public Access Token works on, and the image
// files. Creation, the full task and uploads take the API key, which
// belongs on a server, and answer no preflight.
func (rt route) cors() bool {
	switch rt.endpoint {
	case EndpointStatus, EndpointResults, EndpointImage:
		return true
	}
	return false
}

// preflight answers a CORS preflight (OPTIONS) of a route that allows
// cross-origin reads: 204 with the methods and the Authorization header
// allowed. It needs no token, is not counted and gets no fault.
func (e *Emulator) preflight(w http.ResponseWriter, rt route) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", strings.Join(append(slices.Clone(rt.methods), http.MethodOptions), ", "))
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
}

// serveWithFault answers r, injecting fault ("" for none). It returns the
// status written (0 when the connection was dropped) and a note for the log.
func (e *Emulator) serveWithFault(w http.ResponseWriter, r *http.Request, rt route, fault FaultKind) (int, string) {
	note := ""
	if fault != "" {
		note = "fault=" + string(fault)
	}
	switch fault {
	case FaultLatency:
		if err := e.sleep(r.Context(), e.faults.slowLatency()); err != nil {
			return 0, note + " (client gone)"
		}
	case Fault500:
		return e.write(w, r, errorResponse(http.StatusInternalServerError, "internal_error", "injected fault: internal error", ""), ""), note
	case Fault502:
		resp := &response{status: http.StatusBadGateway, header: http.Header{"Content-Type": {"text/html"}},
			body: []byte("<html><body><h1>502 Bad Gateway</h1></body></html>\n")}
		return e.write(w, r, resp, ""), note
	case Fault503:
		resp := errorResponse(http.StatusServiceUnavailable, "service_unavailable", "injected fault: service unavailable", "")
		return e.write(w, r, resp, ""), note
	case Fault429:
		resp := errorResponse(http.StatusTooManyRequests, "rate_limited", "injected fault: too many requests", "")
		resp.header.Set("Retry-After", fmt.Sprint(e.faults.retryAfterSeconds()))
		return e.write(w, r, resp, ""), note
	case FaultDrop:
		dropConnection(w)
		return 0, note
	}
	resp := e.handle(r, rt)
	switch fault {
	case FaultDropAfterCreate:
		dropConnection(w)
		return 0, note
	case FaultTruncate, FaultMalformed:
		return e.write(w, r, resp, fault), note
	}
	return e.write(w, r, resp, ""), note
}

// handle runs the endpoint's logic.
func (e *Emulator) handle(r *http.Request, rt route) *response {
	switch rt.endpoint {
	case EndpointImage:
		return e.serveImage(rt.id)
	case EndpointGenerate:
		return e.generate(r)
	case EndpointUpload:
		return e.upload(r)
	}
	return e.read(r, rt)
}

// caller is who a bearer token says is calling.
type caller struct {
	account string // sha256 of the API key; "" for a PAT
	patTask string // the task a PAT is for
}

// authenticate reads the Authorization header. A nil *response means the
// caller is known.
func (e *Emulator) authenticate(r *http.Request, patOK bool) (caller, *response) {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if h == "" {
		return caller{}, unauthorized("missing Authorization header; send Authorization: Bearer <API key>")
	}
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return caller{}, unauthorized("the Authorization header must be Bearer <token>")
	}
	switch {
	case strings.HasPrefix(tok, "mak_") && len(tok) > len("mak_"):
		hash := hashToken(tok)
		if e.strict && !e.keys[hash] {
			return caller{}, unauthorized("invalid API key")
		}
		return caller{account: hash}, nil
	case strings.HasPrefix(tok, "pat_"):
		if !patOK {
			return caller{}, unauthorized("a Public Access Token does not work on this endpoint; use the API key")
		}
		id, ok := e.pats[hashToken(tok)]
		if !ok {
			return caller{}, unauthorized("invalid Public Access Token")
		}
		return caller{patTask: id}, nil
	}
	return caller{}, unauthorized("invalid API key")
}

// read serves the three task endpoints.
func (e *Emulator) read(r *http.Request, rt route) *response {
	e.mu.Lock()
	c, bad := e.authenticate(r, rt.endpoint != EndpointTask)
	if bad != nil {
		e.mu.Unlock()
		return bad
	}
	if c.patTask != "" && c.patTask != rt.id {
		e.mu.Unlock()
		return unauthorized("this Public Access Token is for another task")
	}
	t, ok := e.tasks[rt.id]
	if !ok || (c.account != "" && t.owner != c.account) {
		e.mu.Unlock()
		return notFound("task " + rt.id + " not found")
	}
	changed := e.settle(t)
	var resp *response
	switch rt.endpoint {
	case EndpointTask:
		resp = rawJSONResponse(http.StatusOK, t.served(e.baseURL(r)))
	case EndpointStatus:
		resp = rawJSONResponse(http.StatusOK, statusBodies[t.status])
		if resp.body == nil {
			resp = jsonResponse(http.StatusOK, mynth.TaskStatus{Status: t.status})
		}
	default:
		resp = rawJSONResponse(http.StatusOK, t.servedResults(e.baseURL(r)))
	}
	e.mu.Unlock()
	if changed {
		if err := e.persist(); err != nil {
			return errorResponse(http.StatusInternalServerError, "internal_error", "the emulator could not write its store: "+err.Error(), "")
		}
	}
	return resp
}

// statusBodies are the answers of GET /tasks/:id/status. Read only.
var statusBodies = map[mynth.Status][]byte{
	mynth.StatusPending:   []byte(`{"status":"pending"}`),
	mynth.StatusCompleted: []byte(`{"status":"completed"}`),
	mynth.StatusFailed:    []byte(`{"status":"failed"}`),
}

// baseURL is where image links point.
func (e *Emulator) baseURL(r *http.Request) string {
	if e.opts.BaseURL != "" {
		return e.opts.BaseURL
	}
	if r == nil || r.Host == "" {
		return ""
	}
	return "http://" + r.Host
}

// write sends resp, mangled by fault (FaultTruncate, FaultMalformed or "").
// It returns the status sent.
func (e *Emulator) write(w http.ResponseWriter, r *http.Request, resp *response, fault FaultKind) int {
	body := resp.body
	switch fault {
	case FaultMalformed:
		if resp.header.Get("Content-Type") == "image/png" {
			body = []byte("this is not a PNG file\n")
		} else {
			body = []byte("<html><body>upstream answered garbage</body></html>\n")
		}
	case FaultTruncate:
		if truncateResponse(w, resp) {
			return resp.status
		}
		body = body[:len(body)/2]
	}
	maps.Copy(w.Header(), resp.header)
	if fault == "" {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return resp.status
}

// sleep waits d or until ctx is done.
func (e *Emulator) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
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

// logf writes one request line to Options.Log. It never writes a header.
func (e *Emulator) logf(start time.Time, r *http.Request, status int, note string) {
	if e.opts.Log == nil {
		return
	}
	st := fmt.Sprint(status)
	if status == 0 {
		st = "---"
	}
	line := fmt.Sprintf("%s %s %s %s %s", start.UTC().Format("15:04:05.000"), r.Method, r.URL.Path, st,
		e.now().Sub(start).Round(time.Millisecond))
	if note != "" {
		line += " " + note
	}
	e.logMu.Lock() // one line at a time
	fmt.Fprintln(e.opts.Log, line)
	e.logMu.Unlock()
}

// newRand returns the emulator's seeded random source.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

var _ http.Handler = (*Emulator)(nil)

// compactJSON returns b without insignificant space.
func compactJSON(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
