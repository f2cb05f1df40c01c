//go:build !windows

package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// replace writes data to path through a temporary file. renameio does the
// careful part: an exclusive, unpredictable temporary name, the existing
// file's permissions, fsync before the rename, and removal of the
// temporary file on any failure. WithTempDir keeps the temporary file
// beside the target (renameio would otherwise try $TMPDIR), so that the
// rename is atomic and a killed writer's leftovers are where the owner of
// the file can find them.
func replace(path string, data []byte, perm os.FileMode) error {
	t, err := renameio.NewPendingFile(path,
		renameio.WithTempDir(filepath.Dir(path)),
		renameio.WithPermissions(perm),
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

// syncDir fsyncs the directory of path, making the rename durable.
func syncDir(path string) error {
	dir := filepath.Dir(path)
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
