//go:build (!unix && !windows) || aix || solaris

package state

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// lockFile fails: this build has no kernel file locks on this system.
func lockFile(*os.File) (bool, error) {
	return false, fmt.Errorf("locking the state is not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
