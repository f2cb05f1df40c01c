package planner

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// fieldSample is a value of one request field: what a spec sets, and the
// same value as the API returns it, with members of the API's own where
// the field is compared as a subset.
type fieldSample struct {
	spec   string // the field's JSON, decoded into a mynth.Request
	remote string // the same value as a task's request holds it
}

// fieldSamples has one sample for every mynth.RequestFields key; a field
// added to the table without one fails the tests below.
var fieldSamples = map[string]fieldSample{
	"prompt":         {`"a mug"`, `{"positive":"a mug"}`},
	"model":          {`"m"`, `"m"`},
	"size":           {`{"type":"resolution","width":10,"height":20}`, `"10x20"`},
	"count":          {`2`, `2`},
	"inputs":         {`["https://in.example/a.png"]`, `["https://in.example/a.png"]`},
	"output":         {`{"format":"png"}`, `{"format":"png","quality":80}`},
	"webhook":        {`{"enabled":true}`, `{"enabled":true,"custom":[{"url":"https://hook.example"}]}`},
	"content_rating": {`{"enabled":true}`, `{"enabled":true,"levels":[{"value":"a","description":"b"},{"value":"c","description":"d"}]}`},
	"metadata":       {`{"b":1,"a":"x"}`, `{"a":"x","b":1}`},
	"access":         {`{"pat":{"enabled":true}}`, `{"pat":{"enabled":true}}`},
}

func sampleRequest(t *testing.T, key, value string) mynth.Request {
	t.Helper()
	var r mynth.Request
	if err := json.Unmarshal([]byte(`{"`+key+`":`+value+`}`), &r); err != nil {
		t.Fatalf("%s sample %s: %v", key, value, err)
	}
	if f, _ := mynth.RequestFieldByKey(key); !f.IsSet(r) {
		t.Fatalf("%s sample %s does not set the field", key, value)
	}
	return r
}

// TestCompareRequestEveryField compares every field of the table: the
// same value (with the API's own members, for a subset field) is no
// drift, and a task that lacks the field drifts at request.KEY.
func TestCompareRequestEveryField(t *testing.T) {
	for _, f := range mynth.RequestFields() {
		t.Run(f.Key, func(t *testing.T) {
			s, ok := fieldSamples[f.Key]
			if !ok {
				t.Fatalf("no sample for %s: add one to fieldSamples", f.Key)
			}
			want, remote := sampleRequest(t, f.Key, s.spec), sampleRequest(t, f.Key, s.remote)
			got, err := compareRequest(want, &remote)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > 0 {
				t.Errorf("the same %s drifts: %+v", f.Key, got)
			}
			got, err = compareRequest(want, &mynth.Request{Prompt: &mynth.Prompt{Positive: "other"}})
			if err != nil {
				t.Fatal(err)
			}
			if f.Key == "prompt" {
				return // the other request sets a prompt
			}
			if len(got) == 0 || !strings.HasPrefix(got[0].Path, "request."+f.Key) {
				t.Errorf("a task without %s does not drift at request.%s: %+v", f.Key, f.Key, got)
			}
		})
	}
}

// TestRedactStateTaskEveryField marks each field of the table sensitive in
// turn and checks that the recorded request shows it as (sensitive), and
// only it, with what the result echoes of it.
func TestRedactStateTaskEveryField(t *testing.T) {
	var members []string
	for _, f := range mynth.RequestFields() {
		members = append(members, `"`+f.Key+`":`+fieldSamples[f.Key].remote)
	}
	rec := &state.Task{
		ID:      "tsk_1",
		Status:  mynth.StatusCompleted,
		Request: json.RawMessage("{" + strings.Join(members, ",") + "}"),
		Result: json.RawMessage(`{"model":"m-resolved","prompt_enhance":{"source":"magic","positive":"better"},` +
			`"images":[{"status":"succeeded","id":"img_1","size":"10x20"},{"status":"failed"}],"size_auto":{"source":"mynth","value":"10x20"}}`),
		Files: []state.SavedFile{{Path: "a.png", ImageID: "img_1"}},
	}
	for _, f := range mynth.RequestFields() {
		t.Run(f.Key, func(t *testing.T) {
			out := RedactStateTask(rec, map[string]bool{f.Key: true})
			var req, res map[string]json.RawMessage
			if err := json.Unmarshal(out.Request, &req); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out.Result, &res); err != nil {
				t.Fatal(err)
			}
			for k, v := range req {
				if hidden := string(v) == `"(sensitive)"`; hidden != (k == f.Key) {
					t.Errorf("with %s sensitive, request.%s = %s", f.Key, k, v)
				}
			}
			for _, e := range f.Echoes {
				for _, v := range echoValues(t, res, e) {
					if string(v) != `"(sensitive)"` {
						t.Errorf("with %s sensitive, result.%s = %s", f.Key, e, v)
					}
				}
			}
			if canon, _ := state.Canonical(rec.Result); len(f.Echoes) == 0 && string(out.Result) != string(canon) {
				t.Errorf("with %s sensitive, the result lost a member: %s", f.Key, out.Result)
			}
			var decoded mynth.Result
			if err := json.Unmarshal(out.Result, &decoded); err != nil {
				t.Errorf("the redacted result no longer decodes: %v", err)
			}
			if len(decoded.Images) != 2 || decoded.Images[0].ID != "img_1" {
				t.Errorf("with %s sensitive, the images are not all there: %s", f.Key, out.Result)
			}
		})
	}
	if rec.ID != "tsk_1" || strings.Contains(string(rec.Request), "(sensitive)") {
		t.Errorf("RedactStateTask changed the task it was given: %+v", rec)
	}
}

// echoValues returns the values at path (a mynth.RequestField echo) in
// res, a result's members.
func echoValues(t *testing.T, res map[string]json.RawMessage, path string) []json.RawMessage {
	t.Helper()
	key, rest, list := strings.Cut(path, "[*].")
	v, ok := res[key]
	if !ok {
		return nil
	}
	if !list {
		return []json.RawMessage{v}
	}
	var elems []map[string]json.RawMessage
	if err := json.Unmarshal(v, &elems); err != nil {
		t.Fatalf("result.%s: %v", key, err)
	}
	var out []json.RawMessage
	for _, el := range elems {
		out = append(out, echoValues(t, el, rest)...)
	}
	return out
}

func TestRedactStateTask(t *testing.T) {
	rec := &state.Task{
		ID:      "tsk_1",
		Status:  mynth.StatusCompleted,
		Request: json.RawMessage(`{"prompt":"secret","model":"m","access":{"pat":{"enabled":true}}}`),
		Result:  json.RawMessage(`{"model":"m-resolved","prompt_enhance":{"source":"magic","positive":"secret, enhanced"},"images":[]}`),
		Files:   []state.SavedFile{{Path: "secret.png", ImageID: "img_1"}},
	}
	for name, tt := range map[string]struct {
		sensitive       map[string]bool
		id, req, result string
		file            string
	}{
		"nothing, as recorded": {nil, "tsk_1", string(rec.Request), string(rec.Result), "secret.png"},
		"prompt and its enhancement": {map[string]bool{"prompt": true}, "tsk_1",
			`{"access":{"pat":{"enabled":true}},"model":"m","prompt":"(sensitive)"}`,
			`{"images":[],"model":"m-resolved"}`, "secret.png"},
		"model and the resolved model": {map[string]bool{"model": true}, "tsk_1",
			`{"access":{"pat":{"enabled":true}},"model":"(sensitive)","prompt":"secret"}`,
			`{"images":[],"model":"(sensitive)","prompt_enhance":{"positive":"secret, enhanced","source":"magic"}}`, "secret.png"},
		"access token hides access": {map[string]bool{"access_token": true}, "tsk_1",
			`{"access":"(sensitive)","model":"m","prompt":"secret"}`,
			`{"images":[],"model":"m-resolved","prompt_enhance":{"positive":"secret, enhanced","source":"magic"}}`, "secret.png"},
		"id and files": {map[string]bool{"id": true, "files": true}, "(sensitive)",
			`{"access":{"pat":{"enabled":true}},"model":"m","prompt":"secret"}`,
			`{"images":[],"model":"m-resolved","prompt_enhance":{"positive":"secret, enhanced","source":"magic"}}`, "(sensitive)"},
	} {
		t.Run(name, func(t *testing.T) {
			out := RedactStateTask(rec, tt.sensitive)
			got := []string{out.ID, string(out.Request), string(out.Result), out.Files[0].Path}
			if diff := cmp.Diff([]string{tt.id, tt.req, tt.result, tt.file}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSensitiveFieldsFollowTheTable checks that the plan's redaction knows
// every field of the table: marked sensitive, it is listed, left out of
// the plan's request, and restored from the spec by setRequestFields.
func TestSensitiveFieldsFollowTheTable(t *testing.T) {
	for _, f := range mynth.RequestFields() {
		t.Run(f.Key, func(t *testing.T) {
			req := sampleRequest(t, f.Key, fieldSamples[f.Key].spec)
			st := &spec.Task{Address: "task.a", Request: req, Sensitive: map[string]bool{f.Key: true}}
			if diff := cmp.Diff([]string{f.Key}, sensitiveFields(st)); diff != "" {
				t.Errorf("sensitiveFields (-want +got):\n%s", diff)
			}
			tp := &TaskPlan{Address: "task.a", Request: &req}
			redactSensitive(tp, st)
			if f.IsSet(*tp.Request) || !cmp.Equal(tp.RequestRedacted, []string{f.Key}) {
				t.Errorf("redactSensitive left %s in the request, or did not list it: %+v", f.Key, tp)
			}
			restored := *tp.Request
			setRequestFields(&restored, req, tp.RequestRedacted)
			if diff := cmp.Diff(req, restored); diff != "" {
				t.Errorf("setRequestFields did not restore %s (-want +got):\n%s", f.Key, diff)
			}
		})
	}
}
