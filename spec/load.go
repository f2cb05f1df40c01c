package spec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/internal/graph"
	"github.com/zclconf/go-cty/cty"
)

// File name suffixes the loader reads.
const (
	// SpecSuffix marks a spec file in HCL's native syntax.
	SpecSuffix = ".mynth.hcl"
	// SpecJSONSuffix marks a spec file in HCL's JSON syntax.
	SpecJSONSuffix = ".mynth.json"
	// VarFileSuffix marks a variable-values file, passed with --var-file.
	VarFileSuffix = ".mynthvars.hcl"
	// EnvVarPrefix prefixes the environment variables that set variables:
	// MYNTH_VAR_<name>.
	EnvVarPrefix = "MYNTH_VAR_"
)

// LoadOptions are the inputs of Load beside the spec files.
type LoadOptions struct {
	// Vars are --var name=value arguments, in the order given; a later
	// one wins.
	Vars []string
	// VarFiles are --var-file paths, relative to the spec directory unless
	// absolute; a later file wins.
	VarFiles []string
	// Getenv reads MYNTH_VAR_<name>; nil means no environment, unless
	// Environ is set.
	Getenv func(string) string
	// Environ is the environment as KEY=VALUE strings, used when Getenv is
	// nil.
	Environ []string
	// Saved are the values a saved plan was made with: the weakest source
	// after the defaults, so that `apply PLANFILE` needs no --var, and any
	// other value given is seen (and refused by the caller).
	Saved map[string]cty.Value
	// Context, when set, ends a long evaluation: once it is done, no
	// further task instance is evaluated and Load returns an error
	// diagnostic saying it was interrupted. nil never ends.
	Context context.Context
	// Early, when set, is told what Load finds before it returns (see
	// Early): the literal task ids as the files parse, and the settings
	// before the tasks are evaluated.
	Early *Early

	// chunkBytes, when set, is the loader's chunkBytes (tests only).
	chunkBytes int
}

func (o LoadOptions) getenv() func(string) string {
	if o.Getenv != nil {
		return o.Getenv
	}
	if o.Environ == nil {
		return func(string) string { return "" }
	}
	env := make(map[string]string, len(o.Environ))
	for _, kv := range o.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return func(k string) string { return env[k] }
}

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "mynth"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "budget"},
		{Type: "task", LabelNames: []string{"name"}},
	},
}

// loader holds the state of one Load call: its own parser (whose file cache
// prints source snippets), the spec directory opened as an os.Root so that
// file functions cannot escape it, and the values evaluated so far.
type loader struct {
	// ctx0 ends a long evaluation (LoadOptions.Context).
	ctx0   context.Context
	dir    string
	parser *hclparse.Parser
	root   *os.Root

	variables map[string]*variable
	locals    map[string]*local
	ctx       *hcl.EvalContext

	// specFiles and varFiles are the names the parser read the spec
	// files and the variable files under.
	specFiles map[string]bool
	varFiles  []string

	// written are the access tokens as written, which source snippets
	// mask (noteSecret, maskSources); secretMu guards it.
	secretMu sync.Mutex
	written  []string

	// inputFiles reads and checks the files that inputs name, each once.
	inputFiles *inputFiles

	// early is LoadOptions.Early.
	early *Early

	// chunkBytes is the size from which a file is parsed in pieces;
	// 0 is chunkBytes. Tests set it small to cut every file.
	chunkBytes int

	// hollow has parseNative drop the syntax trees of plain task blocks
	// (hollowTask), which decodeTasks reads again from lazy, keyed by
	// the empty body that stands for each, or finds decoded in pre
	// (predecode), keyed by where each starts; lazy and pre are written
	// only while the files are parsed, one at a time, and read after.
	hollow bool
	lazy   map[*hclsyntax.Body]lazyPiece
	pre    map[preKey]*predecoded
	// preBody is the body of every predecoded block once its tree is
	// dropped: an empty stub, never read.
	preBody *hclsyntax.Body
	// sizes are the preset sizes the Tasks of the blocks quickTask
	// decoded share.
	sizes presetSizes
}

// Load reads every *.mynth.hcl and *.mynth.json file in dir as one spec.
// It returns every problem found as diagnostics, and the best partial Spec
// it could build; the Spec is never nil and its Files are always set, so
// that the diagnostics can be printed with source snippets.
func Load(dir string, opts LoadOptions) (*Spec, hcl.Diagnostics) {
	if dir == "" {
		dir = "."
	}
	l := &loader{dir: dir, parser: hclparse.NewParser(), chunkBytes: opts.chunkBytes, ctx0: opts.Context, early: opts.Early, inputFiles: &inputFiles{dir: dir}, hollow: true}
	if l.ctx0 == nil {
		l.ctx0 = context.Background()
	}
	sp := &Spec{
		Dir:      dir,
		Graph:    graph.New(),
		Settings: Settings{State: DefaultStatePath, Parallelism: DefaultParallelism},
	}
	diags := l.load(sp, opts)
	if l.root != nil {
		_ = l.root.Close()
	}
	l.inputFiles.close()
	l.recordSources(sp)
	sp.Files = sourcesOnly(l.parser.Files())
	l.hideVarFileSources(sp.Files)
	maskSources(sp.Files, l.secretTexts(sp))
	return sp, tidyDiagnostics(scrubDiagnostics(diags))
}

// hideVarFileSources removes the variable files from files when a
// sensitive variable is declared: a diagnostic about a variable file keeps
// its file and line, but the printer cannot show the line, which may hold
// the secret (an unquoted or unterminated value, say).
func (l *loader) hideVarFileSources(files map[string]*hcl.File) {
	sensitive := false
	for _, v := range l.variables {
		sensitive = sensitive || v.Sensitive
	}
	if !sensitive {
		return
	}
	for _, name := range l.varFiles {
		if !l.specFiles[name] {
			delete(files, name)
		}
	}
}

// load fills sp from the spec files of l.dir: it parses every file, declares
// the variables and locals, evaluates them, and then decodes the mynth and
// budget blocks and the tasks against them.
func (l *loader) load(sp *Spec, opts LoadOptions) hcl.Diagnostics {
	names, diags := l.openSpecDir()
	if diags.HasErrors() {
		return diags
	}
	blocks, taskDecls, syntax, pd := l.parseSpecFiles(names)
	if syntax.HasErrors() {
		// A file that does not parse has no trustworthy blocks: a
		// missing "}" nests every later block in the unclosed one, and
		// decoding them would report errors that are not there. Every
		// file's syntax errors are reported, and nothing more.
		return append(diags, syntax...)
	}
	diags = append(diags, syntax...)
	diags = append(diags, pd...)

	// Declarations first: variables and locals are what every other
	// expression may refer to.
	diags = append(diags, l.declareVariables(blocks["variable"])...)
	diags = append(diags, l.declareLocals(blocks["locals"])...)
	diags = append(diags, l.evaluateDeclarations(opts)...)

	diags = append(diags, l.decodeSettings(sp, blocks["mynth"], blocks["budget"])...)
	if e := l.early; e != nil && e.Settings != nil && !diags.HasErrors() {
		e.Settings(sp.Settings)
	}
	tasks, td := l.decodeTasks(taskDecls)
	diags = append(diags, td...)
	sp.Tasks = tasks
	diags = append(diags, checkAcrossTasks(sp.Tasks)...)
	diags = append(diags, buildGraph(sp)...)
	diags = append(diags, checkStateFiles(l.dir, sp.Settings, sp.Tasks)...)
	return diags
}

// openSpecDir opens l.dir as the loader's root and lists its spec files;
// it reports an error when the directory cannot be read or holds none.
func (l *loader) openSpecDir() ([]string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the spec directory",
			Detail:   fmt.Sprintf("%v. Run mynthform in the directory that holds your *.mynth.hcl files, or point at it with -C DIR.", err),
		})
	}
	l.root = root

	names, err := specFileNames(l.dir)
	if err != nil {
		return nil, diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the spec directory",
			Detail:   fmt.Sprintf("%v. Check the directory's permissions.", err),
		})
	}
	if len(names) == 0 {
		return nil, diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No spec files",
			Detail:   fmt.Sprintf("The directory %s holds no *%s or *%s file. Create one (for example main%s) with a task block, or point at the right directory with -C DIR.", l.dir, SpecSuffix, SpecJSONSuffix, SpecSuffix),
		})
	}
	return names, nil
}

// parseSpecFiles parses each named file of l.dir, as JSON or native syntax
// by its suffix, and returns the top-level blocks of all of them by block
// type, in file order, but for the task blocks, which are in tasks with
// the blocks quickTask decoded (quickBlocks), in file order; the diagnostics
// of reading and parsing the files (syntax), and those of their top-level
// content.
func (l *loader) parseSpecFiles(names []string) (map[string][]*hcl.Block, []taskDecl, hcl.Diagnostics, hcl.Diagnostics) {
	var syntax, diags hcl.Diagnostics
	blocks := map[string][]*hcl.Block{}
	var tasks []taskDecl
	l.specFiles = map[string]bool{}
	for _, name := range names {
		path := filepath.Join(l.dir, name)
		l.specFiles[path] = true
		f, fd := l.parseFile(path, strings.HasSuffix(name, SpecJSONSuffix), true)
		syntax = append(syntax, fd...)
		if f == nil || f.Body == nil {
			continue
		}
		content, cd := f.Body.Content(rootSchema)
		diags = append(diags, explainUnsupported(cd, "at the top level of a spec file", rootSchema, content)...)
		quick := quickBlocks(f, fd)
		if tasks == nil && len(quick) > 0 {
			tasks = make([]taskDecl, 0, len(quick)+len(content.Blocks))
		}
		for _, b := range content.Blocks {
			if b.Type != "task" {
				blocks[b.Type] = append(blocks[b.Type], b)
				continue
			}
			// The blocks of one file do not overlap: the quick ones
			// that start before b come before it.
			for len(quick) > 0 && quick[0].task.DeclRange.Start.Byte < b.DefRange.Start.Byte {
				tasks = append(tasks, taskDecl{quick: quick[0].task})
				quick = quick[1:]
			}
			tasks = append(tasks, taskDecl{block: b})
		}
		for _, q := range quick {
			tasks = append(tasks, taskDecl{quick: q.task})
		}
	}
	return blocks, tasks, syntax, diags
}

// quickBlocks returns the blocks quickTask decoded of f, a file as
// parseFile returned it with diags, in file order: they are in no file's
// body but in its Nav (parseNative). A file with diagnostics has none,
// though the Nav of one parsed in pieces (brokenFile) holds them to name
// the block around each error.
func quickBlocks(f *hcl.File, diags hcl.Diagnostics) []quickBlock {
	if nav, ok := f.Nav.(headerNav); ok && len(diags) == 0 {
		return nav.quick
	}
	return nil
}

// taskDecl is one task block: a block to decode, or one quickTask
// decoded as it parsed, which is its Task (quickLabelRange has its
// label's range).
type taskDecl struct {
	block *hcl.Block
	quick *Task
}

// parseFile reads and parses the file at path, in HCL's JSON syntax or
// its native one, after checking that it does not nest deeper than
// MaxNesting (which would exhaust the parser's stack). A file nested too
// deeply is not parsed: it is kept with an empty body and its source up to
// the refused opening, so that the diagnostic prints its line.
//
// A spec file in native syntax is parsed by parseNative (in pieces when it
// is large); a variable file, which holds attributes only, as a whole.
func (l *loader) parseFile(path string, isJSON, isSpec bool) (*hcl.File, hcl.Diagnostics) {
	if f := l.parser.Files()[path]; f != nil {
		return f, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read file",
			Detail:   fmt.Sprintf("The file %q could not be read: %v. Check that it exists and that its permissions let you read it.", path, errors.Unwrap(err)),
		}}
	}
	kind := nativeSyntax
	if isJSON {
		kind = jsonSyntax
	}
	if d := checkNesting(src, path, kind); d != nil {
		// The snippet ends at the refused opening: the rest of the line
		// may be a hundred thousand more.
		f := &hcl.File{Bytes: src[:d.Subject.End.Byte], Body: hcl.EmptyBody()}
		l.parser.AddFile(path, f)
		return f, hcl.Diagnostics{d}
	}
	switch {
	case isJSON:
		return l.parser.ParseJSON(src, path)
	case isSpec:
		return l.parseNative(src, path, l.chunkBytes)
	}
	return l.parser.ParseHCL(src, path)
}

// declareVariables decodes the variable blocks into l.variables, refusing
// a second declaration of a name.
func (l *loader) declareVariables(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.variables = map[string]*variable{}
	for _, b := range blocks {
		v, vd := decodeVariableBlock(b)
		diags = append(diags, vd...)
		if v == nil {
			continue
		}
		if prev, ok := l.variables[v.Name]; ok {
			diags = append(diags, duplicateDiag("variable", v.Name, v.DeclRange, prev.DeclRange))
			continue
		}
		l.variables[v.Name] = v
	}
	return diags
}

// declareLocals decodes the locals blocks into l.locals, refusing a second
// declaration of a name.
func (l *loader) declareLocals(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.locals = map[string]*local{}
	for _, b := range blocks {
		ls, ld := decodeLocalsBlock(b)
		diags = append(diags, ld...)
		for _, lc := range ls {
			if prev, ok := l.locals[lc.Name]; ok {
				diags = append(diags, duplicateDiag("local value", lc.Name, lc.Expr.Range(), prev.Expr.Range()))
				continue
			}
			l.locals[lc.Name] = lc
		}
	}
	return diags
}

// evaluateDeclarations assigns the variables their values and evaluates
// the locals, building l.ctx, the context every later expression is
// evaluated in: var.*, local.* and the functions.
func (l *loader) evaluateDeclarations(opts LoadOptions) hcl.Diagnostics {
	diags := l.assignVariables(opts)
	l.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{},
		Functions: l.functions(),
	}
	l.ctx.Variables["var"] = l.variableObject()
	diags = append(diags, l.evaluateLocals()...)
	l.ctx.Variables["local"] = l.localObject()
	return diags
}

// decodeSettings decodes the mynth block into sp.Settings and the budget
// block into sp.Budget; each may appear at most once.
func (l *loader) decodeSettings(sp *Spec, mynthBlocks, budgetBlocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if len(mynthBlocks) > 1 {
		diags = append(diags, duplicateDiag("mynth block", "", mynthBlocks[1].DefRange, mynthBlocks[0].DefRange))
	}
	if len(mynthBlocks) > 0 {
		diags = append(diags, l.decodeMynthBlock(mynthBlocks[0], &sp.Settings)...)
	}
	if len(budgetBlocks) > 1 {
		diags = append(diags, duplicateDiag("budget block", "", budgetBlocks[1].DefRange, budgetBlocks[0].DefRange))
	}
	if len(budgetBlocks) > 0 {
		b, bd := l.decodeBudgetBlock(budgetBlocks[0])
		diags = append(diags, bd...)
		sp.Budget = b
	}
	return diags
}

// decodeTasks decodes the task blocks and expands each into its instances,
// sorted by address; a task name declared twice is an error.
func (l *loader) decodeTasks(decls []taskDecl) ([]*Task, hcl.Diagnostics) {
	// Blocks and then instances are decoded on every core: each depends
	// only on the declarations evaluated before, which no longer change.
	// Diagnostics are gathered per block and instance and joined in block
	// order, so that they come out as a serial decode would give them.
	//
	// A block quickTask decoded is its Task. A hollowed block
	// (hollowTask) is read again and decoded by its instance's job: until
	// then its taskBlock holds only its name. A predecoded block has no
	// taskBlock: its Task is made, and its name (valid) and ranges are
	// its header's.
	type decoded struct {
		tb    *taskBlock
		pre   *predecoded
		diags hcl.Diagnostics
		// first and n are the block's instances in jobs.
		first, n int
		// lazy is set for a hollowed block; declared once its name is
		// found unique (and valid).
		lazy, declared bool
	}
	bs := make([]decoded, len(decls))
	parallel(len(decls), func(i int) {
		b := decls[i].block
		if b == nil {
			return
		}
		if p, ok := l.pre[preKeyOf(b)]; ok {
			bs[i].pre = p
			return
		}
		if _, ok := l.lazy[blockBody(b)]; ok {
			bs[i].lazy = true
			bs[i].tb, bs[i].diags = taskBlockHeader(b)
			return
		}
		bs[i].tb, bs[i].diags = decodeTaskBlock(b)
	})

	// Names are checked in file order, and for_each expanded, serially.
	type job struct {
		tb *taskBlock
		// block is the hollowed block to read again, nil for the others.
		block *hcl.Block
		key   *instanceKey
		task  *Task
		diags hcl.Diagnostics
	}
	nJobs := 0
	for i := range bs {
		if decls[i].quick == nil && bs[i].pre == nil {
			nJobs++
		}
	}
	jobs := make([]job, 0, nJobs)
	// seenName holds the declaration range of each name declared.
	seenName := make(map[string]*hcl.Range, len(decls))
	infos := map[string]*taskInfo{}
	nDone := 0 // blocks decoded as they were parsed, and declared
	for i := range bs {
		b := &bs[i]
		var name string
		var decl *hcl.Range
		switch blk := decls[i].block; {
		case decls[i].quick != nil:
			name, decl = decls[i].quick.Name, &decls[i].quick.DeclRange
		case b.pre != nil:
			name, decl = blk.Labels[0], &blk.DefRange
		case b.tb != nil:
			name, decl = b.tb.Name, &b.tb.DeclRange
		default:
			continue
		}
		if prev, ok := seenName[name]; ok {
			var label hcl.Range
			switch {
			case decls[i].quick != nil:
				label = quickLabelRange(decls[i].quick)
			case b.pre != nil:
				label = decls[i].block.LabelRanges[0]
				b.diags = append(b.diags, b.pre.block...)
			case b.lazy:
				label = b.tb.LabelRange
				// The block's own diagnostics come before the duplicate's.
				_, d := decodeTaskBlock(l.reparse(decls[i].block.Body))
				b.diags = append(b.diags, d...)
			default:
				label = b.tb.LabelRange
			}
			b.diags = append(b.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate task address",
				Detail:   fmt.Sprintf("A task named %q was already declared at %s. Task names must be unique across every spec file: rename one of them.", name, *prev),
				Subject:  label.Ptr(),
			})
			continue
		}
		seenName[name] = decl
		b.declared = true
		switch {
		case decls[i].quick != nil:
			nDone++
			continue
		case b.pre != nil:
			b.diags = append(b.pre.block, b.pre.inst...)
			nDone++
			continue
		}
		b.first = len(jobs)
		if b.lazy {
			jobs = append(jobs, job{tb: b.tb, block: decls[i].block})
		} else if b.tb.ForEach == nil {
			jobs = append(jobs, job{tb: b.tb})
		} else {
			keys, kd := l.forEachKeys(b.tb.ForEach)
			b.diags = append(b.diags, kd...)
			// The block is declared even when it has no instance, so
			// that a reference to it says so rather than "not declared".
			infos[b.tb.Name] = &taskInfo{forEach: true, instances: map[string]*Task{}, keysFailed: kd.HasErrors()}
			for k := range keys {
				jobs = append(jobs, job{tb: b.tb, key: &keys[k]})
			}
		}
		b.n = len(jobs) - b.first
	}
	parallel(len(jobs), func(i int) {
		j := &jobs[i]
		if l.ctx0.Err() != nil {
			return
		}
		if j.block == nil {
			j.task, j.diags = l.decodeInstance(j.tb, j.key)
			return
		}
		tb, diags := decodeTaskBlock(l.reparse(j.block.Body))
		j.task, j.diags = l.decodeInstance(tb, nil)
		j.diags = append(diags, j.diags...)
		if tb.Inputs != nil {
			j.tb = tb // decodeTaskInputs needs the tree
		}
	})
	// Inputs come second: they may refer to any task, which must be
	// decoded first (its count and files say what it offers).
	// What each task offers (taskInfo) is gathered only when some task
	// has inputs that may refer to it; a task decoded as it was parsed
	// has none, but it may be referred to.
	anyInputs := false
	for _, j := range jobs {
		anyInputs = anyInputs || j.task != nil && j.tb != nil && j.tb.Inputs != nil
	}
	if anyInputs {
		offer := func(t *Task, forEach bool) {
			info := infos[t.Name]
			if info == nil {
				info = &taskInfo{forEach: forEach, instances: map[string]*Task{}}
				infos[t.Name] = info
			}
			info.instances[t.Key] = t
			if forEach {
				info.keys = append(info.keys, t.Key)
			}
		}
		for i := range bs {
			b := &bs[i]
			switch {
			case !b.declared:
			case decls[i].quick != nil:
				offer(decls[i].quick, false)
			case b.pre != nil:
				if b.pre.task != nil {
					offer(b.pre.task, false)
				}
			default:
				for _, j := range jobs[b.first : b.first+b.n] {
					if j.task != nil {
						offer(j.task, j.key != nil)
					}
				}
			}
		}
		for _, info := range infos {
			sort.Strings(info.keys)
		}
		taskVal := taskVariable(infos)
		parallel(len(jobs), func(i int) {
			if l.ctx0.Err() == nil && jobs[i].task != nil && jobs[i].tb != nil && jobs[i].tb.Inputs != nil {
				jobs[i].diags = append(jobs[i].diags, l.decodeTaskInputs(jobs[i].tb, jobs[i].key, jobs[i].task, infos, taskVal)...)
			}
		})
	}
	if err := l.ctx0.Err(); err != nil {
		var diags hcl.Diagnostics
		for i := range bs {
			if bs[i].pre == nil || !bs[i].declared {
				diags = append(diags, bs[i].diags...)
			}
		}
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Interrupted",
			Detail:   fmt.Sprintf("Evaluating the spec's %d task instances was interrupted (%v); nothing was planned or written.", len(jobs)+nDone, err),
		})
	}

	var diags hcl.Diagnostics
	tasks := make([]*Task, 0, nDone+len(jobs))
	for i := range bs {
		b := &bs[i]
		diags = append(diags, b.diags...)
		switch {
		case !b.declared:
		case decls[i].quick != nil:
			tasks = append(tasks, decls[i].quick)
		case b.pre != nil:
			if b.pre.task != nil {
				tasks = append(tasks, b.pre.task)
			}
		default:
			for _, j := range jobs[b.first : b.first+b.n] {
				diags = append(diags, j.diags...)
				if j.task != nil {
					tasks = append(tasks, j.task)
				}
			}
		}
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Address < tasks[j].Address })
	return tasks, diags
}

// blockBody is b's body as native syntax, nil for JSON.
func blockBody(b *hcl.Block) *hclsyntax.Body {
	sb, _ := b.Body.(*hclsyntax.Body)
	return sb
}

// parallel calls do(i) for every i below n, on as many goroutines as there
// are cores, and returns when every call has.
func parallel(n int, do func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers == 0 {
		return
	}
	// Each goroutine takes the next indices a batch at a time: one index
	// at a time, the counter's cache line goes from core to core for
	// every block of a file. A batch is small enough that the goroutines
	// still end together (32 batches or more each).
	batch := int64(min(max(n/(workers*32), 1), 64))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				from := int(next.Add(batch) - batch)
				if from >= n {
					return
				}
				for i := from; i < min(from+int(batch), n); i++ {
					do(i)
				}
			}
		})
	}
	wg.Wait()
}

// specFileNames lists the spec files of dir, sorted.
func specFileNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		if strings.HasSuffix(n, SpecSuffix) || strings.HasSuffix(n, SpecJSONSuffix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// checkAcrossTasks finds problems that involve two tasks: one id pinned by
// two addresses, one file written by two images.
func checkAcrossTasks(tasks []*Task) hcl.Diagnostics {
	var diags hcl.Diagnostics
	// Both maps are made at the size they may reach once a task needs
	// them: grown an entry at a time, they are rehashed over and over.
	var ids, files map[string]*Task
	for _, t := range tasks {
		if t.ID != "" {
			if ids == nil {
				ids = make(map[string]*Task, len(tasks))
			}
			if prev, ok := ids[t.ID]; ok {
				rng, _ := t.Ranges.Get("id")
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Task id pinned twice",
					Detail:   fmt.Sprintf("%s and %s both pin the task id %s, so both would report one task. Remove the id from one of them.", prev.Address, t.Address, shownBare(t.ID, prev.Sensitive["id"] || t.Sensitive["id"])),
					Subject:  rng.Ptr(),
				})
			} else {
				ids[t.ID] = t
			}
		}
		for _, f := range t.Files {
			if files == nil {
				files = make(map[string]*Task, len(tasks))
			}
			key := filepath.ToSlash(filepath.Clean(f))
			if prev, ok := files[key]; ok {
				rng, _ := t.Ranges.Get("files")
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Two images saved to one file",
					Detail:   fmt.Sprintf("The file %s is declared by %s and again by %s. Give each image its own path.", shownBare(f, prev.Sensitive["files"] || t.Sensitive["files"]), prev.Address, t.Address),
					Subject:  rng.Ptr(),
				})
			} else {
				files[key] = t
			}
		}
	}
	return diags
}

// checkStateFiles refuses an image file that is, after symbolic links,
// the state file, its backup or its lock (saving an image there would
// destroy the record of every task), or the manifest, or that a link
// leads outside the spec directory or into a place ImagePathProblem
// refuses; and a manifest that is one of the state's files. Apply checks
// again when it writes: a link may appear after validate.
func checkStateFiles(dir string, settings Settings, tasks []*Task) hcl.Diagnostics {
	var diags hcl.Diagnostics
	root, err := atomicfile.OpenRoot(dir)
	if err != nil {
		return nil
	}
	defer root.Close()
	// The image files of a spec mostly share their directories: res reads
	// each directory on the way once, and resolves each name once.
	res := root.Resolver()
	// reserved maps a file (inside the spec directory, after links, in
	// lower case for case-insensitive file systems) to what it is.
	reserved := map[string]string{}
	lookup := func(p string) (string, bool) {
		for _, resolve := range []func(string) (string, error){res.ResolveDir, res.Resolve} {
			if rel, err := resolve(p); err == nil {
				if what, ok := reserved[strings.ToLower(filepath.ToSlash(rel))]; ok {
					return what, true
				}
			}
		}
		return "", false
	}
	reserve := func(p, what string) {
		for _, resolve := range []func(string) (string, error){res.Resolve, res.ResolveDir} {
			if rel, err := resolve(p); err == nil {
				reserved[strings.ToLower(filepath.ToSlash(rel))] = what
			}
		}
	}
	if settings.Backend == nil {
		reserve(settings.State, "the state file")
		reserve(settings.State+".backup", "the state file's backup")
		reserve(settings.State+".lock", "the state file's lock")
	}
	if settings.Manifest != "" {
		if what, ok := lookup(filepath.FromSlash(settings.Manifest)); ok {
			diags = append(diags, errorf(settings.DeclRange, "Invalid manifest path",
				"The manifest %q is %s: the manifest is a copy of the state written after every apply, and must be a file of its own. Give it another path, such as \"mynth.manifest.json\".", settings.Manifest, what))
		}
		reserve(filepath.FromSlash(settings.Manifest), "the manifest")
	}
	for _, t := range tasks {
		for _, f := range t.Files {
			rng, _ := t.Ranges.Get("files")
			shownPath := shown(f, t.Sensitive["files"])
			if what, ok := lookup(f); ok {
				diags = append(diags, errorf(rng, "Invalid file path",
					"The file path %s of %s is %s (%s): saving an image there would destroy the record of every task. Give the image another path.", shownPath, t.Address, what, reservedBy(settings, what)))
				continue
			}
			for _, resolve := range []func(string) (string, error){res.ResolveDir, res.Resolve} {
				rel, err := resolve(f)
				var oe *atomicfile.OutsideError
				if errors.As(err, &oe) {
					diags = append(diags, errorf(rng, "Invalid file path",
						"The file path %s of %s leads outside the spec directory through the symbolic link %s. Images are saved inside the spec directory only: give a path there, or replace the link by a directory.", shownPath, t.Address, filepath.ToSlash(oe.Link)))
					break
				}
				if err != nil {
					continue
				}
				if problem := ImagePathProblem(filepath.ToSlash(rel)); problem != "" && ImagePathProblem(f) == "" {
					diags = append(diags, errorf(rng, "Invalid file path",
						"The file path %s of %s leads, through a symbolic link, to %s, which %s.", shownPath, t.Address, shown(filepath.ToSlash(rel), t.Sensitive["files"]), problem))
					break
				}
			}
		}
	}
	return diags
}

// reservedBy says which setting reserves a file, for messages.
func reservedBy(settings Settings, what string) string {
	if what == "the manifest" {
		return fmt.Sprintf("the mynth block's manifest is %q", settings.Manifest)
	}
	return fmt.Sprintf("the state file is %q", settings.State)
}

func duplicateDiag(what, name string, rng, prev hcl.Range) *hcl.Diagnostic {
	subject, fix := what, "Merge the two into one."
	if name != "" {
		subject, fix = fmt.Sprintf("%s %q", what, name), "Remove one of the two, or rename one."
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + what,
		Detail:   fmt.Sprintf("The %s was already declared at %s. %s", subject, prev, fix),
		Subject:  rng.Ptr(),
	}
}
