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
		if attr, set := content.Attributes["max_total"]; set && !fv.failed["max_total"] {
			// Set but null: without this the budget would silently
			// guard nothing.
			fv.add(errorf(attr.Expr.Range(), "Missing budget limit",
				"max_total is null, so the budget would limit nothing. Give the most the tasks may cost together, such as \"5.00\", or remove the budget block."))
		}
		return nil, append(diags, fv.diags...)
	}
	amt, ok := fv.amount(f)
	if !ok {
		return nil, append(diags, fv.diags...)
	}
	return &Budget{MaxTotal: amt, DeclRange: b.DefRange}, append(diags, fv.diags...)
}
