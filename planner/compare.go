package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
)

// A tree is a JSON value decoded for comparison: objects are map[string]any,
// arrays are jsonArray, numbers are json.Number (exact), and strings, bools
// and nil are themselves.
//
// Arrays are held as maps keyed by index so that go-cmp compares them
// element by element (result.images[0] against result.images[0]) instead of
// aligning them with an edit script.
type jsonArray map[int]any

// decodeTree decodes raw JSON into a tree. Empty input is nil.
func decodeTree(raw []byte) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return toTree(v), nil
}

// valueTree marshals v and decodes it into a tree.
func valueTree(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeTree(raw)
}

func toTree(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = toTree(e)
		}
		return v
	case []any:
		out := make(jsonArray, len(v))
		for i, e := range v {
			out[i] = toTree(e)
		}
		return out
	}
	return v
}

// plainValue turns a tree back into ordinary JSON values ([]any for arrays)
// for Change.Before and Change.After.
func plainValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = plainValue(e)
		}
		return out
	case jsonArray:
		out := make([]any, len(v))
		for i := range out {
			out[i] = plainValue(v[i])
		}
		return out
	}
	return v
}

// changeReporter is a cmp.Reporter that records every difference as a
// Change whose path is written the way users write ignore_changes.
type changeReporter struct {
	prefix  string
	path    cmp.Path
	changes []Change
}

func (r *changeReporter) PushStep(ps cmp.PathStep) { r.path = append(r.path, ps) }

func (r *changeReporter) PopStep() { r.path = r.path[:len(r.path)-1] }

func (r *changeReporter) Report(rs cmp.Result) {
	if rs.Equal() {
		return
	}
	vx, vy := r.path.Last().Values()
	r.changes = append(r.changes, Change{
		Path:   r.format(),
		Before: reflectValue(vx),
		After:  reflectValue(vy),
	})
}

func reflectValue(v reflect.Value) any {
	if !v.IsValid() || !v.CanInterface() {
		return nil
	}
	return plainValue(v.Interface())
}

func (r *changeReporter) format() string {
	var b strings.Builder
	b.WriteString(r.prefix)
	for _, step := range r.path {
		mi, ok := step.(cmp.MapIndex)
		if !ok {
			continue
		}
		key := mi.Key()
		if key.Kind() == reflect.Int {
			fmt.Fprintf(&b, "[%d]", key.Int())
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(key.String())
	}
	return b.String()
}

// diffTrees returns the differences between before and after, two trees,
// with paths under prefix ("request", "result"). A nil side is taken as an
// empty object, so that a result that appears reports its top-level fields.
func diffTrees(prefix string, before, after any) []Change {
	if before == nil {
		before = map[string]any{}
	}
	if after == nil {
		after = map[string]any{}
	}
	if reflect.DeepEqual(before, after) {
		// The common case, without go-cmp's reflection.
		return nil
	}
	r := &changeReporter{prefix: prefix}
	cmp.Equal(before, after, cmp.Reporter(r))
	sort.SliceStable(r.changes, func(i, j int) bool { return pathLess(r.changes[i].Path, r.changes[j].Path) })
	return r.changes
}

// pathLess orders change paths naturally: result.images[2] before
// result.images[10].
func pathLess(a, b string) bool {
	for a != "" && b != "" {
		ia, ib := strings.IndexByte(a, '['), strings.IndexByte(b, '[')
		if ia < 0 || ib < 0 || a[:ia] != b[:ib] {
			return a < b
		}
		a, b = a[ia+1:], b[ib+1:]
		ja, jb := strings.IndexByte(a, ']'), strings.IndexByte(b, ']')
		if ja < 0 || jb < 0 {
			return a < b
		}
		na, ea := strconv.Atoi(a[:ja])
		nb, eb := strconv.Atoi(b[:jb])
		if ea != nil || eb != nil {
			return a < b
		}
		if na != nb {
			return na < nb
		}
		a, b = a[ja+1:], b[jb+1:]
	}
	return a < b
}

// requestTrees builds the two sides of a request comparison: want holds
// every field that the spec sets, normalized; got holds the same fields of
// the remote (or recorded) request, normalized the same way and with the
// API's defaults for what it leaves out, and nothing else. got may be nil
// (the request is unknown). The fields are mynth.RequestFields: those
// compared as a subset keep, in got, only the members want sets.
func requestTrees(spec mynth.Request, remote *mynth.Request) (want, got map[string]any, err error) {
	// Go values first, encoded and decoded once per side.
	w, g := map[string]any{}, map[string]any{}
	var subset []string
	specN := spec.WithDefaults()
	var remoteN mynth.Request
	if remote != nil {
		remoteN = remote.WithDefaults()
	}
	for _, f := range mynth.RequestFields() {
		if !f.IsSet(spec) {
			continue
		}
		w[f.Key] = f.Value(specN)
		if remote != nil {
			if gv := f.Value(remoteN); gv != nil {
				g[f.Key] = gv
			}
		}
		if f.Subset {
			subset = append(subset, f.Key)
		}
	}
	wt, err := valueTree(w)
	if err != nil {
		return nil, nil, fmt.Errorf("the spec's request: %w", err)
	}
	gt, err := valueTree(g)
	if err != nil {
		return nil, nil, fmt.Errorf("the task's request: %w", err)
	}
	want, _ = wt.(map[string]any)
	got, _ = gt.(map[string]any)
	if want == nil {
		want = map[string]any{}
	}
	if got == nil {
		got = map[string]any{}
	}
	for k, v := range got {
		if v == nil {
			delete(got, k)
		}
	}
	for _, k := range subset {
		if gv, ok := got[k]; ok {
			got[k] = restrictTo(gv, want[k])
		}
	}
	return want, got, nil
}

// restrictTo keeps, in the objects of got, only the members that want sets:
// for object-valued fields (output, webhook, ...) the spec compares only
// what it declares.
func restrictTo(got, want any) any {
	g, ok1 := got.(map[string]any)
	w, ok2 := want.(map[string]any)
	if !ok1 || !ok2 {
		return got
	}
	out := make(map[string]any, len(w))
	for k, wv := range w {
		if gv, ok := g[k]; ok {
			out[k] = restrictTo(gv, wv)
		}
	}
	return out
}

// compareRequest returns the differences between the remote request (before)
// and the spec's (after), at paths request.*.
func compareRequest(spec mynth.Request, remote *mynth.Request) ([]Change, error) {
	want, got, err := requestTrees(spec, remote)
	if err != nil {
		return nil, err
	}
	return diffTrees("request", got, want), nil
}

// ignored reports whether path is silenced by one of the patterns: a pattern
// matches the path itself and everything under it, and "[*]" matches any
// index.
func ignored(path string, patterns []string) bool {
	for _, p := range patterns {
		if matchPath(path, p) {
			return true
		}
	}
	return false
}

func matchPath(path, pattern string) bool {
	for pattern != "" {
		i := strings.Index(pattern, "[*]")
		if i < 0 {
			if !strings.HasPrefix(path, pattern) {
				return false
			}
			path = path[len(pattern):]
			pattern = ""
			break
		}
		if !strings.HasPrefix(path, pattern[:i]) {
			return false
		}
		path = path[i:]
		if !strings.HasPrefix(path, "[") {
			return false
		}
		j := strings.IndexByte(path, ']')
		if j < 0 {
			return false
		}
		if _, err := strconv.Atoi(path[1:j]); err != nil && path[1:j] != "*" {
			return false
		}
		path = path[j+1:]
		pattern = pattern[i+3:]
	}
	return path == "" || path[0] == '.' || path[0] == '['
}

// locateChanges sets the Range of each change of the request that has none
// yet: the spec attribute its path comes from, the longest one of t's
// Ranges that the path starts with ("request.prompt.positive" is at
// "prompt.positive", else at "prompt"; "request.inputs[1].url" at
// "inputs"; "request.prompt" at the prompt block's one attribute when it
// sets only one). A path the spec sets no attribute for keeps a nil Range.
func locateChanges(changes []Change, t *spec.Task, dir string) {
	for i := range changes {
		c := &changes[i]
		rest, ok := strings.CutPrefix(c.Path, "request.")
		if c.Range != nil || !ok {
			continue
		}
		for key := rest; key != ""; {
			if r, ok := t.Ranges[key]; ok {
				if key == rest {
					r = onlyAttribute(t, key, r)
				}
				c.Range = RangeOf(r, dir)
				break
			}
			cut := strings.LastIndexAny(key, ".[")
			if cut < 0 {
				break
			}
			key = key[:cut]
		}
	}
}

// onlyAttribute is the range of the one attribute set inside block key of
// t (the positive of a prompt block that sets nothing else: a plain prompt
// changes there), else r, the block's.
func onlyAttribute(t *spec.Task, key string, r hcl.Range) hcl.Range {
	var only []hcl.Range
	for k, kr := range t.Ranges {
		if strings.HasPrefix(k, key+".") {
			only = append(only, kr)
		}
	}
	if len(only) == 1 {
		return only[0]
	}
	return r
}

// filterIgnored removes the changes silenced by patterns.
func filterIgnored(changes []Change, patterns []string) []Change {
	if len(patterns) == 0 {
		return changes
	}
	out := changes[:0:0]
	for _, c := range changes {
		if !ignored(c.Path, patterns) {
			out = append(out, c)
		}
	}
	return out
}
