// Package pgstate keeps mynthform's state in a PostgreSQL database, for a
// team whose runs start on many machines at once: the state of every
// workspace is one row, every write is a transaction that compares the
// stored lineage and serial with what the writer read (so no update is
// ever lost), and the state lock is a session-level advisory lock, which
// the server releases when the holder's connection ends, however its
// process ended.
//
// The state itself is held exactly as a state file holds it (package
// state encodes and decodes it), so every field the state format gains
// is stored here too. What this package owns is the tables, the
// connection, the lock and its holder's record, and keeping the
// connection string's password out of every message.
//
// # Tables
//
// In the configured schema (default "mynthform"), created on first use:
// schema_version (one row: the layout's version, 1), states (workspace,
// lineage, serial, the encoded state, when it was written) and locks
// (workspace, the holder's pid, host, operation and time, and the server
// process of its connection, by which a stale record is told from a live
// one).
package pgstate

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mynthform/mynthform/state"
)

// SchemaVersion is the version of the table layout this build creates and
// reads.
const SchemaVersion = 1

// DefaultSchema is the schema the tables are in when none is configured.
const DefaultSchema = "mynthform"

// DefaultWorkspace is the workspace used when none is chosen.
const DefaultWorkspace = "default"

// ConnStrEnv is the environment variable the connection string comes from
// when the spec gives none.
const ConnStrEnv = "PG_CONN_STR"

// opTimeout bounds one exchange with the server (a load, a save, an
// attempt to lock).
const opTimeout = 30 * time.Second

// Config says which state to use.
type Config struct {
	// ConnStr is a libpq connection string or URL. It holds a password:
	// it is never printed, and messages mask the password.
	ConnStr string
	// Schema holds the tables; "" is DefaultSchema.
	Schema string
	// Workspace names the state within the schema; "" is
	// DefaultWorkspace.
	Workspace string
}

// identifierPattern is what Schema and Workspace may be: a plain name, so
// that it needs no quoting in a message or a shell.
var identifierPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,62}$`)

// CheckName reports why name cannot be a schema or workspace name, "" when
// it can.
func CheckName(name string) string {
	if !identifierPattern.MatchString(name) {
		return "it must start with a letter or _, hold only letters, digits, _ and -, and be at most 63 characters long"
	}
	return ""
}

// Backend is the state of one workspace in a PostgreSQL database. It
// implements state.Backend. Its methods are safe for concurrent use; they
// share one connection, which holds the lock.
type Backend struct {
	schema, workspace string
	// ctx is the context of every exchange; cancelling it does not
	// interrupt a save in flight (each has its own timeout).
	ctx context.Context
	// secrets are masked in every message.
	secrets []string
	// codec refuses protected values and encodes the state.
	codec state.Codec

	mu   sync.Mutex
	conn *pgx.Conn
	// last is the state as last read or written, to skip decoding it
	// again when nobody changed it.
	last struct {
		raw  string
		file *state.File
	}
}

var _ state.Backend = (*Backend)(nil)

// Open connects to the server and creates the tables when they are not
// there yet. The connection is closed by Close (or when the process
// ends).
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	b := &Backend{schema: cfg.Schema, workspace: cfg.Workspace, ctx: context.WithoutCancel(ctx)}
	if b.schema == "" {
		b.schema = DefaultSchema
	}
	if b.workspace == "" {
		b.workspace = DefaultWorkspace
	}
	if why := CheckName(b.schema); why != "" {
		return nil, fmt.Errorf("PostgreSQL backend: schema_name %q is not a schema name: %s", b.schema, why)
	}
	if why := CheckName(b.workspace); why != "" {
		return nil, fmt.Errorf("PostgreSQL backend: workspace %q is not a workspace name: %s", b.workspace, why)
	}
	if strings.TrimSpace(cfg.ConnStr) == "" {
		return nil, fmt.Errorf("PostgreSQL backend: no connection string: set conn_str in the backend \"pg\" block or the %s environment variable", ConnStrEnv)
	}
	b.secrets = connSecrets(cfg.ConnStr)
	pc, err := pgx.ParseConfig(cfg.ConnStr)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL backend: the connection string cannot be read: %s", b.mask(errorText(err)))
	}
	if pc.Password != "" {
		b.secrets = append(b.secrets, pc.Password)
	}
	if pc.ConnectTimeout == 0 {
		pc.ConnectTimeout = 10 * time.Second
	}
	// The session is ours alone: no statement cache surprises across
	// DDL, and the lock lives as long as the connection.
	pc.DefaultQueryExecMode = pgx.QueryExecModeExec
	pc.RuntimeParams["application_name"] = "mynthform"
	cctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, pc)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL backend: connecting to %s: %s", b.mask(serverOf(pc)), b.mask(errorText(err)))
	}
	b.conn = conn
	if err := b.ensureTables(cctx); err != nil {
		_ = conn.Close(context.Background())
		return nil, err
	}
	return b, nil
}

// Close ends the connection, and with it any lock still held.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := b.conn.Close(ctx)
	b.conn = nil
	return b.wrap("closing the connection", err)
}

// Protect adds values the state must never hold: the API key and the
// Public Access Tokens the command holds. Save and Push refuse a state
// holding one, Load refuses to read one.
func (b *Backend) Protect(values ...string) {
	if b.codec.Protect(values...) {
		b.mu.Lock()
		b.last.raw, b.last.file = "", nil
		b.mu.Unlock()
	}
}

// Describe returns "PostgreSQL workspace NAME (schema SCHEMA)".
func (b *Backend) Describe() string {
	return fmt.Sprintf("PostgreSQL workspace %s (schema %s)", b.workspace, b.schema)
}

// Workspace returns the workspace's name.
func (b *Backend) Workspace() string { return b.workspace }

// table is the quoted name of one of the backend's tables.
func (b *Backend) table(name string) string {
	return pgx.Identifier{b.schema, name}.Sanitize()
}

// ensureTables creates the schema and tables when the schema version table
// is missing, under a transaction-level advisory lock so that first runs
// on many machines at once create them once, and refuses a layout newer
// than this build's.
func (b *Backend) ensureTables(ctx context.Context) error {
	var exists bool
	if err := b.conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, b.table("schema_version")).Scan(&exists); err != nil {
		return b.wrap("looking for the tables", err)
	}
	if !exists {
		err := pgx.BeginFunc(ctx, b.conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(b.schema, "")); err != nil {
				return err
			}
			stmts := []string{
				`CREATE SCHEMA IF NOT EXISTS ` + pgx.Identifier{b.schema}.Sanitize(),
				`CREATE TABLE IF NOT EXISTS ` + b.table("schema_version") + ` (version integer NOT NULL)`,
				`CREATE TABLE IF NOT EXISTS ` + b.table("states") + ` (
					workspace text PRIMARY KEY,
					lineage text NOT NULL,
					serial bigint NOT NULL,
					data text NOT NULL,
					updated_at timestamptz NOT NULL DEFAULT now())`,
				`CREATE TABLE IF NOT EXISTS ` + b.table("locks") + ` (
					workspace text PRIMARY KEY,
					pid integer NOT NULL,
					host text NOT NULL,
					operation text NOT NULL,
					locked_at timestamptz NOT NULL,
					backend_pid integer NOT NULL)`,
				`INSERT INTO ` + b.table("schema_version") + ` (version)
					SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM ` + b.table("schema_version") + `)`,
			}
			for i, s := range stmts {
				var err error
				if i == len(stmts)-1 {
					_, err = tx.Exec(ctx, s, SchemaVersion)
				} else {
					_, err = tx.Exec(ctx, s)
				}
				if err != nil {
					return err
				}
			}
			// lz4 makes saving a large state several times faster than
			// the default compression; servers before 14, or built
			// without it, keep the default.
			sp, err := tx.Begin(ctx)
			if err != nil {
				return err
			}
			if _, err := sp.Exec(ctx, `ALTER TABLE `+b.table("states")+` ALTER COLUMN data SET COMPRESSION lz4`); err != nil {
				return sp.Rollback(ctx)
			}
			return sp.Commit(ctx)
		})
		if err != nil {
			return b.wrap(fmt.Sprintf("creating the tables in schema %s", b.schema), err)
		}
	}
	var v int
	if err := b.conn.QueryRow(ctx, `SELECT max(version) FROM `+b.table("schema_version")).Scan(&v); err != nil {
		return b.wrap("reading the schema version", err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("PostgreSQL backend: the tables in schema %s are of version %d, newer than this build's %d; upgrade mynthform", b.schema, v, SchemaVersion)
	}
	return nil
}

// Load reads the workspace's state; a workspace never written gives a new
// empty File. A stored state this build cannot read is refused with a
// *state.Error, never taken for an empty one.
func (b *Backend) Load() (*state.File, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ctx, cancel := context.WithTimeout(b.ctx, opTimeout)
	defer cancel()
	conn, err := b.session()
	if err != nil {
		return nil, err
	}
	var data string
	err = conn.QueryRow(ctx, `SELECT data FROM `+b.table("states")+` WHERE workspace = $1`, b.workspace).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.New(""), nil
	}
	if err != nil {
		return nil, b.wrap("reading the state", err)
	}
	f, err := b.decode(data)
	if err != nil {
		return nil, err
	}
	return f.Clone(), nil
}

// decode decodes the stored state, remembering it.
func (b *Backend) decode(data string) (*state.File, error) {
	if b.last.file != nil && data == b.last.raw {
		return b.last.file, nil
	}
	if b.codec.Holds([]byte(data)) {
		return nil, &state.Error{Where: b.Describe(), Kind: state.ErrSecret,
			Problem: "the stored state holds the API key or a Public Access Token this command holds",
			Hint:    "rotate that key, then push a state without it with `mynthform state push --force FILE`; mynthform never records one"}
	}
	f, err := state.Decode([]byte(data))
	if err != nil {
		var se *state.Error
		if errors.As(err, &se) {
			c := *se
			c.Where = b.Describe()
			if c.Hint == "" {
				c.Hint = "upload a good state with `mynthform state push --force FILE`"
			}
			return nil, &c
		}
		return nil, err
	}
	b.last.raw, b.last.file = data, f
	return f, nil
}

// Save writes f as the new state in one transaction, and reports whether
// it wrote anything. It refuses, as a state file does, a File of another
// lineage than the stored one or read at an older serial: the stored row
// is locked and compared, and the update is conditional on the lineage
// and serial read, so two writers can never overwrite each other silently.
func (b *Backend) Save(f *state.File) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.write(func(cur *state.File) (state.Write, error) {
		return b.codec.PrepareWrite(b.Describe(), cur, f)
	}, f)
}

// write runs prepare against the stored state, in a transaction that
// keeps the row locked, and stores what it returns; the stored row must
// still be the one read. target, when set, gets the new serial.
func (b *Backend) write(prepare func(cur *state.File) (state.Write, error), target *state.File) (bool, error) {
	ctx, cancel := context.WithTimeout(b.ctx, opTimeout)
	defer cancel()
	conn, err := b.session()
	if err != nil {
		return false, err
	}
	var w state.Write
	var written string
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// The row's lineage and serial name its content (every write
		// changes the serial): the state is fetched only when it is not
		// the one remembered.
		var lineage string
		var serial int64
		var cur *state.File
		err := tx.QueryRow(ctx, `SELECT lineage, serial FROM `+b.table("states")+` WHERE workspace = $1 FOR UPDATE`, b.workspace).Scan(&lineage, &serial)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return b.wrap("reading the state before saving", err)
		case b.last.file != nil && b.last.file.Lineage == lineage && b.last.file.Serial == uint64(serial):
			cur = b.last.file
		default:
			var data string
			if err := tx.QueryRow(ctx, `SELECT data FROM `+b.table("states")+` WHERE workspace = $1`, b.workspace).Scan(&data); err != nil {
				return b.wrap("reading the state before saving", err)
			}
			if cur, err = b.decode(data); err != nil {
				var se *state.Error
				if errors.As(err, &se) {
					c := *se
					c.Problem += "; not overwriting it"
					return &c
				}
				return err
			}
		}
		if w, err = prepare(cur); err != nil || w.Skip {
			return err
		}
		next := w.File
		var tag pgconn.CommandTag
		if cur == nil {
			tag, err = tx.Exec(ctx, `INSERT INTO `+b.table("states")+` (workspace, lineage, serial, data) VALUES ($1, $2, $3, $4)
				ON CONFLICT (workspace) DO NOTHING`, b.workspace, next.Lineage, int64(next.Serial), string(w.Data))
		} else {
			tag, err = tx.Exec(ctx, `UPDATE `+b.table("states")+` SET lineage = $2, serial = $3, data = $4, updated_at = now()
				WHERE workspace = $1 AND lineage = $5 AND serial = $6`, b.workspace, next.Lineage, int64(next.Serial), string(w.Data), lineage, serial)
		}
		if err != nil {
			return b.wrap("saving the state", err)
		}
		if tag.RowsAffected() != 1 {
			return &state.Error{Where: b.Describe(), Kind: state.ErrSerial,
				Problem: "another process wrote the state while this one was saving it; not overwriting it",
				Hint:    "run plan again to see the state as it is now"}
		}
		written = string(w.Data)
		b.last.raw, b.last.file = written, next
		return nil
	})
	if err != nil {
		if written != "" {
			// The commit failed: what was remembered was not stored.
			b.last.raw, b.last.file = "", nil
		}
		// A refusal, or an error already worded (and masked) here, goes
		// out as it is; a failed commit is worded now.
		var se *state.Error
		var me *maskedError
		if errors.As(err, &se) || errors.As(err, &me) {
			return false, err
		}
		return false, b.wrap("saving the state", err)
	}
	if w.Skip {
		return false, nil
	}
	if target != nil {
		target.Version = state.FormatVersion
		target.Serial = w.Serial
	}
	return true, nil
}

// Push stores f, a state file's content, as the workspace's state: how a
// local state moves in. Without force it refuses a File of another lineage
// than the stored state's, one of an older serial, or one of the same
// serial with other content. The stored serial is f's, or one more than
// the stored one when that is not more: a writer that read the state
// before the push can never write over it. Push returns the stored
// serial.
func (b *Backend) Push(f *state.File, force bool) (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var serial uint64
	_, err := b.write(func(cur *state.File) (state.Write, error) {
		serial = max(f.Serial, 1)
		if cur != nil {
			if !force {
				if err := pushRefusal(b.Describe(), cur, f); err != nil {
					return state.Write{}, err
				}
				if cur.Lineage == f.Lineage && cur.Serial == f.Serial {
					// The same state: nothing to store.
					serial = cur.Serial
					return state.Write{Skip: true}, nil
				}
			}
			serial = max(f.Serial, cur.Serial+1)
		}
		return b.codec.EncodeAt(b.Describe(), f, serial)
	}, nil)
	if err != nil {
		return 0, err
	}
	return serial, nil
}

// pushRefusal says why f may not replace cur without --force.
func pushRefusal(where string, cur, f *state.File) error {
	switch {
	case cur.Lineage != f.Lineage && (cur.Serial > 0 || len(cur.Tasks) > 0):
		return &state.Error{Where: where, Kind: state.ErrLineage,
			Problem: fmt.Sprintf("the stored state is another one (lineage %s, the file's is %s)", cur.Lineage, f.Lineage),
			Hint:    "check that you are pushing the right file to the right workspace; give --force to replace the stored state"}
	case f.Serial < cur.Serial:
		return &state.Error{Where: where, Kind: state.ErrSerial,
			Problem: fmt.Sprintf("the stored state is newer (serial %d, the file's is %d)", cur.Serial, f.Serial),
			Hint:    "run `mynthform state pull` to see it; give --force to replace it with the older file"}
	case f.Serial == cur.Serial && !cur.ContentEqual(f):
		return &state.Error{Where: where, Kind: state.ErrSerial,
			Problem: fmt.Sprintf("the stored state has the same serial %d but other content", cur.Serial),
			Hint:    "the two have diverged; give --force to replace the stored state with the file"}
	}
	return nil
}

// session returns the connection, or an error once the Backend is closed.
func (b *Backend) session() (*pgx.Conn, error) {
	if b.conn == nil {
		return nil, errors.New("PostgreSQL backend: the connection is closed")
	}
	return b.conn, nil
}

// wrap makes err a message of this backend: what was being done, the
// server's message, every secret masked.
func (b *Backend) wrap(doing string, err error) error {
	if err == nil {
		return nil
	}
	return &maskedError{msg: fmt.Sprintf("PostgreSQL backend: %s: %s", doing, b.mask(errorText(err))), err: err}
}

// maskedError is an error whose message has the secrets masked; Unwrap
// keeps the cause for errors.Is (context.Canceled, ...), whose own text
// must not be printed.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// mask replaces every secret in s.
func (b *Backend) mask(s string) string {
	return maskSecrets(s, b.secrets)
}

// lockKey is the advisory lock's key for a workspace of a schema: a hash,
// so that workspaces and schemas in one database do not share a lock. The
// empty workspace is the key that guards creating the tables.
func lockKey(schema, workspace string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("mynthform\x00" + schema + "\x00" + workspace))
	return int64(h.Sum64())
}

// errorText is an error's message; a server error gives its message and
// detail, without the connection string pgx may quote.
func errorText(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		s := pe.Message
		if pe.Detail != "" {
			s += " (" + pe.Detail + ")"
		}
		return s + " [SQLSTATE " + pe.Code + "]"
	}
	return err.Error()
}

// serverOf names the server a configuration connects to: host:port/db
// as user, no password.
func serverOf(pc *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s as %s", pc.Host, pc.Port, pc.Database, pc.User)
}

// hostname is the holder's host name for the lock record.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}
