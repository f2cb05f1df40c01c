package state

import (
	"io/fs"
	"os"
	"syscall"
)

// fileStamp tells one version of a file from another without reading it:
// the file itself, its size, and its modification and change times. The
// change time is the kernel's own (nobody can set it back), and every
// writer of a state replaces the file (a new one, renamed into place), so
// a file written again never shows its old stamp.
type fileStamp struct {
	info         fs.FileInfo
	size         int64
	mtime, ctime syscall.Timespec
}

// stampOf returns info's stamp; false where the platform gives none.
func stampOf(info fs.FileInfo) (fileStamp, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || !info.Mode().IsRegular() {
		return fileStamp{}, false
	}
	return fileStamp{info: info, size: st.Size, mtime: st.Mtim, ctime: st.Ctim}, true
}

// same reports whether b is the stamp of the same version of the file.
func (a fileStamp) same(b fileStamp) bool {
	return a.info != nil && b.info != nil && os.SameFile(a.info, b.info) &&
		a.size == b.size && a.mtime == b.mtime && a.ctime == b.ctime
}
