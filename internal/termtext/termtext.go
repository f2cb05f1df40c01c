// Package termtext makes text that mynthform did not write itself (what
// the Mynth API answers: models, sizes, ids, statuses, URLs, messages)
// safe to print to a terminal or a CI log. Such text is data: a newline in
// it must not start a line that GitHub Actions reads as a workflow command
// ("::error file=...::", "::stop-commands::"), and an ESC or another
// control character must not reach the terminal.
//
// Line escapes every control character, newlines included, so that the
// text stays on the line it is printed on; Block keeps newlines and tabs,
// for messages mynthform builds on several lines. Escapes are written as
// in Go: \n, \r, \t, \x1b, \u202e. Text without such characters is
// returned as it is, without allocating.
//
// The views that write JSON, XML or HTML escape by their own rules; the
// human views (package planner/render, cmd/mynthform) and the API
// client's error messages (package mynth) use this package.
package termtext

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Line returns s with every control character escaped, newlines, tabs
// and carriage returns included: what one field or one line may print.
func Line(s string) string { return escape(s, false) }

// Block returns s with every control character escaped except newlines
// and tabs; a carriage return is escaped (it would let a line overwrite
// itself on a terminal).
func Block(s string) string { return escape(s, true) }

// Clean reports whether s prints as it is with Line: it holds no control
// character, no invalid UTF-8 and no character that reorders or hides
// text.
func Clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unsafeRune(r) {
			return false
		}
		i += n
	}
	return true
}

func escape(s string, keepLines bool) string {
	if Clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case keepLines && (c == '\n' || c == '\t'):
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == 0x7f:
				b.WriteString(`\x`)
				b.WriteString(hex2(c))
			default:
				b.WriteByte(c)
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(c))
		case unsafeRune(r):
			q := strconv.QuoteRuneToASCII(r) // '\u202e'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// unsafeRune reports a non-ASCII character that controls a terminal or
// changes how the text around it reads: the C1 controls (U+009B is a
// one-byte CSI on some terminals), the line and paragraph separators, and
// the bidirectional and invisible formatting characters ("Trojan Source").
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200b, r == 0x200e, r == 0x200f, r == 0xfeff:
		return true
	case r >= 0x2028 && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
