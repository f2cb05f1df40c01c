package spec

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/mynth"
)

var budgetSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "max_total"}, {Name: "max_spent"}, {Name: "unpriced"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "price", LabelNames: []string{"model"}}},
}

var priceSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "image", Required: true}, {Name: "size"}},
}

// resolvedSizeRE is a resolved image size as Mynth reports it: "1536x1024".
var resolvedSizeRE = regexp.MustCompile(`^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$`)

// decodeBudgetBlock reads the budget block.
func (l *loader) decodeBudgetBlock(b *hcl.Block) (*Budget, hcl.Diagnostics) {
	content, diags := b.Body.Content(budgetSchema)
	diags = explainUnsupported(diags, "in the budget block", budgetSchema, content)
	fv := l.evalAttrs(content.Attributes, l.rootScope(), "")
	out := &Budget{DeclRange: b.DefRange, Ranges: map[string]hcl.Range{}, Unpriced: UnpricedWarn}
	for name, f := range fv.m {
		out.Ranges[name] = f.rng
	}
	ok := true
	limit := func(name string) *mynth.Amount {
		f, set := fv.get(name)
		if !set {
			if attr, given := content.Attributes[name]; given && !fv.failed[name] {
				// Set but null: without this the budget would silently
				// guard nothing.
				fv.add(errorf(attr.Expr.Range(), "Missing budget limit",
					"%s is null, so the budget would limit nothing. Give the most the tasks may cost, such as \"5.00\", or remove %s.", name, name))
				ok = false
			}
			return nil
		}
		amt, good := fv.amount(f)
		if !good {
			ok = false
			return nil
		}
		return &amt
	}
	out.MaxTotal = limit("max_total")
	out.MaxSpent = limit("max_spent")
	if f, set := fv.get("unpriced"); set {
		if s, good := fv.str(f); good {
			switch Unpriced(s) {
			case UnpricedWarn, UnpricedError:
				out.Unpriced = Unpriced(s)
			default:
				fv.add(errorf(f.rng, "Invalid unpriced setting",
					"unpriced says what a task of no known price does to the plan: \"warn\" (the default) or \"error\", not %s.%s Use one of the two.",
					shown(s, f.sensitive), hint(s, f.sensitive, []string{"warn", "error"})))
				ok = false
			}
		} else {
			ok = false
		}
	}
	for _, pb := range content.Blocks {
		p, pd := l.decodePriceBlock(pb)
		diags = append(diags, pd...)
		if p == nil {
			ok = false
			continue
		}
		dup := false
		for _, prev := range out.Prices {
			if prev.Model == p.Model && prev.Size == p.Size {
				what := fmt.Sprintf("%s (every size)", p.Model)
				if p.Size != "" {
					what = fmt.Sprintf("%s at %s", p.Model, p.Size)
				}
				diags = append(diags, duplicateDiag("price", what, p.DeclRange, prev.DeclRange))
				dup = true
				break
			}
		}
		if !dup {
			out.Prices = append(out.Prices, p)
		}
	}
	diags = append(diags, fv.diags...)
	if out.MaxTotal == nil && out.MaxSpent == nil && len(out.Prices) == 0 && ok && !diags.HasErrors() {
		if _, given := content.Attributes["max_total"]; !given {
			diags = append(diags, errorf(b.DefRange, "Missing budget limit",
				"The budget block sets no limit and no price. Add max_total = \"5.00\" (the most the spec's current tasks may cost), max_spent (the most spent in all, replaced and forgotten tasks included), or a price block; or remove the budget block."))
		}
		return nil, diags
	}
	if !ok || diags.HasErrors() {
		return nil, diags
	}
	return out, diags
}

// decodePriceBlock reads one `price "MODEL" { image = "0.0125" }` block.
func (l *loader) decodePriceBlock(b *hcl.Block) (*Price, hcl.Diagnostics) {
	content, diags := b.Body.Content(priceSchema)
	diags = explainUnsupported(diags, "in a price block", priceSchema, content)
	model := strings.TrimSpace(b.Labels[0])
	labelRange := b.DefRange
	if len(b.LabelRanges) > 0 {
		labelRange = b.LabelRanges[0]
	}
	if model == "" {
		diags = append(diags, errorf(labelRange, "Missing model",
			"A price block is labelled with the model it prices, such as price \"black-forest-labs/flux.2-dev\". Write the model id (\"auto\" for requests that leave the model to Mynth)."))
	}
	fv := l.evalAttrs(content.Attributes, l.rootScope(), "price.")
	p := &Price{Model: model, DeclRange: b.DefRange}
	ok := model != ""
	if f, set := fv.get("image"); set {
		amt, good := fv.amount(f)
		switch {
		case !good:
			ok = false
		case amt.IsZero():
			fv.add(errorf(f.rng, "Invalid price",
				"price.image is 0, and a price of zero is no worst case: the budget guard would create any number of these tasks. Give what one image of %s costs, fee included, such as \"0.0125\".", shown(model, false)))
			ok = false
		default:
			p.Image = amt
		}
	} else if _, given := content.Attributes["image"]; given && !fv.failed["image"] {
		fv.add(errorf(content.Attributes["image"].Expr.Range(), "Missing price",
			"price.image is null. Give what one image costs, fee included, such as \"0.0125\"."))
		ok = false
	} else if !given {
		ok = false // HCL reported the missing argument
	}
	if f, set := fv.get("size"); set {
		if s, good := fv.str(f); good {
			if !resolvedSizeRE.MatchString(s) {
				fv.add(errorf(f.rng, "Invalid price size",
					"price.size is the resolved image size the price applies to, as Mynth reports it (\"1536x1024\"), not %s. Write WIDTHxHEIGHT in pixels, or leave size out to price every size of the model.", shown(s, f.sensitive)))
				ok = false
			} else {
				p.Size = s
			}
		} else {
			ok = false
		}
	}
	diags = append(diags, fv.diags...)
	if !ok || diags.HasErrors() {
		return nil, diags
	}
	return p, diags
}
