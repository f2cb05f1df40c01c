package state

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"

	"github.com/mynthform/mynthform/mynth"
)

// New returns an empty state of the newest format with a fresh lineage.
func New(toolVersion string) *File {
	return &File{
		Version:     FormatVersion,
		Lineage:     NewLineage(),
		ToolVersion: toolVersion,
		Tasks:       map[string]*Task{},
	}
}

// NewLineage returns a fresh random lineage: 16 random bytes in hex.
func NewLineage() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// NewAttemptID returns a fresh attempt id: "att_" and 16 random bytes in
// hex.
func NewAttemptID() string {
	return "att_" + NewLineage()
}

// AttemptAddresses returns the addresses of the write-ahead creation
// records, sorted.
func (f *File) AttemptAddresses() []string {
	return slices.Sorted(maps.Keys(f.Attempts))
}

// Addresses returns the recorded addresses, sorted.
func (f *File) Addresses() []string {
	return slices.Sorted(maps.Keys(f.Tasks))
}

// Clone returns a deep copy of f.
func (f *File) Clone() *File {
	if f == nil {
		return nil
	}
	c := *f
	c.Tasks = make(map[string]*Task, len(f.Tasks))
	for a, t := range f.Tasks {
		c.Tasks[a] = t.Clone()
	}
	c.History = nil
	for _, h := range f.History {
		c.History = append(c.History, h.Clone())
	}
	c.Attempts = nil
	if len(f.Attempts) > 0 {
		c.Attempts = make(map[string]*Attempt, len(f.Attempts))
		for a, at := range f.Attempts {
			c.Attempts[a] = at.Clone()
		}
	}
	c.Uploads = f.CloneUploads()
	return &c
}

// CloneUploads returns a copy of f.Uploads (nil when it is empty).
func (f *File) CloneUploads() map[string]*Upload {
	if len(f.Uploads) == 0 {
		return nil
	}
	c := make(map[string]*Upload, len(f.Uploads))
	for p, u := range f.Uploads {
		if u != nil {
			cu := *u
			u = &cu
		}
		c[p] = u
	}
	return c
}

// UploadBySHA256 returns an upload of the content whose hex SHA-256 is sum:
// the one at path when it holds that content, else one at another path
// (the first by path), else nil. Content uploaded once never needs
// uploading again.
func (f *File) UploadBySHA256(path, sum string) *Upload {
	if u := f.Uploads[path]; u != nil && u.SHA256 == sum {
		return u
	}
	for _, p := range slices.Sorted(maps.Keys(f.Uploads)) {
		if u := f.Uploads[p]; u != nil && u.SHA256 == sum {
			return u
		}
	}
	return nil
}

// Clone returns a copy of h.
func (h *Superseded) Clone() *Superseded {
	if h == nil {
		return nil
	}
	c := *h
	if h.Cost != nil {
		cost := *h.Cost
		c.Cost = &cost
	}
	return &c
}

// Equal reports whether h and k are the same entry.
func (h *Superseded) Equal(k *Superseded) bool {
	if h == nil || k == nil {
		return h == k
	}
	costEqual := (h.Cost == nil) == (k.Cost == nil) && (h.Cost == nil || h.Cost.Cmp(*k.Cost) == 0)
	return h.Address == k.Address && h.ID == k.ID && h.RequestSHA256 == k.RequestSHA256 && costEqual &&
		h.CreatedAt == k.CreatedAt && h.SupersededAt == k.SupersededAt && h.Reason == k.Reason && h.ReplacedBy == k.ReplacedBy
}

// Supersede moves the task recorded at addr into the ledger, with why it
// was let go (SupersededReplaced, with the id of the task that takes its
// place, or SupersededForgotten) and when (RFC 3339). It does nothing
// when addr holds no task. The caller then records the new task at addr,
// or deletes it.
func (f *File) Supersede(addr, reason, replacedBy, at string) {
	t := f.Tasks[addr]
	if t == nil {
		return
	}
	h := &Superseded{Address: addr, ID: t.ID, CreatedAt: t.CreatedAt, SupersededAt: at, Reason: reason, ReplacedBy: replacedBy}
	if len(t.Request) > 0 {
		if canon, err := Canonical(t.Request); err == nil {
			sum := sha256.Sum256(canon)
			h.RequestSHA256 = hex.EncodeToString(sum[:])
		}
	}
	if len(t.Result) > 0 {
		var res struct {
			Cost *struct {
				Total mynth.Amount `json:"total"`
			} `json:"cost"`
		}
		if json.Unmarshal(t.Result, &res) == nil && res.Cost != nil {
			total := res.Cost.Total
			h.Cost = &total
		}
	}
	f.History = append(f.History, h)
}

// LedgerTotal is what the ledger's tasks cost together (a negative
// recorded cost counts as $0).
func (f *File) LedgerTotal() mynth.Amount {
	var sum mynth.Amount
	for _, h := range f.History {
		if h.Cost != nil && !h.Cost.IsNegative() {
			sum = sum.Add(*h.Cost)
		}
	}
	return sum
}

// Clone returns a deep copy of at.
func (at *Attempt) Clone() *Attempt {
	if at == nil {
		return nil
	}
	c := *at
	c.Request = bytes.Clone(at.Request)
	return &c
}

// Equal reports whether at and bt are the same record. Request JSON is
// compared as a value.
func (at *Attempt) Equal(bt *Attempt) bool {
	if at == nil || bt == nil {
		return at == bt
	}
	return at.ID == bt.ID && at.StartedAt == bt.StartedAt && at.Error == bt.Error && jsonEqual(at.Request, bt.Request)
}

// Clone returns a deep copy of t.
func (t *Task) Clone() *Task {
	if t == nil {
		return nil
	}
	c := *t
	c.Request = bytes.Clone(t.Request)
	c.Result = bytes.Clone(t.Result)
	c.Files = slices.Clone(t.Files)
	return &c
}

// Equal reports whether f and g hold the same state, serial and tool
// version included. Request and result JSON are compared as values (key
// order and spacing do not matter).
func (f *File) Equal(g *File) bool {
	if f == nil || g == nil {
		return f == g
	}
	return f.Serial == g.Serial && f.ToolVersion == g.ToolVersion && f.ContentEqual(g)
}

// ContentEqual reports whether f and g record the same thing: everything
// but the serial and the tool version is equal. Save writes nothing when
// the file on disk has the same content.
func (f *File) ContentEqual(g *File) bool {
	if f == nil || g == nil {
		return f == g
	}
	if versionOf(f) != versionOf(g) || f.Lineage != g.Lineage || len(f.Tasks) != len(g.Tasks) || len(f.Attempts) != len(g.Attempts) ||
		len(f.History) != len(g.History) || len(f.Uploads) != len(g.Uploads) {
		return false
	}
	for p, u := range f.Uploads {
		v, ok := g.Uploads[p]
		if !ok || (u == nil) != (v == nil) || (u != nil && *u != *v) {
			return false
		}
	}
	for i, h := range f.History {
		if !h.Equal(g.History[i]) {
			return false
		}
	}
	for a, at := range f.Attempts {
		if bt, ok := g.Attempts[a]; !ok || !at.Equal(bt) {
			return false
		}
	}
	for a, t := range f.Tasks {
		u, ok := g.Tasks[a]
		if !ok || !t.Equal(u) {
			return false
		}
	}
	return true
}

// Equal reports whether t and u are the same record. Request and result
// JSON are compared as values.
func (t *Task) Equal(u *Task) bool {
	if t == nil || u == nil {
		return t == u
	}
	return t.ID == u.ID && t.Status == u.Status && t.CreatedAt == u.CreatedAt && t.UpdatedAt == u.UpdatedAt &&
		slices.Equal(t.Files, u.Files) && jsonEqual(t.Request, u.Request) && jsonEqual(t.Result, u.Result)
}

// versionOf treats an unset version as the newest: New and Load always
// set it, a File built by hand may not.
func versionOf(f *File) int {
	if f.Version == 0 {
		return FormatVersion
	}
	return f.Version
}

func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ca, errA := canonicalField(a)
	cb, errB := canonicalField(b)
	if errA != nil || errB != nil {
		return false
	}
	return bytes.Equal(ca, cb)
}
