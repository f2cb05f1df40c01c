package mynthtest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// FuzzGenerate sends arbitrary bodies to POST /image/generate: the answer
// is always 201 or a documented error with a JSON body, and a created task
// reads back with its request as sent.
func FuzzGenerate(f *testing.F) {
	for _, s := range []string{
		`{"prompt":"x"}`,
		`{"prompt":{"positive":"x","negative":"y","enhance":"prefer_magic"},"size":{"type":"aspect_ratio","aspectRatio":"4:5","scale":"1k"},"count":3}`,
		`{"prompt":"x [[fail-image]]","size":"12x34","inputs":[{"type":"image","role":"init","source":{"type":"url","url":"https://e.test/a"}}]}`,
		`{"prompt":"x","content_rating":{"enabled":true,"levels":[{"value":"a","description":""},{"value":"b","description":""}]}}`,
		`{"prompt":"x","size":{"type":"resolution","width":1,"height":4096},"output":{"format":"png","quality":0}}`,
		`{"prompt":"x","metadata":{"a":[1,{"b":null}]},"webhook":{"enabled":false,"custom":[{"url":"http://h"}]}}`,
		`[]`, `null`, `{"prompt":null}`, `{"prompt":"\u0000"}`, ``,
	} {
		f.Add(s)
	}
	e, err := mynthtest.New(mynthtest.Options{BaseURL: "http://emulator.test"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/image/generate", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer mak_fuzz")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%d with a body that is not JSON: %q", rec.Code, rec.Body)
		}
		switch rec.Code {
		case http.StatusCreated:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			return
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var c mynth.Created
		if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		raw, ok := e.Task(c.TaskID)
		if !ok {
			t.Fatalf("created task %s is missing", c.TaskID)
		}
		var task mynth.Task
		if err := json.Unmarshal(raw, &task); err != nil {
			t.Fatalf("the task does not decode: %v\n%s", err, raw)
		}
		if task.Status == mynth.StatusCompleted {
			for _, im := range task.Result.Succeeded() {
				if !strings.HasPrefix(im.URL, "http://emulator.test/images/") {
					t.Errorf("image URL %s", im.URL)
				}
			}
		}
	})
}

// FuzzSeed loads arbitrary seed files: an error or a seed, never a panic.
func FuzzSeed(f *testing.F) {
	f.Add(`{"accounts":[{"api_key":"mak_a","tasks":[` + seededTask + `]}]}`)
	f.Add(`{"strict":true,"accounts":[{"api_key_sha256":"` + strings.Repeat("ab", 32) + `","tasks":[{"id":"tsk_1","status":"pending","request":{"prompt":"x"},"emulate":true}]}]}`)
	f.Add(`{"accounts":[]}`)
	// The content is parsed from memory: LoadSeed only adds os.ReadFile,
	// and writing a file per execution made each one wait for the disk
	// (rewriting a file in place on ext4 flushes it on close: 1.4 ms, and
	// up to a second while other processes write), so that a 5 s run spent
	// its time minimizing one input, a few executions in all.
	f.Fuzz(func(t *testing.T, content string) {
		seed, err := mynthtest.ParseSeed([]byte(content))
		if err != nil {
			return
		}
		if _, err := mynthtest.New(mynthtest.Options{Seed: seed}); err != nil {
			t.Fatalf("LoadSeed accepted a seed that New refuses: %v", err)
		}
	})
}
