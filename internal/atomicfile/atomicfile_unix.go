//go:build !windows

package atomicfile

import (
	"errors"
	"fmt"
	"os"
)

// syncFile fsyncs d, an open directory, making a rename in it durable.
func syncFile(d *os.File) error {
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("syncing directory %s: %w", d.Name(), err)
	}
	return nil
}
