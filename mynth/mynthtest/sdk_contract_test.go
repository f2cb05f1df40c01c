package mynthtest_test

// The tests in this file hold the emulator to the shapes that Mynth's
// official JavaScript SDK expects (public repository mynthio/mynth-sdk):
// src/client.ts for error bodies, src/types.ts (namespace MynthSDKTypes)
// for the task and its result, src/task-async.ts for polling. They are
// written from those types and from the documentation pages they match;
// where the SDK and the project's own API notes disagree, the SDK wins.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// jsonObject decodes an answer that must be a JSON object.
func jsonObject(t testing.TB, b []byte) map[string]any {
	t.Helper()
	m, ok := mustJSON(t, string(b)).(map[string]any)
	if !ok {
		t.Fatalf("want a JSON object, got %s", b)
	}
	return m
}

// str returns m[k] when it is a JSON string, and fails the test otherwise.
func str(t testing.TB, m map[string]any, k string) string {
	t.Helper()
	s, ok := m[k].(string)
	if !ok {
		t.Fatalf("%s: want a string, got %#v (in %v)", k, m[k], m)
	}
	return s
}

// TestSDKErrorBodies: src/client.ts reads an error answer as one flat
// object and takes its message from "error", else "message", and its code
// from "code". Every error the emulator gives, of every endpoint and every
// injected fault with a JSON body, must read well that way: error a
// string, not an object (which the SDK would print as "[object Object]"),
// and code a string.
func TestSDKErrorBodies(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{Seed: &mynthtest.Seed{Accounts: []mynthtest.SeedAccount{
		{APIKey: "mak_poor", Balance: "0.001"},
	}}})
	id, _ := created(t, srv.URL, alice, `{"prompt":"x"}`)
	tests := []struct {
		name, method, path, token, body string
		fault                           mynthtest.FaultKind
		status                          int
		code, field                     string
	}{
		{"400 validation", "POST", "/image/generate", alice, `{"prompt":""}`, "", 400, "validation_error", "prompt"},
		{"400 not JSON", "POST", "/image/generate", alice, `{`, "", 400, "validation_error", ""},
		{"400 upload", "POST", "/image/upload", alice, `{}`, "", 400, "validation_error", "images"},
		{"401 no token", "POST", "/image/generate", "", `{"prompt":"x"}`, "", 401, "unauthorized", ""},
		{"401 PAT on the full task", "GET", "/tasks/" + id, "pat_nope", "", "", 401, "unauthorized", ""},
		{"402", "POST", "/image/generate", "mak_poor", `{"prompt":"x"}`, "", 402, "insufficient_balance", ""},
		{"404 task", "GET", "/tasks/tsk_nope", alice, "", "", 404, "not_found", ""},
		{"404 route", "GET", "/nope", alice, "", "", 404, "not_found", ""},
		{"405", "DELETE", "/tasks/" + id, alice, "", "", 405, "method_not_allowed", ""},
		{"413", "POST", "/image/generate", alice, `{"prompt":"` + strings.Repeat("a", 1<<20) + `"}`, "", 413, "payload_too_large", ""},
		{"500", "GET", "/tasks/" + id + "/status", alice, "", mynthtest.Fault500, 500, "internal_error", ""},
		{"503", "GET", "/tasks/" + id + "/status", alice, "", mynthtest.Fault503, 503, "service_unavailable", ""},
		{"429", "POST", "/image/generate", alice, `{"prompt":"x"}`, mynthtest.Fault429, 429, "rate_limited", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f mynthtest.Faults
			if tc.fault != "" {
				f.Next = []mynthtest.FaultKind{tc.fault}
			}
			srv.Emulator.SetFaults(f)
			r := call(t, tc.method, srv.URL+tc.path, tc.token, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			m := jsonObject(t, r.Body)
			// What the SDK's MynthAPIError gets: error || message, and code.
			text, _ := m["error"].(string)
			if text == "" {
				text, _ = m["message"].(string)
			}
			if text == "" || strings.Contains(text, "[object") {
				t.Errorf("the SDK would read no message from %s", r.Body)
			}
			if str(t, m, "error") != str(t, m, "message") {
				t.Errorf("error and message differ: %s", r.Body)
			}
			if got := str(t, m, "code"); got != tc.code {
				t.Errorf("code %q, want %q", got, tc.code)
			}
			if got, _ := m["field"].(string); got != tc.field {
				t.Errorf("field %q, want %q", got, tc.field)
			}
		})
	}
}

// TestSDKResultShapes checks a completed task field by field against the
// SDK's TaskData and ImageResult (src/types.ts): every image a succeeded
// one (status, id, url, cost a string, size "WxH") or a failed one whose
// error is a string; cost {images, total, fee}, all strings, fee present
// even when it is zero; size_auto and prompt_enhance with source "mynth"
// or "native".
func TestSDKResultShapes(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	tests := []struct {
		name, body           string
		sizeAuto, enhance    string // the sources wanted, "" for absent
		succeeded, failed    int
		total, imagesCost    string
		wantSize, wantFailed string
	}{
		{"auto size and magic prompt", `{"prompt":{"positive":"a mug","enhance":"prefer_magic"},"count":2}`,
			"mynth", "mynth", 2, 0, "0.02500000", "0.02500000", "1024x1024", ""},
		{"native prompt enhancement", `{"prompt":{"positive":"a mug","enhance":"prefer_native"},"size":"square"}`,
			"", "native", 1, 0, "0.01250000", "0.01250000", "1024x1024", ""},
		{"auto size object", `{"prompt":"a mug","size":{"type":"auto"}}`,
			"mynth", "", 1, 0, "0.01250000", "0.01250000", "1024x1024", ""},
		{"no enhancement", `{"prompt":{"positive":"a mug","enhance":false},"size":"landscape"}`,
			"", "", 1, 0, "0.01250000", "0.01250000", "1536x1024", ""},
		{"a failed image", `{"prompt":"a mug [[fail-image]]","size":"portrait","count":3,"model":"xai/grok-imagine-image"}`,
			"", "", 2, 1, "0.04000000", "0.04000000", "1024x1536", "the emulator failed this image because the prompt contains [[fail-image]]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, _ := created(t, srv.URL, alice, tc.body)
			task := jsonObject(t, call(t, "GET", srv.URL+"/tasks/"+id, alice, "").Body)
			if str(t, task, "status") != "completed" {
				t.Fatalf("task %v not completed", task)
			}
			res, ok := task["result"].(map[string]any)
			if !ok {
				t.Fatalf("result %#v", task["result"])
			}
			if str(t, res, "model") == "" {
				t.Error("no model")
			}
			cost, _ := res["cost"].(map[string]any)
			if got := fmt.Sprint(str(t, cost, "images"), " ", str(t, cost, "total"), " ", str(t, cost, "fee")); got != tc.imagesCost+" "+tc.total+" 0.00000000" {
				t.Errorf("cost images, total, fee = %s", got)
			}
			for _, k := range []struct{ field, want string }{{"size_auto", tc.sizeAuto}, {"prompt_enhance", tc.enhance}} {
				obj, present := res[k.field].(map[string]any)
				switch {
				case k.want == "" && res[k.field] != nil:
					t.Errorf("%s = %v, want it absent", k.field, res[k.field])
				case k.want == "":
				case !present:
					t.Errorf("%s missing", k.field)
				case str(t, obj, "source") != k.want:
					t.Errorf("%s.source %q, want %q", k.field, obj["source"], k.want)
				}
			}
			images, _ := res["images"].([]any)
			results := jsonObject(t, call(t, "GET", srv.URL+"/tasks/"+id+"/results", alice, "").Body)
			if fmt.Sprint(results["images"]) != fmt.Sprint(images) {
				t.Errorf("/results %v differs from the task's images %v", results["images"], images)
			}
			var ok1, bad int
			for i, raw := range images {
				im, _ := raw.(map[string]any)
				switch str(t, im, "status") {
				case "succeeded":
					ok1++
					for _, k := range []string{"id", "url", "cost"} {
						if str(t, im, k) == "" {
							t.Errorf("image %d: empty %s", i, k)
						}
					}
					if got := str(t, im, "size"); got != tc.wantSize {
						t.Errorf("image %d: size %q, want %q", i, got, tc.wantSize)
					}
					if _, has := im["content_rating"]; has {
						t.Errorf("image %d: content_rating without content_rating.enabled", i)
					}
				case "failed":
					bad++
					if got := str(t, im, "error"); got != tc.wantFailed {
						t.Errorf("image %d: error %q, want %q", i, got, tc.wantFailed)
					}
				default:
					t.Errorf("image %d: status %v", i, im["status"])
				}
			}
			if ok1 != tc.succeeded || bad != tc.failed {
				t.Errorf("%d succeeded and %d failed, want %d and %d", ok1, bad, tc.succeeded, tc.failed)
			}
		})
	}
}

// TestSDKContentRating: ImageResultContentRating in src/types.ts, and the
// content-rating guide, give a rated image {mode: "default", level: "sfw"
// or "nsfw"} on the default scale and {mode: "custom", level: one of the
// request's values} with custom levels.
func TestSDKContentRating(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	tests := []struct {
		name, rating string
		mode         string // "" for no content_rating on the images
		levels       []string
	}{
		{"default scale", `{"enabled":true}`, "default", []string{"sfw", "nsfw"}},
		{"custom levels", `{"enabled":true,"levels":[{"value":"safe","description":"Safe for all audiences"},{"value":"sensitive","description":"Mature content"}]}`,
			"custom", []string{"safe", "sensitive"}},
		{"disabled", `{"enabled":false,"levels":[{"value":"a","description":"a"},{"value":"b","description":"b"}]}`, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, pat := created(t, srv.URL, alice, `{"prompt":"x","count":2,"content_rating":`+tc.rating+`,"access":{"pat":{"enabled":true}}}`)
			// The PAT's /results is what a browser reads.
			results := jsonObject(t, call(t, "GET", srv.URL+"/tasks/"+id+"/results", pat, "").Body)
			images, _ := results["images"].([]any)
			if len(images) != 2 {
				t.Fatalf("images %v", results["images"])
			}
			for i, raw := range images {
				im, _ := raw.(map[string]any)
				cr, has := im["content_rating"]
				if tc.mode == "" {
					if has {
						t.Errorf("image %d: content_rating %v, want none", i, cr)
					}
					continue
				}
				obj, ok := cr.(map[string]any)
				if !ok || len(obj) != 2 {
					t.Fatalf("image %d: content_rating %#v, want {mode, level}", i, cr)
				}
				if got := str(t, obj, "mode"); got != tc.mode {
					t.Errorf("image %d: mode %q, want %q", i, got, tc.mode)
				}
				if got := str(t, obj, "level"); !slices.Contains(tc.levels, got) {
					t.Errorf("image %d: level %q, want one of %v", i, got, tc.levels)
				}
			}
		})
	}
}

// TestSDKContentRatingLimits: the request side stays {enabled, levels?}
// (ImageGenerationRequestContentRating in src/types.ts) with the limits
// of the content-rating guide and the errors-and-limits page: 2 to 7
// levels, each value 1 to 24 characters and each description 1 to 150.
func TestSDKContentRatingLimits(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	level := func(v, d string) string { return fmt.Sprintf(`{"value":%q,"description":%q}`, v, d) }
	two := func(first string) string {
		return `{"prompt":"x","content_rating":{"enabled":true,"levels":[` + first + `,` + level("other", "other") + `]}}`
	}
	tests := []struct {
		name, body, field string // field "" means accepted
	}{
		{"value of 24 characters", two(level(strings.Repeat("v", 24), "d")), ""},
		{"value of 24 characters, not bytes", two(level(strings.Repeat("é", 24), "d")), ""},
		{"value of 25 characters", two(level(strings.Repeat("v", 25), "d")), "content_rating.levels[0].value"},
		{"empty value", two(level("", "d")), "content_rating.levels[0].value"},
		{"value a number", two(`{"value":3,"description":"d"}`), "content_rating.levels[0].value"},
		{"description of 150 characters", two(level("v", strings.Repeat("d", 150))), ""},
		{"description of 151 characters", two(level("v", strings.Repeat("d", 151))), "content_rating.levels[0].description"},
		{"empty description", two(level("v", "")), "content_rating.levels[0].description"},
		{"no description", two(`{"value":"v"}`), "content_rating.levels[0].description"},
		{"second level bad", `{"prompt":"x","content_rating":{"levels":[` + level("a", "a") + `,` + level("b", strings.Repeat("d", 151)) + `]}}`,
			"content_rating.levels[1].description"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, "POST", srv.URL+"/image/generate", alice, tc.body)
			if tc.field == "" {
				if r.Status != http.StatusCreated {
					t.Fatalf("status %d, want 201: %s", r.Status, r.Body)
				}
				return
			}
			m := jsonObject(t, r.Body)
			if r.Status != http.StatusBadRequest || m["code"] != "validation_error" || m["field"] != tc.field {
				t.Fatalf("got %d %s, want 400 validation_error with field %q", r.Status, r.Body, tc.field)
			}
		})
	}
}

// TestSDKSizePresets: the docs' size guide lists portrait_tall and
// landscape_wide beside square, portrait and landscape; the emulator
// accepts them, in any case, and gives them a 9:16 and a 16:9 size.
func TestSDKSizePresets(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	for preset, want := range map[string]string{
		"portrait_tall": "864x1536", "landscape_wide": "1536x864", "Landscape_Wide": "1536x864",
		"square": "1024x1024", "portrait": "1024x1536", "landscape": "1536x1024", "instagram": "1080x1350",
	} {
		t.Run(preset, func(t *testing.T) {
			id, _ := created(t, srv.URL, alice, `{"prompt":"x","size":"`+preset+`"}`)
			results := jsonObject(t, call(t, "GET", srv.URL+"/tasks/"+id+"/results", alice, "").Body)
			images, _ := results["images"].([]any)
			im, _ := images[0].(map[string]any)
			if got := str(t, im, "size"); got != want {
				t.Errorf("size %q, want %q", got, want)
			}
			png := call(t, "GET", str(t, im, "url"), "", "")
			if png.Status != http.StatusOK || len(png.Body) == 0 {
				t.Errorf("image: %d", png.Status)
			}
		})
	}
	r := call(t, "POST", srv.URL+"/image/generate", alice, `{"prompt":"x","size":"portrait_wide"}`)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "portrait_tall") {
		t.Errorf("an unknown preset: %d %s, want 400 listing the presets", r.Status, r.Body)
	}
}

// TestSDKOwnerFields: TaskData in src/types.ts carries apiKeyId and userId.
// The emulator's full task has both: strings, the same for every task of
// an account, different between accounts, and never the key or its hash.
func TestSDKOwnerFields(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	owner := func(key string) (apiKeyID, userID string, body string) {
		id, _ := created(t, srv.URL, key, `{"prompt":"x"}`)
		r := call(t, "GET", srv.URL+"/tasks/"+id, key, "")
		task := jsonObject(t, r.Body)
		return str(t, task, "apiKeyId"), str(t, task, "userId"), string(r.Body)
	}
	k1, u1, body := owner(alice)
	k2, u2, _ := owner(alice)
	k3, u3, _ := owner(bob)
	if k1 != k2 || u1 != u2 {
		t.Errorf("one account, two owners: %s/%s and %s/%s", k1, u1, k2, u2)
	}
	if k1 == k3 || u1 == u3 || k1 == u1 {
		t.Errorf("ids collide: alice %s/%s, bob %s/%s", k1, u1, k3, u3)
	}
	sum := sha256.Sum256([]byte(alice))
	for _, secret := range []string{alice, hex.EncodeToString(sum[:]), hex.EncodeToString(sum[:])[:16]} {
		if strings.Contains(body, secret) {
			t.Errorf("the task holds the key or its hash: %s", body)
		}
	}
	// Only the full task has them.
	id, pat := created(t, srv.URL, alice, `{"prompt":"x","access":{"pat":{"enabled":true}}}`)
	for _, p := range []string{"/status", "/results"} {
		if b := call(t, "GET", srv.URL+"/tasks/"+id+p, pat, "").Body; strings.Contains(string(b), "apiKeyId") {
			t.Errorf("%s holds apiKeyId: %s", p, b)
		}
	}
}

// preflight sends a CORS preflight as a browser does before a
// cross-origin GET with an Authorization header.
func preflight(t testing.TB, url string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "authorization")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return reply{Status: resp.StatusCode, Header: resp.Header}
}

// TestCORS: the docs present the PAT as safe for polling from a browser
// (the browser-polling tutorial, the SDK's tasks page). The two endpoints
// a PAT works on, and the image files, answer preflights and allow any
// origin, on success and on error, so that a front end can be developed
// against the emulator. The endpoints that take the API key do not: a
// page that tries them is stopped by the browser.
func TestCORS(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	id, pat := created(t, srv.URL, alice, `{"prompt":"x","access":{"pat":{"enabled":true}}}`)
	results := jsonObject(t, call(t, "GET", srv.URL+"/tasks/"+id+"/results", pat, "").Body)
	imageURL := str(t, results["images"].([]any)[0].(map[string]any), "url")
	before := srv.Emulator.Stats().Requests

	for _, u := range []string{srv.URL + "/tasks/" + id + "/status", srv.URL + "/tasks/" + id + "/results", imageURL, srv.URL + "/tasks/tsk_nope/status"} {
		r := preflight(t, u)
		if r.Status != http.StatusNoContent {
			t.Errorf("OPTIONS %s: %d, want 204", u, r.Status)
		}
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("OPTIONS %s: Access-Control-Allow-Origin %q", u, got)
		}
		if got := r.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(got), "authorization") {
			t.Errorf("OPTIONS %s: Access-Control-Allow-Headers %q, want Authorization", u, got)
		}
		if got := r.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "GET") {
			t.Errorf("OPTIONS %s: Access-Control-Allow-Methods %q", u, got)
		}
	}
	if after := srv.Emulator.Stats().Requests; fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("preflights were counted as requests: %v -> %v", before, after)
	}
	for _, tc := range []struct {
		url, token string
		status     int
	}{
		{srv.URL + "/tasks/" + id + "/status", pat, 200},
		{srv.URL + "/tasks/" + id + "/results", pat, 200},
		{imageURL, "", 200},
		{srv.URL + "/tasks/" + id + "/status", "pat_wrong", 401}, // the page must be able to read the 401
		{srv.URL + "/tasks/tsk_nope/results", alice, 404},
	} {
		r := call(t, "GET", tc.url, tc.token, "")
		if r.Status != tc.status || r.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("GET %s: %d with Access-Control-Allow-Origin %q, want %d and *", tc.url, r.Status, r.Header.Get("Access-Control-Allow-Origin"), tc.status)
		}
	}
	// A fault is as readable as an answer.
	srv.Emulator.SetFaults(mynthtest.Faults{Next: []mynthtest.FaultKind{mynthtest.Fault503}})
	if r := call(t, "GET", srv.URL+"/tasks/"+id+"/status", pat, ""); r.Status != 503 || r.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("an injected 503: %d, Access-Control-Allow-Origin %q", r.Status, r.Header.Get("Access-Control-Allow-Origin"))
	}
	srv.Emulator.SetFaults(mynthtest.Faults{})
	for _, p := range []string{"/image/generate", "/image/upload", "/tasks/" + id} {
		r := preflight(t, srv.URL+p)
		if r.Status == http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("OPTIONS %s: %d, Access-Control-Allow-Origin %q; an API-key endpoint must not allow browsers", p, r.Status, r.Header.Get("Access-Control-Allow-Origin"))
		}
		g := call(t, "GET", srv.URL+p, alice, "")
		if g.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET %s: Access-Control-Allow-Origin %q", p, g.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}
