package main

import "fmt"

func runEmulator(g *globals, args []string) int {
	fmt.Fprintln(g.stderr, "mynthform emulator: not implemented yet")
	return exitError
}
