//go:build race

package spec

// raceEnabled is true when the tests run with the race detector, which
// slows them too much for timing tests.
const raceEnabled = true
