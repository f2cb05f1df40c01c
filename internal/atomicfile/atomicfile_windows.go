//go:build windows

package atomicfile

import (
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// replace writes data to path through a temporary file, fsyncs it and
// renames it over path (renameio does not support Windows; os.Rename
// replaces the target there with MoveFileEx, atomically on NTFS).
func replace(path string, data []byte, perm os.FileMode) (err error) {
	if st, err := os.Lstat(path); err == nil && st.Mode().IsRegular() {
		perm = st.Mode().Perm()
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+strconv.FormatInt(time.Now().UnixNano(), 10))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
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

// syncDir does nothing: Windows cannot fsync a directory, and NTFS
// journals the rename.
func syncDir(string) error { return nil }
