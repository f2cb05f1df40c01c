package main

import "fmt"

func runValidate(g *globals, args []string) int {
	fmt.Fprintln(g.stderr, "mynthform validate: not implemented yet")
	return exitError
}
