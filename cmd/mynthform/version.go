package main

import (
	"fmt"
	"runtime/debug"

	"github.com/mynthform/mynthform/state"
)

// version is set at build time with -ldflags "-X main.version=..."; a
// plain build reports the module version, or "dev".
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func runVersion(g *globals, args []string) int {
	fs := newFlagSet("version")
	if code, done := parseFlags(g, fs, "version", args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(g.stderr, "mynthform version: unexpected argument %q\nUsage: mynthform version\n", fs.Arg(0))
		return exitError
	}
	fmt.Fprintf(g.stdout, "mynthform %s\nstate format version %d\n", toolVersion(), state.FormatVersion)
	return exitOK
}
