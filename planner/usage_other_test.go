//go:build !unix

package planner_test

import "time"

// selfUsage is not measured here (there is no getrusage): the benchmarks
// report 0 CPU and 0 memory.
func selfUsage() (cpu time.Duration, maxRSS int64) { return 0, 0 }
