package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/mynth"
)

// inputRoles are the roles Mynth gives an input image.
var inputRoles = []string{"reference", "context", "init"}

// refMark marks a value that stands for an attribute of another task: the
// value is unknown at load (a URL, an id not pinned) or is a path the
// upstream saves to. The mark travels through every expression, so that
// the reference is found whatever the expression that reaches it
// (task.product[each.key].images[0].url included).
type refMark struct{ ref Ref }

// taskInfo is what references may see of a task block once its instances
// are decoded.
type taskInfo struct {
	forEach bool
	// instances by for_each key ("" without for_each).
	instances map[string]*Task
	keys      []string
	// keysFailed is set when the block's for_each could not be evaluated
	// (that error is reported already), so that it has no instances.
	keysFailed bool
	// noCount holds the keys of the instances whose count could not be
	// read. It is filled before inputs are decoded, in parallel, so that
	// no instance's Ranges (which decoding its inputs writes) is read.
	noCount map[string]bool
}

// taskObject builds the value of task.NAME (an object of instances for a
// task with for_each): id, images[N].url and files[N], each marked with
// the reference it is.
func taskObject(info *taskInfo) cty.Value {
	one := func(t *Task) cty.Value {
		mark := func(attr string, i int) refMark { return refMark{Ref{Address: t.Address, Attr: attr, Index: i}} }
		id := cty.UnknownVal(cty.String)
		if t.ID != "" {
			id = cty.StringVal(t.ID)
		}
		attrs := map[string]cty.Value{"id": id.Mark(mark(RefID, 0))}
		count := t.Request.Count
		if count == 0 {
			count = 1
		}
		if countUnknown(t) {
			attrs["images"] = cty.DynamicVal
		} else {
			imgs := make([]cty.Value, count)
			for i := range imgs {
				imgs[i] = cty.ObjectVal(map[string]cty.Value{"url": cty.UnknownVal(cty.String).Mark(mark(RefImageURL, i))})
			}
			attrs["images"] = cty.TupleVal(imgs)
		}
		files := make([]cty.Value, len(t.Files))
		for i, f := range t.Files {
			files[i] = cty.StringVal(f).Mark(mark(RefFile, i))
		}
		attrs["files"] = cty.TupleVal(files) // the empty tuple for no files
		return cty.ObjectVal(attrs)
	}
	info.noCount = map[string]bool{}
	for k, t := range info.instances {
		info.noCount[k] = countUnknown(t)
	}
	if !info.forEach {
		return one(info.instances[""])
	}
	m := make(map[string]cty.Value, len(info.instances))
	for k, t := range info.instances {
		m[k] = one(t)
	}
	return cty.ObjectVal(m)
}

// taskVariable is the value of `task` that inputs see: every task name
// declared, each with its instances.
func taskVariable(infos map[string]*taskInfo) cty.Value {
	m := make(map[string]cty.Value, len(infos))
	for name, info := range infos {
		m[name] = taskObject(info)
	}
	return cty.ObjectVal(m)
}

// checkTaskReference reports a reference to a task that does not exist,
// to an attribute a task does not offer, or to an image or file index
// that the task does not make. Only what the traversal says statically is
// checked; a computed key or index is checked by the evaluation.
func checkTaskReference(tr hcl.Traversal, infos map[string]*taskInfo) hcl.Diagnostics {
	rng := tr.SourceRange()
	names := sortedKeysOf(infos)
	if len(tr) < 2 {
		return hcl.Diagnostics{errorf(rng, "Invalid reference", "task must be followed by a task name, as in task.sketch.images[0].url. Add the name.")}
	}
	a, ok := tr[1].(hcl.TraverseAttr)
	if !ok {
		return hcl.Diagnostics{errorf(rng, "Invalid reference", "task must be followed by a task name, as in task.sketch.images[0].url. Add the name.")}
	}
	info := infos[a.Name]
	if info == nil {
		return hcl.Diagnostics{errorf(rng, "Reference to undeclared task",
			"No task named %q is declared.%s Declare it with a task %q block, or fix the name.", a.Name, didYouMean(a.Name, names), a.Name)}
	}
	rest := tr[2:]
	var t *Task
	key := ""
	addr := Address{Name: a.Name}.String()
	if info.forEach && len(info.instances) == 0 {
		if info.keysFailed {
			return nil // decodeTaskInputs evaluates nothing (see unevaluable)
		}
		which := "an instance"
		if len(rest) > 0 {
			if ix, ok := rest[0].(hcl.TraverseIndex); ok && ix.Key.Type() == cty.String && ix.Key.IsKnown() {
				which = fmt.Sprintf("the instance %q", ix.Key.AsString())
			}
		}
		return hcl.Diagnostics{errorf(rng, "Reference to a task with no instances",
			"task %q is declared, but its for_each is empty, so %s has no instances and %s does not exist. Give its for_each that key, or take this input from another task.", a.Name, addr, which)}
	}
	if info.forEach {
		if len(rest) == 0 {
			return nil // task.NAME whole, indexed by an expression
		}
		ix, ok := rest[0].(hcl.TraverseIndex)
		if !ok {
			return hcl.Diagnostics{errorf(rng, "Missing task instance key",
				"task.%s has for_each, so a reference must name one of its instances, as in task.%s[%q].images[0].url. Add the key.", a.Name, a.Name, firstOr(info.keys, "KEY"))}
		}
		if ix.Key.Type() != cty.String || !ix.Key.IsKnown() {
			return nil
		}
		key = ix.Key.AsString()
		t = info.instances[key]
		if t == nil {
			return hcl.Diagnostics{errorf(rng, "Reference to undeclared task instance",
				"task.%s has no instance %q.%s Its keys are %s. Use one of them, or add %q to its for_each.", a.Name, key, didYouMean(key, info.keys), quoteList(info.keys), key)}
		}
		addr = t.Address
		rest = rest[1:]
	} else {
		t = info.instances[""]
	}
	if len(rest) == 0 {
		return nil
	}
	attr, ok := rest[0].(hcl.TraverseAttr)
	// id is known here so that decodeInputURL refuses it with its own
	// diagnostic (a task id is no image); it is not offered.
	offered := []string{"images", "files"}
	if !ok || (attr.Name != "id" && attr.Name != "images" && attr.Name != "files") {
		name := ""
		if ok {
			name = attr.Name
		}
		return hcl.Diagnostics{errorf(rng, "Unsupported task attribute",
			"%s offers images[N].url, for an input's url, and files[N], for an input's file.%s Refer to one of those.", addr, didYouMean(name, offered))}
	}
	if attr.Name == "id" || len(rest) < 2 {
		return nil
	}
	ix, ok := rest[1].(hcl.TraverseIndex)
	if !ok || ix.Key.Type() != cty.Number || !ix.Key.IsKnown() {
		return nil
	}
	bf := ix.Key.AsBigFloat()
	n, _ := bf.Int64()
	if !bf.IsInt() || n < 0 {
		return hcl.Diagnostics{errorf(rng, "Invalid index", "The index of %s.%s must be a whole number, 0 or more.", addr, attr.Name)}
	}
	switch attr.Name {
	case "images":
		if info.noCount[key] {
			return nil
		}
		count := max(t.Request.Count, 1)
		if n >= int64(count) {
			return hcl.Diagnostics{errorf(rng, "Image index out of range",
				"%s makes %d image(s) (count = %d), so images[%d] does not exist; indexes start at 0. Refer to an image from images[0] to images[%d], or raise count on %s.", addr, count, count, n, count-1, addr)}
		}
	case "files":
		if len(t.Files) == 0 {
			return hcl.Diagnostics{errorf(rng, "Task saves no files",
				"%s declares no files, so %s.files[%d] does not exist. Add files to %s, or take its image by URL: %s.images[%d].url.", addr, addr, n, addr, addr, n)}
		}
		if n >= int64(len(t.Files)) {
			return hcl.Diagnostics{errorf(rng, "File index out of range",
				"%s saves %d file(s), so files[%d] does not exist; indexes start at 0. Refer to one from files[0] to files[%d].", addr, len(t.Files), n, len(t.Files)-1)}
		}
	}
	return nil
}

// unevaluable reports whether tr refers to a task block whose for_each
// could not be evaluated: its error is reported already, and the inputs
// that refer to it are not evaluated, so that they add no other.
func unevaluable(tr hcl.Traversal, infos map[string]*taskInfo) bool {
	if len(tr) < 2 {
		return false
	}
	a, ok := tr[1].(hcl.TraverseAttr)
	return ok && infos[a.Name] != nil && infos[a.Name].keysFailed
}

// countUnknown reports whether t sets a count that could not be read, so
// that its images cannot be counted.
func countUnknown(t *Task) bool {
	_, set := t.Ranges.Get("count")
	return set && t.Request.Count == 0
}

// inputFiles reads each input file once, however many instances name it.
type inputFiles struct {
	dir  string
	once sync.Once
	root *atomicfile.Root
	err  error

	mu    sync.Mutex
	files map[string]*inputFileResult
}

type inputFileResult struct {
	once    sync.Once
	file    FileInput
	problem string // why the file cannot be an input, in a sentence end
}

func (fs *inputFiles) close() {
	if fs.root != nil {
		_ = fs.root.Close()
	}
}

// read checks the file at path (clean, relative to the spec directory)
// and returns it, or the problem with it.
func (fs *inputFiles) read(path string) (FileInput, string) {
	fs.mu.Lock()
	if fs.files == nil {
		fs.files = map[string]*inputFileResult{}
	}
	r := fs.files[path]
	if r == nil {
		r = &inputFileResult{}
		fs.files[path] = r
	}
	fs.mu.Unlock()
	r.once.Do(func() { r.file, r.problem = fs.readOnce(path) })
	return r.file, r.problem
}

func (fs *inputFiles) readOnce(path string) (FileInput, string) {
	fs.once.Do(func() { fs.root, fs.err = atomicfile.OpenRoot(fs.dir) })
	out := FileInput{Path: path}
	if fs.err != nil {
		return out, fmt.Sprintf("cannot be read: the spec directory cannot be opened (%v)", fs.err)
	}
	real, err := fs.root.Resolve(path)
	var outside *atomicfile.OutsideError
	if errors.As(err, &outside) {
		if outside.Link != "" {
			return out, fmt.Sprintf("leads outside the spec directory through the symbolic link %s, which is refused. Copy the file into the spec directory", filepath.ToSlash(outside.Link))
		}
		return out, "leaves the spec directory, which is refused. Use a path inside the spec directory"
	}
	if err != nil {
		return out, fmt.Sprintf("cannot be read (%v)", err)
	}
	f, err := fs.root.OS().Open(real)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return out, "does not exist. Check the path (it is relative to the spec directory), or add the file"
		}
		return out, fmt.Sprintf("cannot be read (%s)", trimPathError(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return out, fmt.Sprintf("cannot be read (%s)", trimPathError(err))
	}
	if !st.Mode().IsRegular() {
		return out, "is not a regular file. Give the path of an image file"
	}
	if st.Size() < MinInputFileBytes || st.Size() > MaxInputFileBytes {
		fix := "a larger image"
		if st.Size() > MaxInputFileBytes {
			fix = "a smaller image"
		}
		return out, fmt.Sprintf("is %d bytes; Mynth takes uploads of 1 KB (%d bytes) to 10 MB (%d bytes). Use %s", st.Size(), MinInputFileBytes, MaxInputFileBytes, fix)
	}
	h := sha256.New()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	h.Write(head)
	rest, err := io.Copy(h, io.LimitReader(f, MaxInputFileBytes))
	if err != nil {
		return out, fmt.Sprintf("cannot be read (%s)", trimPathError(err))
	}
	size := int64(n) + rest
	if size != st.Size() {
		return out, fmt.Sprintf("changed while it was read (%d bytes, then %d). Read it again once it is written", st.Size(), size)
	}
	ct := http.DetectContentType(head)
	switch ct {
	case "image/png", "image/jpeg", "image/webp":
	default:
		return out, fmt.Sprintf("is not a JPEG, PNG or WEBP image by its content (it reads as %s), whatever its name says. Mynth takes only those three types", ct)
	}
	out.SHA256, out.Size, out.ContentType = hex.EncodeToString(h.Sum(nil)), size, ct
	return out, ""
}

// trimPathError drops the path from an *os.PathError, which the
// diagnostic already names.
func trimPathError(err error) string {
	var pe interface{ Unwrap() error }
	if errors.As(err, &pe) {
		if inner := pe.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

// inputElementExprs returns, for an inputs expression written out as a
// list, the expressions of each element by key ("" for a bare element,
// else "url", "file", "role"); nil when the list is computed.
func inputElementExprs(expr hcl.Expression) []map[string]hcl.Expression {
	tup, ok := expr.(*hclsyntax.TupleConsExpr)
	if !ok {
		return nil
	}
	out := make([]map[string]hcl.Expression, len(tup.Exprs))
	for i, e := range tup.Exprs {
		m := map[string]hcl.Expression{}
		if obj, ok := e.(*hclsyntax.ObjectConsExpr); ok {
			for _, item := range obj.Items {
				if k := hcl.ExprAsKeyword(item.KeyExpr); k != "" {
					m[k] = item.ValueExpr
				}
			}
		} else {
			m[""] = e
		}
		out[i] = m
	}
	return out
}

// isBareReference reports whether expr is a reference alone (a traversal
// or an index into one, maybe wrapped in "${...}"), with no text or
// function around it.
func isBareReference(expr hcl.Expression) bool {
	if w, ok := expr.(*hclsyntax.TemplateWrapExpr); ok {
		expr = w.Wrapped
	}
	switch e := expr.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		return true
	case *hclsyntax.RelativeTraversalExpr:
		return isBareReference(e.Source)
	case *hclsyntax.IndexExpr:
		return isBareReference(e.Collection)
	}
	return false
}

// refsOf splits the marks of v: the references it stands for, and
// whether any other mark (sensitive) is left.
func refsOf(v cty.Value) (cty.Value, []Ref, bool) {
	unmarked, marks := v.UnmarkDeep()
	var refs []Ref
	sensitive := false
	for m := range marks {
		if rm, ok := m.(refMark); ok {
			refs = append(refs, rm.ref)
		} else {
			sensitive = true
		}
	}
	sortRefs(refs)
	return unmarked, refs, sensitive
}

func sortRefs(refs []Ref) {
	for i := 1; i < len(refs); i++ {
		for j := i; j > 0 && refs[j].String() < refs[j-1].String(); j-- {
			refs[j], refs[j-1] = refs[j-1], refs[j]
		}
	}
}

// decodeTaskInputs evaluates the inputs of one instance, with task.*
// in scope, into t.Inputs (and t.Request.Inputs when every one is a URL).
func (l *loader) decodeTaskInputs(tb *taskBlock, key *instanceKey, t *Task, infos map[string]*taskInfo, taskVal cty.Value) hcl.Diagnostics {
	attr := tb.Inputs
	if attr == nil {
		return nil
	}
	var diags hcl.Diagnostics
	skip := false
	for _, tr := range attr.Expr.Variables() {
		if tr.RootName() == "task" {
			diags = append(diags, checkTaskReference(tr, infos)...)
			skip = skip || unevaluable(tr, infos)
		}
	}
	if diags.HasErrors() || skip {
		return diags
	}
	ctx := l.instanceContext(key).NewChild()
	ctx.Variables = map[string]cty.Value{"task": taskVal}
	val, vd := l.evalTasks(attr.Expr, ctx, key != nil)
	diags = append(diags, vd...)
	if vd.HasErrors() {
		return diags
	}
	rng := attr.Expr.Range()
	t.Ranges.Set("inputs", rng)
	in := &instance{t: t, l: l}
	// The element values keep their marks: they say which are references.
	full := val
	_, _, sensitive := refsOf(val)
	if sensitive {
		in.use(&field{name: "inputs", sensitive: true, rng: rng})
	}
	fs := &fields{m: map[string]*field{}}
	top := &field{name: "inputs", val: full, sensitive: sensitive, rng: rng}
	if full.IsNull() {
		return diags
	}
	if !full.Type().IsListType() && !full.Type().IsTupleType() && !full.Type().IsSetType() {
		fs.typeError(top, "a list of URLs, { url, role } or { file, role } objects", `[{ file = "refs/mug.png", role = "reference" }]`)
		return append(diags, fs.diags...)
	}
	if !full.IsKnown() {
		// A list whose length depends on another task's result.
		fs.add(errorf(rng, "Inputs not known before apply", "The list of inputs depends on another task's result, so its length is not known before apply. Write the list out, with one reference per element."))
		return append(diags, fs.diags...)
	}
	if n := full.LengthInt(); n > MaxInputs {
		fs.add(errorf(rng, "Too many inputs", "inputs holds %d images; Mynth takes at most %d. Remove some.", n, MaxInputs))
		return append(diags, fs.diags...)
	}
	exprs := inputElementExprs(attr.Expr)
	var out []Input
	good := true
	i := 0
	for it := full.ElementIterator(); it.Next(); i++ {
		_, e := it.Element()
		var ex map[string]hcl.Expression
		if exprs != nil && i < len(exprs) {
			ex = exprs[i]
		}
		input, ok := in.decodeInput(fs, i, e, ex, rng, sensitive)
		if !ok {
			good = false
			continue
		}
		out = append(out, input)
	}
	diags = append(diags, fs.diags...)
	diags = append(diags, in.diags...)
	if !good {
		return diags
	}
	t.Inputs = out
	literal := true
	for _, x := range out {
		literal = literal && x.URL != ""
	}
	if literal {
		for _, x := range out {
			t.Request.Inputs = append(t.Request.Inputs, mynth.Input{URL: x.URL, Role: x.Role})
		}
	}
	return diags
}

// decodeInput reads element i of inputs: a URL string, a reference, or an
// object { url | file, role }.
func (in *instance) decodeInput(fs *fields, i int, e cty.Value, ex map[string]hcl.Expression, listRng hcl.Range, sensitive bool) (Input, bool) {
	name := fmt.Sprintf("inputs[%d]", i)
	rangeOf := func(k string) hcl.Range {
		if x, ok := ex[k]; ok {
			return x.Range()
		}
		return listRng
	}
	if e.IsNull() {
		fs.add(errorf(listRng, "Incorrect attribute value type", "%s is null. Give a URL, or an object { url = \"https://...\" } or { file = \"refs/a.png\" }.", name))
		return Input{}, false
	}
	ty := e.Type()
	if ty == cty.String {
		return in.decodeInputURL(fs, name, e, ex[""], rangeOf(""), sensitive)
	}
	if !ty.IsObjectType() && !ty.IsMapType() {
		fs.add(errorf(rangeOf(""), "Incorrect attribute value type", "%s must be a URL string, or an object { url = \"https://...\", role = \"reference\" } or { file = \"refs/a.png\", role = \"reference\" }, not %s. Change the value.", name, friendlyType(ty)))
		return Input{}, false
	}
	var url, file, role cty.Value
	for it := e.ElementIterator(); it.Next(); {
		k, v := it.Element()
		switch k.AsString() {
		case "url":
			url = v
		case "file":
			file = v
		case "role":
			role = v
		default:
			fs.add(errorf(listRng, "Unsupported attribute", "%s has no attribute %q.%s Allowed: url, file, role.", name, k.AsString(), didYouMean(k.AsString(), []string{"url", "file", "role"})))
			return Input{}, false
		}
	}
	var input Input
	ok := true
	switch {
	case url != cty.NilVal && !url.IsNull() && file != cty.NilVal && !file.IsNull():
		fs.add(errorf(rangeOf("file"), "Conflicting input", "%s sets both url and file; an input is one or the other. Keep one.", name))
		return Input{}, false
	case url != cty.NilVal && !url.IsNull():
		input, ok = in.decodeInputURL(fs, name+".url", url, ex["url"], rangeOf("url"), sensitive)
	case file != cty.NilVal && !file.IsNull():
		input, ok = in.decodeInputFile(fs, name+".file", file, ex["file"], rangeOf("file"), sensitive)
	default:
		fs.add(errorf(rangeOf(""), "Missing input source", "%s has neither url nor file. Add url = \"https://...\", or file = \"refs/a.png\" for a file of the spec directory.", name))
		return Input{}, false
	}
	if role != cty.NilVal && !role.IsNull() {
		r, _, _ := refsOf(role)
		if !r.IsKnown() || r.Type() != cty.String {
			fs.add(errorf(rangeOf("role"), "Invalid input role", "%s.role must be one of %s.", name, strings.Join(inputRoles, ", ")))
			return Input{}, false
		}
		input.Role = r.AsString()
		valid := false
		for _, x := range inputRoles {
			valid = valid || x == input.Role
		}
		if !valid && input.Role != "" {
			fs.add(errorf(rangeOf("role"), "Invalid input role", "%s.role is %s.%s Use one of %s.", name, shown(input.Role, sensitive), hint(input.Role, sensitive, inputRoles), strings.Join(inputRoles, ", ")))
			return Input{}, false
		}
	}
	return input, ok
}

// decodeInputURL reads a URL: a literal, or a reference to another task's
// image URL.
func (in *instance) decodeInputURL(fs *fields, name string, v cty.Value, ex hcl.Expression, rng hcl.Range, sensitive bool) (Input, bool) {
	val, refs, _ := refsOf(v)
	input := Input{Range: rng}
	if len(refs) > 0 {
		r, ok := in.singleRef(fs, name, refs, ex, rng)
		if !ok {
			return Input{}, false
		}
		switch r.Attr {
		case RefImageURL:
			input.Ref = &r
			return input, true
		case RefID:
			fs.add(errorf(rng, "Invalid input URL", "%s is %s, a task id, not an image URL; an input is an image. Take the task's image instead: %s.images[0].url.", name, r, r.Address))
		case RefFile:
			fs.add(errorf(rng, "Invalid input URL", "%s is %s, the local path %s saves its image to, not a URL. Write file = %s to give that file, or url = %s.images[%d].url to give the image's URL.", name, r, r.Address, r, r.Address, r.Index))
		}
		return Input{}, false
	}
	if !val.IsKnown() || val.Type() != cty.String {
		fs.add(errorf(rng, "Invalid input URL", "%s must be a URL string. Give the image's URL.", name))
		return Input{}, false
	}
	input.URL = val.AsString()
	if !strings.HasPrefix(input.URL, "https://") && !strings.HasPrefix(input.URL, "http://") {
		fs.add(errorf(rng, "Invalid input URL", "%s is %s, not an http or https URL. Give the image's URL, or write { file = \"refs/a.png\" } for a file of the spec directory.", name, shown(input.URL, sensitive)))
		return Input{}, false
	}
	return input, true
}

// decodeInputFile reads a file input: a path of the spec directory, which
// is read and checked now, or the file another task saves.
func (in *instance) decodeInputFile(fs *fields, name string, v cty.Value, ex hcl.Expression, rng hcl.Range, sensitive bool) (Input, bool) {
	val, refs, _ := refsOf(v)
	input := Input{Range: rng}
	if len(refs) > 0 {
		r, ok := in.singleRef(fs, name, refs, ex, rng)
		if !ok {
			return Input{}, false
		}
		if r.Attr == RefID {
			fs.add(errorf(rng, "Invalid input file", "%s is %s, a task id, not a file path; an input is an image. Take the task's image instead: url = %s.images[0].url.", name, r, r.Address))
			return Input{}, false
		}
		if r.Attr != RefFile {
			fs.add(errorf(rng, "Invalid input file", "%s is %s, which is not a file path. Write file = %s.files[%d] for the file it saves, or url = %s.images[%d].url for its image's URL.", name, r, r.Address, r.Index, r.Address, r.Index))
			return Input{}, false
		}
		input.File = &FileInput{Path: cleanSlash(val.AsString()), From: &r}
		return input, true
	}
	if !val.IsKnown() || val.Type() != cty.String {
		fs.add(errorf(rng, "Invalid input file", "%s must be a path string relative to the spec directory, such as \"refs/mug.png\".", name))
		return Input{}, false
	}
	p := val.AsString()
	if problem := ImagePathProblem(p); problem != "" {
		fs.add(errorf(rng, "Invalid input file", "The input file %s %s.", shown(p, sensitive), problem))
		return Input{}, false
	}
	f, problem := in.l.inputFiles.read(cleanSlash(p))
	if problem != "" {
		fs.add(errorf(rng, "Invalid input file", "The input file %s %s.", shown(p, sensitive), problem))
		return Input{}, false
	}
	input.File = &f
	return input, true
}

// singleRef returns the one reference a url or file stands for; a value
// made of several, or of text around one, is refused.
func (in *instance) singleRef(fs *fields, name string, refs []Ref, ex hcl.Expression, rng hcl.Range) (Ref, bool) {
	if len(refs) > 1 {
		list := make([]string, len(refs))
		for i, r := range refs {
			list[i] = r.String()
		}
		fs.add(errorf(rng, "Invalid input reference", "%s is made of several references (%s); an input is one image. Give one reference, and another input for each other image.", name, strings.Join(list, ", ")))
		return Ref{}, false
	}
	if ex != nil && !isBareReference(ex) {
		fs.add(errorf(rng, "Invalid input reference", "%s builds a value around %s; the value is known only after apply, and an input takes the reference alone. Write %s = %s.", name, refs[0], name[strings.LastIndex(name, ".")+1:], refs[0]))
		return Ref{}, false
	}
	return refs[0], true
}

func cleanSlash(p string) string { return filepath.ToSlash(filepath.Clean(filepath.FromSlash(p))) }

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
