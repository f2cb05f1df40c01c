package main

import "fmt"

func runReport(g *globals, args []string) int {
	fmt.Fprintln(g.stderr, "mynthform report: not implemented yet")
	return exitError
}
