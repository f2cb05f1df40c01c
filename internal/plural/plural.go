// Package plural counts things in words: "1 task", "2 tasks". It is the one
// place mynthform makes a noun agree with a number, for every view (package
// planner/render), the planner's messages and the command line.
package plural

import "strconv"

// Count returns n and the noun, with an "s" unless n is 1: "1 task", "0
// tasks", "2 failed checks". Every noun mynthform counts takes a regular
// plural.
func Count(n int, noun string) string {
	s := strconv.Itoa(n) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}
