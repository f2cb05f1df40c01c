package mynthtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// BenchmarkHandler measures the emulator's own cost per request, without
// the network: a creation, and reads of a task.
func BenchmarkHandler(b *testing.B) {
	e, err := mynthtest.New(mynthtest.Options{BaseURL: "http://emulator.test"})
	if err != nil {
		b.Fatal(err)
	}
	serve := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer mak_bench")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	b.Run("generate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if rec := serve("POST", "/image/generate", `{"prompt":"a mug","size":"landscape","count":2}`); rec.Code != http.StatusCreated {
				b.Fatal(rec.Code, rec.Body)
			}
		}
	})
	rec := serve("POST", "/image/generate", `{"prompt":"a mug","size":"landscape","count":2}`)
	id := strings.Split(rec.Body.String(), `"`)[3]
	for _, path := range []string{"", "/status", "/results"} {
		b.Run(fmt.Sprintf("GET /tasks/:id%s", path), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rec := serve("GET", "/tasks/"+id+path, ""); rec.Code != http.StatusOK {
					b.Fatal(rec.Code, rec.Body)
				}
			}
		})
	}
}
