package main

import "fmt"

func runState(g *globals, args []string) int {
	fmt.Fprintln(g.stderr, "mynthform state: not implemented yet")
	return exitError
}
