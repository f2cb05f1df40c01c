package mynth_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mynthform/mynthform/mynth"
)

// gzipServer answers every request with body, gzipped when the request
// accepts gzip, and counts the requests that did.
func gzipServer(tb testing.TB, body []byte, asked *atomic.Int64) *httptest.Server {
	tb.Helper()
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	if _, err := zw.Write(body); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	gz := zb.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		out := body
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			asked.Add(1)
			w.Header().Set("Content-Encoding", "gzip")
			out = gz
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		_, _ = w.Write(out)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

const gzipTaskJSON = `{"id":"tsk_gzip","status":"completed","type":"image.generate","createdAt":"2026-01-15T10:30:00.000Z","updatedAt":"2026-01-15T10:30:12.000Z","request":{"count":1,"model":"google/gemini-3.1-flash-image","prompt":"Studio photo of product p00000","size":"square"},"result":{"cost":{"images":"0.01250000","total":"0.01250000"},"images":[{"status":"succeeded","id":"img_gzip","url":"https://cdn.example/images/img_gzip.png","cost":"0.01250000","size":"1024x1024"}],"model":"google/gemini-3.1-flash-image"}}`

// TestDefaultTransportAsksForNoCompression: the default transport reads
// answers as sent, without asking for gzip (see BenchmarkTaskGzip), and a
// transport of the caller's that asks for it still gets the task decoded.
func TestDefaultTransportAsksForNoCompression(t *testing.T) {
	var asked atomic.Int64
	srv := gzipServer(t, []byte(gzipTaskJSON), &asked)
	ctx := context.Background()
	c := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_gzip"})
	if _, err := c.Task(ctx, "tsk_gzip"); err != nil {
		t.Fatal(err)
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("the default transport asked for gzip")
	}
	own := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_gzip", HTTPClient: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}})
	task, err := own.Task(ctx, "tsk_gzip")
	if err != nil {
		t.Fatal(err)
	}
	if asked.Load() != 1 || string(task.Raw) != gzipTaskJSON {
		t.Errorf("a transport asking for gzip: %d asked, Raw %.40s", asked.Load(), task.Raw)
	}
}

// BenchmarkTaskGzip reads a task from a server that gzips its answers
// when asked, with the default transport (which does not ask) and with
// net/http's default transport (which does), two reads in flight. The
// server's work is the same either way (its answers are made once), so
// the difference in cpu-µs/read is the client's inflating.
func BenchmarkTaskGzip(b *testing.B) {
	for _, tc := range []struct {
		name string
		hc   *http.Client
	}{
		{"default", nil},
		{"gzip", &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var asked atomic.Int64
			srv := gzipServer(b, []byte(gzipTaskJSON), &asked)
			c := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_gzip", HTTPClient: tc.hc})
			ctx := context.Background()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cpu := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Task(ctx, "tsk_gzip"); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			cpu = processCPU() - cpu
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/read")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "B/read")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/read")
		})
	}
}
