package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

func recordedHero() *state.Task {
	return &state.Task{
		ID: "tsk_hero", Status: mynth.StatusCompleted, CreatedAt: "2026-01-02T10:00:00Z",
		Request: json.RawMessage(`{"model":"m","prompt":"a mug"}`),
		Result:  json.RawMessage(`{"cost":{"images":"0.01250000","total":"0.01250000"},"images":[{"cost":"0.01250000","id":"img_1","size":"1536x1024","status":"succeeded","url":"https://cdn.example/img_1.png"},{"error":"blocked","status":"failed"}],"model":"m","prompt_enhance":{"source":"magic","positive":"a mug, enhanced"}}`),
		Files:   []state.SavedFile{{Path: "assets/hero.webp", ImageID: "img_1", URL: "https://cdn.example/img_1.png", SHA256: "abc123", Size: 42}},
	}
}

func TestStateShowHuman(t *testing.T) {
	tests := []struct {
		name      string
		task      *state.Task
		sensitive map[string]bool
		want      string
	}{
		{"sensitive prompt", recordedHero(), map[string]bool{"prompt": true}, `task.hero
  id:      tsk_hero
  status:  completed
  created: 2026-01-02T10:00:00Z
  model:   m
  cost:    $0.0125
  images:  1 succeeded, 1 failed
    [0] succeeded img_1 1536x1024 $0.0125 https://cdn.example/img_1.png
    [1] failed    blocked
  files:
    assets/hero.webp img_1 42 bytes sha256 abc123
  request:
    {
      "model": "m",
      "prompt": "(sensitive)"
    }
  result:
    {
      "cost": {
        "images": "0.01250000",
        "total": "0.01250000"
      },
      "images": [
        {
          "cost": "0.01250000",
          "id": "img_1",
          "size": "1536x1024",
          "status": "succeeded",
          "url": "https://cdn.example/img_1.png"
        },
        {
          "error": "blocked",
          "status": "failed"
        }
      ],
      "model": "m"
    }
`},
		{"read with a token, pending", &state.Task{ID: "tsk_p", Status: mynth.StatusPending}, nil, `task.hero
  id:     tsk_p
  status: pending
  result: none yet
  request: not recorded (only a Public Access Token could read the task)
`},
		{"what the API wrote is escaped", &state.Task{ID: "tsk_x\n::error::forged", Status: "completed\x1b[2J",
			Request: json.RawMessage(`{"prompt":"p\u009b"}`)}, nil, `task.hero
  id:     tsk_x\n::error::forged
  status: completed\x1b[2J
  result: none yet
  request:
    {
      "prompt": "p\u009b"
    }
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			v := &StateShowHuman{Out: &out, Err: &errs}
			if err := v.Task("task.hero", tt.task, tt.sensitive); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" || errs.Len() > 0 {
				t.Errorf("(-want +got):\n%s\nstderr: %s", diff, errs.String())
			}
		})
	}
}

func TestStateShowJSON(t *testing.T) {
	var out bytes.Buffer
	v := &StateShowJSON{Out: &out, Err: &out}
	if err := v.Task("task.hero", recordedHero(), map[string]bool{"model": true, "files": true}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Request map[string]any    `json:"request"`
		Result  map[string]any    `json:"result"`
		Files   []state.SavedFile `json:"files"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	got := []any{doc.Request["model"], doc.Request["prompt"], doc.Result["model"], doc.Files[0].Path}
	if diff := cmp.Diff([]any{"(sensitive)", "a mug", "(sensitive)", "(sensitive)"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s\n%s", diff, out.String())
	}
}

func TestStateShowErrors(t *testing.T) {
	for _, v := range []func(w *bytes.Buffer) StateShowView{
		func(w *bytes.Buffer) StateShowView { return &StateShowHuman{Out: nil, Err: w} },
		func(w *bytes.Buffer) StateShowView { return &StateShowJSON{Out: nil, Err: w} },
	} {
		var errs bytes.Buffer
		view := v(&errs)
		view.Instances("task.product", []string{`task.product["bowl"]`, `task.product["it's"]`})
		view.Error(errors.New(`task.heor is not in the state; did you mean task.hero?`))
		want := "mynthform state show: task.product is a task block with 2 instances in the state; show one of them:\n" +
			"  mynthform state show 'task.product[\"bowl\"]'\n" +
			"  mynthform state show 'task.product[\"it'\\''s\"]'\n" +
			"mynthform state show: task.heor is not in the state; did you mean task.hero?\n"
		if diff := cmp.Diff(want, errs.String()); diff != "" {
			t.Errorf("%T (-want +got):\n%s", view, diff)
		}
	}
}

func TestShellQuoteAddress(t *testing.T) {
	for in, want := range map[string]string{
		"task.a":           "task.a",
		`task.a["k"]`:      `'task.a["k"]'`,
		`task.a["it's"]`:   `'task.a["it'\''s"]'`,
		`task.a["two w"]`:  `'task.a["two w"]'`,
		`task.a["$(rm)"]`:  `'task.a["$(rm)"]'`,
		"task.plain_name1": "task.plain_name1",
	} {
		if got := ShellQuoteAddress(in); got != want {
			t.Errorf("ShellQuoteAddress(%q) = %s, want %s", in, got, want)
		}
		if strings.ContainsAny(want, `"'$ `) && !strings.HasPrefix(want, "'") {
			t.Errorf("%s is not quoted", want)
		}
	}
}

// TestRequestFieldOrderCoversTheTable: the human plan lists a request's
// fields in the API reference's order, which names every field of
// mynth.RequestFields, so that none is pushed to the end by accident.
func TestRequestFieldOrderCoversTheTable(t *testing.T) {
	var keys []string
	for _, f := range mynth.RequestFields() {
		keys = append(keys, f.Key)
	}
	got := slices.Clone(keys)
	sortFields(got, requestFieldOrder)
	if diff := cmp.Diff(requestFieldOrder, got); diff != "" {
		t.Errorf("requestFieldOrder and mynth.RequestFields differ (-order +table, sorted):\n%s", diff)
	}
}
