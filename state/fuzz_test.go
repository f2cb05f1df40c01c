package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
)

// FuzzLoad feeds the state reader anything: it never panics, refuses only
// with an *Error, and whatever it accepts encodes, decodes back equal and
// encodes to the same bytes again.
func FuzzLoad(f *testing.F) {
	golden, err := os.ReadFile(goldenPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(golden[:len(golden)/2])
	f.Add([]byte(`{"version":1,"serial":0,"lineage":"x","tasks":{}}`))
	f.Add([]byte(`{"version":1,"serial":1,"lineage":"x","tasks":{"task.a":{"id":"t","status":"pending","request":{"b":1,"a":"<&>"},"files":[{"path":"a","size":1}]}}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte("<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> x\n"))
	f.Add([]byte(`{"version":1,"serial":1,"lineage":"x","tasks":{"task.a":{"id":"t","result":[1e999,-0.0,"\u2028\ud800"]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Kind == nil {
				t.Fatalf("a refusal that is not a *state.Error with a kind: %T %v", err, err)
			}
			return
		}
		out, err := Encode(file)
		if err != nil {
			t.Fatalf("an accepted state does not encode: %v", err)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("an accepted state, re-encoded, is refused: %v\n%s", err, out)
		}
		if !again.Equal(file) {
			t.Fatalf("re-encoding changed the state:\n%s", out)
		}
		if ref := referenceEncode(t, file); !bytes.Equal(ref, out) {
			t.Fatalf("encodeFile differs from encoding/json:\n%s\n%s", ref, out)
		}
		out2, err := Encode(again)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("encoding is not stable: %v\n%s\n%s", err, out, out2)
		}
	})
}

// FuzzCanonical checks the fast path of Canonical against the slow one,
// and that Canonical is idempotent and keeps the value.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1.50,{"d":null,"c":true}]}`, `{"a":"\u00e9\n\"\\"}`, `[1e400,-0,0.1E-3]`, `"<&>"`, `{"a":1,"a":2}`, `{}`, `[]`, `{"\u0061":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := Canonical(raw)
		if isCanonical(raw) {
			slow, serr := canonicalSlow(raw)
			if serr != nil || !bytes.Equal(slow, raw) {
				t.Fatalf("isCanonical(%q) but canonical form is %q (%v)", raw, slow, serr)
			}
		}
		if err != nil {
			if json.Valid(raw) {
				t.Fatalf("valid JSON refused: %q: %v", raw, err)
			}
			return
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			return
		}
		if !json.Valid(c) {
			t.Fatalf("not valid JSON: %q", c)
		}
		c2, err := Canonical(c)
		if err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("not idempotent: %q -> %q (%v)", c, c2, err)
		}
	})
}

// FuzzSaveSequence drives one Store through a sequence of changes read
// from the input (tasks added, changed in place or replaced, removed;
// attempts, ledger entries and the tool version changed; the file
// rewritten behind the Store's back), saving after each. After every save
// the file must hold exactly what a full Encode of the state writes: the
// cached task encodings and the reused buffers must never show. A save
// that writes nothing leaves the file as it was; one after the file was
// rewritten with a newer serial is refused.
func FuzzSaveSequence(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{0, 0, 0, 3, 3, 1, 1, 2, 9, 9, 4, 5, 6})
	f.Add([]byte{0, 10, 1, 10, 2, 11, 3, 8, 7, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 40 {
			ops = ops[:40]
		}
		path := t.TempDir() + "/mynth.state.json"
		s := Open(path)
		st := sample()
		for i, op := range ops {
			addr := fmt.Sprintf("task.t%d", int(op)%5)
			wantRefusal := false
			switch op % 12 {
			case 0: // a new task, or a replaced one
				st.Tasks[addr] = &Task{ID: fmt.Sprintf("tsk_%d", i), Status: mynth.StatusPending,
					Request: json.RawMessage(fmt.Sprintf(`{"prompt":"p %d <&>","count":%d}`, i, i%3+1))}
			case 1: // a status change, replacing the record
				if t0 := st.Tasks[addr]; t0 != nil {
					c := *t0
					c.Status = mynth.StatusCompleted
					c.Result = json.RawMessage(fmt.Sprintf(`{"images":[{"status":"succeeded","id":"img_%d"}],"cost":{"total":"0.0125"}}`, i))
					st.Tasks[addr] = &c
				}
			case 2: // a change in place
				if t0 := st.Tasks[addr]; t0 != nil {
					t0.Files = append(t0.Files, SavedFile{Path: fmt.Sprintf("out/%d.png", i), ImageID: "img", URL: "http://x/y", SHA256: strings.Repeat("a", 64), Size: int64(i + 1)})
				}
			case 3:
				delete(st.Tasks, addr)
			case 4:
				if st.Attempts == nil {
					st.Attempts = map[string]*Attempt{}
				}
				st.Attempts[addr] = &Attempt{ID: fmt.Sprintf("att_%d", i), Request: json.RawMessage(`{"b":1,"a":2}`), StartedAt: "2026-01-02T10:00:00Z"}
			case 5:
				delete(st.Attempts, addr)
			case 6:
				st.Supersede(`task.product["mug"]`, SupersededForgotten, "", "2026-01-03T00:00:00Z")
			case 7:
				st.ToolVersion = fmt.Sprintf("v%d", i)
			case 8: // the request's bytes changed in place
				if t0 := st.Tasks[addr]; t0 != nil && len(t0.Request) > 2 {
					// Prefixing the prompt keeps the request valid JSON
					// however often it is applied (re-splicing a number
					// did not: "count": 1 twice made "1 11").
					t0.Request = json.RawMessage(strings.Replace(string(t0.Request), `"prompt":"`, `"prompt":"x`, 1))
				}
			case 9: // nothing
			case 10: // another process rewrites the file at a newer serial
				other, err := Open(path).Load()
				if err != nil || other.Serial == 0 {
					continue
				}
				other.Tasks["task.other"] = &Task{ID: fmt.Sprintf("tsk_other%d", i), Status: mynth.StatusPending}
				if _, err := Open(path).Save(other); err != nil {
					t.Fatalf("op %d: the other writer: %v", i, err)
				}
				wantRefusal = true
			case 11: // the file rewritten in place with the same length, a newer serial
				data, err := os.ReadFile(path)
				if err != nil {
					continue
				}
				serial := fmt.Sprintf(`"serial": %d,`, st.Serial)
				bumped := fmt.Sprintf(`"serial": %d,`, st.Serial+1)
				if len(bumped) != len(serial) || !bytes.Contains(data, []byte(serial)) {
					continue
				}
				if err := os.WriteFile(path, bytes.Replace(data, []byte(serial), []byte(bumped), 1), 0o644); err != nil {
					t.Fatal(err)
				}
				wantRefusal = true
			}
			before, _ := os.ReadFile(path)
			wrote, err := s.Save(st)
			if wantRefusal {
				if !errors.Is(err, ErrSerial) {
					t.Fatalf("op %d: a save after another writer: wrote %v, %v", i, wrote, err)
				}
				// Start again from what is on disk, as a user would.
				if st, err = s.Load(); err != nil {
					t.Fatalf("op %d: %v", i, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
			got, _ := os.ReadFile(path)
			if !wrote {
				if !bytes.Equal(before, got) {
					t.Fatalf("op %d: a save that wrote nothing changed the file", i)
				}
				continue
			}
			want, err := Encode(st)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, got) {
				t.Fatalf("op %d: the saved file differs from Encode:\n%s\nwant:\n%s", i, got, want)
			}
		}
	})
}

// FuzzEncodeCached holds the encoding Save and the Codec make from their
// cache (the tasks and write-ahead records encoded before, the addresses
// sorted before) byte-equal to a full encoding, over any sequence of
// changes: records added, replaced, changed in place (their bytes too),
// removed, and secrets protected between encodings; and it refuses
// exactly what a full encoding with the same secrets refuses.
func FuzzEncodeCached(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add([]byte{0, 16, 32, 48, 5, 21, 37, 0, 3, 19, 35, 9, 25, 4, 7})
	f.Add([]byte{12, 0, 13, 9, 28, 44, 2, 18, 34, 11, 27, 6, 22})
	addrs := []string{`task.a`, `task.b["x"]`, `task.b["x\"y"]`, `task.c["<&>"]`, `task.d["é"]`, `task.A`, `task.b["x y"]`, `task.z`}
	const secret = "pat_fuzz_secret_0123456789"
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		file := New("v")
		cache := &encodeCache{}
		var sec secrets
		var buf []byte
		for i, op := range ops {
			addr := addrs[int(op>>4)%len(addrs)]
			switch op % 14 {
			case 0, 1: // a new task, or a replaced one
				file.Tasks[addr] = &Task{ID: fmt.Sprintf("tsk_%d", i), Status: mynth.StatusPending,
					Request: json.RawMessage(fmt.Sprintf(`{"prompt":"p %d <&>", "count":%d}`, i, i%3+1))}
			case 2: // a change in place
				if t0 := file.Tasks[addr]; t0 != nil {
					t0.Status = mynth.StatusCompleted
					t0.Result = json.RawMessage(fmt.Sprintf(`{"images":[{"id":"img_%d"}]}`, i))
				}
			case 3: // the request's bytes changed in place, in their storage
				if t0 := file.Tasks[addr]; t0 != nil {
					if j := bytes.IndexByte(t0.Request, 'p'); j >= 0 {
						t0.Request[j] = 'q'
					}
				}
			case 4: // saved files appended in place
				if t0 := file.Tasks[addr]; t0 != nil {
					t0.Files = append(t0.Files, SavedFile{Path: fmt.Sprintf("out/%d.png", i), ImageID: "img", URL: "http://x/y", SHA256: strings.Repeat("a", 64), Size: int64(i + 1)})
				}
			case 5:
				delete(file.Tasks, addr)
			case 6, 7: // a write-ahead record, new or replaced
				if file.Attempts == nil {
					file.Attempts = map[string]*Attempt{}
				}
				file.Attempts[addr] = &Attempt{ID: fmt.Sprintf("att_%d", i), Request: json.RawMessage(fmt.Sprintf(`{"b":%d,"a":2}`, i)), StartedAt: "2026-01-02T10:00:00Z"}
			case 8: // a record changed in place
				if at := file.Attempts[addr]; at != nil {
					at.Error = fmt.Sprintf("no answer %d", i)
				}
			case 9:
				delete(file.Attempts, addr)
			case 10: // a secret protected
				sec.add(secret)
			case 11: // a task that holds it, or a record
				if op&16 == 0 {
					file.Tasks[addr] = &Task{ID: "tsk_leak", Status: mynth.StatusPending, Request: json.RawMessage(`{"prompt":"` + secret + `"}`)}
				} else {
					if file.Attempts == nil {
						file.Attempts = map[string]*Attempt{}
					}
					file.Attempts[addr] = &Attempt{ID: "att_leak", Request: json.RawMessage(`{"token":"` + secret + `"}`), StartedAt: "x"}
				}
			case 12:
				file.Serial++
				file.ToolVersion = fmt.Sprintf("v%d", i)
			case 13: // nothing
			}
			got, err := encodeFile(file, cache, &sec, buf)
			want, wantErr := encodeFile(file, nil, &sec, nil)
			if errors.Is(err, ErrSecret) != errors.Is(wantErr, ErrSecret) || (err == nil) != (wantErr == nil) {
				t.Fatalf("op %d: cached encoding: %v; full: %v", i, err, wantErr)
			}
			if err != nil {
				continue
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("op %d: the cached encoding differs:\n%s\nfull:\n%s", i, got, want)
			}
			plain, err := Encode(file)
			if err != nil || !bytes.Equal(plain, want) {
				t.Fatalf("op %d: Encode: %v", i, err)
			}
			// The buffer is reused, as Save reuses the previous file's.
			buf = got
		}
	})
}
