// Package atomicfile owns replacing a file atomically: readers see either
// the old content or the new, never a mix or an empty file, and a crash at
// any moment leaves one of the two. It is the only place that writes files
// this way; callers (the state store, saved plans, fmt, reports, the
// emulator's store) decide what to write and where.
//
// A write goes to a temporary file in the target's directory, named "."
// followed by the target's base name and decimal digits (package state
// relies on that pattern to remove the leftovers of killed writers). The
// temporary file is fsynced and renamed over the target; on Unix the
// directory is then fsynced so that the rename itself survives a crash.
package atomicfile

import "os"

// WriteFile writes data to path, replacing any existing file atomically.
// An existing regular file keeps its permissions; a new one is created
// with perm (less the umask). On failure the old file is left as it was
// and the temporary file is removed. The directory must exist.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	if err := replace(path, data, perm); err != nil {
		return err
	}
	return syncDir(path)
}
