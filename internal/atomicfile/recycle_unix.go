//go:build unix

package atomicfile

import (
	"io/fs"
	"os"
	"syscall"
)

// noFollow refuses to open a symbolic link.
const noFollow = syscall.O_NOFOLLOW

// recyclable reports whether info is a file of this process's user with
// at most links names, whose storage a Pending may take over.
func recyclable(info fs.FileInfo, links uint64) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && uint64(st.Nlink) <= links && int(st.Uid) == os.Geteuid()
}
