// Package atomicfile owns replacing a file atomically: readers see either
// the old content or the new, never a mix or an empty file, and a crash at
// any moment leaves one of the two. It is the only place that writes files
// this way; callers (the state store, saved plans, fmt, reports, the
// emulator's store) decide what to write and where.
//
// A write replaces the target: the path itself, or, when the path is a
// symbolic link, the file it points at (the link stays). It goes to a
// temporary file in the target's directory, named "." followed by the
// target's base name and decimal digits (package state relies on that
// pattern to remove the leftovers of killed writers). The temporary file
// is fsynced and renamed over the target; on Unix the directory is then
// fsynced so that the rename itself survives a crash.
package atomicfile

import (
	"os"
	"path/filepath"
)

// WriteFile writes data to path, replacing the target (see Target)
// atomically. An existing regular file keeps its permissions; a new one is
// created with perm (less the umask). On failure the old file is left as
// it was and the temporary file is removed. The directory must exist.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	path = Target(path)
	if err := replace(path, data, perm); err != nil {
		return err
	}
	return syncDir(path)
}

// Target is the file a write to path replaces: path, or what it points at
// when it is a symbolic link, followed link by link (the last one may
// dangle). Renaming over the link itself would replace it with a regular
// file and cut it from the file it shared.
func Target(path string) string {
	for range 40 { // the kernel's own limit on links in a path
		info, err := os.Lstat(path)
		if err != nil || info.Mode()&os.ModeSymlink == 0 {
			return path
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return path
}
