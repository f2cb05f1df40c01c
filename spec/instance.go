package spec

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var (
	wxhPattern   = regexp.MustCompile(`^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$`)
	ratioPattern = regexp.MustCompile(`^[1-9][0-9]{0,3}:[1-9][0-9]{0,3}$`)
)

// instance gathers what one task instance decodes to, and the diagnostics
// found on the way.
type instance struct {
	t     *Task
	l     *loader
	diags hcl.Diagnostics
}

func (in *instance) add(d *hcl.Diagnostic) { in.diags = append(in.diags, d) }

// use records that a field is set: its range and whether it is sensitive.
func (in *instance) use(f *field) {
	in.t.Ranges.Set(f.name, f.rng)
	if f.sensitive {
		top, _, _ := strings.Cut(f.name, ".")
		if in.t.Sensitive == nil {
			in.t.Sensitive = map[string]bool{}
		}
		in.t.Sensitive[top] = true
	}
}

// decodeInstance evaluates a task block for one for_each key (nil without
// for_each) into a Task. It returns nil only when the instance is too
// broken to plan.
func (l *loader) decodeInstance(tb *taskBlock, key *instanceKey) (*Task, hcl.Diagnostics) {
	t := l.newInstanceTask(tb, key)
	sc := &scope{l: l, key: key}
	if key == nil {
		sc.ctx = l.ctx
	}
	in := &instance{t: t, l: l}

	fs := l.evalAttrs(tb.Attrs, sc, "")
	nested := map[string]*fields{}
	for typ, attrs := range tb.BlockAttrs {
		nested[typ] = l.evalAttrs(attrs, sc, typ+".")
		t.Ranges.Set(typ, tb.Blocks[typ].DefRange)
	}

	in.decodeID(fs)
	in.decodeTaskPrompt(fs, nested, tb)
	in.decodeModel(fs)
	in.decodeTaskSize(fs, nested, tb)
	count, countKnown := in.decodeCount(fs)
	in.decodeRequestExtras(fs, nested)
	in.decodeAccessToken(fs)
	in.decodeFiles(fs, count, countKnown)
	in.decodeIgnoreChanges(fs)
	t.Expect = in.decodeExpect(nested["expect"], tb, count, countKnown)
	t.Ranges.trim()

	return t, in.allDiags(fs, nested)
}

// newInstanceTask starts the Task for one instance of tb, with its name,
// key and address.
func (l *loader) newInstanceTask(tb *taskBlock, key *instanceKey) *Task {
	t := &Task{
		Name:      tb.Name,
		DeclRange: tb.DeclRange,
	}
	// Room for a range of for_each and of every attribute and block,
	// set as the instance is read: the ranges grow into one array of
	// about their size.
	n := len(tb.Attrs) + len(tb.BlockAttrs)
	for _, attrs := range tb.BlockAttrs {
		n += len(attrs)
	}
	if key != nil {
		n++
	}
	t.Ranges.grow(n)
	if key != nil {
		t.Key, t.HasKey = key.key, true
		t.Ranges.Set("for_each", tb.ForEach.Expr.Range())
	}
	t.Address = t.Addr().String()
	return t
}

// scope is where the expressions of a body are evaluated: the loader's
// context, or for an instance of a for_each block a context with each.key
// and each.value too, which is made (instanceContext) only for an
// expression that refers to each and is more than eachValue reads: most
// instances of a hand-written for_each block need none.
type scope struct {
	l *loader
	// key is the instance's for_each key, nil for the others.
	key *instanceKey
	// ctx is the context, nil until made under for_each.
	ctx *hcl.EvalContext
}

// rootScope is the scope of the loader's context.
func (l *loader) rootScope() *scope { return &scope{l: l, ctx: l.ctx} }

// context returns the scope's context, making it when first asked.
func (sc *scope) context() *hcl.EvalContext {
	if sc.ctx == nil {
		sc.ctx = sc.l.instanceContext(sc.key)
	}
	return sc.ctx
}

// eval is loader.eval in the scope. Under for_each, an expression that
// does not refer to each is evaluated in the loader's context: each is
// all that the instance's context adds to it.
func (sc *scope) eval(expr hcl.Expression) (cty.Value, hcl.Diagnostics) {
	if sc.key == nil {
		return sc.l.eval(expr, sc.ctx, false)
	}
	if val, ok := literalValue(expr, 0); ok {
		return val, nil
	}
	if val, ok := eachValue(expr, sc.key); ok {
		return val, nil
	}
	diags, usesEach := sc.l.references(expr, true, false)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	if !usesEach {
		// A diagnostic holds the context it was found in, and names
		// what it offers (hcl suggests the functions of the context
		// itself, not its parent's): an expression that reports
		// anything is evaluated again in the instance's.
		if val, diags := evaluate(expr, sc.l.ctx); len(diags) == 0 {
			return val, nil
		}
	}
	return evaluate(expr, sc.context())
}

// instanceContext returns the evaluation context the expressions of the
// instance of a task block with for_each key key (nil without for_each)
// see: the loader's, plus each.key and each.value under for_each.
func (l *loader) instanceContext(key *instanceKey) *hcl.EvalContext {
	if key == nil {
		return l.ctx
	}
	ctx := l.ctx.NewChild()
	ctx.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{
		"key":   cty.StringVal(key.key),
		"value": key.value,
	})}
	return ctx
}

// allDiags gathers the instance's diagnostics in a fixed order: the task's
// attributes, then each nested block's by type name, then the ones about
// the task as a whole.
func (in *instance) allDiags(fs *fields, nested map[string]*fields) hcl.Diagnostics {
	diags := append(hcl.Diagnostics{}, fs.diags...)
	for _, typ := range slices.Sorted(maps.Keys(nested)) {
		diags = append(diags, nested[typ].diags...)
	}
	return append(diags, in.diags...)
}

// decodeID reads id, the Mynth task an instance adopts.
func (in *instance) decodeID(fs *fields) {
	f, ok := fs.get("id")
	if !ok {
		return
	}
	in.use(f)
	if s, ok := fs.str(f); ok {
		if !validTaskID(s) {
			fs.add(errorf(f.rng, "Invalid task id", "The id %s is not a Mynth task id, which looks like \"tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP\". Copy the id from Mynth, or remove id to let apply generate the task.", shown(s, f.sensitive)))
		} else {
			in.t.ID = s
		}
	}
}

// decodeAccessToken reads access_token, which is always sensitive and must
// be a task's Public Access Token, never an API key.
func (in *instance) decodeAccessToken(fs *fields) {
	f, ok := fs.get("access_token")
	if !ok {
		return
	}
	f.sensitive = true
	in.use(f)
	s, ok := fs.str(f)
	if !ok {
		return
	}
	in.l.noteSecret(s)
	switch {
	case strings.HasPrefix(s, "mak_"):
		// No Subject: the source snippet would print the key.
		fs.add(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "API key in access_token",
			Detail:   fmt.Sprintf("access_token of %s (%s, line %d) holds an API key (mak_...), the account's secret, which must never be written in a spec. Remove it and revoke the key if the file was shared; set MYNTH_API_KEY in the environment instead, and give access_token only a task's Public Access Token (pat_...).", in.t.Address, f.rng.Filename, f.rng.Start.Line),
		})
	case !strings.HasPrefix(s, "pat_"):
		fs.add(errorf(f.rng, "Invalid access token", "access_token must be a task's Public Access Token, which starts with \"pat_\". Copy the token Mynth returned when the task was created, or remove access_token."))
	default:
		in.t.AccessToken = s
	}
}

// decodeFiles reads files, the local paths the images are saved to: one
// per image when count is known.
func (in *instance) decodeFiles(fs *fields, count int, countKnown bool) {
	f, ok := fs.get("files")
	if !ok {
		return
	}
	in.use(f)
	paths, ok := fs.stringList(f, `["assets/hero.webp"]`)
	if !ok {
		return
	}
	good := true
	for _, p := range paths {
		if problem := ImagePathProblem(p); problem != "" {
			fs.add(errorf(f.rng, "Invalid file path", "The file path %s %s.", shown(p, f.sensitive), problem))
			good = false
		}
	}
	if countKnown && len(paths) != count {
		fs.add(errorf(f.rng, "Wrong number of files", "files lists %d path(s) but the task makes %d image(s) (count = %d); each image is saved to its own file. List exactly %d path(s), one per image.", len(paths), count, count, count))
		good = false
	}
	if good {
		in.t.Files = paths
	}
}

// ToolDir is the directory, beside the spec, where mynthform keeps its own
// files (the emulator's store); no image may be saved in it.
const ToolDir = ".mynthform"

// ImagePathProblem says why path (relative to the spec directory) may not
// be where an image is saved, or "" when it may: it must be a file of the
// spec directory, outside ToolDir and any .git directory, and not a spec
// or variable file. Apply asks again of the path as it resolves after
// symbolic links. (The state file, its backup and its lock are checked
// against the mynth block by checkStateFiles.)
func ImagePathProblem(path string) string {
	if problem := localPathProblem(path); problem != "" {
		return problem
	}
	clean := filepath.ToSlash(filepath.Clean(filepath.FromSlash(path)))
	parts := strings.Split(clean, "/")
	lower := strings.ToLower(clean)
	switch {
	case strings.HasSuffix(path, "/") || strings.HasSuffix(path, `\`) || clean == ".":
		return "names a directory, not a file. Give a file name, such as \"images/hero.webp\""
	case strings.EqualFold(parts[0], ToolDir):
		return "lies in " + ToolDir + "/, where mynthform keeps its own files. Save images elsewhere"
	case slices.ContainsFunc(parts, func(p string) bool { return strings.EqualFold(p, ".git") }):
		return "lies in .git/, the git repository's own files, which the image would damage. Save images elsewhere"
	case strings.HasSuffix(lower, SpecSuffix) || strings.HasSuffix(lower, SpecJSONSuffix) || strings.HasSuffix(lower, VarFileSuffix):
		return "names a spec or variable file, which the image would overwrite. Give the image file a name of its own"
	}
	return ""
}

// decodeIgnoreChanges reads ignore_changes, the change paths the plan
// leaves out.
func (in *instance) decodeIgnoreChanges(fs *fields) {
	f, ok := fs.get("ignore_changes")
	if !ok {
		return
	}
	in.use(f)
	paths, ok := fs.stringList(f, `["result.images[*].url"]`)
	if !ok {
		return
	}
	good := true
	for _, p := range paths {
		if problem := changePathProblem(p); problem != "" {
			fs.add(errorf(f.rng, "Invalid change path", "ignore_changes holds %s, which %s. Write paths as the plan shows them, such as \"result.images[*].url\" or \"request.metadata\".", shown(p, f.sensitive), problem))
			good = false
		}
	}
	if good {
		in.t.IgnoreChanges = paths
	}
}

// failedAt reports whether diags hold an error inside attr's expression
// (false when attr is nil).
func failedAt(diags hcl.Diagnostics, attr *hcl.Attribute) bool {
	if attr == nil {
		return false
	}
	rng := attr.Expr.Range()
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil && d.Subject.Filename == rng.Filename &&
			d.Subject.Start.Byte >= rng.Start.Byte && d.Subject.End.Byte <= rng.End.Byte {
			return true
		}
	}
	return false
}

// changeSegment is one dotted part of a change path: a JSON key (as the API
// spells it, so camelCase too) with optional [N] or [*] indexes.
var changeSegment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(\[(\*|[0-9]+)\])*$`)

// changeRoots are the first segments of change paths: what a plan
// compares.
var changeRoots = []string{"request", "result", "status", "files", "id"}

// changePathProblem says why p is not a change path, or "" when it is one.
func changePathProblem(p string) string {
	if p == "" {
		return "is empty"
	}
	segs := strings.Split(p, ".")
	root, _, _ := strings.Cut(segs[0], "[")
	known := false
	for _, r := range changeRoots {
		known = known || r == root
	}
	if !known {
		return fmt.Sprintf("does not start with one of %s", strings.Join(changeRoots, ", "))
	}
	for _, s := range segs {
		if !changeSegment.MatchString(s) {
			return fmt.Sprintf("has a malformed part %s", strconv.Quote(s))
		}
	}
	return ""
}
