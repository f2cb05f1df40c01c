// Package state owns mynthform's state file: its JSON format and format
// versions, reading it (with refusals that never mistake a damaged file for
// an empty state), writing it atomically with a backup of the previous
// version, and the lock that keeps two processes from writing it at once.
//
// The state records what mynthform last observed of every task it manages:
// by address (task.NAME or task.NAME["KEY"]), the task's id, status,
// timestamps, request and result exactly as the Mynth API returned them
// (unknown fields kept, keys sorted) and the image files saved into the
// repository.
//
// What goes into the state is not this package's to decide: the planner
// and apply (package planner) choose which tasks to record and what they
// observed, and the spec (package spec) says where the file lives. This
// package only guarantees that whatever they record is written so that it
// diffs well in git (sorted keys, two-space indentation, a trailing
// newline, byte-identical for the same content), survives a crash at any
// moment (temporary file in the same directory, fsync, rename, fsync of the
// directory), keeps the previous version as <state>.backup, and is never
// overwritten by a process that read an older serial.
//
// # Versions
//
// Every file starts with a format version. Load reads the version first,
// refuses a newer one, and upgrades an older one step by step to
// FormatVersion; Save writes only FormatVersion.
//
// # Locking
//
// Store.Lock takes <state>.lock with an advisory kernel lock (flock), so
// that a process that dies releases it. The lock file records the holder
// (pid, host, operation, time) so that a waiting command can name it.
// Callers hold the lock around Load, their changes, and Save.
//
// # Backends
//
// The planner and the commands use a state only through Backend, which
// *Store implements for the state file and package state/pgstate for a
// PostgreSQL database. A backend other than Store stores exactly what
// Encode writes, and uses a Codec for Save's refusals and encoding, so
// that every field the format gains is kept the same way everywhere.
package state
