package spec

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// MaxNesting is how deeply parentheses, brackets, braces, quoted strings
// and template interpolations may nest in a spec file, a variable file, a
// template read by templatefile, or a variable value. HCL's parser
// recurses once per level, and a few hundred thousand levels exhaust the
// stack and kill the process; a real spec nests a handful of levels.
const MaxNesting = 100

// syntaxKind says how checkNesting reads its source.
type syntaxKind int

const (
	// nativeSyntax is a file or an expression in HCL's native syntax.
	nativeSyntax syntaxKind = iota
	// templateSyntax is a whole file read as a template (templatefile).
	templateSyntax
	// jsonSyntax is a file in HCL's JSON syntax, whose strings are
	// templates.
	jsonSyntax
)

// frame is one open level of nesting in the native syntax.
type frame struct {
	kind frameKind
	// marker ends a heredoc ("EOT").
	marker []byte
}

type frameKind int

const (
	frameBracket  frameKind = iota // ( [ { in an expression
	frameInterp                    // ${ or %{ in a template
	frameString                    // a quoted string
	frameTemplate                  // a heredoc, or a templatefile's whole file
)

// checkNesting returns an error diagnostic at the first opening that
// nests deeper than MaxNesting, or nil. It reads src once, front to back,
// knowing only enough of the syntax to tell code from strings, comments
// and heredocs: a "(" in a prompt is text, not nesting. Unbalanced input
// is left for the parser to report.
func checkNesting(src []byte, filename string, kind syntaxKind) *hcl.Diagnostic {
	var s nestingScanner
	s.src = src
	if kind == jsonSyntax {
		s.scanJSON()
	} else {
		if kind == templateSyntax {
			s.stack = append(s.stack, frame{kind: frameTemplate})
		}
		s.scanNative()
	}
	if !s.tooDeep {
		return nil
	}
	end := s.pos(s.at)
	start := end
	end.Column++
	end.Byte++
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Nested too deeply",
		Detail: fmt.Sprintf("This opens level %d of nested parentheses, brackets, braces or template interpolations; at most %d are allowed. Write the value with fewer levels, for example by moving parts of it into locals.",
			MaxNesting+1, MaxNesting),
		Subject: &hcl.Range{Filename: filename, Start: start, End: end},
	}
}

// nestingScanner is the state of one checkNesting pass.
type nestingScanner struct {
	src   []byte
	i     int
	stack []frame
	// tooDeep is set, with at the opening's offset, when the nesting
	// passed MaxNesting.
	tooDeep bool
	at      int
}

// advance moves past n bytes.
func (s *nestingScanner) advance(n int) {
	s.i = min(s.i+n, len(s.src))
}

// pos is the position of the byte at offset i: a column is a character,
// so UTF-8 continuation bytes do not start one. The scan keeps only
// offsets; the one position it reports is counted once, at the end.
func (s *nestingScanner) pos(i int) hcl.Pos {
	p := hcl.Pos{Line: 1, Column: 1, Byte: i}
	if nl := bytes.LastIndexByte(s.src[:i], '\n'); nl >= 0 {
		p.Line += bytes.Count(s.src[:nl], []byte("\n")) + 1
		s.columns(&p, nl+1, i)
		return p
	}
	s.columns(&p, 0, i)
	return p
}

// columns adds to p.Column the characters that end in src[from:to], a
// piece of one line: a byte ends one when the byte after it is not a
// UTF-8 continuation byte (or is past the end of the source).
func (s *nestingScanner) columns(p *hcl.Pos, from, to int) {
	for j := from + 1; j <= to; j++ {
		if j >= len(s.src) || s.src[j]&0xC0 != 0x80 {
			p.Column++
		}
	}
}

// push opens a level; it reports false, and records where, once the
// nesting would pass MaxNesting.
func (s *nestingScanner) push(f frame) bool {
	if len(s.stack) >= MaxNesting {
		s.tooDeep, s.at = true, s.i
		return false
	}
	s.stack = append(s.stack, f)
	return true
}

// has reports whether the source at the current byte starts with prefix.
func (s *nestingScanner) has(prefix string) bool {
	return len(s.src)-s.i >= len(prefix) && string(s.src[s.i:s.i+len(prefix)]) == prefix
}

// skipRun moves past the bytes that are not stops of class.
func (s *nestingScanner) skipRun(class uint8) {
	i, src := s.i, s.src // in registers
	for i < len(src) && stops[src[i]]&class == 0 {
		i++
	}
	s.i = i
}

// skipLine moves to the newline that ends the current line.
func (s *nestingScanner) skipLine() {
	n := bytes.IndexByte(s.src[s.i:], '\n')
	if n < 0 {
		n = len(s.src) - s.i
	}
	s.advance(n)
}

// scanNative reads native syntax: code, quoted strings, heredocs and
// templates, each inside the other to any depth.
func (s *nestingScanner) scanNative() {
	for s.i < len(s.src) {
		if n := len(s.stack); n > 0 && (s.stack[n-1].kind == frameString || s.stack[n-1].kind == frameTemplate) {
			quoted := s.stack[n-1].kind == frameString
			if quoted {
				// A quoted string's text up to a byte that may end it
				// or open something changes nothing.
				s.skipRun(stopString)
				if s.i == len(s.src) {
					return
				}
			}
			if !s.scanTemplateByte(s.src[s.i], quoted) {
				return
			}
			continue
		}
		// Code: at the top level, or inside brackets or an interpolation.
		s.skipRun(stopCode)
		if s.i == len(s.src) {
			return
		}
		c := s.src[s.i]
		switch {
		case c == '#' || c == '/' && s.has("//"):
			s.skipLine()
			continue
		case c == '/' && s.has("/*"):
			n := bytes.Index(s.src[s.i+2:], []byte("*/"))
			if n < 0 {
				return
			}
			s.advance(n + 4)
			continue
		case c == '"':
			if !s.push(frame{kind: frameString}) {
				return
			}
		case c == '<' && s.has("<<"):
			if marker, skip := heredocStart(s.src[s.i:]); marker != nil {
				if !s.push(frame{kind: frameTemplate, marker: marker}) {
					return
				}
				s.advance(skip)
				continue
			}
		case c == '(' || c == '[' || c == '{':
			if !s.push(frame{kind: frameBracket}) {
				return
			}
		case c == ')' || c == ']' || c == '}':
			// Closes a bracket or an interpolation; an unbalanced one is
			// the parser's to report.
			if len(s.stack) > 0 {
				s.stack = s.stack[:len(s.stack)-1]
			}
		}
		s.advance(1)
	}
}

// stops classifies bytes for the scans that pass over the others in runs:
// stopCode, the bytes scanNative acts on in code, and stopString, those
// scanTemplateByte acts on in a quoted string (skipRun); blockStarts acts
// on the same bytes and on newlines too (stopCodeLine, stopStringLine).
// A table read per byte is faster than comparisons (blockStarts and
// checkNesting over 10,000 hand-written blocks: 3.3 ms each with a
// switch, 2.0 and 2.3 ms with the table). It is never written.
var stops = func() (t [256]uint8) {
	for _, c := range "#/\"<([{)]}\n" {
		t[c] |= stopCodeLine
		if c != '\n' {
			t[c] |= stopCode
		}
	}
	for _, c := range "\\\"$%\n" {
		t[c] |= stopStringLine
		if c != '\n' {
			t[c] |= stopString
		}
	}
	return t
}()

// The classes of stops.
const (
	stopCode = 1 << iota
	stopString
	stopCodeLine
	stopStringLine
)

// scanTemplateByte reads one step of a quoted string (quoted) or a
// heredoc or template; it reports false once the nesting is too deep.
func (s *nestingScanner) scanTemplateByte(c byte, quoted bool) bool {
	switch {
	case !quoted && (s.i == 0 || s.src[s.i-1] == '\n') && s.heredocEnds():
		s.stack = s.stack[:len(s.stack)-1]
	case quoted && c == '\\':
		s.advance(2)
	case quoted && c == '"':
		s.stack = s.stack[:len(s.stack)-1]
		s.advance(1)
	case (c == '$' || c == '%') && (s.has("$${") || s.has("%%{")):
		s.advance(3)
	case (c == '$' || c == '%') && (s.has("${") || s.has("%{")):
		if !s.push(frame{kind: frameInterp}) {
			return false
		}
		s.advance(2)
	default:
		s.advance(1)
	}
	return true
}

// heredocStart reads "<<EOT\n" or "<<-EOT\n" at the start of b: the marker
// and the bytes up to and including the newline; nil when b does not
// open a heredoc.
func heredocStart(b []byte) (marker []byte, n int) {
	i := 2
	if i < len(b) && b[i] == '-' {
		i++
	}
	start := i
	for i < len(b) && (b[i] == '_' || b[i] == '-' || b[i] >= 'a' && b[i] <= 'z' || b[i] >= 'A' && b[i] <= 'Z' || b[i] >= '0' && b[i] <= '9' || b[i] >= 0x80) {
		i++
	}
	if i == start {
		return nil, 0
	}
	marker = b[start:i]
	if i < len(b) && b[i] == '\r' {
		i++
	}
	if i >= len(b) || b[i] != '\n' {
		return nil, 0
	}
	return marker, i + 1
}

// heredocEnds reports, at the start of a line inside a heredoc, whether
// the line is the heredoc's closing marker (indented or not), and then
// moves past the marker. A templatefile's template has no marker.
func (s *nestingScanner) heredocEnds() bool {
	marker := s.stack[len(s.stack)-1].marker
	if marker == nil {
		return false
	}
	rest := s.src[s.i:]
	ws := len(rest) - len(bytes.TrimLeft(rest, " \t"))
	rest = rest[ws:]
	if !bytes.HasPrefix(rest, marker) {
		return false
	}
	after := rest[len(marker):]
	if len(after) > 0 && after[0] != '\n' && after[0] != '\r' {
		return false
	}
	s.advance(ws + len(marker))
	return true
}

// scanJSON reads HCL's JSON syntax: arrays and objects nest, and a string
// is a template whose interpolations nest inside it.
func (s *nestingScanner) scanJSON() {
	containers := 0
	inString := false
	interp := 0 // levels open inside the current string's template
	for s.i < len(s.src) {
		c := s.src[s.i]
		depth := containers + interp
		switch {
		case !inString && (c == '[' || c == '{'):
			if depth >= MaxNesting {
				s.tooDeep, s.at = true, s.i
				return
			}
			containers++
		case !inString && (c == ']' || c == '}'):
			containers = max(containers-1, 0)
		case !inString && c == '"':
			inString, interp = true, 0
		case inString && c == '\\':
			s.advance(2)
			continue
		case inString && c == '"':
			inString = false
		case inString && (c == '$' || c == '%') && (s.has("$${") || s.has("%%{")):
			s.advance(3)
			continue
		case inString && ((c == '$' || c == '%') && (s.has("${") || s.has("%{")) || interp > 0 && (c == '(' || c == '[' || c == '{')):
			if depth >= MaxNesting {
				s.tooDeep, s.at = true, s.i
				return
			}
			interp++
			if c != '(' && c != '[' && c != '{' {
				s.advance(2)
				continue
			}
		case inString && interp > 0 && (c == ')' || c == ']' || c == '}'):
			interp--
		}
		s.advance(1)
	}
}
