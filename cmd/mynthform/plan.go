package main

import "fmt"

func runPlan(g *globals, args []string) int {
	fmt.Fprintln(g.stderr, "mynthform plan: not implemented yet")
	return exitError
}
