package mynthtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

const (
	alice = "mak_alice_canary_4f1d"
	bob   = "mak_bob_canary_77aa"
)

// TestContract runs every documented request against the emulator over
// real HTTP and checks the status and the exact body shape.
func TestContract(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	taskA, patA := created(t, srv.URL, alice, `{"prompt":"a ceramic mug","size":"landscape","access":{"pat":{"enabled":true}}}`)
	taskB, patB := created(t, srv.URL, bob, `{"prompt":{"positive":"a bowl","negative":"text"},"model":"xai/grok-imagine-image","size":"auto","count":2,"access":{"pat":{"enabled":true}}}`)
	if patA == "" || patB == "" {
		t.Fatal("no PAT returned")
	}
	fill := func(s string) string {
		return strings.NewReplacer("{A}", taskA, "{B}", taskB, "{PA}", patA, "{PB}", patB).Replace(s)
	}

	const (
		unauthorized = `{"error":"*","message":"*","code":"unauthorized"}`
		notFound     = `{"error":"*","message":"*","code":"not_found"}`
		fullA        = `{"id":"tsk_ID","status":"completed","type":"image.generate","createdAt":"TIME","updatedAt":"TIME",
			"request":{"prompt":"a ceramic mug","size":"landscape","access":{"pat":{"enabled":true}}},
			"result":{"model":"google/gemini-3.1-flash-image",
				"images":[{"status":"succeeded","id":"img_ID","url":"URL/images/img_ID.png","cost":"0.01250000","size":"1536x1024"}],
				"cost":{"images":"0.01250000","total":"0.01250000","fee":"0.00000000"}},
			"apiKeyId":"key_ID","userId":"usr_ID"}`
		fullB = `{"id":"tsk_ID","status":"completed","type":"image.generate","createdAt":"TIME","updatedAt":"TIME",
			"request":{"prompt":{"positive":"a bowl","negative":"text"},"model":"xai/grok-imagine-image","size":"auto","count":2,"access":{"pat":{"enabled":true}}},
			"result":{"model":"xai/grok-imagine-image",
				"images":[{"status":"succeeded","id":"img_ID","url":"URL/images/img_ID.png","cost":"0.02000000","size":"1024x1024"},
				          {"status":"succeeded","id":"img_ID","url":"URL/images/img_ID.png","cost":"0.02000000","size":"1024x1024"}],
				"cost":{"images":"0.04000000","total":"0.04000000","fee":"0.00000000"},
				"size_auto":{"source":"mynth","value":"1024x1024"}},
			"apiKeyId":"key_ID","userId":"usr_ID"}`
		imagesA = `{"images":[{"status":"succeeded","id":"img_ID","url":"URL/images/img_ID.png","cost":"0.01250000","size":"1536x1024"}]}`
	)

	tests := []struct {
		name, method, path, token, body string
		status                          int
		want                            string // JSON; "message":"*" matches any message
	}{
		{"generate minimal", "POST", "/image/generate", alice, `{"prompt":"x"}`, 201, `{"taskId":"tsk_ID"}`},
		{"generate with a PAT", "POST", "/image/generate", alice, `{"prompt":"x","access":{"pat":{"enabled":true}}}`, 201,
			`{"taskId":"tsk_ID","access":{"publicAccessToken":"pat_TOKEN"}}`},
		{"generate, PAT disabled", "POST", "/image/generate", alice, `{"prompt":"x","access":{"pat":{"enabled":false}}}`, 201, `{"taskId":"tsk_ID"}`},
		{"generate without a token", "POST", "/image/generate", "", `{"prompt":"x"}`, 401, unauthorized},
		{"generate with a PAT as token", "POST", "/image/generate", "{PA}", `{"prompt":"x"}`, 401, unauthorized},
		{"generate with a foreign token", "POST", "/image/generate", "sk_live_123", `{"prompt":"x"}`, 401, unauthorized},
		{"generate with bad JSON", "POST", "/image/generate", alice, `{"prompt":`, 400, `{"error":"*","message":"*","code":"validation_error"}`},
		{"generate without prompt", "POST", "/image/generate", alice, `{"model":"auto"}`, 400,
			`{"error":"*","message":"*","code":"validation_error","field":"prompt"}`},
		{"generate, GET", "GET", "/image/generate", alice, "", 405, `{"error":"*","message":"*","code":"method_not_allowed"}`},

		{"task, owner", "GET", "/tasks/{A}", alice, "", 200, fullA},
		{"task, owner, object prompt and auto size", "GET", "/tasks/{B}", bob, "", 200, fullB},
		{"task, PAT is owner-only", "GET", "/tasks/{A}", "{PA}", "", 401, unauthorized},
		{"task, another account", "GET", "/tasks/{A}", bob, "", 404, notFound},
		{"task, missing", "GET", "/tasks/tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP", alice, "", 404, notFound},
		{"task, no token", "GET", "/tasks/{A}", "", "", 401, unauthorized},
		{"task, POST", "POST", "/tasks/{A}", alice, "", 405, `{"error":"*","message":"*","code":"method_not_allowed"}`},

		{"status, owner", "GET", "/tasks/{A}/status", alice, "", 200, `{"status":"completed"}`},
		{"status, its PAT", "GET", "/tasks/{A}/status", "{PA}", "", 200, `{"status":"completed"}`},
		{"status, another task's PAT", "GET", "/tasks/{A}/status", "{PB}", "", 401, unauthorized},
		{"status, unknown PAT", "GET", "/tasks/{A}/status", "pat_NOSUCHTOKEN", "", 401, unauthorized},
		{"status, another account", "GET", "/tasks/{A}/status", bob, "", 404, notFound},
		{"status, missing task with a key", "GET", "/tasks/tsk_nope/status", alice, "", 404, notFound},
		{"status, missing task with a PAT", "GET", "/tasks/tsk_nope/status", "{PA}", "", 401, unauthorized},
		{"status, no token", "GET", "/tasks/{A}/status", "", "", 401, unauthorized},

		{"results, owner", "GET", "/tasks/{A}/results", alice, "", 200, imagesA},
		{"results, its PAT", "GET", "/tasks/{A}/results", "{PA}", "", 200, imagesA},
		{"results, another task's PAT", "GET", "/tasks/{A}/results", "{PB}", "", 401, unauthorized},
		{"results, another account", "GET", "/tasks/{A}/results", bob, "", 404, notFound},

		{"upload, no token", "POST", "/image/upload", "", "", 401, unauthorized},
		{"upload, PAT", "POST", "/image/upload", "{PA}", "", 401, unauthorized},
		{"upload, not multipart", "POST", "/image/upload", alice, `{}`, 400,
			`{"error":"*","message":"*","code":"validation_error","field":"images"}`},

		{"image, missing", "GET", "/images/img_nope.png", "", "", 404, notFound},
		{"unknown route", "GET", "/v2/tasks", alice, "", 404, notFound},
		{"unknown task subpath", "GET", "/tasks/{A}/cancel", alice, "", 404, notFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, tc.method, srv.URL+fill(tc.path), fill(tc.token), tc.body)
			if r.Status != tc.status {
				t.Errorf("status %d, want %d; body %s", r.Status, tc.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			got := shape(t, r.Body)
			maskErrorText(t, got)
			if diff := cmp.Diff(mustJSON(t, tc.want), got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			for _, secret := range []string{alice, bob, patA, patB} {
				if strings.Contains(string(r.Body), secret) {
					t.Errorf("the answer holds a secret: %s", r.Body)
				}
			}
		})
	}
	if r := call(t, "POST", srv.URL+"/tasks/"+taskA, alice, ""); r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("405 Allow header %q", r.Header.Get("Allow"))
	}
}

// TestValidation checks that every documented limit is a 400
// validation_error naming the field, and that values at the limits pass.
func TestValidation(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	long := strings.Repeat("é", 8192)
	levels := func(n int) string {
		var parts []string
		for i := range n {
			parts = append(parts, `{"value":"l`+string(rune('a'+i))+`","description":"d"}`)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	urls := func(n int, form string) string {
		var parts []string
		for range n {
			parts = append(parts, form)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	tests := []struct {
		name, body string
		field      string // "" means accepted
	}{
		{"prompt at 8192 characters", `{"prompt":"` + long + `"}`, ""},
		{"prompt over 8192 characters", `{"prompt":"` + long + `x"}`, "prompt"},
		{"empty prompt", `{"prompt":""}`, "prompt"},
		{"prompt a number", `{"prompt":5}`, "prompt"},
		{"prompt object without positive", `{"prompt":{"negative":"x"}}`, "prompt.positive"},
		{"prompt object, empty positive", `{"prompt":{"positive":""}}`, "prompt.positive"},
		{"prompt negative too long", `{"prompt":{"positive":"x","negative":"` + long + `x"}}`, "prompt.negative"},
		{"enhance false", `{"prompt":{"positive":"x","enhance":false}}`, ""},
		{"enhance prefer_magic", `{"prompt":{"positive":"x","enhance":"prefer_magic"}}`, ""},
		{"enhance prefer_native", `{"prompt":{"positive":"x","enhance":"prefer_native"}}`, ""},
		{"enhance true", `{"prompt":{"positive":"x","enhance":true}}`, "prompt.enhance"},
		{"enhance unknown", `{"prompt":{"positive":"x","enhance":"always"}}`, "prompt.enhance"},
		{"any model", `{"prompt":"x","model":"acme/new-model-9"}`, ""},
		{"empty model", `{"prompt":"x","model":""}`, "model"},
		{"model a number", `{"prompt":"x","model":3}`, "model"},
		{"size presets", `{"prompt":"x","size":"instagram"}`, ""},
		{"size preset upper case", `{"prompt":"x","size":"Portrait"}`, ""},
		{"size WxH", `{"prompt":"x","size":"640x480"}`, ""},
		{"size unknown preset", `{"prompt":"x","size":"huge"}`, "size"},
		{"size WxH too big", `{"prompt":"x","size":"5000x10"}`, "size"},
		{"size WxH zero", `{"prompt":"x","size":"0x10"}`, "size"},
		{"size a number", `{"prompt":"x","size":1024}`, "size"},
		{"size resolution", `{"prompt":"x","size":{"type":"resolution","width":800,"height":600,"mode":"exact"}}`, ""},
		{"size resolution without height", `{"prompt":"x","size":{"type":"resolution","width":800}}`, "size.height"},
		{"size resolution width a string", `{"prompt":"x","size":{"type":"resolution","width":"800","height":600}}`, "size.width"},
		{"size aspect ratio", `{"prompt":"x","size":{"type":"aspect_ratio","aspectRatio":"4:5","scale":"1k"}}`, ""},
		{"size aspect ratio malformed", `{"prompt":"x","size":{"type":"aspect_ratio","aspectRatio":"wide"}}`, "size.aspectRatio"},
		{"size aspect ratio bad scale", `{"prompt":"x","size":{"type":"aspect_ratio","aspectRatio":"4:5","scale":"8k"}}`, "size.scale"},
		{"size auto object", `{"prompt":"x","size":{"type":"auto","prefer":"landscape"}}`, ""},
		{"size unknown type", `{"prompt":"x","size":{"type":"huge"}}`, "size.type"},
		{"count 1", `{"prompt":"x","count":1}`, ""},
		{"count 100", `{"prompt":"x","count":100}`, ""},
		{"count 0", `{"prompt":"x","count":0}`, "count"},
		{"count 101", `{"prompt":"x","count":101}`, "count"},
		{"count fractional", `{"prompt":"x","count":1.5}`, "count"},
		{"count a string", `{"prompt":"x","count":"2"}`, "count"},
		{"20 inputs", `{"prompt":"x","inputs":` + urls(20, `"https://e.test/a.png"`) + `}`, ""},
		{"21 inputs", `{"prompt":"x","inputs":` + urls(21, `"https://e.test/a.png"`) + `}`, "inputs"},
		{"input object", `{"prompt":"x","inputs":[{"type":"image","role":"init","source":{"type":"url","url":"https://e.test/a.png"}}]}`, ""},
		{"input bad role", `{"prompt":"x","inputs":[{"type":"image","role":"style","source":{"type":"url","url":"https://e.test/a.png"}}]}`, "inputs[0].role"},
		{"input not a URL", `{"prompt":"x","inputs":["https://e.test/a.png","a.png"]}`, "inputs[1]"},
		{"input object without url", `{"prompt":"x","inputs":[{"type":"image","role":"context","source":{"type":"url"}}]}`, "inputs[0].source.url"},
		{"inputs not an array", `{"prompt":"x","inputs":"https://e.test/a.png"}`, "inputs"},
		{"output", `{"prompt":"x","output":{"format":"png","quality":100}}`, ""},
		{"output quality 0", `{"prompt":"x","output":{"format":"jpg","quality":0}}`, ""},
		{"output format gif", `{"prompt":"x","output":{"format":"gif"}}`, "output.format"},
		{"output quality 101", `{"prompt":"x","output":{"format":"webp","quality":101}}`, "output.quality"},
		{"output quality negative", `{"prompt":"x","output":{"quality":-1}}`, "output.quality"},
		{"5 webhooks", `{"prompt":"x","webhook":{"enabled":true,"custom":` + urls(5, `{"url":"https://e.test/h"}`) + `}}`, ""},
		{"6 webhooks", `{"prompt":"x","webhook":{"enabled":true,"custom":` + urls(6, `{"url":"https://e.test/h"}`) + `}}`, "webhook.custom"},
		{"webhook without url", `{"prompt":"x","webhook":{"custom":[{}]}}`, "webhook.custom[0].url"},
		{"webhook enabled a string", `{"prompt":"x","webhook":{"enabled":"yes"}}`, "webhook.enabled"},
		{"2 rating levels", `{"prompt":"x","content_rating":{"enabled":true,"levels":` + levels(2) + `}}`, ""},
		{"7 rating levels", `{"prompt":"x","content_rating":{"enabled":true,"levels":` + levels(7) + `}}`, ""},
		{"1 rating level", `{"prompt":"x","content_rating":{"enabled":true,"levels":` + levels(1) + `}}`, "content_rating.levels"},
		{"8 rating levels", `{"prompt":"x","content_rating":{"enabled":true,"levels":` + levels(8) + `}}`, "content_rating.levels"},
		{"rating level without value", `{"prompt":"x","content_rating":{"levels":[{"description":"a"},{"value":"b","description":"b"}]}}`, "content_rating.levels[0].value"},
		{"metadata at 2 KB", `{"prompt":"x","metadata":{"k":"` + strings.Repeat("a", 2048-8) + `"}}`, ""},
		{"metadata over 2 KB", `{"prompt":"x","metadata":{"k":"` + strings.Repeat("a", 2048-7) + `"}}`, "metadata"},
		{"metadata an array", `{"prompt":"x","metadata":[1]}`, "metadata"},
		{"access pat enabled a string", `{"prompt":"x","access":{"pat":{"enabled":"yes"}}}`, "access.pat.enabled"},
		{"unknown fields kept", `{"prompt":"x","future_field":{"a":1}}`, ""},
		{"body an array", `[{"prompt":"x"}]`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, "POST", srv.URL+"/image/generate", alice, tc.body)
			if tc.name == "body an array" {
				if r.Status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400", r.Status)
				}
				return
			}
			if tc.field == "" {
				if r.Status != http.StatusCreated {
					t.Fatalf("status %d, want 201: %s", r.Status, r.Body)
				}
				return
			}
			got := shape(t, r.Body)
			maskErrorText(t, got)
			e, _ := got.(map[string]any)
			if r.Status != http.StatusBadRequest || e["code"] != "validation_error" || e["field"] != tc.field {
				t.Fatalf("got %d %s, want 400 validation_error with field %q", r.Status, r.Body, tc.field)
			}
		})
	}
}
