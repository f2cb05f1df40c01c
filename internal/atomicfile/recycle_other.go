//go:build !unix

package atomicfile

import "io/fs"

// noFollow is nothing here: no file is recycled.
const noFollow = 0

// recyclable reports false: here every temporary file is a new one.
func recyclable(fs.FileInfo, uint64) bool { return false }
