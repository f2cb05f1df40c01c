package spec

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// taskBlock is a task block as written, before for_each expansion and
// evaluation.
type taskBlock struct {
	Name       string
	DeclRange  hcl.Range
	LabelRange hcl.Range
	ForEach    *hcl.Attribute
	// Inputs is the inputs attribute, which is evaluated once every
	// instance is decoded, with task.* in scope; nil when not set.
	Inputs *hcl.Attribute
	// Attrs are the task's attributes, for_each excepted.
	Attrs hcl.Attributes
	// Blocks are the nested blocks by type (each at most once) and their
	// attributes; both nil when there is none.
	Blocks     map[string]*hcl.Block
	BlockAttrs map[string]hcl.Attributes
}

// Attributes and nested blocks of a task block. prompt and size are
// attributes or blocks, whichever the body uses.
var (
	taskAttributes = []string{"id", "model", "count", "inputs", "metadata", "access_token", "for_each", "files", "ignore_changes"}
	taskBlocks     = []string{"output", "webhook", "content_rating", "expect"}
	nestedSchemas  = map[string]*hcl.BodySchema{
		"prompt": {Attributes: []hcl.AttributeSchema{
			{Name: "positive"}, {Name: "negative"}, {Name: "enhance"},
		}},
		"size": {Attributes: []hcl.AttributeSchema{
			{Name: "type"}, {Name: "width"}, {Name: "height"}, {Name: "mode"},
			{Name: "aspect_ratio"}, {Name: "scale"}, {Name: "prefer"},
		}},
		"output": {Attributes: []hcl.AttributeSchema{
			{Name: "format"}, {Name: "quality"},
		}},
		"webhook": {Attributes: []hcl.AttributeSchema{
			{Name: "enabled"}, {Name: "custom"},
		}},
		"content_rating": {Attributes: []hcl.AttributeSchema{
			{Name: "enabled"}, {Name: "levels"},
		}},
		"expect": {Attributes: []hcl.AttributeSchema{
			{Name: "status"}, {Name: "images"}, {Name: "size"}, {Name: "max_cost"}, {Name: "severity"},
		}},
	}
)

// taskSchemas holds the four task schemas, indexed by whether prompt
// (bit 0) and size (bit 1) are blocks.
var taskSchemas = func() [4]*hcl.BodySchema {
	var out [4]*hcl.BodySchema
	for i := range out {
		s := &hcl.BodySchema{}
		for _, n := range taskAttributes {
			s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
		}
		for _, n := range taskBlocks {
			s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: n})
		}
		for bit, n := range []string{"prompt", "size"} {
			if i&(1<<bit) != 0 {
				s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: n})
			} else {
				s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
			}
		}
		out[i] = s
	}
	return out
}()

// taskSchema returns the schema of a task body: prompt and size are read
// as blocks when the body (in native syntax) writes them as blocks, and as
// attributes otherwise, where they take a string or an object.
func taskSchema(body hcl.Body) *hcl.BodySchema {
	i := 0
	if sb, ok := body.(*hclsyntax.Body); ok {
		for _, b := range sb.Blocks {
			switch b.Type {
			case "prompt":
				i |= 1
			case "size":
				i |= 2
			}
		}
	}
	return taskSchemas[i]
}

// decodeTaskBlock reads the structure of a task block: which attributes
// and blocks it sets. Their values are evaluated per instance by
// decodeTasks.
func decodeTaskBlock(b *hcl.Block) (*taskBlock, hcl.Diagnostics) {
	tb, diags := taskBlockHeader(b)
	if tb == nil {
		return nil, diags
	}
	schema := taskSchema(b.Body)
	content, cd := bodyContent(b.Body, schema)
	if len(content.Blocks) > 0 {
		tb.Blocks = make(map[string]*hcl.Block, len(content.Blocks))
		tb.BlockAttrs = make(map[string]hcl.Attributes, len(content.Blocks))
	}
	diags = append(diags, explainUnsupported(cd, "in a task block", schema, content)...)
	tb.Attrs = content.Attributes
	if fe, ok := tb.Attrs["for_each"]; ok {
		tb.ForEach = fe
		delete(tb.Attrs, "for_each")
	}
	if in, ok := tb.Attrs["inputs"]; ok {
		tb.Inputs = in
		delete(tb.Attrs, "inputs")
	}
	for _, nb := range content.Blocks {
		if prev, ok := tb.Blocks[nb.Type]; ok {
			diags = append(diags, duplicateDiag(nb.Type+" block", "", nb.DefRange, prev.DefRange))
			continue
		}
		ns := nestedSchemas[nb.Type]
		nc, nd := bodyContent(nb.Body, ns)
		diags = append(diags, explainUnsupported(nd, "in "+article(nb.Type)+" "+nb.Type+" block", ns, nc)...)
		tb.Blocks[nb.Type] = nb
		tb.BlockAttrs[nb.Type] = nc.Attributes
	}
	return tb, diags
}

// taskBlockHeader reads what the header of a task block says: its name,
// which it checks, and ranges. It returns nil when the name is not valid.
func taskBlockHeader(b *hcl.Block) (*taskBlock, hcl.Diagnostics) {
	tb := &taskBlock{
		Name:       b.Labels[0],
		DeclRange:  b.DefRange,
		LabelRange: b.LabelRanges[0],
	}
	if !validIdentifier(tb.Name) {
		return nil, hcl.Diagnostics{errorf(tb.LabelRange, "Invalid task name",
			"%q is not a valid name: a name starts with a letter and holds only letters, digits, underscores and dashes. Rename the task.", tb.Name)}
	}
	return tb, nil
}

// instanceKey is one for_each key and its value.
type instanceKey struct {
	key   string
	value cty.Value
}

// forEachKeys evaluates a for_each expression: a map (or object) whose
// keys name the instances, or a set of strings.
func (l *loader) forEachKeys(attr *hcl.Attribute) ([]instanceKey, hcl.Diagnostics) {
	rng := attr.Expr.Range()
	val, diags := l.eval(attr.Expr, l.ctx, false)
	if diags.HasErrors() || !val.IsKnown() {
		return nil, diags
	}
	if val.IsMarked() {
		return nil, append(diags, errorf(rng, "Invalid for_each argument",
			"The for_each value is sensitive, and its keys would appear in task addresses. Iterate over something that is not sensitive, such as the keys of a map whose values are."))
	}
	if val.IsNull() {
		return nil, append(diags, errorf(rng, "Invalid for_each argument",
			"for_each is null. Give a map or a set of strings, or remove for_each."))
	}
	ty := val.Type()
	var keys []instanceKey
	switch {
	case ty.IsMapType() || ty.IsObjectType():
		for it := val.ElementIterator(); it.Next(); {
			k, v := it.Element()
			keys = append(keys, instanceKey{key: k.AsString(), value: v})
		}
	case ty.IsSetType():
		if !ty.ElementType().Equals(cty.String) && !ty.ElementType().Equals(cty.DynamicPseudoType) {
			return nil, append(diags, errorf(rng, "Invalid for_each argument",
				"for_each is a set of %s; it must be a map or a set of strings. Convert the elements to strings, or use a map.", friendlyType(ty.ElementType())))
		}
		for it := val.ElementIterator(); it.Next(); {
			_, v := it.Element()
			if !v.IsKnown() {
				return nil, diags // an error already reported
			}
			if v.IsMarked() {
				return nil, append(diags, errorf(rng, "Invalid for_each argument",
					"An element of the for_each set is sensitive, and it would appear in a task address. Iterate over something that is not sensitive."))
			}
			if v.IsNull() || !v.Type().Equals(cty.String) {
				return nil, append(diags, errorf(rng, "Invalid for_each argument",
					"for_each holds an element that is not a string. A set given to for_each must hold only strings."))
			}
			keys = append(keys, instanceKey{key: v.AsString(), value: v})
		}
	case ty.IsListType() || ty.IsTupleType():
		return nil, append(diags, errorf(rng, "Invalid for_each argument",
			"for_each is a list, whose positions would make unstable addresses. Give a map, or convert the list of strings to a set with toset(...)."))
	default:
		return nil, append(diags, errorf(rng, "Invalid for_each argument",
			"for_each is %s; it must be a map or a set of strings. Give a map such as { mug = \"a mug\" } or toset([\"a\", \"b\"]).", friendlyType(ty)))
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].key < keys[j].key })
	return keys, diags
}

// article is "a" or "an", as English puts it before word.
func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
