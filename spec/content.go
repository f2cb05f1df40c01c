package spec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// bodyContent is body.Content(schema). When body is in native syntax and
// sets nothing the schema does not name (every attribute is one of the
// schema's, every nested block one of its types with its number of
// labels) and misses no required attribute, there is nothing to report,
// and the content is built here, the same as hclsyntax builds it:
// hclsyntax's Content makes four maps and a body of bookkeeping to find
// what is left over, about a kilobyte a call, three times per task block
// of a hand-written spec. Any other body goes to Content, whose
// diagnostics stand. body must be one the parser made, not what
// PartialContent leaves (whose hidden attributes the fast path cannot
// see): the task, settings and nested blocks of a spec always are.
// TestBodyContentMatchesHCL holds the promise.
func bodyContent(body hcl.Body, schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok || !plainContent(sb, schema) {
		return body.Content(schema)
	}
	attrs := make(hcl.Attributes, len(sb.Attributes))
	// One allocation for the attributes, which live as long as the map.
	slab := make([]hcl.Attribute, 0, len(sb.Attributes))
	for name, a := range sb.Attributes {
		slab = append(slab, *a.AsHCLAttribute())
		attrs[name] = &slab[len(slab)-1]
	}
	var blocks hcl.Blocks
	if len(sb.Blocks) > 0 {
		blocks = make(hcl.Blocks, len(sb.Blocks))
		for i, b := range sb.Blocks {
			blocks[i] = b.AsHCLBlock()
		}
	}
	return &hcl.BodyContent{Attributes: attrs, Blocks: blocks, MissingItemRange: sb.MissingItemRange()}, nil
}

// plainContent reports whether schema names everything body sets and
// body sets every attribute schema requires.
func plainContent(body *hclsyntax.Body, schema *hcl.BodySchema) bool {
	known := 0
	for _, as := range schema.Attributes {
		_, ok := body.Attributes[as.Name]
		switch {
		case ok:
			known++
		case as.Required:
			return false
		}
	}
	if known != len(body.Attributes) {
		return false
	}
	for _, b := range body.Blocks {
		ok := false
		for _, bs := range schema.Blocks {
			if bs.Type == b.Type {
				ok = len(b.Labels) == len(bs.LabelNames)
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
