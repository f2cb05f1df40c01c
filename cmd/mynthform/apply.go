package main

import "fmt"

func runApply(g *globals, args []string) int {
	fmt.Fprintln(g.stderr, "mynthform apply: not implemented yet")
	return exitError
}
