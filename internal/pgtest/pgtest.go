// Package pgtest gives tests a real PostgreSQL server: the one PG_CONN_STR
// names (.ci/run starts a throwaway cluster and sets it), or else a
// throwaway cluster it starts itself with scripts/pg/throwaway, once per
// test binary, stopped by Main. Only when neither is possible do the tests
// that need a server skip, loudly.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar is the variable that names the server.
const EnvVar = "PG_CONN_STR"

// server is the one server of a test binary.
type server struct {
	once    sync.Once
	conn    string
	why     string // why there is none
	dir     string // the throwaway cluster, if started here
	started bool
}

var srv server // per test binary; guarded by once

// Main runs the tests and stops a cluster ConnStr started. Call it from
// TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if srv.started {
		_ = exec.Command(script(), "stop", srv.dir).Run()
		_ = os.RemoveAll(srv.dir)
	}
	return code
}

// ConnStr returns a connection string of a running server, skipping the
// test with a loud message when none can be had.
func ConnStr(t testing.TB) string {
	t.Helper()
	srv.once.Do(start)
	if srv.conn == "" {
		msg := "*** NO POSTGRESQL SERVER: THE POSTGRESQL BACKEND TESTS ARE SKIPPED (" + srv.why + "). Install Debian's postgresql package or set " + EnvVar + "; .ci/run does. ***"
		fmt.Fprintln(os.Stderr, msg)
		t.Log(msg)
		t.Skip("no PostgreSQL server")
	}
	return srv.conn
}

// start finds or starts the server.
func start() {
	if c := os.Getenv(EnvVar); c != "" {
		srv.conn = c
		return
	}
	dir, err := os.MkdirTemp("", "mynthform-pg-")
	if err != nil {
		srv.why = err.Error()
		return
	}
	_ = os.Chmod(dir, 0o755)
	out, err := exec.Command(script(), "start", dir).Output()
	if err != nil {
		_ = exec.Command(script(), "stop", dir).Run()
		_ = os.RemoveAll(dir)
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = strings.TrimSpace(string(ee.Stderr))
		}
		srv.why = fmt.Sprintf("%s %v: %s", EnvVar+" is not set and scripts/pg/throwaway failed", err, stderr)
		return
	}
	srv.conn, srv.dir, srv.started = strings.TrimSpace(string(out)), dir, true
}

// script is scripts/pg/throwaway in this repository.
func script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scripts", "pg", "throwaway")
}

// Schema returns a fresh schema name for one test, dropped when it ends,
// so that tests sharing a server do not see each other's tables.
func Schema(t testing.TB, conn string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, conn)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	})
	return name
}
