package planner

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
)

// The request comparison as it was before it was built from Go values:
// each side encoded with json.Marshal and decoded into a tree. It is the
// oracle the comparison is held to: the same changes (paths, order,
// values and their types) and the same errors.

func oracleRequestTrees(spec mynth.Request, remote *mynth.Request) (want, got map[string]any, err error) {
	w, g := map[string]any{}, map[string]any{}
	var subset []string
	specN := spec.WithDefaults()
	var remoteN mynth.Request
	if remote != nil {
		remoteN = remote.WithDefaults()
	}
	for _, f := range mynth.RequestFields() {
		if !f.IsSet(spec) {
			continue
		}
		w[f.Key] = f.Value(specN)
		if remote != nil {
			if gv := f.Value(remoteN); gv != nil {
				g[f.Key] = gv
			}
		}
		if f.Subset {
			subset = append(subset, f.Key)
		}
	}
	wt, err := valueTree(w)
	if err != nil {
		return nil, nil, fmt.Errorf("the spec's request: %w", err)
	}
	gt, err := valueTree(g)
	if err != nil {
		return nil, nil, fmt.Errorf("the task's request: %w", err)
	}
	want, _ = wt.(map[string]any)
	got, _ = gt.(map[string]any)
	if want == nil {
		want = map[string]any{}
	}
	if got == nil {
		got = map[string]any{}
	}
	for k, v := range got {
		if v == nil {
			delete(got, k)
		}
	}
	for _, k := range subset {
		if gv, ok := got[k]; ok {
			got[k] = restrictTo(gv, want[k])
		}
	}
	return want, got, nil
}

func oracleCompareRequest(spec mynth.Request, remote *mynth.Request) ([]Change, error) {
	want, got, err := oracleRequestTrees(spec, remote)
	if err != nil {
		return nil, err
	}
	return diffTrees("request", got, want), nil
}

// requestGen makes requests from a stream of choices: random ones, or a
// fuzzer's bytes. Its values are few, so that two requests often share
// them, and hostile: bytes that are not UTF-8, text that JSON escapes,
// numbers written in several ways, nulls, invalid metadata.
type requestGen struct {
	pick func(n int) int
}

func bytesGen(data []byte) *requestGen {
	return &requestGen{pick: func(n int) int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b) % n
	}}
}

func randGen(seed uint64) *requestGen {
	r := rand.New(rand.NewPCG(seed, 16))
	return &requestGen{pick: r.IntN}
}

var genStrings = []string{"", "a", "b", "é", "e\u0301", "\xff", "a\xffb", "a\xfeb", "\xed\xa0\x80", "\ufffd", "<&>",
	"\u2028", "false", "true", "null", "日本", "\x00", `"q"`, "square", "SQUARE", "1024x1024"}

var genMetadata = []string{`{"a":1}`, `{"a":1.0}`, `{"a":1e0}`, `{"a":[1,2,{"b":null}]}`, `{"a":[1,2]}`, `{"a":[2,1,3]}`,
	`null`, ` null `, `{"a":"é"}`, `{"a":"\u00e9"}`, `[1,2]`, `"s"`, `{} x`, `{`, `   `, `{"a":{"b":[null,true,false]}}`,
	`{"a":{"b":[null,false]}}`, `{"a":1,"a":2}`, `{"a":2}`, ` {"a" : 1 } `, "{\"k\":\"\xff\"}", `{"k":"\ufffd"}`,
	`{"":1}`, `{"a.b":1}`, `{"a":{"b":1}}`, `{"x":"<"}`, `{"x":"\u003c"}`, `1`, `1.0`, `{}`, `{"a":{}}`, `{"a":[]}`}

var genInts = []int{0, 1, 2, -1, 4, 1024}

func (g *requestGen) str() string { return genStrings[g.pick(len(genStrings))] }
func (g *requestGen) int() int    { return genInts[g.pick(len(genInts))] }
func (g *requestGen) coin() bool  { return g.pick(2) == 1 }

func (g *requestGen) boolPtr() *bool {
	switch g.pick(3) {
	case 1:
		return ptr(true)
	case 2:
		return ptr(false)
	}
	return nil
}

// field returns a value for field key of a request, set or not.
func (g *requestGen) field(r *mynth.Request, key string) {
	set := g.pick(4) != 0
	switch key {
	case "prompt":
		r.Prompt = nil
		if set {
			p := mynth.Prompt{Positive: g.str()}
			if g.coin() {
				p.Negative = g.str()
			}
			if g.coin() {
				p.Enhance = []string{"", mynth.EnhanceOff, "true", mynth.EnhancePreferMagic, mynth.EnhancePreferNative, "\xff", "x"}[g.pick(7)]
			}
			r.Prompt = &p
		}
	case "model":
		r.Model = ""
		if set {
			r.Model = g.str()
		}
	case "size":
		r.Size = nil
		if set {
			var s mynth.Size
			if g.coin() {
				s.Preset = g.str()
			} else {
				s.Type = []string{"", "auto", "resolution", "aspect_ratio", "\xff"}[g.pick(5)]
				s.Width, s.Height = g.int(), g.int()
				if g.coin() {
					s.Mode = g.str()
				}
				if g.coin() {
					s.AspectRatio, s.Scale = g.str(), g.str()
				}
				if g.coin() {
					s.Prefer = g.str()
				}
			}
			r.Size = &s
		}
	case "count":
		r.Count = 0
		if set {
			r.Count = g.int()
		}
	case "inputs":
		r.Inputs = nil
		if set {
			for range g.pick(4) {
				r.Inputs = append(r.Inputs, mynth.Input{URL: g.str(), Role: []string{"", "reference", "context", "\xff"}[g.pick(4)]})
			}
		}
	case "output":
		r.Output = nil
		if set {
			o := mynth.Output{}
			if g.coin() {
				o.Format = g.str()
			}
			if g.coin() {
				o.Quality = ptr(g.int())
			}
			r.Output = &o
		}
	case "webhook":
		r.Webhook = nil
		if set {
			w := mynth.Webhook{Enabled: g.boolPtr()}
			for range g.pick(3) {
				w.Custom = append(w.Custom, mynth.WebhookEndpoint{URL: g.str()})
			}
			r.Webhook = &w
		}
	case "content_rating":
		r.ContentRating = nil
		if set {
			c := mynth.ContentRating{Enabled: g.boolPtr()}
			for range g.pick(3) {
				c.Levels = append(c.Levels, mynth.RatingLevel{Value: g.str(), Description: g.str()})
			}
			r.ContentRating = &c
		}
	case "metadata":
		r.Metadata = nil
		if set {
			r.Metadata = json.RawMessage(genMetadata[g.pick(len(genMetadata))])
		}
	case "access":
		r.Access = nil
		if set {
			a := mynth.Access{}
			if g.coin() {
				a.PAT = &mynth.PATAccess{Enabled: g.coin()}
			}
			r.Access = &a
		}
	default:
		panic("requestGen: no values for request field " + key + ": add them")
	}
}

// pair returns a spec's request and a remote one: the remote starts as
// the spec's, and each field is kept, or drawn again.
func (g *requestGen) pair() (mynth.Request, *mynth.Request) {
	var s mynth.Request
	for _, f := range mynth.RequestFields() {
		g.field(&s, f.Key)
	}
	if g.pick(16) == 0 {
		return s, nil
	}
	r := s
	for _, f := range mynth.RequestFields() {
		if g.pick(3) == 0 {
			g.field(&r, f.Key)
		}
	}
	return s, &r
}

// sensitive returns marks for some request fields and the id.
func (g *requestGen) sensitive() map[string]bool {
	m := map[string]bool{}
	for _, f := range mynth.RequestFields() {
		if g.pick(4) == 0 {
			m[f.Key] = true
		}
	}
	return m
}

var genIgnore = []string{"request.prompt", "request.metadata.a", "request.inputs[*]", "request.inputs[1]", "request.size.width", "request", "request.webhook.custom[*].url"}

// checkAgainstOracle compares compareRequest with the oracle on one pair,
// then the plan's changes once ignore_changes and sensitive marks apply.
func checkAgainstOracle(t *testing.T, g *requestGen) {
	t.Helper()
	s, r := g.pair()
	got, gotErr := compareRequest(s, r)
	want, wantErr := oracleCompareRequest(s, r)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("spec %#v, remote %#v: error %v, oracle %v", s, r, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("spec %s, remote %s:\n got    %#v\n oracle %#v", describeRequest(&s), describeRequest(r), got, want)
	}
	ignore := []string{genIgnore[g.pick(len(genIgnore))]}
	task := &spec.Task{Sensitive: g.sensitive()}
	views := make([]*TaskPlan, 2)
	for i, changes := range [][]Change{got, want} {
		views[i] = &TaskPlan{Changes: filterIgnored(changes, ignore)}
		redactSensitive(views[i], task)
	}
	if !reflect.DeepEqual(views[0], views[1]) {
		t.Fatalf("ignoring %v, sensitive %v: %#v, oracle %#v", ignore, task.Sensitive, views[0].Changes, views[1].Changes)
	}
}

func describeRequest(r *mynth.Request) string {
	if r == nil {
		return "nil"
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Sprintf("%#v (%v)", *r, err)
	}
	return string(b)
}

// TestCompareRequestMatchesOracle holds the comparison to the oracle on
// random pairs of requests.
func TestCompareRequestMatchesOracle(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	for seed := range uint64(n) {
		checkAgainstOracle(t, randGen(seed))
	}
}

// TestCompareRequestOracleCases are the cases the random pairs are meant
// to reach, each checked against the oracle by name.
func TestCompareRequestOracleCases(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name   string
		spec   mynth.Request
		remote *mynth.Request
	}{
		{"number forms", mynth.Request{Metadata: raw(`{"a":1}`)}, &mynth.Request{Metadata: raw(`{"a":1.0}`)}},
		{"nested arrays", mynth.Request{Metadata: raw(`{"a":[1,{"b":[null,true]}]}`)}, &mynth.Request{Metadata: raw(`{"a":[1,{"b":[false]},3]}`)}},
		{"null metadata", mynth.Request{Metadata: raw(`null`)}, &mynth.Request{Metadata: raw(`null`)}},
		{"invalid spec metadata", mynth.Request{Metadata: raw(`{} x`)}, &mynth.Request{Metadata: raw(`{} x`)}},
		{"invalid remote metadata", mynth.Request{Metadata: raw(`{}`)}, &mynth.Request{Metadata: raw(`{`)}},
		{"not UTF-8, same text", mynth.Request{Prompt: &mynth.Prompt{Positive: "a\xffb"}}, &mynth.Request{Prompt: &mynth.Prompt{Positive: "a\xfeb"}}},
		{"unicode", mynth.Request{Prompt: &mynth.Prompt{Positive: "日本 é"}}, &mynth.Request{Prompt: &mynth.Prompt{Positive: "日本 e\u0301"}}},
		{"escaped metadata", mynth.Request{Metadata: raw(`{"x":"<"}`)}, &mynth.Request{Metadata: raw(`{"x":"\u003c"}`)}},
		{"enhance", mynth.Request{Prompt: &mynth.Prompt{Positive: "a", Enhance: mynth.EnhanceOff}}, &mynth.Request{Prompt: &mynth.Prompt{Positive: "a", Enhance: "true"}}},
		{"subset members", mynth.Request{Output: &mynth.Output{Quality: ptr(80)}}, &mynth.Request{Output: &mynth.Output{Format: "png"}}},
		{"subset list", mynth.Request{Webhook: &mynth.Webhook{Custom: []mynth.WebhookEndpoint{{URL: "a"}}}}, &mynth.Request{Webhook: &mynth.Webhook{Enabled: ptr(true), Custom: []mynth.WebhookEndpoint{{URL: "a"}, {URL: "b"}}}}},
		{"access", mynth.Request{Access: &mynth.Access{PAT: &mynth.PATAccess{Enabled: true}}}, &mynth.Request{Access: &mynth.Access{}}},
		{"size object", mynth.Request{Size: &mynth.Size{Type: "aspect_ratio", AspectRatio: "4:5"}}, &mynth.Request{Size: &mynth.Size{Type: "aspect_ratio", AspectRatio: "4:5", Scale: "1k"}}},
		{"inputs", mynth.Request{Inputs: []mynth.Input{{URL: "a", Role: "reference"}, {URL: "b"}}}, &mynth.Request{Inputs: []mynth.Input{{URL: "a"}}}},
		{"unknown remote", mynth.Request{Prompt: &mynth.Prompt{Positive: "a"}, Count: 2}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, gotErr := compareRequest(c.spec, c.remote)
			want, wantErr := oracleCompareRequest(c.spec, c.remote)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, oracle %v", gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got    %#v\noracle %#v", got, want)
			}
		})
	}
}

// FuzzCompareRequest holds the comparison to the oracle on requests drawn
// from the fuzzer's bytes.
func FuzzCompareRequest(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	f.Add([]byte("metadata and prompts, drawn from these bytes"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstOracle(t, bytesGen(data))
	})
}

// BenchmarkCompareRequest compares the request of a task that matches its
// spec, as plan does for every task it reads, with the comparison and
// with the oracle.
func BenchmarkCompareRequest(b *testing.B) {
	spec := mynth.Request{Prompt: &mynth.Prompt{Positive: "Studio photo of product p00042"},
		Model: "google/gemini-3.1-flash-image", Size: &mynth.Size{Preset: "square"}}
	remote := spec
	remote.Count = 1
	for _, impl := range []struct {
		name    string
		compare func(mynth.Request, *mynth.Request) ([]Change, error)
	}{{"fields", compareRequest}, {"oracle", oracleCompareRequest}} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if c, err := impl.compare(spec, &remote); err != nil || len(c) > 0 {
					b.Fatal(c, err)
				}
			}
		})
	}
}
