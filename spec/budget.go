package spec

import (
	"github.com/hashicorp/hcl/v2"
)

var budgetSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "max_total", Required: true}},
}

// decodeBudgetBlock reads the budget block.
func (l *loader) decodeBudgetBlock(b *hcl.Block) (*Budget, hcl.Diagnostics) {
	content, diags := b.Body.Content(budgetSchema)
	diags = explainUnsupported(diags, "in the budget block", budgetSchema)
	fv := l.evalAttrs(content.Attributes, l.ctx, false, "")
	f, ok := fv.get("max_total")
	if !ok {
		return nil, append(diags, fv.diags...)
	}
	amt, ok := fv.amount(f)
	if !ok {
		return nil, append(diags, fv.diags...)
	}
	return &Budget{MaxTotal: amt, DeclRange: b.DefRange}, append(diags, fv.diags...)
}
