// Package atomicfile owns writing files safely: replacing a file
// atomically (readers see either the old content or the new, never a mix
// or an empty file, and a crash at any moment leaves one of the two), and
// only inside the directory the write is confined to (Root). It is the only
// place that writes files this way; callers (the state store, saved plans,
// fmt, reports, image downloads, the emulator's store) decide what to write
// and where.
//
// A write resolves its path after symbolic links, inside its Root: a name
// that leads outside (through "..", an absolute path or a link) is
// refused. A final link inside the Root is written through: the file it
// points at is replaced and the link stays. The new content goes to a
// temporary file in the target's directory, created exclusively and named
// "." followed by the target's base name and decimal digits (package state
// relies on that pattern to remove the leftovers of killed writers); on
// Unix it may instead be a file the caller drops, taken over under that
// name (CreateOptions.Recycle), never one that has another name. The
// temporary file is fsynced and renamed over the target; on Unix the
// directory is then fsynced so that the rename itself survives a crash.
package atomicfile

import (
	"os"
	"path/filepath"
)

// WriteFile writes data to path, replacing it atomically, confined to
// path's own directory: path may be a symbolic link to a file of that
// directory (or below it), never to one elsewhere. An existing regular
// file keeps its permissions; a new one is created with perm (less the
// umask). On failure the old file is left as it was and the temporary
// file is removed. Missing directories below path's directory are
// created; that directory itself must exist.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	r, err := OpenRoot(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer r.Close()
	return r.WriteFile(filepath.Base(path), data, perm)
}
