package mynthtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is an emulator served over real HTTP on 127.0.0.1 for a test.
type Server struct {
	// URL is the base URL of the API, "http://127.0.0.1:PORT".
	URL string
	// Emulator is the emulator behind the server, for SetFaults, AddTask and
	// Stats.
	Emulator *Emulator

	srv *http.Server
}

// NewServer starts an emulator on a random port of 127.0.0.1 and closes it
// when the test ends. It fails the test when the emulator cannot start.
func NewServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	r, err := Start("127.0.0.1:0", opts)
	if err != nil {
		tb.Fatalf("starting the Mynth emulator: %v", err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return &Server{URL: r.URL, Emulator: r.Emulator, srv: r.srv}
}

// Running is an emulator listening on an address, as Start returns it.
type Running struct {
	// URL is the base URL of the API, "http://HOST:PORT".
	URL string
	// Emulator is the emulator being served.
	Emulator *Emulator

	srv       *http.Server
	done      chan error
	closeOnce sync.Once
	closeErr  error
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves a new
// emulator there until Close. opts.BaseURL defaults to the address listened
// on. When addr asks for a random port and the store (opts.StorePath)
// records the address of an earlier run, Start listens there again if it is
// free, so that image URLs stay stable across runs.
func Start(addr string, opts Options) (*Running, error) {
	ln, err := listen(addr, opts.StorePath)
	if err != nil {
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	if opts.BaseURL == "" {
		opts.BaseURL = url
	}
	e, err := New(opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	if err := e.setAddr(ln.Addr().String()); err != nil {
		ln.Close()
		return nil, err
	}
	r := &Running{
		URL:      url,
		Emulator: e,
		srv: &http.Server{
			Handler:           e,
			ReadHeaderTimeout: 10 * time.Second,
		},
		done: make(chan error, 1),
	}
	go func() { r.done <- r.srv.Serve(ln) }()
	return r, nil
}

// listen opens addr, first trying the address a store recorded when addr
// asks for a random port.
func listen(addr, storePath string) (net.Listener, error) {
	if storePath != "" && strings.HasSuffix(addr, ":0") {
		host := strings.TrimSuffix(addr, ":0")
		if prev := peekStoreAddr(storePath); prev != "" {
			if ph, _, err := net.SplitHostPort(prev); err == nil && ph == host {
				if ln, err := net.Listen("tcp", prev); err == nil {
					return ln, nil
				}
			}
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listening on %s: %w", addr, err)
	}
	return ln, nil
}

// Close stops the server, waiting up to five seconds for requests in
// flight. Every change is already in the store. Calling it again does
// nothing.
func (r *Running) Close() error {
	r.closeOnce.Do(func() { r.closeErr = r.close() })
	return r.closeErr
}

func (r *Running) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	if err != nil {
		_ = r.srv.Close()
	}
	if serr := <-r.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("stopping the emulator: %w", err)
	}
	return nil
}

// setAddr records the address listened on, in the store.
func (e *Emulator) setAddr(addr string) error {
	e.mu.Lock()
	if e.addr == addr {
		e.mu.Unlock()
		return nil
	}
	e.addr = addr
	e.dirty = true
	e.mu.Unlock()
	return e.persist()
}
