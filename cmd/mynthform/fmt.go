package main

import "fmt"

func runFmt(g *globals, args []string) int {
	fmt.Fprintln(g.stderr, "mynthform fmt: not implemented yet")
	return exitError
}
