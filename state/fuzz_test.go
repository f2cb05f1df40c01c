package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"
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
