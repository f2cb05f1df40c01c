package mynth

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// scanTask decodes a task body into t (which must be zero) without
// encoding/json's reflection, for the shape Mynth sends: one object with
// plain string, number and object members. It gives exactly the value
// json.Unmarshal gives, or reports false and leaves t to be reset and
// decoded by json.Unmarshal: it reports false on anything it does not
// handle the same way for certain, never guessing. That is invalid JSON,
// a key met twice, a key that differs from a field's name only in case
// (json.Unmarshal would match it), a key with an escape or a non-ASCII
// byte, null for a field it reads itself, a string that is not valid
// UTF-8 (json.Unmarshal replaces the bad bytes), a number that is not a
// plain integer where an int goes, data after the object, and anything
// nested deeper than maxScanDepth. Rare members (webhook, access, a
// prompt or size in object form, raw metadata) are handed to
// json.Unmarshal one by one: decoding a member depends only on its own
// bytes, so that is the same as decoding them in place.
//
// On the plain bodies of a refresh it costs a fifth of json.Unmarshal's
// time and a third of its allocations (BenchmarkDecodeTask); FuzzScanTask
// holds it to json.Unmarshal's result.
func scanTask(b []byte, t *Task) bool {
	s := taskScanner{b: b}
	return s.scan(t)
}

// scanTaskParts is scanTask into p.task, whose request, prompt, size,
// result, cost, first image and first image's cost are taken from p
// rather than allocated one by one: a task read is one allocation for
// them all, where it was eight (BenchmarkDecodeTask). The parts live as
// long as the task does, as they would apart.
func scanTaskParts(b []byte, p *taskParts) bool {
	s := taskScanner{b: b, parts: p}
	return s.scan(&p.task)
}

func (s *taskScanner) scan(t *Task) bool {
	s.task(t)
	s.ws()
	if s.bad || s.i != len(s.b) {
		return false
	}
	s.flush()
	return true
}

// taskParts holds a task and the values its pointers point to in the
// plain shape of a task read, allocated together.
type taskParts struct {
	task      Task
	request   Request
	prompt    Prompt
	size      Size
	result    Result
	cost      Cost
	image     [1]Image
	imageCost Amount
	// imageCostUsed: imageCost is taken (by the first image with a
	// cost; the others allocate theirs).
	imageCostUsed bool
}

// maxScanDepth bounds the nesting scanTask reads; json.Unmarshal's own
// bound is far above it.
const maxScanDepth = 200

// taskScanner reads one JSON body. Its methods do nothing once bad is
// set, so callers check it once at the end.
type taskScanner struct {
	b     []byte
	i     int
	depth int
	bad   bool
	// pending are the plain strings read but not yet made (strTo):
	// flush copies them out of b into one allocation for them all, where
	// each would otherwise cost its own.
	pending  [16]pendingString
	npending int
	// parts, when set, provides the values the task's pointers point
	// to (scanTaskParts); each is taken once, as each key is read once.
	parts *taskParts
}

// pendingString is a string value that is b[start:end], to be stored in
// *dst.
type pendingString struct {
	dst        *string
	start, end int
}

// The JSON names of each object's fields, for the case-folded match
// json.Unmarshal makes of a key that is no field's exact name.
var (
	taskNames    = []string{"id", "status", "type", "createdAt", "updatedAt", "request", "result"}
	requestNames = []string{"prompt", "model", "size", "count", "inputs", "output", "webhook", "content_rating", "metadata", "access"}
	resultNames  = []string{"model", "images", "cost", "prompt_enhance", "size_auto"}
	imageNames   = []string{"status", "id", "url", "cost", "size", "content_rating", "error"}
	costNames    = []string{"images", "total", "fee", "magic_prompt"}
)

func (s *taskScanner) fail() { s.bad = true }

// ws skips JSON white space.
func (s *taskScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, 0 at the end.
func (s *taskScanner) peek() byte {
	s.ws()
	if s.bad || s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// open reads the '{' that starts an object.
func (s *taskScanner) open() {
	if s.peek() != '{' {
		s.fail()
		return
	}
	s.i++
	if s.depth++; s.depth > maxScanDepth {
		s.fail()
	}
}

// key reads the key of member n (0 for the first) of the object being
// read, and the colon after it. It returns false at the object's end
// (having read its '}') or when the scan failed. A key must be plain
// ASCII without escapes, and not seen before in the object (seen holds
// one bit for each of names), else the scan fails; a key that is not one
// of names but matches one ignoring case fails it too.
func (s *taskScanner) key(n int, names []string, seen *uint32) (string, bool) {
	c := s.peek()
	if c == '}' && s.i < len(s.b) {
		s.i++
		s.depth--
		return "", false
	}
	if n > 0 {
		if c != ',' {
			s.fail()
			return "", false
		}
		s.i++
		c = s.peek()
	}
	if c != '"' {
		s.fail()
		return "", false
	}
	start := s.i + 1
	end := start
	for ; end < len(s.b) && s.b[end] != '"'; end++ {
		if c := s.b[end]; c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			s.fail()
			return "", false
		}
	}
	if end >= len(s.b) {
		s.fail()
		return "", false
	}
	k := s.b[start:end]
	s.i = end + 1
	if s.peek() != ':' {
		s.fail()
		return "", false
	}
	s.i++
	s.ws()
	for j, name := range names {
		if string(k) == name {
			if *seen&(1<<j) != 0 {
				s.fail()
				return "", false
			}
			*seen |= 1 << j
			return name, true
		}
		if asciiEqualFold(k, name) {
			s.fail()
			return "", false
		}
	}
	return "", true // an unknown member: the caller skips its value
}

// asciiEqualFold reports whether a and b are equal ignoring ASCII case.
func asciiEqualFold(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// str reads a JSON string. One with escapes is unquoted by json.Unmarshal.
func (s *taskScanner) str() string {
	body, escaped := s.quoted()
	switch {
	case s.bad:
		return ""
	case escaped:
		return s.unescape(body)
	}
	return string(body)
}

// strTo reads a JSON string into *dst. A plain one (no escapes) is stored
// by the next flush, which must come before *dst is read and before the
// memory dst points into moves (a slice grown); one with escapes is
// unquoted by json.Unmarshal at once.
func (s *taskScanner) strTo(dst *string) {
	body, escaped := s.quoted()
	switch {
	case s.bad:
	case escaped:
		*dst = s.unescape(body)
	case len(body) == 0:
		*dst = ""
	default:
		if s.npending == len(s.pending) {
			s.flush()
		}
		end := s.i - 1 // the closing quote
		s.pending[s.npending] = pendingString{dst: dst, start: end - len(body), end: end}
		s.npending++
	}
}

// flush stores the pending strings, copied out of the body into one
// string that they share.
func (s *taskScanner) flush() {
	p := s.pending[:s.npending]
	s.npending = 0
	n := 0
	for _, x := range p {
		n += x.end - x.start
	}
	var all strings.Builder
	all.Grow(n)
	for _, x := range p {
		all.Write(s.b[x.start:x.end])
	}
	str, off := all.String(), 0
	for _, x := range p {
		next := off + x.end - x.start
		*x.dst = str[off:next]
		off = next
	}
}

// unescape decodes the string with escapes that was just read, body being
// the bytes between its quotes.
func (s *taskScanner) unescape(body []byte) string {
	var v string
	if json.Unmarshal(s.b[s.i-len(body)-2:s.i], &v) != nil {
		s.fail()
	}
	return v
}

// quoted reads a JSON string and returns the bytes between its quotes and
// whether they hold an escape (then they are not yet its value). It fails
// the scan on a control byte, on invalid UTF-8 in a string without
// escapes (json.Unmarshal would replace it), and at the body's end.
func (s *taskScanner) quoted() (body []byte, escaped bool) {
	if s.peek() != '"' {
		s.fail()
		return nil, false
	}
	start := s.i
	ascii := true
	i := start + 1
	for ; i < len(s.b); i++ {
		c := s.b[i]
		if c == '"' {
			break
		}
		switch {
		case c == '\\':
			escaped = true
			i++
		case c < 0x20:
			s.fail()
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if i >= len(s.b) {
		s.fail()
		return nil, false
	}
	s.i = i + 1
	body = s.b[start+1 : i]
	if !escaped && !ascii && !utf8.Valid(body) {
		s.fail()
		return nil, false
	}
	return body, escaped
}

// integer reads a JSON number that is a plain integer, as an int.
func (s *taskScanner) integer() int {
	start := s.i
	if !s.number() {
		s.fail()
		return 0
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 0)
	if err != nil {
		s.fail()
	}
	return int(n)
}

// number reads a JSON number and reports whether it was an integer (no
// fraction, no exponent); the scan fails on a malformed one.
func (s *taskScanner) number() (integer bool) {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		s.fail()
		return false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		integer = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.fail()
			return false
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.fail()
			return false
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	return integer
}

// skip reads any JSON value, checking it as json.Unmarshal does.
func (s *taskScanner) skip() {
	switch c := s.peek(); {
	case c == '{':
		s.open()
		var seen uint32
		for n := 0; ; n++ {
			if _, ok := s.key(n, nil, &seen); !ok {
				return
			}
			s.skip()
		}
	case c == '[':
		s.i++
		if s.depth++; s.depth > maxScanDepth {
			s.fail()
			return
		}
		for n := 0; s.next(n); n++ {
			s.skip()
		}
	case c == '"':
		s.skipString()
	case c == '-' || '0' <= c && c <= '9':
		s.number()
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	default:
		s.fail()
	}
}

// next moves to element n (0 for the first) of the array being read, past
// the '[' or the comma before it. It returns false at the array's end
// (having read its ']') or when the scan failed.
func (s *taskScanner) next(n int) bool {
	c := s.peek()
	if c == ']' && s.i < len(s.b) {
		s.i++
		s.depth--
		return false
	}
	if n > 0 {
		if c != ',' {
			s.fail()
			return false
		}
		s.i++
	}
	return !s.bad
}

// skipString reads a string, checking its escapes; like json.Unmarshal's
// check, it lets any other byte from 0x20 up through.
func (s *taskScanner) skipString() {
	b := s.b
	for i := s.i + 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return
		case c < 0x20:
			s.fail()
			return
		case c == '\\':
			i++
			if i >= len(b) {
				s.fail()
				return
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					s.fail()
					return
				}
				for _, h := range b[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						s.fail()
						return
					}
				}
				i += 4
			default:
				s.fail()
				return
			}
		}
	}
	s.fail()
}

func (s *taskScanner) literal(lit string) {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		s.fail()
		return
	}
	s.i += len(lit)
}

// sub reads the next value and has json.Unmarshal decode it into v.
func (s *taskScanner) sub(v any) {
	s.ws()
	start := s.i
	s.skip()
	if s.bad {
		return
	}
	if json.Unmarshal(s.b[start:s.i], v) != nil {
		s.fail()
	}
}

func (s *taskScanner) task(t *Task) {
	s.open()
	var seen uint32
	for n := 0; ; n++ {
		name, ok := s.key(n, taskNames, &seen)
		if !ok {
			return
		}
		switch name {
		case "id":
			s.strTo(&t.ID)
		case "status":
			t.Status = Status(s.status())
		case "type":
			s.strTo(&t.Type)
		case "createdAt":
			s.strTo(&t.CreatedAt)
		case "updatedAt":
			s.strTo(&t.UpdatedAt)
		case "request":
			if s.peek() != '{' {
				s.sub(&t.Request)
				continue
			}
			if s.parts != nil {
				t.Request = &s.parts.request
			} else {
				t.Request = new(Request)
			}
			s.request(t.Request)
		case "result":
			if s.peek() != '{' {
				s.sub(&t.Result)
				continue
			}
			if s.parts != nil {
				t.Result = &s.parts.result
			} else {
				t.Result = new(Result)
			}
			s.result(t.Result)
		default:
			s.skip()
		}
	}
}

// status reads a status string; the common ones cost no allocation.
func (s *taskScanner) status() string {
	if s.peek() != '"' {
		s.fail()
		return ""
	}
	for _, v := range [...]string{string(StatusCompleted), string(StatusPending), string(StatusFailed), string(ImageSucceeded)} {
		if end := s.i + len(v) + 2; end <= len(s.b) && s.b[end-1] == '"' && string(s.b[s.i+1:end-1]) == v {
			s.i = end
			return v
		}
	}
	return s.str()
}

func (s *taskScanner) request(r *Request) {
	s.open()
	var seen uint32
	for n := 0; ; n++ {
		name, ok := s.key(n, requestNames, &seen)
		if !ok {
			return
		}
		switch name {
		case "prompt":
			if s.peek() != '"' {
				s.sub(&r.Prompt)
				continue
			}
			if s.parts != nil {
				r.Prompt = &s.parts.prompt
			} else {
				r.Prompt = new(Prompt)
			}
			s.strTo(&r.Prompt.Positive)
		case "model":
			s.strTo(&r.Model)
		case "size":
			if s.peek() != '"' {
				s.sub(&r.Size)
				continue
			}
			if s.parts != nil {
				r.Size = &s.parts.size
			} else {
				r.Size = new(Size)
			}
			s.strTo(&r.Size.Preset)
		case "count":
			if c := s.peek(); c != '-' && (c < '0' || c > '9') {
				s.fail()
				continue
			}
			r.Count = s.integer()
		case "inputs":
			s.sub(&r.Inputs)
		case "output":
			s.sub(&r.Output)
		case "webhook":
			s.sub(&r.Webhook)
		case "content_rating":
			s.sub(&r.ContentRating)
		case "metadata":
			s.sub(&r.Metadata)
		case "access":
			s.sub(&r.Access)
		default:
			s.skip()
		}
	}
}

func (s *taskScanner) result(r *Result) {
	s.open()
	var seen uint32
	for n := 0; ; n++ {
		name, ok := s.key(n, resultNames, &seen)
		if !ok {
			return
		}
		switch name {
		case "model":
			s.strTo(&r.Model)
		case "images":
			if s.peek() != '[' {
				s.sub(&r.Images)
				continue
			}
			s.i++
			s.depth++
			r.Images = []Image{}
			if s.parts != nil {
				r.Images = s.parts.image[:0:1]
			}
			for i := 0; s.next(i); i++ {
				if len(r.Images) == cap(r.Images) {
					s.flush() // strTo's pointers into the images move
				}
				r.Images = append(r.Images, Image{})
				im := &r.Images[len(r.Images)-1]
				if s.peek() != '{' {
					s.sub(im)
					continue
				}
				s.image(im)
			}
		case "cost":
			if s.peek() != '{' {
				s.sub(&r.Cost)
				continue
			}
			if s.parts != nil {
				r.Cost = &s.parts.cost
			} else {
				r.Cost = new(Cost)
			}
			s.cost(r.Cost)
		case "prompt_enhance":
			s.sub(&r.PromptEnhance)
		case "size_auto":
			s.sub(&r.SizeAuto)
		default:
			s.skip()
		}
	}
}

func (s *taskScanner) image(im *Image) {
	s.open()
	var seen uint32
	for n := 0; ; n++ {
		name, ok := s.key(n, imageNames, &seen)
		if !ok {
			return
		}
		switch name {
		case "status":
			im.Status = ImageStatus(s.status())
		case "id":
			s.strTo(&im.ID)
		case "url":
			s.strTo(&im.URL)
		case "cost":
			if s.peek() != '"' {
				s.sub(&im.Cost)
				continue
			}
			var a *Amount
			if s.parts != nil && !s.parts.imageCostUsed {
				a, s.parts.imageCostUsed = &s.parts.imageCost, true
			} else {
				a = new(Amount)
			}
			*a = s.amount()
			im.Cost = a
		case "size":
			s.strTo(&im.Size)
		case "content_rating":
			s.sub(&im.ContentRating)
		case "error":
			s.sub(&im.Error)
		default:
			s.skip()
		}
	}
}

func (s *taskScanner) cost(c *Cost) {
	s.open()
	var seen uint32
	for n := 0; ; n++ {
		name, ok := s.key(n, costNames, &seen)
		if !ok {
			return
		}
		switch name {
		case "images":
			s.amountInto(&c.Images)
		case "total":
			s.amountInto(&c.Total)
		case "fee":
			if s.peek() != '"' {
				s.sub(&c.Fee)
				continue
			}
			a := new(Amount)
			*a = s.amount()
			c.Fee = a
		case "magic_prompt":
			s.sub(&c.MagicPrompt)
		default:
			s.skip()
		}
	}
}

// amountInto reads an amount in its string form itself, any other value
// through json.Unmarshal.
func (s *taskScanner) amountInto(a *Amount) {
	if s.peek() != '"' {
		s.sub(a)
		return
	}
	*a = s.amount()
}

// amount reads an amount's string form, as Amount.UnmarshalJSON does.
// The plain form Mynth sends ("0.01250000") is read from the body's bytes
// without a string; any other goes through ParseAmount.
func (s *taskScanner) amount() Amount {
	if s.peek() == '"' {
		if a, n, ok := plainAmount(s.b[s.i+1:]); ok {
			s.i += n + 2
			return a
		}
	}
	str := s.str()
	if s.bad {
		return Amount{}
	}
	a, err := ParseAmount(str)
	if err != nil {
		s.fail()
	}
	return a
}

// plainAmount reads the amount at the start of b when it is a plain
// decimal, [-]digits[.digits] with at most 18 digits, followed by the
// closing quote: n is its length. That is the amount ParseAmount gives
// for the same text, the same decimal value and exponent, made without
// the text as a string. ok is false for anything else (the caller takes
// ParseAmount's way, which decides).
func plainAmount(b []byte) (a Amount, n int, ok bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		n++
	}
	var v int64
	digits, frac, dot := 0, 0, false
	for ; n < len(b); n++ {
		c := b[n]
		switch {
		case '0' <= c && c <= '9':
			v = v*10 + int64(c-'0')
			if digits++; dot {
				frac++
			}
		case c == '.' && !dot && digits > 0:
			dot = true
		case c == '"' && digits > 0 && digits <= 18 && (!dot || frac > 0):
			if neg {
				v = -v
			}
			return Amount{d: decimal.New(v, int32(-frac))}, n, true
		default:
			return Amount{}, 0, false
		}
		if digits > 18 {
			return Amount{}, 0, false
		}
	}
	return Amount{}, 0, false
}
