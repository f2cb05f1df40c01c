package spec

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
)

// Address names a task instance: task.NAME, or task.NAME["KEY"] under
// for_each. As a pattern (--target, --exclude, --replace, the state
// commands) task.NAME also selects every task.NAME["KEY"]: see Match.
//
// The zero Address is no address: no pattern that ParseAddress returns
// matches it.
type Address struct {
	// Name is the label of the task block, an HCL identifier.
	Name string
	// Key is the for_each key; it means something only when HasKey is set.
	Key string
	// HasKey is set for an instance of a for_each block, whose key may be
	// the empty string.
	HasKey bool
}

// String is the address as plans and the state write it: the key quoted as
// an HCL string literal (quotes, backslashes and control characters
// escaped), so that ParseAddress reads it back.
func (a Address) String() string {
	if !a.HasKey {
		return "task." + a.Name
	}
	return "task." + a.Name + "[" + quoteKey(a.Key) + "]"
}

// Match reports whether a, as a pattern, selects b: b is a, or a names a
// whole task block (task.NAME) and b is one of its instances.
func (a Address) Match(b Address) bool {
	return a.Name == b.Name && (!a.HasKey || b.HasKey && a.Key == b.Key)
}

// Block is the task block that a belongs to: a without its key.
func (a Address) Block() Address { return Address{Name: a.Name} }

// MarshalText writes the address as String does (saved plans hold
// addresses as JSON strings).
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads an address as ParseAddress does.
func (a *Address) UnmarshalText(text []byte) error {
	parsed, err := ParseAddress(string(text))
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}

// AddressOf is the address that s, an address recorded by this tool (in
// the state or a plan), names; it is the zero Address, which no pattern
// matches, when s is not an address, as in a hand-edited state.
func AddressOf(s string) Address {
	a, err := ParseAddress(s)
	if err != nil {
		return Address{}
	}
	return a
}

// AddressError says why a string is not a task address.
type AddressError struct {
	// Input is the string as given.
	Input string
	// Reason says what is wrong, as a clause ("it does not start with
	// \"task.\"").
	Reason string
	// Suggestion is the address the input most likely meant, or "".
	Suggestion string
}

// Error is one line, whatever the input holds (it is quoted), and ends
// with the fix.
func (e *AddressError) Error() string {
	msg := fmt.Sprintf("%q is not a task address (%s); addresses are task.NAME, or task.NAME[\"KEY\"] under for_each (quote it for the shell: 'task.NAME[\"KEY\"]')", e.Input, e.Reason)
	if e.Suggestion != "" {
		msg += "; did you mean " + e.Suggestion + "?"
	}
	return msg
}

// ParseAddress reads an address as a user types it: task.NAME, or
// task.NAME["KEY"] with the key an HCL string literal (the escapes \" \\
// \n \r \t \uNNNN \UNNNNNNNN). Because a shell strips quotes, the key may
// also be written in single quotes, taken as it is (task.NAME['KEY']), or
// bare, everything between the brackets (task.NAME[KEY], what a shell
// leaves of an unquoted task.NAME["KEY"]). Space around the address is
// ignored; the key is normalized (NFC) as the spec's keys are. An error is
// an *AddressError.
func ParseAddress(s string) (Address, error) {
	a, reason := parseAddress(s)
	if reason == "" {
		return a, nil
	}
	return Address{}, &AddressError{Input: s, Reason: reason, Suggestion: addressSuggestion(s)}
}

// parseAddress is ParseAddress, with the reason s is not an address ("" when
// it is one).
func parseAddress(s string) (Address, string) {
	if !utf8.ValidString(s) {
		return Address{}, "it is not valid UTF-8"
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "task.")
	if !ok {
		return Address{}, `it does not start with "task."`
	}
	name, key, hasKey := rest, "", false
	if i := strings.IndexByte(rest, '['); i >= 0 {
		name, hasKey = rest[:i], true
		var reason string
		if key, reason = parseKey(rest[i+1:]); reason != "" {
			return Address{}, reason
		}
		// The spec's keys are cty strings, which are NFC.
		key = cty.StringVal(key).AsString()
	}
	switch {
	case name == "":
		return Address{}, "the task name is missing"
	case !validIdentifier(name):
		if i := strings.IndexByte(name, '.'); i > 0 {
			return Address{}, fmt.Sprintf("%q is not a task name: an address has one name after \"task.\"", name)
		}
		return Address{}, fmt.Sprintf("%q is not a task name", name)
	}
	return Address{Name: name, Key: key, HasKey: hasKey}, ""
}

// parseKey reads the key of an address and its closing bracket from s, the
// text after the opening bracket; the reason is "" when s is a key.
func parseKey(s string) (string, string) {
	var key, after string
	switch {
	case strings.HasPrefix(s, `"`):
		var reason string
		if key, after, reason = unquoteKey(s[1:]); reason != "" {
			return "", reason
		}
	case strings.HasPrefix(s, "'"):
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "the key's closing quote is missing"
		}
		key, after = s[1:1+end], s[2+end:]
	default:
		end := strings.LastIndexByte(s, ']')
		switch {
		case end < 0:
			return "", "the key does not end with ]"
		case strings.Contains(s[:end], `"`):
			return "", `the key is not a quoted string: write it as task.NAME["KEY"], with \" for a quote inside`
		}
		return s[:end], afterKey(s[end+1:])
	}
	if !strings.HasPrefix(after, "]") {
		return "", "the key does not end with ]"
	}
	return key, afterKey(after[1:])
}

// afterKey is the reason an address goes on after its key, or "".
func afterKey(rest string) string {
	switch {
	case rest == "":
		return ""
	case strings.HasPrefix(rest, "["):
		return "an address has one key"
	}
	return fmt.Sprintf("%q follows the key", rest)
}

// unquoteKey reads an HCL quoted string whose opening quote is already
// read: the string, the text after its closing quote, and the reason it is
// not one ("" when it is).
func unquoteKey(s string) (string, string, string) {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '"':
			return b.String(), s[i+1:], ""
		case '\\':
			r, n, reason := unescape(s[i+1:])
			if reason != "" {
				return "", "", reason
			}
			b.WriteRune(r)
			i += 1 + n
			continue
		}
		b.WriteByte(c)
		i++
	}
	return "", "", "the key's closing quote is missing"
}

// unescape reads the escape sequence at the start of s (after its
// backslash): the character, the bytes it took, and the reason it is not
// an escape ("" when it is).
func unescape(s string) (rune, int, string) {
	if s == "" {
		return 0, 0, "the key's closing quote is missing"
	}
	switch s[0] {
	case '"':
		return '"', 1, ""
	case '\\':
		return '\\', 1, ""
	case 'n':
		return '\n', 1, ""
	case 'r':
		return '\r', 1, ""
	case 't':
		return '\t', 1, ""
	case 'u', 'U':
		n := 4
		if s[0] == 'U' {
			n = 8
		}
		if len(s) < 1+n {
			return 0, 0, fmt.Sprintf("the escape \\%s in the key needs %d hex digits", s[:1], n)
		}
		v, err := strconv.ParseUint(s[1:1+n], 16, 32)
		if err != nil {
			return 0, 0, fmt.Sprintf("the escape \\%s in the key needs %d hex digits", s[:1], n)
		}
		if r := rune(v); utf8.ValidRune(r) {
			return r, 1 + n, ""
		}
		return 0, 0, fmt.Sprintf("the escape \\%s in the key is not a character", s[:1+n])
	}
	r, _ := utf8.DecodeRuneInString(s)
	return 0, 0, fmt.Sprintf("the key holds the unknown escape \\%c (a backslash is written \\\\)", r)
}

// addressSuggestion is the address that s, which is not one, most likely
// meant: s with the missing "task." put in front (product["mug"]), or in
// place of another first word (tasks.product, resource.product); "" when
// there is none.
func addressSuggestion(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "task.") {
		return ""
	}
	candidates := []string{"task." + s}
	if first, rest, ok := strings.Cut(s, "."); ok && validIdentifier(first) {
		candidates = append(candidates, "task."+rest)
	}
	for _, c := range candidates {
		if a, reason := parseAddress(c); reason == "" {
			return a.String()
		}
	}
	return ""
}

// quoteKey quotes a for_each key as an HCL string literal.
func quoteKey(key string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range key {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04X`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Scope is the part of a spec and its state that a command covers: the
// --target and --exclude addresses. The zero Scope covers everything.
type Scope struct {
	// Targets, when there are any, limit the scope to the addresses that
	// one of them matches.
	Targets []Address `json:"targets,omitempty"`
	// Excludes take out the addresses that one of them matches, after
	// Targets.
	Excludes []Address `json:"excludes,omitempty"`
}

// Contains reports whether the scope covers a.
func (s Scope) Contains(a Address) bool {
	if len(s.Targets) > 0 && !MatchAny(s.Targets, a) {
		return false
	}
	return !MatchAny(s.Excludes, a)
}

// IsAll reports whether the scope covers everything: no target and no
// exclude.
func (s Scope) IsAll() bool { return len(s.Targets) == 0 && len(s.Excludes) == 0 }

// ContainsAddress is Contains of the address written addr (AddressOf),
// which it parses only when the scope has a target or an exclude to match:
// the check a caller makes for every task stays cheap for the whole scope.
func (s Scope) ContainsAddress(addr string) bool {
	return s.IsAll() || s.Contains(AddressOf(addr))
}

// MatchAny reports whether one of patterns matches a (Address.Match).
func MatchAny(patterns []Address, a Address) bool {
	for _, p := range patterns {
		if p.Match(a) {
			return true
		}
	}
	return false
}

// MatchAnyAddress is MatchAny of the address written addr (AddressOf),
// which it parses only when there is a pattern to match.
func MatchAnyAddress(patterns []Address, addr string) bool {
	return len(patterns) > 0 && MatchAny(patterns, AddressOf(addr))
}
