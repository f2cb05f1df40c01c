package main

import "fmt"

func runShow(g *globals, args []string) int {
	fmt.Fprintln(g.stderr, "mynthform show: not implemented yet")
	return exitError
}
