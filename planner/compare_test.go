package planner

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
)

func TestDiffTrees(t *testing.T) {
	tree := func(s string) any {
		v, err := decodeTree([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name          string
		before, after string
		want          []Change
	}{
		{"equal", `{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1}`, nil},
		{"leaf", `{"images":[{"url":"u1"},{"url":"u2"}]}`, `{"images":[{"url":"u1"},{"url":"u3"}]}`,
			[]Change{{Path: "result.images[1].url", Before: "u2", After: "u3"}}},
		{"added element", `{"images":[{"url":"u1"}]}`, `{"images":[{"url":"u1"},{"url":"u2"}]}`,
			[]Change{{Path: "result.images[1]", Before: nil, After: map[string]any{"url": "u2"}}}},
		{"type change", `{"p":"a"}`, `{"p":{"positive":"a"}}`,
			[]Change{{Path: "result.p", Before: "a", After: map[string]any{"positive": "a"}}}},
		{"number exact", `{"c":"0.01250000","n":1}`, `{"c":"0.01250001","n":2}`,
			[]Change{{Path: "result.c", Before: "0.01250000", After: "0.01250001"}, {Path: "result.n", Before: json.Number("1"), After: json.Number("2")}}},
		{"nil before", ``, `{"model":"m"}`, []Change{{Path: "result.model", Before: nil, After: "m"}}},
		{"natural order", `{"i":[0,0,0,0,0,0,0,0,0,0,0,0]}`, `{"i":[0,0,1,0,0,0,0,0,0,0,0,1]}`,
			[]Change{{Path: "result.i[2]", Before: json.Number("0"), After: json.Number("1")}, {Path: "result.i[11]", Before: json.Number("0"), After: json.Number("1")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diffTrees("result", tree(tt.before), tree(tt.after))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diffTrees (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompareRequest(t *testing.T) {
	str := func(s string) *mynth.Prompt { return &mynth.Prompt{Positive: s} }
	tests := []struct {
		name   string
		spec   mynth.Request
		remote string
		want   []Change
	}{
		{"prompt string equals object", mynth.Request{Prompt: str("a mug")}, `{"prompt":{"positive":"a mug"}}`, nil},
		{"prompt differs", mynth.Request{Prompt: str("b")}, `{"prompt":"a"}`,
			[]Change{{Path: "request.prompt", Before: "a", After: "b"}}},
		{"negative added", mynth.Request{Prompt: &mynth.Prompt{Positive: "a", Negative: "text"}}, `{"prompt":"a"}`,
			[]Change{{Path: "request.prompt", Before: "a", After: map[string]any{"positive": "a", "negative": "text"}}}},
		{"size normalized", mynth.Request{Size: &mynth.Size{Type: "resolution", Width: 10, Height: 20}}, `{"size":"10x20"}`, nil},
		{"size absent is auto", mynth.Request{Size: &mynth.Size{Type: "auto"}}, `{}`, nil},
		{"count absent is 1", mynth.Request{Count: 1}, `{"prompt":"x"}`, nil},
		{"count differs", mynth.Request{Count: 2}, `{"count":1}`,
			[]Change{{Path: "request.count", Before: json.Number("1"), After: json.Number("2")}}},
		{"unset fields not compared", mynth.Request{Model: "m"}, `{"model":"m","size":"square","count":4,"prompt":"zzz"}`, nil},
		{"model absent is auto", mynth.Request{Model: "auto"}, `{}`, nil},
		{"metadata canonical", mynth.Request{Metadata: json.RawMessage(`{"b":1, "a":"x"}`)}, `{"metadata":{"a":"x","b":1}}`, nil},
		{"metadata differs", mynth.Request{Metadata: json.RawMessage(`{"a":"y"}`)}, `{"metadata":{"a":"x"}}`,
			[]Change{{Path: "request.metadata.a", Before: "x", After: "y"}}},
		{"output subset", mynth.Request{Output: &mynth.Output{Format: "png"}}, `{"output":{"format":"png","quality":80}}`, nil},
		{"inputs", mynth.Request{Inputs: []mynth.Input{{URL: "u"}}}, `{"inputs":[{"type":"image","role":"","source":{"type":"url","url":"u"}}]}`, nil},
		{"field missing remotely", mynth.Request{Model: "m"}, `{"prompt":"x", "model":""}`,
			[]Change{{Path: "request.model", Before: "auto", After: "m"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var remote mynth.Request
			if err := json.Unmarshal([]byte(tt.remote), &remote); err != nil {
				t.Fatal(err)
			}
			got, err := compareRequest(tt.spec, &remote)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("compareRequest (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIgnored(t *testing.T) {
	tests := []struct {
		path, pattern string
		want          bool
	}{
		{"result.images[0].url", "result.images[*].url", true},
		{"result.images[12].url", "result.images[*].url", true},
		{"result.images[0].urls", "result.images[*].url", false},
		{"result.images[0]", "result.images[*].url", false},
		{"result.images[0].url", "result.images", true},
		{"result.images[0].url", "result", true},
		{"result.imagesx", "result.images", false},
		{"request.prompt", "request.prompt", true},
		{"request.prompt.negative", "request.prompt", true},
		{"result.images[1].url", "result.images[0].url", false},
		{"result.images[0].url", "result.images[0].url", true},
		{"status", "result", false},
	}
	for _, tt := range tests {
		if got := ignored(tt.path, []string{tt.pattern}); got != tt.want {
			t.Errorf("ignored(%q, %q) = %v, want %v", tt.path, tt.pattern, got, tt.want)
		}
	}
}
