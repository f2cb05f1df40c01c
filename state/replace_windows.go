//go:build windows

package state

import (
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// replaceFile writes data to path through a temporary file in the same
// directory, fsyncs it and renames it over path (renameio does not support
// Windows; os.Rename replaces the target there with MoveFileEx).
func replaceFile(path string, data []byte) (err error) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+strconv.FormatInt(time.Now().UnixNano(), 10))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
