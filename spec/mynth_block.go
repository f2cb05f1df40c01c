package spec

import (
	"net/url"

	"github.com/hashicorp/hcl/v2"
)

var mynthSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "state"},
		{Name: "parallelism"},
		{Name: "base_url"},
	},
}

// decodeMynthBlock reads the mynth block into s, whose defaults are
// already set.
func (l *loader) decodeMynthBlock(b *hcl.Block, s *Settings) hcl.Diagnostics {
	s.DeclRange = b.DefRange
	content, diags := b.Body.Content(mynthSchema)
	diags = explainUnsupported(diags, "in the mynth block", mynthSchema)
	fv := l.evalAttrs(content.Attributes, l.ctx, false, "")

	if f, ok := fv.get("state"); ok {
		if v, ok := fv.str(f); ok {
			if v == "" {
				fv.add(errorf(f.rng, "Invalid state path", "state is empty. Give a file path such as %q, or leave state out for that default.", DefaultStatePath))
			} else {
				s.State = v
			}
		}
	}
	if f, ok := fv.get("parallelism"); ok {
		if n, ok := fv.integer(f); ok {
			if n < 1 || n > 1000 {
				fv.add(errorf(f.rng, "Invalid parallelism", "parallelism is %s; it must be between 1 and 1000. Pick a number in that range (the default is %d).", shownInt(n, f.sensitive), DefaultParallelism))
			} else {
				s.Parallelism = n
			}
		}
	}
	if f, ok := fv.get("base_url"); ok {
		if v, ok := fv.str(f); ok {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				fv.add(errorf(f.rng, "Invalid base URL", "base_url %s is not an http or https URL. Write a URL such as \"https://api.mynth.io\", or leave base_url out.", shown(v, f.sensitive)))
			} else {
				s.BaseURL = v
			}
		}
	}
	return append(diags, fv.diags...)
}
