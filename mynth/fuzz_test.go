package mynth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// roundTripOpts compare decoded values: amounts by their eight-place form
// (the form Mynth sends and Amount writes), raw JSON by its value (the
// encoder may escape it differently), and an empty list like a missing one
// (omitempty leaves it out).
var roundTripOpts = cmp.Options{
	cmp.Comparer(func(a, b Amount) bool { return a.String() == b.String() }),
	cmp.Transformer("jsonValue", func(r json.RawMessage) any {
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return string(r)
		}
		return v
	}),
	cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().Type() != reflect.TypeFor[json.RawMessage]()
	}, cmpopts.EquateEmpty()),
}

// roundTrip checks that v, decoded from some body, survives a second
// encode and decode, and that encoding is then a fixed point.
func roundTrip[T any](t *testing.T, v T, decode func([]byte) (T, error)) {
	t.Helper()
	b1, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding a decoded value: %v", err)
	}
	v2, err := decode(b1)
	if err != nil {
		t.Fatalf("decoding our own encoding %s: %v", b1, err)
	}
	if diff := cmp.Diff(v, v2, roundTripOpts); diff != "" {
		t.Fatalf("round trip through %s (-first +second):\n%s", b1, diff)
	}
	b2, err := json.Marshal(v2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatalf("encoding is not stable:\n%s\n%s", b1, b2)
	}
}

func FuzzDecodeTask(f *testing.F) {
	for _, s := range []string{
		taskJSON,
		`{"id":"tsk_2","status":"pending","request":{"prompt":{"positive":"p","negative":"n","enhance":"prefer_magic"},"size":{"type":"aspect_ratio","aspectRatio":"4:5","scale":"1k"},"inputs":["https://x/a.png",{"type":"image","role":"init","source":{"type":"url","url":"https://x/b.png"}}],"metadata":{"k":[1,2]}}}`,
		`{"data":{"id":"tsk_3","status":"failed","result":{"images":[{"status":"failed","error":{"code":"c","message":"m"}}]}}}`,
		`{"id":"tsk_4","status":"completed","request":{"prompt":{"positive":"p","enhance":false},"size":{"type":"resolution","width":640,"height":480,"mode":"fit"},"output":{"format":"png","quality":0}},"result":{"cost":{"images":0.5,"total":"1","fee":"0.5","magic_prompt":{"x":"0.1"}},"size_auto":{"source":"model"},"prompt_enhance":{"source":"magic","positive":"pp"}}}`,
		`{"id":"tsk_5","status":"pending"} x`,
		`{"id":"tsk_6","status":"pending"`,
		`[]`, `null`, `""`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		task, err := DecodeTask(body)
		if err != nil {
			return
		}
		if task.ID == "" || task.Status == "" || !json.Valid(task.Raw) {
			t.Fatalf("accepted a task without id, status or valid Raw: %+v", task)
		}
		task.Raw = nil
		roundTrip(t, task, func(b []byte) (*Task, error) {
			t, err := DecodeTask(b)
			if t != nil {
				t.Raw = nil
			}
			return t, err
		})
	})
}

func FuzzDecodeCreated(f *testing.F) {
	for _, s := range []string{
		`{"taskId":"tsk_1","access":{"publicAccessToken":"pat_1"}}`,
		`{"data":{"taskId":"tsk_1"}}`,
		`{"taskId":""}`, `{"taskId":"tsk_1"}{}`, `{"data":null,"taskId":"t"}`, `{"taskId":5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := DecodeCreated(body)
		if err != nil {
			return
		}
		if c.TaskID == "" {
			t.Fatalf("accepted a creation without a task id: %s", body)
		}
		roundTrip(t, c, DecodeCreated)
	})
}

func FuzzDecodeResults(f *testing.F) {
	for _, s := range []string{
		`{"images":[{"status":"succeeded","id":"img_123","url":"https://x","cost":"0.01250000","size":"1024x1024","content_rating":{"level":"safe"}},{"status":"failed","error":"boom"}]}`,
		`{"images":[]}`, `{}`, `{"images":null}`, `{"images":[{}]}`, `{"data":{"images":[]}}`, `{"images":[{"status":"succeeded","cost":"1e3"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeResults(body)
		if err != nil {
			return
		}
		roundTrip(t, r, DecodeResults)
	})
}

func FuzzDecodeStatus(f *testing.F) {
	for _, s := range []string{`{"status":"pending"}`, `{"status":""}`, `{"data":{"status":"completed"}}`, `{"status":"pending"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := DecodeStatus(body)
		if err != nil {
			return
		}
		if st == "" {
			t.Fatal("accepted an empty status")
		}
		roundTrip(t, TaskStatus{Status: st}, func(b []byte) (TaskStatus, error) {
			st, err := DecodeStatus(b)
			return TaskStatus{Status: st}, err
		})
	})
}

func FuzzDecodeError(f *testing.F) {
	for _, s := range []string{
		`{"error":{"code":"validation_error","message":"bad","field":"count"}}`,
		`{"error":"text mak_secret123"}`, `<html>`, ``, `{"code":"c"}`, `{"error":{"message":5}}`,
	} {
		f.Add(400, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := DecodeError(status, body)
		if e == nil || e.StatusCode != status {
			t.Fatalf("DecodeError = %+v", e)
		}
		e.Message = redact(e.Message, "")
		msg := e.Error()
		for _, p := range []string{"mak_", "pat_"} {
			for i := strings.Index(msg, p); i >= 0; i = strings.Index(msg[i+1:], p) + i + 1 {
				if (i == 0 || !isTokenByte(msg[i-1])) && i+len(p) < len(msg) && isTokenByte(msg[i+len(p)]) {
					t.Fatalf("a token survives redaction: %q", msg)
				}
				if !strings.Contains(msg[i+1:], p) {
					break
				}
			}
		}
	})
}

// FuzzDecodeStrictFastPath checks that decodeStrict's one-pass decoding
// changes nothing: for every body, it gives the value and the error the
// stream decoding gives, into each of the types the client decodes.
func FuzzDecodeStrictFastPath(f *testing.F) {
	for _, s := range []string{
		taskJSON, `{"id":"tsk_5","status":"pending"} x`, `{"id":"tsk_6","status":"pending"`,
		`{"id":5}garbage`, `{"taskId":"tsk_1"}  {}`, `{"status":"completed"}` + "\n\t ", ``, ` `, `[]`, `null`, `""`,
		`{"images":[{"status":"succeeded","cost":"x"}]}`, `{"result":{"cost":{"total":1e400}}}`, "\xef\xbb\xbf{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(name string, fast, slow any) {
			t.Helper()
			errFast, errSlow := decodeStrict(body, fast), decodeStream(body, slow)
			if fmt.Sprint(errFast) != fmt.Sprint(errSlow) {
				t.Fatalf("%s: decodeStrict says %v, the stream decoding %v", name, errFast, errSlow)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%s: decodeStrict gives %+v, the stream decoding %+v", name, fast, slow)
			}
		}
		check("Task", &Task{}, &Task{})
		check("Created", &Created{}, &Created{})
		check("TaskStatus", &TaskStatus{}, &TaskStatus{})
		check("Results", &Results{}, &Results{})
		check("map", new(map[string]json.RawMessage), new(map[string]json.RawMessage))
	})
}
