//go:build !windows

package state

import (
	"path/filepath"

	"github.com/google/renameio/v2"
)

// replaceFile writes data to path through a temporary file in the same
// directory ("." + base name + digits), fsyncs it and renames it over
// path; the caller fsyncs the directory. renameio does the careful part:
// an exclusive, unpredictable temporary name, the existing file's
// permissions, fsync before the rename, and removal of the temporary file
// on any failure. WithTempDir keeps the temporary file beside the state
// (renameio would otherwise try $TMPDIR), so that the rename is atomic and
// a killed writer's leftovers are where cleanTemps looks.
func replaceFile(path string, data []byte) error {
	t, err := renameio.NewPendingFile(path,
		renameio.WithTempDir(filepath.Dir(path)),
		renameio.WithPermissions(0o644),
		renameio.WithExistingPermissions())
	if err != nil {
		return err
	}
	defer func() { _ = t.Cleanup() }()
	if _, err := t.Write(data); err != nil {
		return err
	}
	return t.CloseAtomicallyReplace()
}
