package mynth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeErrorBothForms: Mynth's official SDK (mynthio/mynth-sdk,
// src/client.ts) reads an error body as a flat object, its text from
// "error", else "message", and its code from "code"; some documentation
// pages (errors and limits) show the fields nested under "error". The
// client reads both, and where the flat form has both texts it takes
// "error" first, as the SDK does.
func TestDecodeErrorBothForms(t *testing.T) {
	tests := []struct {
		name, body string
		want       APIError
	}{
		{"flat, as the emulator answers",
			`{"error":"prompt must be 1 to 8192 characters","message":"prompt must be 1 to 8192 characters","code":"validation_error","field":"prompt"}`,
			APIError{StatusCode: 400, Code: "validation_error", Message: "prompt must be 1 to 8192 characters", Field: "prompt"}},
		{"flat, error and code only", `{"error":"Invalid API key","code":"unauthorized"}`,
			APIError{StatusCode: 400, Code: "unauthorized", Message: "Invalid API key"}},
		{"flat, message and code only", `{"message":"Task not found","code":"not_found"}`,
			APIError{StatusCode: 400, Code: "not_found", Message: "Task not found"}},
		{"flat, error wins over message", `{"error":"first","message":"second","code":"c"}`,
			APIError{StatusCode: 400, Code: "c", Message: "first"}},
		{"nested, as the errors page shows", `{"error":{"code":"validation_error","message":"The selected model does not support input images.","field":"inputs"}}`,
			APIError{StatusCode: 400, Code: "validation_error", Message: "The selected model does not support input images.", Field: "inputs"}},
		{"nested, without message", `{"error":{"code":"insufficient_balance"}}`,
			APIError{StatusCode: 400, Code: "insufficient_balance", Message: "Bad Request"}},
		{"error neither string nor object", `{"error":42,"code":"x"}`, APIError{StatusCode: 400, Code: "x", Message: "Bad Request"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, *DecodeError(400, []byte(tc.body))); diff != "" {
				t.Errorf("DecodeError(%s) (-want +got):\n%s", tc.body, diff)
			}
		})
	}
}

// TestClientReadsBothErrorForms: over HTTP, each form of error body gives
// the same *APIError, sentinel and text.
func TestClientReadsBothErrorForms(t *testing.T) {
	bodies := map[string]string{
		"flat":   `{"error":"count must be an integer from 1 to 100","message":"count must be an integer from 1 to 100","code":"validation_error","field":"count"}`,
		"nested": `{"error":{"code":"validation_error","message":"count must be an integer from 1 to 100","field":"count"}}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 400, body) })
			_, err := f.client(Options{}).Generate(context.Background(), Request{Prompt: &Prompt{Positive: "x"}, Count: 500})
			var ae *APIError
			if !errors.As(err, &ae) || !errors.Is(err, ErrValidation) || ae.Field != "count" || ae.Code != "validation_error" {
				t.Fatalf("err = %v (%+v)", err, ae)
			}
			if want := "POST /image/generate: 400 validation_error: count must be an integer from 1 to 100 (field count)"; err.Error() != want {
				t.Errorf("text\n got %s\nwant %s", err, want)
			}
		})
	}
}

// TestTaskResultNullOrAbsent: the SDK's TaskData has result as an
// ImageResult or null (src/types.ts); the tasks reference leaves it out
// while pending. Both decode to a nil Result, and Total and Succeeded
// work on it.
func TestTaskResultNullOrAbsent(t *testing.T) {
	for _, body := range []string{
		`{"id":"tsk_1","status":"pending","result":null}`,
		`{"id":"tsk_1","status":"pending"}`,
		`{"id":"tsk_1","status":"failed","result":null,"request":null,"apiKeyId":null,"userId":"usr_1","cost":null}`,
	} {
		task, err := DecodeTask([]byte(body))
		if err != nil {
			t.Fatalf("DecodeTask(%s): %v", body, err)
		}
		if task.Result != nil || !task.Result.Total().IsZero() || task.Result.Succeeded() != nil {
			t.Errorf("DecodeTask(%s): result %+v", body, task.Result)
		}
		if string(task.Raw) != body {
			t.Errorf("Raw %s, want %s", task.Raw, body)
		}
	}
}

// TestSDKResultDecodes: a result in the shape of the SDK's ImageResult
// (src/types.ts): a content rating {mode, level}, a failed image whose
// error is a string, cost with fee, size_auto and prompt_enhance with a
// source of "mynth" or "native", and fields this client does not know
// (provider, apiKeyId, userId), which it keeps in Raw.
func TestSDKResultDecodes(t *testing.T) {
	body := `{"id":"tsk_1","status":"completed","type":"image","apiKeyId":"key_1","userId":"usr_1","cost":"0.01250000",` +
		`"result":{"model":"google/gemini-3.1-flash-image","images":[` +
		`{"status":"succeeded","id":"img_1","url":"https://cdn.test/1.webp","size":"1024x1024","provider":"p","cost":"0.01250000","content_rating":{"mode":"custom","level":"safe"}},` +
		`{"status":"failed","error":"Provider timed out"}],` +
		`"cost":{"images":"0.01250000","total":"0.01250000","fee":"0.00000000"},` +
		`"size_auto":{"source":"mynth","value":"1024x1024"},"prompt_enhance":{"source":"native","positive":"p"}}}`
	task, err := DecodeTask([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r := task.Result
	if r.Cost.Fee == nil || r.Cost.Fee.String() != "0.00000000" || r.Total().String() != "0.01250000" {
		t.Errorf("cost %+v", r.Cost)
	}
	if got := r.Images[1].ErrorMessage(); got != "Provider timed out" {
		t.Errorf("failed image error %q", got)
	}
	if got := string(r.Images[0].ContentRating); got != `{"mode":"custom","level":"safe"}` {
		t.Errorf("content_rating %s", got)
	}
	if r.PromptEnhance.Source != "native" || !strings.Contains(string(r.SizeAuto), `"mynth"`) {
		t.Errorf("sources %+v %s", r.PromptEnhance, r.SizeAuto)
	}
	if string(task.Raw) != body {
		t.Error("Raw lost fields")
	}
}
