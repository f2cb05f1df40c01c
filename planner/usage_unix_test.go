//go:build unix

package planner_test

import (
	"runtime"
	"syscall"
	"time"
)

// selfUsage is the CPU time, user and system, the test process has used,
// and its peak resident memory in bytes (0, 0 when getrusage fails).
func selfUsage() (cpu time.Duration, maxRSS int64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	maxRSS = int64(ru.Maxrss)
	if runtime.GOOS != "darwin" && runtime.GOOS != "ios" {
		maxRSS *= 1024 // kilobytes everywhere else
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), maxRSS
}
