package main

import "fmt"

func runImport(g *globals, args []string) int {
	fmt.Fprintln(g.stderr, "mynthform import: not implemented yet")
	return exitError
}
