package spec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/mynthform/mynthform/mynth"
)

// quickTask decodes, in one pass over src and without a syntax tree, a
// piece that is one plain task block as most hand-written specs are: the
// piece quickParse would read, predecode would decode, and decoding would
// find nothing wrong in. It returns the block decoded, which is all
// that the loader keeps of it: no syntax tree, no hcl.Block (see
// quickBlock), and the position of the piece's end; ok is false for any
// other piece, which quickParse and predecode read as before.
//
// The subset is quickParse's, narrowed: a task block with one label that
// is a valid name, no nested block, and only the attributes id, prompt,
// model, size, count and files, each set once to a value that decoding
// accepts as it is: id a quoted task id, prompt and model quoted
// strings that are not blank (prompt of at most MaxPromptLength
// characters), size a quoted preset or WIDTHxHEIGHT, count a whole
// number from 1 to MaxCount, files a list of quoted paths, one per image,
// that ImagePathProblem accepts; and a prompt or an id. A quoted string
// here has no escape or template sequence. Anything else, and every
// block that decoding would report on, is left to the general path.
//
// text returns the whole file as a string, src being its piece from
// byte base on: the Task's strings are its substrings, so that a task
// costs no allocation per string. It is asked for only once the piece is
// read: a file none of whose pieces is needs no copy.
//
// TestQuickTaskMatchesPredecode and FuzzQuickTask hold the promise: a
// piece quickTask accepts gives the block's ranges, the Task and the
// task id (for Early) that quickParse and predecode give, and no
// diagnostic; TestQuickTaskMatchesSlowPath and FuzzPredecode hold whole
// files loaded in pieces to the same files loaded whole.
func quickTask(src []byte, text func() string, base int, filename string, start hcl.Pos, sizes presetSizes) (quickBlock, hcl.Pos, bool) {
	var no quickBlock
	if len(src) < 5 || string(src[:4]) != "task" || src[4] != ' ' && src[4] != '"' {
		return no, hcl.Pos{}, false
	}
	p := &quickParser{src: src, pos: start, filename: filename}
	first := p.pos
	p.skip(4)
	typeRange := p.rng(first)
	p.spaces()
	if p.peek() != '"' {
		return no, hcl.Pos{}, false
	}
	open := p.pos
	p.skip(1)
	n := 0
	for p.i+n < len(src) && src[p.i+n] != '"' {
		if c := src[p.i+n]; c < 0x20 || c >= 0x7f || c == '\\' || c == '$' || c == '%' {
			return no, hcl.Pos{}, false
		}
		n++
	}
	if p.i+n == len(src) {
		return no, hcl.Pos{}, false
	}
	label := quickSpan{p.i, p.i + n, true}
	p.skip(n + 1)
	labelRange := p.rng(open)
	p.spaces()
	if p.peek() != '{' {
		return no, hcl.Pos{}, false
	}
	p.skip(1)
	p.spaces()
	if !p.lineEnd() {
		return no, hcl.Pos{}, false
	}

	var attrs quickAttrs
	for {
		p.spaces()
		c := p.peek()
		if c == '}' {
			p.skip(1)
			break
		}
		if !isIdentStart(c) {
			if !p.lineEnd() {
				return no, hcl.Pos{}, false
			}
			continue
		}
		if !attrs.read(p) {
			return no, hcl.Pos{}, false
		}
	}
	end := p.pos // the block's, after its closing brace
	p.spaces()
	if p.i < len(src) && !p.lineEnd() {
		return no, hcl.Pos{}, false
	}
	for p.i < len(src) { // blank lines and comments up to the next block
		p.spaces()
		if p.i == len(src) {
			break
		}
		if !p.lineEnd() {
			return no, hcl.Pos{}, false
		}
	}

	// The piece is read: what remains is to decode it.
	whole := text()
	str := func(sp quickSpan) string {
		s := whole[base+sp.i : base+sp.j]
		if !sp.ascii {
			s = cty.NormalizeString(s)
		}
		return s
	}
	name := str(label)
	if !validIdentifier(name) {
		return no, hcl.Pos{}, false
	}
	// The block's DefRange, as hclsyntax.Block.DefRange makes it.
	decl := hcl.RangeBetween(typeRange, labelRange)
	task, ok := attrs.task(str, name, decl, sizes)
	if !ok {
		return no, hcl.Pos{}, false
	}
	return quickBlock{task: task, end: end.Byte}, p.pos, true
}

// quickBlock is all that the loader keeps of a block quickTask decoded:
// its Task, whose Name is the block's label and DeclRange its header's
// range, and the offset where the block ends (after its closing brace),
// for the file's headerNav. No hclsyntax.Block or hcl.Block is made for
// it.
type quickBlock struct {
	task *Task
	end  int
}

// quickLabelRange is the range of the label of t's block, which
// quickTask read: a quoted name of ASCII letters, digits, underscores
// and dashes, on one line, that ends the block's header.
func quickLabelRange(t *Task) hcl.Range {
	end := t.DeclRange.End
	n := len(t.Name) + 2
	return hcl.Range{Filename: t.DeclRange.Filename, Start: hcl.Pos{Line: end.Line, Column: end.Column - n, Byte: end.Byte - n}, End: end}
}

// quickTaskParts are a Task quickTask makes and what it points to,
// allocated together: they live as long as the Task. Its size, when a
// preset, is its Load's (presetSizes); another size and its files have
// allocations of their own: with them, the parts would take an
// allocation of 896 bytes, 768 without.
type quickTaskParts struct {
	task   Task
	prompt mynth.Prompt
	expect Expect
	// ranges holds the Ranges of a task that sets four attributes or
	// fewer; more take an array of their own.
	ranges [4]rangeItem
}

// presetSizes holds, for one Load, the Size of each of mynth.SizePresets
// in its order: the Request.Size of every task quickTask decodes with a
// preset size points at its preset's, which no one writes to (a Size of
// a Request is read, or replaced, never written to). A Size is 112
// bytes, for as long as its task lives.
type presetSizes []mynth.Size

// newPresetSizes returns the presetSizes of a Load.
func newPresetSizes() presetSizes {
	sizes := make(presetSizes, len(mynth.SizePresets))
	for i, p := range mynth.SizePresets {
		sizes[i] = mynth.Size{Preset: p}
	}
	return sizes
}

// size returns the Size that s, the string form of a size, decodes to
// (sizeFromString), shared when it is a preset; ok is false when s is
// not a size.
func (sizes presetSizes) size(s string) (*mynth.Size, bool) {
	lower := strings.ToLower(s)
	if i := presetIndex(lower); i >= 0 {
		return &sizes[i], true
	}
	sz, ok := wxhSize(lower)
	if !ok {
		return nil, false
	}
	return &sz, true
}

// The attributes quickTask reads, in the order of their names, which is
// the order of a Task's Ranges.
const (
	qaCount = iota
	qaFiles
	qaID
	qaModel
	qaPrompt
	qaSize
	quickAttrCount
)

var quickAttrNames = [quickAttrCount]string{"count", "files", "id", "model", "prompt", "size"}

// quickAttrs are the attributes of a block quickTask reads, as written.
type quickAttrs struct {
	set  [quickAttrCount]bool
	rng  [quickAttrCount]hcl.Range
	text [quickAttrCount]quickSpan // the text of a quoted one
	num  int                       // count
	// files: the first path's text, and the others'
	first quickSpan
	more  []quickSpan
	nList int
}

// quickSpan is where a string's text is in a piece, and whether it is
// ASCII.
type quickSpan struct {
	i, j  int
	ascii bool
}

// read reads one attribute line, from its name to the end of its line,
// and reports whether it is one quickTask takes.
func (a *quickAttrs) read(p *quickParser) bool {
	name, _, ok := p.ident()
	if !ok {
		return false
	}
	k := -1
	for i, n := range quickAttrNames {
		if n == name {
			k = i
		}
	}
	if k < 0 || a.set[k] {
		return false
	}
	a.set[k] = true
	p.spaces()
	if p.peek() != '=' || p.i+1 < len(p.src) && (p.src[p.i+1] == '=' || p.src[p.i+1] == '>') {
		return false
	}
	p.skip(1)
	p.spaces()
	start := p.pos
	switch k {
	case qaCount:
		n := 0
		for p.i+n < len(p.src) && p.src[p.i+n] >= '0' && p.src[p.i+n] <= '9' {
			n++
		}
		if n == 0 || n > 3 || p.src[p.i] == '0' {
			return false
		}
		if p.i+n < len(p.src) {
			if c := p.src[p.i+n]; c == '.' || c == '-' || isIdentStart(c) || c >= 0x80 {
				return false
			}
		}
		v := 0
		for _, c := range p.src[p.i : p.i+n] {
			v = v*10 + int(c-'0')
		}
		if v > MaxCount {
			return false
		}
		a.num = v
		p.skip(n)
	case qaFiles:
		if !a.readList(p) {
			return false
		}
	default:
		s, ok := quickString(p)
		if !ok {
			return false
		}
		a.text[k] = s
	}
	a.rng[k] = p.rng(start)
	p.spaces()
	return p.lineEnd()
}

// readList reads a list of quoted strings, as quickParse's tuple does.
func (a *quickAttrs) readList(p *quickParser) bool {
	if p.peek() != '[' {
		return false
	}
	p.skip(1)
	p.gap()
	for p.peek() != ']' {
		s, ok := quickString(p)
		if !ok {
			return false
		}
		if a.nList == 0 {
			a.first = s
		} else {
			a.more = append(a.more, s)
		}
		a.nList++
		if !p.afterElement() {
			return false
		}
	}
	p.skip(1)
	return true
}

// quickString reads a quoted string without escape or template sequence,
// as quickParse's quoted does, and returns where its text is.
func quickString(p *quickParser) (quickSpan, bool) {
	if p.peek() != '"' {
		return quickSpan{}, false
	}
	p.skip(1)
	n, ascii, ok := p.textRun()
	if !ok || p.src[p.i+n] != '"' {
		return quickSpan{}, false
	}
	sp := quickSpan{p.i, p.i + n, ascii}
	if !p.text(n, ascii) {
		return quickSpan{}, false
	}
	p.skip(1)
	return sp, true
}

// task is the Task the attributes decode to, as decodeInstance makes it,
// when decoding them finds nothing wrong; ok is false otherwise.
func (a *quickAttrs) task(str func(quickSpan) string, name string, decl hcl.Range, sizes presetSizes) (*Task, bool) {
	if !a.set[qaPrompt] && !a.set[qaID] {
		return nil, false // "Missing prompt"
	}
	var val [quickAttrCount]string
	for k, set := range a.set {
		if set && k != qaCount && k != qaFiles {
			val[k] = str(a.text[k])
		}
	}
	if a.set[qaID] && !validTaskID(val[qaID]) {
		return nil, false
	}
	if a.set[qaPrompt] {
		if summary, _ := promptProblem(val[qaPrompt]); summary != "" {
			return nil, false
		}
	}
	if a.set[qaModel] && strings.TrimSpace(val[qaModel]) == "" {
		return nil, false
	}
	var size *mynth.Size
	if a.set[qaSize] {
		var ok bool
		if size, ok = sizes.size(val[qaSize]); !ok {
			return nil, false
		}
	}
	count := 1
	if a.set[qaCount] {
		count = a.num
	}
	var first string
	var more []string
	if a.set[qaFiles] {
		if a.nList != count {
			return nil, false
		}
		if first = str(a.first); ImagePathProblem(first) != "" {
			return nil, false
		}
		if len(a.more) > 0 {
			more = make([]string, 0, len(a.more)+1)
			more = append(more, first)
			for _, sp := range a.more {
				f := str(sp)
				if ImagePathProblem(f) != "" {
					return nil, false
				}
				more = append(more, f)
			}
		}
	}

	parts := &quickTaskParts{}
	t := &parts.task
	t.Name, t.DeclRange = name, decl
	t.Address = t.Addr().String()
	n := 0
	for _, set := range a.set {
		if set {
			n++
		}
	}
	if n <= len(parts.ranges) {
		t.Ranges.items = parts.ranges[:0:n]
	} else {
		t.Ranges.items = make([]rangeItem, 0, n)
	}
	for k, set := range a.set {
		if set {
			t.Ranges.add(quickAttrNames[k], a.rng[k])
		}
	}
	t.ID = val[qaID]
	if a.set[qaPrompt] {
		parts.prompt.Positive = val[qaPrompt]
		t.Request.Prompt = &parts.prompt
	}
	t.Request.Model = val[qaModel]
	t.Request.Size = size
	if a.set[qaCount] {
		t.Request.Count = count
	}
	if a.set[qaFiles] {
		if more == nil {
			more = []string{first}
		}
		t.Files = more
	}
	parts.expect = Expect{Status: mynth.StatusCompleted, Images: count, Severity: SeverityError, DeclRange: decl}
	t.Expect = &parts.expect
	return t, true
}
