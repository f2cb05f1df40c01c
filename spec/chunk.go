package spec

import (
	"bytes"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// chunkBytes is the size from which a spec file in native syntax is
// parsed in pieces, one per top-level block: every file but an empty one.
// hclsyntax lexes a whole file into one token slice before it parses: on a
// file of 10,000 hand-written task blocks that slice grows to hundreds of
// thousands of tokens through repeated copies, and the lexer's long
// uninterruptible loop keeps the garbage collector waiting to stop it.
// Cut at its blocks, a file parses on every core, most blocks of a
// hand-written spec in quickParse's single pass, the others in hclsyntax,
// and the result is the same file. Small files gain as much: 10,000 blocks
// in 1,000 files of 1.3 KB cost 55-59 µs of CPU a task when files under
// 4 KB were left to hclsyntax, 36-40 µs cut (BenchmarkLoadSmallFiles10000).
const chunkBytes = 1

// parseNative parses src, the content of the native-syntax spec file
// filename, and registers it with the loader's parser (whose cache is what
// prints source snippets). A file of chunk bytes or more (chunkBytes when
// chunk is 0) is cut into pieces at the starts of top-level blocks and
// the pieces are parsed in parallel, each from its own position in the
// file, so every range is the one a parse of the whole file gives. When a
// piece has a top-level attribute, the whole file is parsed again in one
// piece. When pieces have diagnostics, brokenFile decides between theirs
// and those of hclsyntax's parse of the whole file.
//
// A block quickTask decodes is not in the file's body: its Task waits in
// the file's Nav (a headerNav's quick, in file order), which has its
// header all the same, for parseSpecFiles to put it among the file's task
// blocks.
func (l *loader) parseNative(src []byte, filename string, chunk int) (*hcl.File, hcl.Diagnostics) {
	if chunk <= 0 {
		chunk = chunkBytes
	}
	starts := blockStarts(src, chunk)
	if len(starts) == 0 {
		return l.parseWhole(src, filename)
	}
	pieces := make([]piece, len(starts))
	if l.preBody == nil {
		l.preBody = &hclsyntax.Body{}
	}
	if l.hollow && l.sizes == nil {
		l.sizes = newPresetSizes()
	}
	// The strings of the tasks quickTask decodes are cut from one copy
	// of the file, made when the first is.
	var textOnce sync.Once
	var text string
	fileText := func() string {
		textOnce.Do(func() { text = string(src) })
		return text
	}
	// eof is where the last piece ends, which quickTask tells.
	var eof hcl.Pos
	parallel(len(starts), func(i int) {
		end := len(src)
		if i+1 < len(starts) {
			end = starts[i+1].Byte
		}
		pc := &pieces[i]
		piece := src[starts[i].Byte:end]
		if l.hollow {
			if q, pieceEnd, ok := quickTask(piece, fileText, starts[i].Byte, filename, starts[i], l.sizes); ok {
				pc.quick, pc.clean = q, true
				if i == len(starts)-1 {
					eof = pieceEnd
				}
				l.early.tellTaskID(q.task.Address, q.task.ID)
				return
			}
		}
		if body, ok := quickParse(piece, filename, starts[i]); ok {
			pc.body, pc.clean = body, true
			l.early.tellTaskIDs(body)
			if l.hollow {
				// Dropped at once: the trees of a whole file never
				// live together. A predecoded block is found by
				// where it starts, and its body is one empty stub
				// that all share.
				if b := body.Blocks[0]; hollowable(b) {
					if pc.pre = l.predecode(b); pc.pre != nil {
						b.Body = l.preBody
					} else {
						b.Body, pc.lazy = hollowTask(b), true
					}
				}
			}
			return
		}
		f, diags := hclsyntax.ParseConfig(piece, filename, starts[i])
		body, ok := f.Body.(*hclsyntax.Body)
		pc.body, pc.clean, pc.diags = body, ok && len(diags) == 0 && len(body.Attributes) == 0, diags
		if pc.clean {
			l.early.tellTaskIDs(body)
		}
	})
	var diags hcl.Diagnostics
	for i := range pieces {
		diags = append(diags, pieces[i].diags...)
	}
	if len(diags) > 0 {
		return l.brokenFile(src, filename, pieces, diags, eof)
	}
	for i := range pieces {
		if !pieces[i].clean {
			return l.parseWhole(src, filename)
		}
	}
	// The maps are made at their size: grown an entry at a time, a map
	// of 100,000 entries is rehashed into ever larger tables.
	nPre, nLazy := 0, 0
	for i := range pieces {
		pc := &pieces[i]
		switch {
		case pc.quick.task != nil: // counted by pieceNav
		case pc.pre != nil:
			nPre++
		case pc.lazy:
			nLazy++
		}
	}
	if l.pre == nil && nPre > 0 {
		l.pre = make(map[preKey]*predecoded, nPre)
	}
	if l.lazy == nil && nLazy > 0 {
		l.lazy = make(map[*hclsyntax.Body]lazyPiece, nLazy)
	}
	for i := range pieces {
		pc := &pieces[i]
		switch {
		case pc.quick.task != nil: // in the file's Nav (pieceNav)
		case pc.pre != nil:
			l.pre[preKey{filename, pc.body.Blocks[0].TypeRange.Start.Byte}] = pc.pre
		case pc.lazy:
			end := len(src)
			if i+1 < len(starts) {
				end = starts[i+1].Byte
			}
			l.lazy[pc.body.Blocks[0].Body] = lazyPiece{src: src[starts[i].Byte:end], filename: filename, start: starts[i]}
		}
	}
	root := mergeBodies(pieces, filename, eof)
	f := &hcl.File{Body: root, Bytes: src, Nav: pieceNav(pieces, filename)}
	l.parser.AddFile(filename, f)
	return f, nil
}

// piece is what parseNative makes of one piece of a file: the block
// quickTask decoded (quick.task set), or the piece's body, and what
// predecode made of its block (pre), or whether hollowTask hollowed it
// (lazy: its body is the stub).
type piece struct {
	quick       quickBlock
	body        *hclsyntax.Body
	diags       hcl.Diagnostics
	pre         *predecoded
	clean, lazy bool
}

// brokenFile decides what a file whose pieces have diagnostics reports.
// hclsyntax parses the whole file too, and judges: a file it finds no
// error in was cut where it should not have been, and its parse is the
// file's. Otherwise the pieces' diagnostics stand when the first of them
// is where hclsyntax's first is and they are no more than hclsyntax's;
// else hclsyntax's stand. An unterminated quoted string is why: hclsyntax
// carries the string on to the next quote, which turns every later string
// of the file inside out, with an error on nearly every line after it
// (5,999 for one missing quote in a file of 2,000 task blocks); the piece
// that holds it, ending at the next top-level block, reports a handful,
// and the other pieces none.
func (l *loader) brokenFile(src []byte, filename string, pieces []piece, diags hcl.Diagnostics, eof hcl.Pos) (*hcl.File, hcl.Diagnostics) {
	whole, wd := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if !wd.HasErrors() || len(diags) > len(wd) || firstByte(diags) != firstByte(wd) {
		l.parser.AddFile(filename, whole)
		if body, ok := whole.Body.(*hclsyntax.Body); ok && len(wd) == 0 {
			l.early.tellTaskIDs(body)
		}
		return whole, wd
	}
	// A syntax error ends the load: only the file's Nav, which names the
	// block around each error, needs the blocks quickTask decoded.
	root := mergeBodies(pieces, filename, eof)
	f := &hcl.File{Body: root, Bytes: src, Nav: pieceNav(pieces, filename)}
	l.parser.AddFile(filename, f)
	return f, diags
}

// firstByte is the offset of the earliest subject among diags, -1 when
// none has one.
func firstByte(diags hcl.Diagnostics) int {
	first := -1
	for _, d := range diags {
		if d.Subject != nil && (first < 0 || d.Subject.Start.Byte < first) {
			first = d.Subject.Start.Byte
		}
	}
	return first
}

// mergeBodies is the body of a file parsed in pieces: the top-level
// blocks of the pieces' bodies, in order (a piece hclsyntax could not
// parse may have none; a piece quickTask decoded has none). Its range
// runs from the first piece's start to the last's end; eof is the end of
// the file's last piece when quickTask decoded it.
func mergeBodies(pieces []piece, filename string, eof hcl.Pos) *hclsyntax.Body {
	n := 0
	for i := range pieces {
		if b := pieces[i].body; b != nil {
			n += len(b.Blocks)
		}
	}
	root := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, Blocks: make(hclsyntax.Blocks, 0, n)}
	var first, last *piece
	for i := range pieces {
		if pc := &pieces[i]; pc.body != nil || pc.quick.task != nil {
			if first == nil {
				first = pc
			}
			last = pc
		}
	}
	if first == nil {
		return root
	}
	var start hcl.Pos
	if first.body != nil {
		start = first.body.SrcRange.Start
	} else {
		start = first.quick.task.DeclRange.Start // where its piece starts
	}
	end, endRange := eof, hcl.Range{Filename: filename, Start: eof, End: eof}
	if last.body != nil {
		end, endRange = last.body.SrcRange.End, last.body.EndRange
	}
	root.SrcRange = hcl.Range{Filename: filename, Start: start, End: end}
	root.EndRange = endRange
	for i := range pieces {
		if b := pieces[i].body; b != nil {
			root.Blocks = append(root.Blocks, b.Blocks...)
		}
	}
	return root
}

// lazyPiece is a plain task block whose syntax tree the loader dropped
// after parsing it (see hollowTask) without decoding it: the piece of its
// file that quickParse reads it from again when the task is decoded.
type lazyPiece struct {
	src      []byte
	filename string
	start    hcl.Pos
}

// predecoded is a task block decoded as soon as it was parsed (see
// predecode): its Task, and the diagnostics of decoding its structure
// (block) and its instance, kept apart as decodeTasks reports them. Its
// name and ranges are its block's header's: it keeps nothing more of
// the block.
type predecoded struct {
	task        *Task
	block, inst hcl.Diagnostics
}

// preKey is where a predecoded block starts: its file and the offset of
// its type.
type preKey struct {
	filename string
	byte     int
}

// preKeyOf is b's preKey.
func preKeyOf(b *hcl.Block) preKey {
	return preKey{b.TypeRange.Filename, b.TypeRange.Start.Byte}
}

// predecode decodes b, a task block that hollowTask hollows, at once,
// when what decoding it gives cannot depend on anything outside it: every
// attribute of its body and of its nested blocks is a literal (see
// literalValue), which refers to no variable or function, none is inputs
// (decoded once every task is) or access_token (a secret the loader
// notes only once the spec parses), and its name is valid. It returns nil
// for any other block, which is read again when the tasks are decoded.
// The decode is decodeTaskBlock's and decodeInstance's, the ones every
// task goes through: its Task and diagnostics are theirs. A decoded block
// needs no second parse, and its tree is garbage as soon as it is.
func (l *loader) predecode(b *hclsyntax.Block) *predecoded {
	if !validIdentifier(b.Labels[0]) || !literalBody(b.Body) {
		return nil
	}
	for _, name := range []string{"inputs", "access_token", "for_each"} {
		if _, ok := b.Body.Attributes[name]; ok {
			return nil
		}
	}
	for _, nb := range b.Body.Blocks {
		if !literalBody(nb.Body) {
			return nil
		}
	}
	tb, bd := decodeTaskBlock(b.AsHCLBlock())
	if tb == nil || tb.Inputs != nil || tb.ForEach != nil {
		return nil
	}
	task, id := l.decodeInstance(tb, nil)
	return &predecoded{
		task:  task,
		block: bd,
		inst:  id,
	}
}

// literalBody reports whether every attribute of body is a literal.
func literalBody(body *hclsyntax.Body) bool {
	for _, a := range body.Attributes {
		if _, ok := literalValue(a.Expr, 0); !ok {
			return false
		}
	}
	return true
}

// hollowTask returns an empty body to stand for the body of b, when b is a
// task block without for_each whose tree the loader may drop until it
// decodes the task, else nil. Parsed all at once, the trees of 10,000
// task blocks are most of the loader's peak memory; read again one by one
// as the tasks are decoded, they are garbage as soon as each task is.
// A for_each block keeps its tree: its keys are evaluated before its
// instances are, and it has many instances to share the tree.
func hollowTask(b *hclsyntax.Block) *hclsyntax.Body {
	if !hollowable(b) {
		return nil
	}
	// No attributes map: the stub is never read as a body, only looked
	// up (its Attributes are nil, which reads as empty).
	return &hclsyntax.Body{SrcRange: b.Body.SrcRange, EndRange: b.Body.EndRange}
}

// hollowable reports whether hollowTask hollows b: a task block with one
// label and no for_each.
func hollowable(b *hclsyntax.Block) bool {
	if b.Type != "task" || len(b.Labels) != 1 {
		return false
	}
	_, ok := b.Body.Attributes["for_each"]
	return !ok
}

// reparse returns the task block a hollowed body stands for, read again
// from its piece, or nil when body is not a hollowed one.
func (l *loader) reparse(body hcl.Body) *hcl.Block {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	p, ok := l.lazy[sb]
	if !ok {
		return nil
	}
	full, ok := quickParse(p.src, p.filename, p.start)
	if !ok || len(full.Blocks) != 1 {
		// quickParse accepted the piece once and reads it the same way
		// every time; hclsyntax reads it to the same tree all the same.
		f, _ := hclsyntax.ParseConfig(p.src, p.filename, p.start)
		full = f.Body.(*hclsyntax.Body)
	}
	return full.Blocks[0].AsHCLBlock()
}

// parseWhole parses src, the content of the native-syntax spec file
// filename, in one piece, and tells l.early its task ids when it parses
// cleanly.
func (l *loader) parseWhole(src []byte, filename string) (*hcl.File, hcl.Diagnostics) {
	f, diags := l.parser.ParseHCL(src, filename)
	if f == nil || len(diags) > 0 {
		return f, diags
	}
	if body, ok := f.Body.(*hclsyntax.Body); ok {
		l.early.tellTaskIDs(body)
	}
	return f, diags
}

// blockStarts returns where to cut src, when it holds min bytes or more,
// into pieces of one top-level block each: the position of the first byte
// of each piece, the first being the start of the file. A piece begins
// only at the start of a line that opens a top-level block (an identifier
// in the first column, outside any bracket, string, heredoc or comment).
// The scan is a cheap approximation of HCL's lexer; a cut it gets wrong
// leaves a piece that does not parse cleanly, and parseNative then parses
// the whole file too (brokenFile). In a broken file it recovers as the
// pieces' diagnostics need: a quoted string ends at its line, a stray
// closing bracket is ignored, and the cuts before an unclosed bracket,
// string or comment stand.
func blockStarts(src []byte, min int) []hcl.Pos {
	if len(src) < min {
		return nil
	}
	// Room for a block every 256 bytes at first (hand-written task
	// blocks take about 130), then twice as much each time: append's
	// growth by a quarter would copy the slice over and over.
	starts := make([]hcl.Pos, 1, 1+len(src)/256)
	starts[0] = hcl.InitialPos
	depth := 0         // brackets open outside strings
	var stack []byte   // open string-like contexts: '"' a string, '{' an interpolation
	var heredoc []byte // the closing marker of an open heredoc, if any
	line := 1
	for i := 0; i < len(src); i++ {
		// Bytes that change nothing are passed over in runs: in a
		// heredoc all but newlines, in a quoted string its text, in code
		// all but the brackets, quotes, comments and heredocs it reads.
		switch {
		case len(heredoc) > 0:
			j := bytes.IndexByte(src[i:], '\n')
			if j < 0 {
				i = len(src)
			} else {
				i += j
			}
		case len(stack) > 0 && stack[len(stack)-1] == '"':
			for i < len(src) && stops[src[i]]&stopStringLine == 0 {
				i++
			}
		default:
			for i < len(src) && stops[src[i]]&stopCodeLine == 0 {
				i++
			}
		}
		if i == len(src) {
			break
		}
		c := src[i]
		if c == '\n' {
			line++
			if len(heredoc) > 0 {
				rest := src[i+1:]
				if j := bytes.IndexByte(rest, '\n'); j >= 0 {
					rest = rest[:j]
				}
				if bytes.Equal(bytes.TrimSpace(rest), heredoc) {
					heredoc = nil
				}
				continue
			}
			if len(stack) > 0 && stack[len(stack)-1] == '"' {
				// A quoted string never holds a newline (hclsyntax reports
				// one): take it as ended, so that one missing quote leaves
				// the rest of the file's cuts where they belong.
				stack = stack[:len(stack)-1]
			}
			if depth == 0 && len(stack) == 0 && i+1 < len(src) && isIdentStart(src[i+1]) {
				if len(starts) == cap(starts) {
					starts = slices.Grow(starts, len(starts))
				}
				starts = append(starts, hcl.Pos{Line: line, Column: 1, Byte: i + 1})
			}
			continue
		}
		if len(heredoc) > 0 {
			continue
		}
		if len(stack) > 0 && stack[len(stack)-1] == '"' {
			switch {
			case c == '\\':
				i++
			case c == '"':
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
				i += 2 // $${ and %%{ are literal
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				stack = append(stack, '{')
				i++
			}
			continue
		}
		switch c {
		case '"':
			stack = append(stack, '"')
		case '#':
			i = lineEnd(src, i) - 1
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				i = lineEnd(src, i) - 1
			} else if i+1 < len(src) && src[i+1] == '*' {
				j := bytes.Index(src[i+2:], []byte("*/"))
				if j < 0 { // unterminated: the last piece holds it
					return starts
				}
				line += bytes.Count(src[i:i+2+j], []byte("\n"))
				i += j + 3
			}
		case '<':
			if i+2 < len(src) && src[i+1] == '<' {
				j := i + 2
				if src[j] == '-' {
					j++
				}
				k := j
				for k < len(src) && (isIdentStart(src[k]) || src[k] >= '0' && src[k] <= '9' || src[k] == '-') {
					k++
				}
				if k > j && k < len(src) && (src[k] == '\n' || src[k] == '\r') {
					heredoc = append([]byte(nil), src[j:k]...)
					i = k - 1
				}
			}
		case '{':
			if len(stack) > 0 {
				stack = append(stack, '{')
			} else {
				depth++
			}
		case '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			} else {
				depth--
			}
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		}
		if depth < 0 { // a stray closing bracket: its piece reports it
			depth = 0
		}
	}
	if len(heredoc) > 0 {
		// hclsyntax's scanner takes time quadratic in the rest of the
		// file after an unterminated heredoc: parse it once, whole.
		return nil
	}
	// An open string or bracket at the end is in the last piece, which
	// reports it.
	return starts
}

func lineEnd(src []byte, i int) int {
	if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(src)
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// blockHeader is a block's type and quoted labels, as hclsyntax's
// navigation names a block: task "hero".
func blockHeader(b *hclsyntax.Block) string {
	n := len(b.Type)
	for _, label := range b.Labels {
		n += len(label) + 3
	}
	buf := make([]byte, 0, n)
	buf = append(buf, b.Type...)
	for _, label := range b.Labels {
		buf = append(buf, ' ')
		buf = strconv.AppendQuote(buf, label) // as fmt's %q
	}
	return string(buf)
}

// sourcesOnly returns files with the syntax trees of native files dropped: what a
// diagnostic printer needs of a file is its bytes and the headers of its
// top-level blocks, and a syntax tree costs kilobytes per task for as long
// as the Spec lives (a plan of 100,000 tasks holds it to the end).
func sourcesOnly(files map[string]*hcl.File) map[string]*hcl.File {
	out := make(map[string]*hcl.File, len(files))
	for name, f := range files {
		if nav, ok := f.Nav.(headerNav); ok { // parsed in pieces
			out[name] = &hcl.File{Bytes: f.Bytes, Nav: nav}
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok { // JSON: its navigation is its own
			out[name] = f
			continue
		}
		nav := headerNav{file: name, blocks: make([]navBlock, 0, len(body.Blocks))}
		nav.add(body.Blocks)
		out[name] = &hcl.File{Bytes: f.Bytes, Nav: nav}
	}
	return out
}

// pieceNav is the Nav of a file parsed in pieces: the headers of the
// blocks of every piece, those quickTask decoded among them.
func pieceNav(pieces []piece, filename string) headerNav {
	n, nq := 0, 0
	for i := range pieces {
		if b := pieces[i].body; b != nil {
			n += len(b.Blocks)
		} else if pieces[i].quick.task != nil {
			nq++
		}
	}
	nav := headerNav{file: filename, blocks: make([]navBlock, 0, n)}
	if nq > 0 {
		nav.quick = make([]quickBlock, 0, nq)
	}
	for i := range pieces {
		pc := &pieces[i]
		if pc.quick.task != nil {
			nav.quick = append(nav.quick, pc.quick)
			continue
		}
		if pc.body != nil {
			nav.add(pc.body.Blocks)
		}
	}
	return nav
}

// headerNav is the hcl.File.Nav of a file whose syntax tree was dropped,
// or never made: the range and header of each top-level block, in file
// order. It answers as hclsyntax's own navigation of the file would.
type headerNav struct {
	file   string
	blocks []navBlock
	// quick are the blocks quickTask decoded, whose Tasks have their
	// ranges and names: 16 bytes a block, for as long as the Spec lives.
	// They are pieces of their own, which no other block overlaps.
	quick []quickBlock
}

// navBlock is one top-level block of a headerNav: it starts at start,
// its header (its DefRange) ends at defEnd, and the block at byte end.
type navBlock struct {
	start, defEnd hcl.Pos
	end           int
	header        string
}

// add appends the headers of blocks.
func (n *headerNav) add(blocks hclsyntax.Blocks) {
	for _, b := range blocks {
		def := b.DefRange()
		n.blocks = append(n.blocks, navBlock{start: def.Start, defEnd: def.End, end: b.Range().End.Byte, header: blockHeader(b)})
	}
}

// block returns the first top-level block around offset, nil when there
// is none.
func (n headerNav) block(offset int) *navBlock {
	for i := range n.blocks {
		if b := &n.blocks[i]; offset >= b.start.Byte && offset < b.end {
			return b
		}
	}
	return nil
}

// quickBlock returns the block quickTask decoded around offset, nil when
// there is none.
func (n headerNav) quickBlock(offset int) *Task {
	i := sort.Search(len(n.quick), func(i int) bool { return n.quick[i].task.DeclRange.Start.Byte > offset }) - 1
	if i < 0 || offset >= n.quick[i].end {
		return nil
	}
	return n.quick[i].task
}

// ContextString returns the header of the top-level block around offset.
func (n headerNav) ContextString(offset int) string {
	if t := n.quickBlock(offset); t != nil {
		return quickHeader(t.Name)
	}
	if b := n.block(offset); b != nil {
		return b.header
	}
	return ""
}

// ContextDefRange returns the definition range of the top-level block
// around offset.
func (n headerNav) ContextDefRange(offset int) hcl.Range {
	if t := n.quickBlock(offset); t != nil {
		return t.DeclRange
	}
	if b := n.block(offset); b != nil {
		return hcl.Range{Filename: n.file, Start: b.start, End: b.defEnd}
	}
	return hcl.Range{}
}

// quickHeader is the header of a task block named name with no other
// label, as blockHeader writes it.
func quickHeader(name string) string {
	return "task " + strconv.Quote(name)
}
