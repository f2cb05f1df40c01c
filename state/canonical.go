package state

import (
	"bytes"
	"unicode/utf8"
)

// canonicalFast returns what Canonical would make of raw without decoding
// it, when raw differs from its canonical form at most by whitespace
// between tokens: the common case of JSON that this package wrote, read
// back from an indented state file. It answers false (use the slow path)
// for anything else, including some canonical input (it is conservative
// about escapes); it never answers true with output that Canonical would
// not give.
func canonicalFast(raw []byte) ([]byte, bool) {
	if !utf8.Valid(raw) || bytes.Contains(raw, []byte("\u2028")) || bytes.Contains(raw, []byte("\u2029")) {
		return nil, false
	}
	s := canonScanner{b: raw, out: make([]byte, 0, len(raw))}
	s.ws()
	if !s.value(0) {
		return nil, false
	}
	s.ws()
	return s.out, s.i == len(s.b)
}

// isCanonical reports whether raw is exactly in canonical form.
func isCanonical(raw []byte) bool {
	out, ok := canonicalFast(raw)
	return ok && bytes.Equal(out, raw)
}

type canonScanner struct {
	b   []byte
	i   int
	out []byte
}

// ws skips insignificant whitespace.
func (s *canonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// emit copies b[from:s.i] to the output.
func (s *canonScanner) emit(from int) { s.out = append(s.out, s.b[from:s.i]...) }

const maxCanonDepth = 512

func (s *canonScanner) value(depth int) bool {
	if s.i >= len(s.b) || depth > maxCanonDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		from := s.i
		_, ok := s.str()
		s.emit(from)
		return ok
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		from := s.i
		ok := s.number()
		s.emit(from)
		return ok
	}
	return false
}

func (s *canonScanner) lit(w string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		return false
	}
	s.i += len(w)
	s.out = append(s.out, w...)
	return true
}

func (s *canonScanner) object(depth int) bool {
	s.take('{')
	s.ws()
	if s.take('}') {
		return true
	}
	var prev []byte
	for first := true; ; first = false {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		from := s.i
		key, ok := s.str()
		if !ok || bytes.IndexByte(key, '\\') >= 0 {
			return false
		}
		if !first && bytes.Compare(prev, key) >= 0 {
			return false
		}
		prev = key
		s.emit(from)
		s.ws()
		if !s.take(':') {
			return false
		}
		s.ws()
		if !s.value(depth + 1) {
			return false
		}
		s.ws()
		if s.take('}') {
			return true
		}
		if !s.take(',') {
			return false
		}
		s.ws()
	}
}

func (s *canonScanner) array(depth int) bool {
	s.take('[')
	s.ws()
	if s.take(']') {
		return true
	}
	for {
		if !s.value(depth + 1) {
			return false
		}
		s.ws()
		if s.take(']') {
			return true
		}
		if !s.take(',') {
			return false
		}
		s.ws()
	}
}

// take consumes c, copying it to the output, when it comes next.
func (s *canonScanner) take(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		s.out = append(s.out, c)
		return true
	}
	return false
}

// str scans a string and returns its content between the quotes. Only the
// escapes that Go's encoder always writes the same way are accepted.
func (s *canonScanner) str() ([]byte, bool) {
	s.i++ // "
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			content := s.b[start:s.i]
			s.i++
			return content, true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return nil, false
			}
			switch s.b[s.i+1] {
			case '"', '\\', 'n', 'r', 't':
				s.i += 2
			default:
				return nil, false
			}
		default:
			s.i++
		}
	}
	return nil, false
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, which
// Canonical keeps as written.
func (s *canonScanner) number() bool {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return false
	}
	if s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
