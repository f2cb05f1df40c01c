//go:build windows

package atomicfile

import "os"

// syncFile does nothing: Windows cannot fsync a directory, and NTFS
// journals the rename.
func syncFile(*os.File) error { return nil }
