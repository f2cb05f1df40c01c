package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

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
//
// Each side is the tree its JSON decodes to (fieldTree), built from the Go
// values without encoding them.
func requestTrees(spec mynth.Request, remote *mynth.Request) (want, got map[string]any, err error) {
	want, got = map[string]any{}, map[string]any{}
	specN := spec.WithDefaults()
	for f := range mynth.AllRequestFields() {
		if !fieldIsSet(f, &spec) {
			continue
		}
		if want[f.Key], err = fieldTree(f, specN); err != nil {
			return nil, nil, fmt.Errorf("the spec's request: %w", err)
		}
	}
	if remote == nil {
		return want, got, nil
	}
	remoteN := remote.WithDefaults()
	for f := range mynth.AllRequestFields() {
		wv, ok := want[f.Key]
		if !ok {
			continue
		}
		gv, err := fieldTree(f, remoteN)
		if err != nil {
			return nil, nil, fmt.Errorf("the task's request: %w", err)
		}
		if gv == nil {
			continue // unset, or JSON null: absent
		}
		if f.Subset {
			gv = restrictTo(gv, wv)
		}
		got[f.Key] = gv
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
	if remote != nil && requestsAgree(spec, *remote) {
		return nil, nil // the common case, without building trees
	}
	want, got, err := requestTrees(spec, remote)
	if err != nil {
		return nil, err
	}
	return diffTrees("request", got, want), nil
}

// requestsAgree reports whether every field that spec sets has the same Go
// value, normalized (WithDefaults), in spec and in remote, with the subset
// fields compared on the members spec sets. A field's tree is a function
// of its value, so agreeing requests have equal trees and no change; when
// they do not agree the trees decide (two strings that differ only in
// bytes that are not UTF-8 read back from JSON as the same text).
func requestsAgree(spec, remote mynth.Request) bool {
	// WithDefaults, with the normalized sizes on the stack: this runs for
	// every task refreshed.
	w, g := spec, remote
	wSize, gSize := sizeWithDefault(spec.Size), sizeWithDefault(remote.Size)
	w.Model, g.Model = modelKey(w.Model), modelKey(g.Model)
	w.Size, g.Size = &wSize, &gSize
	w.Count, g.Count = max(w.Count, 1), max(g.Count, 1)
	for f := range mynth.AllRequestFields() {
		if fieldIsSet(f, &spec) && !fieldAgrees(f, &w, &g) {
			return false
		}
	}
	return true
}

// sizeWithDefault is the size mynth.Request.WithDefaults gives s.
func sizeWithDefault(s *mynth.Size) mynth.Size {
	if s == nil {
		return mynth.Size{Preset: "auto"}
	}
	return s.Normalize()
}

// fieldAgrees reports whether field f, which w sets, has the same value in
// g (as requestsAgree compares it). A field it does not know never agrees:
// its trees decide.
func fieldAgrees(f mynth.RequestField, w, g *mynth.Request) bool {
	switch f.Key {
	case "prompt":
		return g.Prompt != nil && *g.Prompt == *w.Prompt
	case "model":
		return g.Model == w.Model
	case "size":
		return g.Size != nil && *g.Size == *w.Size
	case "count":
		return g.Count == w.Count
	case "inputs":
		return slices.Equal(g.Inputs, w.Inputs)
	case "output":
		wo, ro := w.Output, g.Output
		return ro != nil && (wo.Format == "" || ro.Format == wo.Format) &&
			(wo.Quality == nil || ro.Quality != nil && *ro.Quality == *wo.Quality)
	case "webhook":
		ww, gw := w.Webhook, g.Webhook
		return gw != nil && sameBoolMember(ww.Enabled, gw.Enabled) &&
			(len(ww.Custom) == 0 || slices.Equal(gw.Custom, ww.Custom))
	case "content_rating":
		wc, gc := w.ContentRating, g.ContentRating
		return gc != nil && sameBoolMember(wc.Enabled, gc.Enabled) &&
			(len(wc.Levels) == 0 || slices.Equal(gc.Levels, wc.Levels))
	case "metadata":
		// Invalid JSON is an error and null an absent field: the trees
		// say so.
		return bytes.Equal(g.Metadata, w.Metadata) && json.Valid(w.Metadata) &&
			!bytes.Equal(bytes.TrimSpace(w.Metadata), []byte("null"))
	case "access":
		wa, ga := w.Access, g.Access
		return ga != nil && (wa.PAT == nil || ga.PAT != nil && ga.PAT.Enabled == wa.PAT.Enabled)
	}
	return false
}

// sameBoolMember reports whether got has want's value of an optional
// member of a subset field: always, when want leaves it out.
func sameBoolMember(want, got *bool) bool {
	return want == nil || got != nil && *got == *want
}

// fieldIsSet is f.IsSet(r) without reflection for the fields it knows.
func fieldIsSet(f mynth.RequestField, r *mynth.Request) bool {
	switch f.Key {
	case "prompt":
		return r.Prompt != nil
	case "model":
		return r.Model != ""
	case "size":
		return r.Size != nil
	case "count":
		return r.Count != 0
	case "inputs":
		return len(r.Inputs) > 0
	case "output":
		return r.Output != nil
	case "webhook":
		return r.Webhook != nil
	case "content_rating":
		return r.ContentRating != nil
	case "metadata":
		return len(r.Metadata) > 0
	case "access":
		return r.Access != nil
	}
	return f.IsSet(*r)
}

// fieldTree is the tree of field f of r: what decodeTree gives for the
// field's JSON encoding (json.Marshal of f.Value(r)), built from the Go
// value; nil when r does not set it. Only metadata that is not valid JSON
// fails, with json.Marshal's error.
func fieldTree(f mynth.RequestField, r mynth.Request) (any, error) {
	if !fieldIsSet(f, &r) {
		return nil, nil
	}
	switch f.Key {
	case "prompt":
		return promptTree(*r.Prompt), nil
	case "model":
		return jsonText(r.Model), nil
	case "size":
		return sizeTree(*r.Size), nil
	case "count":
		return jsonInt(r.Count), nil
	case "inputs":
		out := make(jsonArray, len(r.Inputs))
		for i, in := range r.Inputs {
			out[i] = inputTree(in)
		}
		return out, nil
	case "output":
		m := map[string]any{}
		if r.Output.Format != "" {
			m["format"] = jsonText(r.Output.Format)
		}
		if r.Output.Quality != nil {
			m["quality"] = jsonInt(*r.Output.Quality)
		}
		return m, nil
	case "webhook":
		m := map[string]any{}
		if r.Webhook.Enabled != nil {
			m["enabled"] = *r.Webhook.Enabled
		}
		if len(r.Webhook.Custom) > 0 {
			custom := make(jsonArray, len(r.Webhook.Custom))
			for i, e := range r.Webhook.Custom {
				custom[i] = map[string]any{"url": jsonText(e.URL)}
			}
			m["custom"] = custom
		}
		return m, nil
	case "content_rating":
		m := map[string]any{}
		if r.ContentRating.Enabled != nil {
			m["enabled"] = *r.ContentRating.Enabled
		}
		if len(r.ContentRating.Levels) > 0 {
			levels := make(jsonArray, len(r.ContentRating.Levels))
			for i, l := range r.ContentRating.Levels {
				levels[i] = map[string]any{"value": jsonText(l.Value), "description": jsonText(l.Description)}
			}
			m["levels"] = levels
		}
		return m, nil
	case "metadata":
		if !json.Valid(r.Metadata) {
			if _, err := json.Marshal(r.Metadata); err != nil {
				return nil, err
			}
		}
		return decodeTree(r.Metadata)
	case "access":
		m := map[string]any{}
		if r.Access.PAT != nil {
			m["pat"] = map[string]any{"enabled": r.Access.PAT.Enabled}
		}
		return m, nil
	}
	return valueTree(f.Value(r))
}

// promptTree is the tree of p's JSON (mynth.Prompt.MarshalJSON): a string
// when only Positive is set, else the object form.
func promptTree(p mynth.Prompt) any {
	if p.Negative == "" && p.Enhance == "" {
		return jsonText(p.Positive)
	}
	m := map[string]any{"positive": jsonText(p.Positive)}
	if p.Negative != "" {
		m["negative"] = jsonText(p.Negative)
	}
	switch p.Enhance {
	case "":
	case mynth.EnhanceOff:
		m["enhance"] = false
	case "true":
		m["enhance"] = true
	default:
		m["enhance"] = jsonText(p.Enhance)
	}
	return m
}

// sizeTree is the tree of s's JSON (mynth.Size.MarshalJSON): the preset,
// else the object form without its empty members.
func sizeTree(s mynth.Size) any {
	if s.Preset != "" {
		return jsonText(s.Preset)
	}
	m := map[string]any{"type": jsonText(s.Type)}
	if s.Width != 0 {
		m["width"] = jsonInt(s.Width)
	}
	if s.Height != 0 {
		m["height"] = jsonInt(s.Height)
	}
	for _, kv := range [...]struct{ k, v string }{{"mode", s.Mode}, {"aspectRatio", s.AspectRatio}, {"scale", s.Scale}, {"prefer", s.Prefer}} {
		if kv.v != "" {
			m[kv.k] = jsonText(kv.v)
		}
	}
	return m
}

// inputTree is the tree of in's JSON (mynth.Input.MarshalJSON): the URL
// when no role is set, else the object form.
func inputTree(in mynth.Input) any {
	if in.Role == "" {
		return jsonText(in.URL)
	}
	return map[string]any{
		"type":   "image",
		"role":   jsonText(in.Role),
		"source": map[string]any{"type": "url", "url": jsonText(in.URL)},
	}
}

func jsonInt(n int) json.Number { return json.Number(strconv.Itoa(n)) }

// jsonText is s as it reads back from its JSON encoding: encoding/json
// writes every byte that is not part of valid UTF-8 as U+FFFD.
func jsonText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
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
			if r, ok := t.Ranges.Get(key); ok {
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
	for k, kr := range t.Ranges.All() {
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
