package mynthtest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/mynth"
)

// SeedVersion is the version of the seed and store format that this
// package writes.
const SeedVersion = 1

// Seed is the content of a seed file (and of a store, which is a seed the
// emulator writes). See the package documentation for the format.
type Seed struct {
	// Version is the format version; 0 or 1.
	Version int `json:"version,omitempty"`
	// Strict refuses every API key that is not one of the accounts' keys.
	// By default any key that starts with mak_ is accepted, each key its
	// own account.
	Strict bool `json:"strict,omitempty"`
	// Addr is the address the emulator last listened on (stores only).
	// Start listens there again when asked for a random port, so that image
	// URLs stay the same across restarts.
	Addr string `json:"addr,omitempty"`
	// Accounts are the accounts and their tasks.
	Accounts []SeedAccount `json:"accounts"`
	// Uploads are files received by POST /image/upload, served at
	// /uploads/<name> (a store keeps them, so that an uploaded URL that a
	// state records stays valid across restarts).
	Uploads []SeedUpload `json:"uploads,omitempty"`
}

// SeedUpload is one uploaded file of a seed or store.
type SeedUpload struct {
	// Name is the file's name under /uploads/: "upl_", letters and
	// digits, and the extension of its type (.png, .jpg or .webp).
	Name string `json:"name"`
	// Data is the file's content (base64 in JSON). It must be an image
	// the upload endpoint would take.
	Data []byte `json:"data"`
}

// SeedAccount is one account of a seed: its API key (in plain text, or as
// the hex sha256 of the key, which is how stores keep it) and its tasks.
type SeedAccount struct {
	APIKey       string `json:"api_key,omitempty"`
	APIKeySHA256 string `json:"api_key_sha256,omitempty"`
	// Balance is the account's remaining balance in USD, an exact decimal
	// string ("0.05"). Empty means unlimited. Each creation takes count ×
	// the model's price from it up front, and is refused with 402
	// insufficient_balance when that is more than what remains.
	Balance string `json:"balance,omitempty"`
	// Tasks are tasks in the shape GET /tasks/:id returns, each with these
	// optional extra fields, which the emulator does not serve:
	// "pat" (the task's PAT) or "pat_sha256" (its hex sha256), and
	// "emulate": true (a pending task completes Delay after its createdAt,
	// with a result computed from its request, as if the emulator had
	// created it).
	Tasks []json.RawMessage `json:"tasks"`
}

// LoadSeed reads and checks a seed file.
func LoadSeed(path string) (*Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading seed: %w", err)
	}
	s, err := parseSeed(b)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", path, err)
	}
	return s, nil
}

// parseSeed decodes and checks seed or store content.
func parseSeed(b []byte) (*Seed, error) {
	var s Seed
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a seed file: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a seed file: data after the JSON object")
	}
	if s.Version > SeedVersion {
		return nil, fmt.Errorf("format version %d is newer than this emulator reads (%d)", s.Version, SeedVersion)
	}
	// Check everything now, so that a bad seed fails at load with a clear
	// message rather than when the emulator starts.
	probe := &Emulator{tasks: map[string]*task{}, pats: map[string]string{}, uploads: map[string]uploadedImg{},
		images: map[string]imageSize{}, keys: map[string]bool{}, balances: map[string]mynth.Amount{}, now: time.Now}
	if err := probe.loadSeed(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

// accountHash returns the hash that identifies a seed account.
func (a SeedAccount) accountHash(i int) (string, error) {
	switch {
	case a.APIKey != "":
		if !strings.HasPrefix(a.APIKey, "mak_") || len(a.APIKey) == len("mak_") {
			return "", fmt.Errorf("accounts[%d].api_key must start with mak_", i)
		}
		h := hashToken(a.APIKey)
		if a.APIKeySHA256 != "" && !strings.EqualFold(a.APIKeySHA256, h) {
			return "", fmt.Errorf("accounts[%d]: api_key and api_key_sha256 disagree", i)
		}
		return h, nil
	case a.APIKeySHA256 != "":
		if b, err := hex.DecodeString(a.APIKeySHA256); err != nil || len(b) != 32 {
			return "", fmt.Errorf("accounts[%d].api_key_sha256 must be 64 hex digits", i)
		}
		return strings.ToLower(a.APIKeySHA256), nil
	}
	return "", fmt.Errorf("accounts[%d] needs api_key (or api_key_sha256)", i)
}

// loadSeed adds a seed's accounts and tasks. The caller holds e.mu or owns
// e alone.
func (e *Emulator) loadSeed(s *Seed) error {
	e.strict = s.Strict
	e.addr = s.Addr
	seen := map[string]bool{}
	for i, a := range s.Accounts {
		h, err := a.accountHash(i)
		if err != nil {
			return err
		}
		if seen[h] {
			return fmt.Errorf("accounts[%d]: the same API key appears twice", i)
		}
		seen[h] = true
		e.keys[h] = true
		e.accounts = append(e.accounts, h)
		if a.Balance != "" {
			b, err := mynth.ParseAmount(a.Balance)
			if err != nil || b.IsNegative() {
				return fmt.Errorf("accounts[%d].balance %q must be a decimal amount of USD, such as \"5.00\"", i, a.Balance)
			}
			e.balances[h] = b
		}
		for j, raw := range a.Tasks {
			t, err := parseSeedTask(raw, e.now())
			if err != nil {
				return fmt.Errorf("accounts[%d].tasks[%d]: %w", i, j, err)
			}
			t.owner = h
			if err := e.addTask(t); err != nil {
				return fmt.Errorf("accounts[%d].tasks[%d]: %w", i, j, err)
			}
		}
	}
	for i, u := range s.Uploads {
		if err := e.addUpload(u); err != nil {
			return fmt.Errorf("uploads[%d]: %w", i, err)
		}
	}
	return nil
}

// addUpload adds an uploaded file of a seed. The caller holds e.mu or owns
// e alone.
func (e *Emulator) addUpload(u SeedUpload) error {
	base, ext, ok := strings.Cut(u.Name, ".")
	id, _ := strings.CutPrefix(base, "upl_")
	if !ok || !strings.HasPrefix(base, "upl_") || id == "" || strings.Trim(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
		return fmt.Errorf("name %q must be upl_ followed by letters and digits, and an extension", u.Name)
	}
	if _, dup := e.uploads[u.Name]; dup {
		return fmt.Errorf("%s appears twice", u.Name)
	}
	if len(u.Data) < minUploadBytes || len(u.Data) > maxUploadBytes {
		return fmt.Errorf("%s is %d bytes; files must be 1 KB to 10 MB", u.Name, len(u.Data))
	}
	ct, problem := checkUpload(u.Data)
	if problem != "" {
		return fmt.Errorf("%s %s", u.Name, problem)
	}
	if uploadExt[ct] != ext {
		return fmt.Errorf("%s is %s, whose extension is .%s", u.Name, ct, uploadExt[ct])
	}
	e.uploads[u.Name] = uploadedImg{contentType: ct, data: u.Data}
	e.uploadOrder = append(e.uploadOrder, u.Name)
	return nil
}

// parseSeedTask reads a task in the API's shape plus the seed-only fields.
// Fields the emulator does not know are kept and served as they are.
func parseSeedTask(raw json.RawMessage, now time.Time) (*task, error) {
	m, err := seedTaskFields(raw)
	if err != nil {
		return nil, err
	}
	t := &task{}
	if t.id, err = m.taskID(); err != nil {
		return nil, err
	}
	if err := m.fill(t, now); err != nil {
		return nil, fmt.Errorf("task %s: %w", t.id, err)
	}
	if len(m) > 0 {
		t.extra = m
	}
	return t, nil
}

// seedFields are the fields of a seed task, each compacted JSON. Reading a
// field takes it out, so that what is left are the fields the emulator
// does not know.
type seedFields map[string]json.RawMessage

// seedTaskFields splits a seed task, which must be a JSON object, into its
// fields.
func seedTaskFields(raw json.RawMessage) (seedFields, error) {
	var m seedFields
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("a task must be a JSON object")
	}
	for k, v := range m {
		c, err := compactJSON(v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", k, err)
		}
		m[k] = c
	}
	return m, nil
}

// take removes field k and returns it; ok is false when it is absent or
// null.
func (m seedFields) take(k string) (v json.RawMessage, ok bool) {
	v, ok = m[k]
	delete(m, k)
	return v, ok && !isNull(v)
}

// str takes field k as a string; ok is false when it is absent or null,
// and it is an error when it is another kind of value.
func (m seedFields) str(k string) (s string, ok bool, err error) {
	v, ok := m.take(k)
	if !ok {
		return "", false, nil
	}
	s, isStr := asString(v)
	if !isStr {
		return "", true, fmt.Errorf("%s must be a string", k)
	}
	return s, true, nil
}

// taskID takes the task's id, which must be a tsk_ id.
func (m seedFields) taskID() (string, error) {
	id, _, err := m.str("id")
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(id, "tsk_") || len(id) == len("tsk_") {
		return "", fmt.Errorf("id %q must start with tsk_", id)
	}
	return id, nil
}

// fill reads every field of a seed task beside its id into t, in the order
// of the API's shape, then the seed-only fields.
func (m seedFields) fill(t *task, now time.Time) error {
	if err := m.readStatus(t); err != nil {
		return err
	}
	t.typ, _ = m.take("type")
	if len(t.typ) == 0 {
		t.typ = json.RawMessage(`"image.generate"`)
	}
	if err := m.readTimes(t, now); err != nil {
		return err
	}
	if err := m.readRequestAndResult(t); err != nil {
		return err
	}
	if err := m.readPATHash(t); err != nil {
		return err
	}
	return m.readEmulate(t)
}

// readStatus takes status, which must be pending, completed or failed.
func (m seedFields) readStatus(t *task) error {
	status, _, err := m.str("status")
	if err != nil {
		return err
	}
	switch t.status = mynth.Status(status); t.status {
	case mynth.StatusPending, mynth.StatusCompleted, mynth.StatusFailed:
		return nil
	}
	return fmt.Errorf("status %q must be pending, completed or failed", status)
}

// readTimes takes createdAt and updatedAt. A task without createdAt was
// created now; one without updatedAt was last updated when it was created.
func (m seedFields) readTimes(t *task, now time.Time) error {
	var hasCreated bool
	var err error
	if t.createdAt, hasCreated, err = m.str("createdAt"); err != nil {
		return err
	}
	if t.updatedAt, _, err = m.str("updatedAt"); err != nil {
		return err
	}
	t.created = now
	if hasCreated {
		c, err := time.Parse(time.RFC3339Nano, t.createdAt)
		if err != nil {
			return fmt.Errorf("createdAt %q is not an ISO 8601 time", t.createdAt)
		}
		t.created = c
	} else {
		t.createdAt = formatTime(now)
	}
	if t.updatedAt == "" {
		t.updatedAt = t.createdAt
	}
	return nil
}

// readRequestAndResult takes request, which must be an object, and result,
// which must be a result object; both are kept as they are.
func (m seedFields) readRequestAndResult(t *task) error {
	if v, ok := m.take("request"); ok {
		if jsonKind(v) != "object" {
			return fmt.Errorf("request must be an object")
		}
		t.request = v
	}
	if v, ok := m.take("result"); ok {
		var r mynth.Result
		if jsonKind(v) != "object" || json.Unmarshal(v, &r) != nil {
			return fmt.Errorf("result is not a result object")
		}
		t.result = v
	}
	return nil
}

// readPATHash takes the seed-only pat (the task's PAT in plain text) and
// pat_sha256 (its hex sha256), which must agree when both are given, and
// keeps the hash.
func (m seedFields) readPATHash(t *task) error {
	if pat, ok, err := m.str("pat"); err != nil {
		return err
	} else if ok {
		if !strings.HasPrefix(pat, "pat_") || len(pat) == len("pat_") {
			return fmt.Errorf("pat must start with pat_")
		}
		t.patHash = hashToken(pat)
	}
	if ph, ok, err := m.str("pat_sha256"); err != nil {
		return err
	} else if ok {
		if b, err := hex.DecodeString(ph); err != nil || len(b) != 32 {
			return fmt.Errorf("pat_sha256 must be 64 hex digits")
		}
		if t.patHash != "" && t.patHash != strings.ToLower(ph) {
			return fmt.Errorf("pat and pat_sha256 disagree")
		}
		t.patHash = strings.ToLower(ph)
	}
	return nil
}

// readEmulate takes the seed-only emulate; an emulated pending task needs
// its request, from which its result is computed.
func (m seedFields) readEmulate(t *task) error {
	v, ok := m.take("emulate")
	if !ok {
		return nil
	}
	if !asBool(v) {
		return fmt.Errorf("emulate must be true or false")
	}
	t.emulate = string(v) == "true"
	if t.emulate && t.status == mynth.StatusPending && len(t.request) == 0 {
		return fmt.Errorf("an emulated task needs its request")
	}
	return nil
}

// readStore reads the store and returns it with its content; the seed is
// nil when the store does not exist yet.
func readStore(path string) (*Seed, []byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading the emulator store: %w", err)
	}
	s, err := parseSeed(b)
	if err != nil {
		return nil, nil, fmt.Errorf("emulator store %s: %w", path, err)
	}
	return s, b, nil
}

// PeekStoreAddr returns the address recorded in the store at path, "" when
// there is none.
func peekStoreAddr(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var s struct {
		Addr string `json:"addr"`
	}
	_ = json.Unmarshal(b, &s)
	return s.Addr
}

// snapshot renders the store: the envelope indented, each task on one line
// of its own (so that a store diffs well and stays small). The caller holds
// e.mu.
func (e *Emulator) snapshot() ([]byte, error) {
	type account struct {
		hash  string
		tasks [][]byte
	}
	var accounts []*account
	index := map[string]*account{}
	add := func(h string) *account {
		a, ok := index[h]
		if !ok {
			a = &account{hash: h}
			index[h] = a
			accounts = append(accounts, a)
		}
		return a
	}
	for _, h := range e.accounts {
		add(h)
	}
	size := 0
	for _, id := range e.order {
		t := e.tasks[id]
		line := t.storeLine()
		size += len(line) + 10
		a := add(t.owner)
		a.tasks = append(a.tasks, line)
	}
	var b bytes.Buffer
	b.Grow(size + 256*len(accounts) + 256)
	str := func(s string) string { q, _ := json.Marshal(s); return string(q) }
	fmt.Fprintf(&b, "{\n  \"version\": %d,\n", SeedVersion)
	if e.strict {
		b.WriteString("  \"strict\": true,\n")
	}
	if e.addr != "" {
		fmt.Fprintf(&b, "  \"addr\": %s,\n", str(e.addr))
	}
	b.WriteString("  \"accounts\": [")
	for i, a := range accounts {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "\n    {\n      \"api_key_sha256\": %s,\n", str(a.hash))
		if bal, ok := e.balances[a.hash]; ok {
			fmt.Fprintf(&b, "      \"balance\": %s,\n", str(bal.String()))
		}
		b.WriteString("      \"tasks\": [")
		for j, line := range a.tasks {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n        ")
			b.Write(line)
		}
		if len(a.tasks) > 0 {
			b.WriteString("\n      ")
		}
		b.WriteString("]\n    }")
	}
	if len(accounts) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]")
	if len(e.uploadOrder) > 0 {
		// One file a line, as the tasks.
		b.WriteString(",\n  \"uploads\": [")
		for i, name := range e.uploadOrder {
			if i > 0 {
				b.WriteByte(',')
			}
			line, err := json.Marshal(SeedUpload{Name: name, Data: e.uploads[name].data})
			if err != nil {
				return nil, err
			}
			b.WriteString("\n    ")
			b.Write(line)
		}
		b.WriteString("\n  ]")
	}
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

// storeLine is t as the store keeps it: the served shape with relative
// image links, plus the seed-only fields. It is cached until t changes.
func (t *task) storeLine() []byte {
	if t.cachedStore != nil {
		return t.cachedStore
	}
	b := t.marshal("")
	var extra []string
	if t.patHash != "" {
		extra = append(extra, `"pat_sha256":"`+t.patHash+`"`)
	}
	if t.emulate && t.status == mynth.StatusPending {
		extra = append(extra, `"emulate":true`)
	}
	if len(extra) > 0 {
		b = append(b[:len(b)-1], []byte(","+strings.Join(extra, ",")+"}")...)
	}
	t.cachedStore = b
	return b
}

// persist writes the store when something changed: a temporary file,
// fsync, rename over the store, fsync of the directory. A store whose
// content would not change is left untouched.
func (e *Emulator) persist() error {
	if e.opts.StorePath == "" {
		return nil
	}
	e.storeMu.Lock()
	defer e.storeMu.Unlock()
	e.mu.Lock()
	if !e.dirty {
		e.mu.Unlock()
		return nil
	}
	data, err := e.snapshot()
	e.dirty = false
	same := bytes.Equal(data, e.stored)
	e.mu.Unlock()
	if same {
		return nil
	}
	if err == nil {
		err = writeStore(e.opts.StoreDir, e.opts.StorePath, data)
	}
	if err == nil {
		e.mu.Lock()
		e.stored = data
		e.mu.Unlock()
	}
	if err != nil {
		e.mu.Lock()
		e.dirty = true
		e.mu.Unlock()
		return err
	}
	return nil
}

// writeStore replaces the store at path atomically, inside dir, which
// must exist; when dir is "", inside path's own directory, created when
// missing.
func writeStore(dir, path string, data []byte) error {
	if dir == "" {
		dir = filepath.Dir(path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("writing the emulator store: %w", err)
		}
	}
	root, err := atomicfile.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("writing the emulator store: %w", err)
	}
	defer root.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("writing the emulator store: %w", err)
	}
	if err := root.WriteFile(abs, data, 0o600); err != nil {
		return fmt.Errorf("writing the emulator store: %w", err)
	}
	return nil
}
