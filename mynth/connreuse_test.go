package mynth_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// TestParallelReadsReuseConnections counts the connections the emulator
// accepts while a client with the default transport reads tasks many at a
// time: the first round may open one per request in flight (and a few
// more, when a request waiting for a connection is handed one that came
// back while its own dial goes on), and later rounds open (next to) none,
// however high the parallelism: every connection stays in the idle pool,
// so none is closed and dialled again. A pool smaller than the parallelism fails it (the
// requests beyond the pool's size would close their connection after
// each answer).
func TestParallelReadsReuseConnections(t *testing.T) {
	for _, parallel := range []int{32, 200} {
		t.Run(fmt.Sprint(parallel), func(t *testing.T) {
			emu, err := mynthtest.New(mynthtest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var conns atomic.Int64
			srv := httptest.NewUnstartedServer(emu)
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			t.Cleanup(srv.Close)
			c := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_reuse"})
			ctx := context.Background()
			ids := make([]string, 4*parallel)
			for i := range ids {
				cr, err := c.Generate(ctx, mynth.Request{Prompt: &mynth.Prompt{Positive: fmt.Sprint("photo ", i)}, Size: &mynth.Size{Preset: "square"}})
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = cr.TaskID
			}
			if err := fetchAll(ctx, c, ids, parallel); err != nil {
				t.Fatal(err)
			}
			first := conns.Load()
			if first > int64(2*parallel)+2 {
				t.Errorf("%d connections for a first round of %d reads, %d at a time", first, len(ids), parallel)
			}
			for range 3 {
				if err := fetchAll(ctx, c, ids, parallel); err != nil {
					t.Fatal(err)
				}
			}
			// net/http closes a connection whose request it has not seen
			// written 50 ms after its answer was read: on a loaded machine
			// that may happen to a few. A pool too small closes hundreds.
			if n := conns.Load() - first; n > int64(parallel/16) {
				t.Errorf("%d connections dialled again in three more rounds of %d reads, %d at a time (%d in the first round)", n, len(ids), parallel, first)
			}
			t.Logf("%d connections, all in the first round", first)
		})
	}
}
