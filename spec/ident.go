package spec

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// validIdentifier reports whether s is an HCL identifier, as
// hclsyntax.ValidIdentifier does: a letter or underscore, then letters,
// digits, underscores and dashes. An ASCII name is checked byte by byte;
// hclsyntax.ValidIdentifier runs its lexer, which cost 5% of loading a
// spec of 100,000 task blocks, and still decides every other name (its
// letters are Unicode's).
func validIdentifier(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return hclsyntax.ValidIdentifier(s)
		}
	}
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isIdentStart(c) && !(c >= '0' && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

// validTaskID reports whether s looks like a Mynth task id: "tsk_" and one
// or more letters, digits, underscores and dashes (ASCII).
func validTaskID(s string) bool {
	rest, ok := strings.CutPrefix(s, "tsk_")
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !isIdentStart(c) && !(c >= '0' && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}
