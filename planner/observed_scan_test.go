package planner

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzScanMembers checks that rawMembers' walk over a task's top-level
// members finds the request and result a decoding into a map finds, byte
// for byte, on every object it does not hand back to the map decoding.
func FuzzScanMembers(f *testing.F) {
	for _, s := range []string{
		`{"id":"tsk_1","status":"completed","request":{"prompt":"a \"b\" {c}","n":[1,{"x":"]"}]},"result":{"images":[]}}`,
		`{"request":null,"result":1.5e3}`, `{"result":"x","result":"y","request":true}`, ` { } `, `{}`,
		`{"a":[],"request":{"":""} ,"b":false}`, `{"requ\u0065st":{"a":1}}`, `{"Request":{}}`, `[1]`, `{"a":1}x`,
		`{"request":"\\"}`, `{"request":[[]],"result":{"a":{"b":[{}]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, res, ok := scanMembers(raw)
		if !ok {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("scanMembers took %q, which does not decode into a map: %v", raw, err)
		}
		if !bytes.Equal(req, m["request"]) || !bytes.Equal(res, m["result"]) {
			t.Fatalf("%q: scanMembers found request %q, result %q; the map %q, %q", raw, req, res, m["request"], m["result"])
		}
	})
}
