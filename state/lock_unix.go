//go:build unix && !aix && !solaris

package state

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive kernel lock (flock) on f without waiting,
// and reports whether it got it. The lock is released when f is closed
// or the process exits.
func lockFile(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		}
		return false, err
	}
}
