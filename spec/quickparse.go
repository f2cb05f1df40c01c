package spec

import (
	"unicode/utf8"

	"github.com/apparentlymart/go-textseg/v15/textseg"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// quickParse parses src, one piece of a native-syntax file that starts at
// start (see parseNative), when the piece is a single top-level block
// written in the plain subset of HCL that hand-written specs mostly use,
// and returns the body hclsyntax.ParseConfig returns for it: the same
// nodes, values and ranges. ok is false for anything outside the subset,
// which the caller then gives to hclsyntax.
//
// hclsyntax lexes a piece into a slice of tokens (a hundred bytes each,
// with every source position counted out) before it parses; for a task
// block that is most of the cost of loading it. The subset is read in one
// pass over the bytes instead:
//
//   - a block: a type, quoted labels without escapes or template
//     sequences, "{" at the end of the line, a body, "}" on a line of its
//     own; nested blocks the same, without labels' restrictions relaxed;
//   - an attribute, one per line: name = expression;
//   - an expression: a quoted string without escapes or directives
//     whose only template sequences interpolate a reference, with nothing
//     else between the braces ("${var.model}"; "\", "%", "$${" and any
//     other "$" are left to hclsyntax), a whole number, true, false,
//     null, a reference (var.model, each.key: names joined by dots), a
//     list of those, on one line or several, or an object of them,
//     { name = expression }, its items separated by commas or line ends,
//     each name a bare one that is no keyword, with no comment inside;
//   - spaces, blank lines, and # and // comments that end a line.
//
// Tabs, carriage returns, control characters and invalid UTF-8 are left
// to hclsyntax, which has a diagnostic for each; so is any attribute set
// twice. TestQuickParseMatchesHCL and FuzzQuickParse hold the promise: a
// piece quickParse accepts parses in hclsyntax without diagnostics, to a
// body deeply equal to this one.
func quickParse(src []byte, filename string, start hcl.Pos) (body *hclsyntax.Body, ok bool) {
	p := &quickParser{src: src, pos: start, filename: filename}
	if len(src) == 0 || !isIdentStart(src[0]) {
		return nil, false
	}
	first := p.pos
	block, ok := p.block()
	if !ok {
		return nil, false
	}
	for p.i < len(src) { // blank lines and comments up to the next block
		p.spaces()
		if p.i == len(src) {
			break
		}
		if !p.lineEnd() {
			return nil, false
		}
	}
	eof := p.pos
	return &hclsyntax.Body{
		Attributes: hclsyntax.Attributes{},
		Blocks:     hclsyntax.Blocks{block},
		SrcRange:   hcl.Range{Filename: filename, Start: first, End: eof},
		EndRange:   hcl.Range{Filename: filename, Start: eof, End: eof},
	}, true
}

// quickMaxDepth bounds the nesting of blocks and lists quickParse reads;
// anything deeper goes to hclsyntax.
const quickMaxDepth = 16

// quickParser reads one piece: src[i] is at pos.
type quickParser struct {
	src      []byte
	i        int
	pos      hcl.Pos
	filename string
	depth    int
}

// skip moves over n bytes of ASCII that hold no newline.
func (p *quickParser) skip(n int) {
	p.i += n
	p.pos.Byte += n
	p.pos.Column += n
}

func (p *quickParser) newline() {
	p.i++
	p.pos.Byte++
	p.pos.Line++
	p.pos.Column = 1
}

// rng is the range from start to the current position.
func (p *quickParser) rng(start hcl.Pos) hcl.Range {
	return hcl.Range{Filename: p.filename, Start: start, End: p.pos}
}

func (p *quickParser) peek() byte {
	if p.i < len(p.src) {
		return p.src[p.i]
	}
	return 0
}

func (p *quickParser) spaces() {
	n := 0
	for p.i+n < len(p.src) && p.src[p.i+n] == ' ' {
		n++
	}
	p.skip(n)
}

// lineEnd moves over a newline, or a # or // comment and the newline that
// ends it, and reports whether one was there.
func (p *quickParser) lineEnd() bool {
	switch {
	case p.peek() == '\n':
		p.newline()
		return true
	case p.peek() == '#', p.peek() == '/' && p.i+1 < len(p.src) && p.src[p.i+1] == '/':
		end := p.i
		for end < len(p.src) && p.src[end] != '\n' {
			c := p.src[end]
			if c == '\r' || c == '\t' || c < 0x20 || c == 0x7f {
				return false
			}
			end++
		}
		if end == len(p.src) || !utf8.Valid(p.src[p.i:end]) {
			return false
		}
		// The comment's columns do not matter: its newline resets them.
		p.pos.Byte += end - p.i
		p.i = end
		p.newline()
		return true
	}
	return false
}

// ident reads a name: an ASCII letter or underscore, then letters,
// digits, underscores and dashes. The byte after it must not continue a
// name in HCL's sense (a letter outside ASCII would).
func (p *quickParser) ident() (string, hcl.Range, bool) {
	if !isIdentStart(p.peek()) {
		return "", hcl.Range{}, false
	}
	n := 1
	for p.i+n < len(p.src) {
		c := p.src[p.i+n]
		if !isIdentStart(c) && !(c >= '0' && c <= '9') && c != '-' {
			break
		}
		n++
	}
	if p.i+n < len(p.src) && p.src[p.i+n] >= 0x80 {
		return "", hcl.Range{}, false
	}
	start := p.pos
	name := knownName(p.src[p.i : p.i+n])
	p.skip(n)
	return name, p.rng(start), true
}

// knownName is string(b), without an allocation when b is one of the
// names a spec writes in every block (block types, attributes, the roots
// of references).
func knownName(b []byte) string {
	switch string(b) {
	case "task":
		return "task"
	case "id":
		return "id"
	case "prompt":
		return "prompt"
	case "model":
		return "model"
	case "size":
		return "size"
	case "count":
		return "count"
	case "files":
		return "files"
	case "expect":
		return "expect"
	case "max_cost":
		return "max_cost"
	case "status":
		return "status"
	case "images":
		return "images"
	case "severity":
		return "severity"
	case "metadata":
		return "metadata"
	case "inputs":
		return "inputs"
	case "output":
		return "output"
	case "format":
		return "format"
	case "for_each":
		return "for_each"
	case "ignore_changes":
		return "ignore_changes"
	case "var":
		return "var"
	case "local":
		return "local"
	case "each":
		return "each"
	case "key":
		return "key"
	case "value":
		return "value"
	}
	return string(b)
}

// block reads a block from its type to the end of the line that closes
// it.
func (p *quickParser) block() (*hclsyntax.Block, bool) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > quickMaxDepth {
		return nil, false
	}
	typ, typeRange, ok := p.ident()
	if !ok {
		return nil, false
	}
	b := &hclsyntax.Block{Type: typ, TypeRange: typeRange}
	for {
		p.spaces()
		if p.peek() == '{' {
			break
		}
		if p.peek() != '"' {
			return nil, false
		}
		open := p.pos
		p.skip(1)
		n := 0
		for p.i+n < len(p.src) && p.src[p.i+n] != '"' {
			if c := p.src[p.i+n]; c < 0x20 || c >= 0x7f || c == '\\' || c == '$' || c == '%' {
				return nil, false
			}
			n++
		}
		if p.i+n == len(p.src) {
			return nil, false
		}
		label := string(p.src[p.i : p.i+n])
		p.skip(n + 1)
		b.Labels = append(b.Labels, label)
		b.LabelRanges = append(b.LabelRanges, p.rng(open))
	}
	openPos := p.pos
	p.skip(1)
	b.OpenBraceRange = p.rng(openPos)
	p.spaces()
	if !p.lineEnd() {
		return nil, false // a one-line block, or "{}"
	}
	body, closeRange, ok := p.body(b.OpenBraceRange)
	if !ok {
		return nil, false
	}
	b.Body, b.CloseBraceRange = body, closeRange
	p.spaces()
	if p.i < len(p.src) && !p.lineEnd() {
		return nil, false
	}
	return b, true
}

// body reads the items of a block's body after the line that opens it,
// up to and including its closing brace, whose range it returns.
func (p *quickParser) body(open hcl.Range) (*hclsyntax.Body, hcl.Range, bool) {
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, Blocks: hclsyntax.Blocks{}}
	for {
		p.spaces()
		switch c := p.peek(); {
		case c == '}':
			closePos := p.pos
			p.skip(1)
			body.SrcRange = hcl.RangeBetween(open, p.rng(closePos))
			body.EndRange = hcl.Range{Filename: p.filename, Start: p.pos, End: p.pos}
			return body, p.rng(closePos), true
		case isIdentStart(c):
			save := *p
			name, nameRange, _ := p.ident()
			p.spaces()
			if p.peek() == '"' || p.peek() == '{' {
				*p = save
				nb, ok := p.block()
				if !ok {
					return nil, hcl.Range{}, false
				}
				body.Blocks = append(body.Blocks, nb)
				continue
			}
			attr, ok := p.attribute(name, nameRange)
			if !ok {
				return nil, hcl.Range{}, false
			}
			if _, dup := body.Attributes[name]; dup {
				return nil, hcl.Range{}, false // hclsyntax reports it
			}
			body.Attributes[name] = attr
		default:
			if !p.lineEnd() {
				return nil, hcl.Range{}, false
			}
		}
	}
}

// attribute reads "= expression" and the end of its line.
func (p *quickParser) attribute(name string, nameRange hcl.Range) (*hclsyntax.Attribute, bool) {
	if p.peek() != '=' || p.i+1 < len(p.src) && (p.src[p.i+1] == '=' || p.src[p.i+1] == '>') {
		return nil, false
	}
	eq := p.pos
	p.skip(1)
	eqRange := p.rng(eq)
	p.spaces()
	expr, ok := p.expr()
	if !ok {
		return nil, false
	}
	end := expr.Range()
	p.spaces()
	if !p.lineEnd() {
		return nil, false
	}
	return &hclsyntax.Attribute{
		Name:        name,
		Expr:        expr,
		SrcRange:    hcl.RangeBetween(nameRange, end),
		NameRange:   nameRange,
		EqualsRange: eqRange,
	}, true
}

// expr reads one expression of the subset. What follows it is the
// caller's to check.
func (p *quickParser) expr() (hclsyntax.Expression, bool) {
	c := p.peek()
	switch {
	case c == '"':
		return p.quoted()
	case c >= '0' && c <= '9':
		n := 0
		for p.i+n < len(p.src) && p.src[p.i+n] >= '0' && p.src[p.i+n] <= '9' {
			n++
		}
		if p.i+n < len(p.src) {
			if c := p.src[p.i+n]; c == '.' || c == '-' || isIdentStart(c) || c >= 0x80 {
				return nil, false
			}
		}
		val, err := cty.ParseNumberVal(string(p.src[p.i : p.i+n]))
		if err != nil {
			return nil, false
		}
		start := p.pos
		p.skip(n)
		return &hclsyntax.LiteralValueExpr{Val: val, SrcRange: p.rng(start)}, true
	case c == '[':
		return p.tuple()
	case c == '{':
		return p.object()
	case isIdentStart(c):
		name, rng, ok := p.ident()
		if !ok {
			return nil, false
		}
		var lit cty.Value
		switch name {
		case "true":
			lit = cty.True
		case "false":
			lit = cty.False
		case "null":
			lit = cty.NullVal(cty.DynamicPseudoType)
		}
		if lit != cty.NilVal {
			if c := p.peek(); c == '.' || c == '[' {
				return nil, false
			}
			return &hclsyntax.LiteralValueExpr{Val: lit, SrcRange: rng}, true
		}
		tr, ok := p.traversal(name, rng)
		if !ok {
			return nil, false
		}
		if c := p.peek(); c == '[' || c == '(' || c == ':' {
			return nil, false
		}
		return tr, true
	}
	return nil, false
}

// traversal reads the rest of a reference whose first name, at rng, was
// just read: names joined by dots. What follows it is the caller's to
// check.
func (p *quickParser) traversal(name string, rng hcl.Range) (*hclsyntax.ScopeTraversalExpr, bool) {
	tr := &hclsyntax.ScopeTraversalExpr{
		Traversal: hcl.Traversal{hcl.TraverseRoot{Name: name, SrcRange: rng}},
		SrcRange:  rng,
	}
	for p.peek() == '.' {
		dot := p.pos
		p.skip(1)
		attr, _, ok := p.ident()
		if !ok {
			return nil, false
		}
		step := p.rng(dot)
		tr.Traversal = append(tr.Traversal, hcl.TraverseAttr{Name: attr, SrcRange: step})
		tr.SrcRange.End = step.End
	}
	return tr, true
}

// quoted reads a quoted string without escapes or template sequences.
func (p *quickParser) quoted() (hclsyntax.Expression, bool) {
	open := p.pos
	p.skip(1)
	n, ascii, ok := p.textRun()
	if !ok {
		return nil, false
	}
	if p.src[p.i+n] == '$' {
		return p.template(open)
	}
	text := p.src[p.i : p.i+n]
	nodes := &quotedNodes{}
	if n > 0 {
		litStart := p.pos
		if !p.text(n, ascii) {
			return nil, false
		}
		nodes.lit = hclsyntax.LiteralValueExpr{Val: cty.StringVal(string(text)), SrcRange: p.rng(litStart)}
	}
	p.skip(1)
	if n == 0 {
		// hclsyntax reads "" as an empty literal placed just after the
		// closing quote (the start of the token after the opening one
		// ends there).
		nodes.lit = hclsyntax.LiteralValueExpr{Val: cty.StringVal(""), SrcRange: p.rng(p.pos)}
	}
	nodes.parts[0] = &nodes.lit
	nodes.tmpl = hclsyntax.TemplateExpr{Parts: nodes.parts[:], SrcRange: p.rng(open)}
	return &nodes.tmpl, true
}

// template reads the rest of a quoted string, from just after its
// opening quote at open, that interpolates references: literal text and
// ${name.name...} sequences with nothing else between the braces. As
// hclsyntax reads it, it is a template of the literals and references in
// order, or, when it is one interpolation alone, that reference wrapped.
func (p *quickParser) template(open hcl.Pos) (hclsyntax.Expression, bool) {
	var parts []hclsyntax.Expression
	for {
		n, ascii, ok := p.textRun()
		if !ok {
			return nil, false
		}
		if n > 0 {
			text := p.src[p.i : p.i+n]
			start := p.pos
			if !p.text(n, ascii) {
				return nil, false
			}
			parts = append(parts, &hclsyntax.LiteralValueExpr{Val: cty.StringVal(string(text)), SrcRange: p.rng(start)})
		}
		if p.peek() == '"' {
			break
		}
		p.skip(2) // ${
		name, rng, ok := p.ident()
		if !ok || templateKeyword(name) {
			return nil, false
		}
		tr, ok := p.traversal(name, rng)
		if !ok || p.peek() != '}' {
			return nil, false
		}
		p.skip(1)
		parts = append(parts, tr)
	}
	p.skip(1)
	if len(parts) == 1 {
		if tr, ok := parts[0].(*hclsyntax.ScopeTraversalExpr); ok {
			return &hclsyntax.TemplateWrapExpr{Wrapped: tr, SrcRange: p.rng(open)}, true
		}
	}
	return &hclsyntax.TemplateExpr{Parts: parts, SrcRange: p.rng(open)}, true
}

// textRun measures the text of a quoted string from p.i up to its
// closing quote or its first "${", at p.i+n: n bytes, all ASCII or not.
// ok is false when the piece ends first or the text holds a byte
// quickParse leaves to hclsyntax (a control character, an escape, or a
// "$" or "%" that starts no interpolation).
func (p *quickParser) textRun() (n int, ascii, ok bool) {
	ascii = true
	for ; p.i+n < len(p.src); n++ {
		c := p.src[p.i+n]
		if c == '"' || c == '$' && p.i+n+1 < len(p.src) && p.src[p.i+n+1] == '{' {
			return n, ascii, true
		}
		if c < 0x20 || c == 0x7f || c == '\\' || c == '$' || c == '%' {
			return n, ascii, false
		}
		ascii = ascii && c < 0x80
	}
	return n, ascii, false
}

// gap moves over spaces and newlines.
func (p *quickParser) gap() {
	for {
		p.spaces()
		if p.peek() != '\n' {
			return
		}
		p.newline()
	}
}

// enter moves over the opening bracket of a list or an object, one level
// deeper, and returns where it is; ok is false past quickMaxDepth. A
// deferred leave goes back up.
func (p *quickParser) enter() (open hcl.Pos, openRange hcl.Range, ok bool) {
	p.depth++
	if p.depth > quickMaxDepth {
		return open, openRange, false
	}
	open = p.pos
	p.skip(1)
	return open, p.rng(open), true
}

func (p *quickParser) leave() { p.depth-- }

// object reads an object of the subset: items name = expression, each
// name a bare name that is no keyword, separated by a comma or the end of
// a line, blank lines allowed between them, no comment.
func (p *quickParser) object() (hclsyntax.Expression, bool) {
	defer p.leave()
	open, openRange, ok := p.enter()
	if !ok {
		return nil, false
	}
	var items []hclsyntax.ObjectConsItem
	for {
		p.spaces()
		switch p.peek() {
		case '\n':
			p.newline()
			continue
		case '}':
			p.skip(1)
			return &hclsyntax.ObjectConsExpr{Items: items, SrcRange: p.rng(open), OpenRange: openRange}, true
		}
		name, rng, ok := p.ident()
		if !ok || templateKeyword(name) {
			return nil, false
		}
		p.spaces()
		if p.peek() != '=' || p.i+1 < len(p.src) && (p.src[p.i+1] == '=' || p.src[p.i+1] == '>') {
			return nil, false
		}
		p.skip(1)
		p.spaces()
		val, ok := p.expr()
		if !ok {
			return nil, false
		}
		key := &hclsyntax.ScopeTraversalExpr{Traversal: hcl.Traversal{hcl.TraverseRoot{Name: name, SrcRange: rng}}, SrcRange: rng}
		items = append(items, hclsyntax.ObjectConsItem{KeyExpr: &hclsyntax.ObjectConsKeyExpr{Wrapped: key}, ValueExpr: val})
		p.spaces()
		switch p.peek() {
		case ',':
			p.skip(1)
		case '\n':
			p.newline()
		case '}':
		default:
			return nil, false
		}
	}
}

// afterElement moves over what follows an element of a list: spaces and
// newlines, and a comma with the spaces and newlines after it. It reports
// false when neither a comma nor the closing bracket follows.
func (p *quickParser) afterElement() bool {
	p.gap()
	if p.peek() == ',' {
		p.skip(1)
		p.gap()
		return true
	}
	return p.peek() == ']'
}

// templateKeyword reports whether name is one quickParse leaves to
// hclsyntax at the start of an interpolation: a literal's, or a
// template directive's.
func templateKeyword(name string) bool {
	switch name {
	case "true", "false", "null", "for", "in", "if", "else", "endif", "endfor":
		return true
	}
	return false
}

// text moves over n bytes of a quoted string's text, which hold no
// newline, counting columns as hclsyntax's lexer does (grapheme
// clusters); ascii says the bytes are all ASCII. It reports false for
// invalid UTF-8.
func (p *quickParser) text(n int, ascii bool) bool {
	if ascii {
		p.skip(n)
		return true
	}
	text := p.src[p.i : p.i+n]
	if !utf8.Valid(text) {
		return false
	}
	cols := 0
	for b := text; len(b) > 0; cols++ {
		advance, _, _ := textseg.ScanGraphemeClusters(b, true)
		b = b[advance:]
	}
	p.i += n
	p.pos.Byte += n
	p.pos.Column += cols
	return true
}

// quotedNodes are the nodes of a quoted string, allocated together: the
// template, its one part and the literal that part is. They live and die
// together (a tree holds the template, which holds the rest).
type quotedNodes struct {
	tmpl  hclsyntax.TemplateExpr
	parts [1]hclsyntax.Expression
	lit   hclsyntax.LiteralValueExpr
}

// tuple reads a list: expressions separated by commas, newlines and
// spaces allowed between them, a comma allowed after the last.
func (p *quickParser) tuple() (hclsyntax.Expression, bool) {
	defer p.leave()
	open, openRange, ok := p.enter()
	if !ok {
		return nil, false
	}
	var exprs []hclsyntax.Expression
	p.gap()
	for p.peek() != ']' {
		if p.peek() == 'f' && len(exprs) == 0 && p.i+3 <= len(p.src) && string(p.src[p.i:p.i+3]) == "for" {
			return nil, false // perhaps a for expression
		}
		e, ok := p.expr()
		if !ok {
			return nil, false
		}
		exprs = append(exprs, e)
		if !p.afterElement() {
			return nil, false
		}
	}
	p.skip(1)
	return &hclsyntax.TupleConsExpr{Exprs: exprs, SrcRange: p.rng(open), OpenRange: openRange}, true
}
