package spec

import (
	"github.com/mynthform/mynthform/mynth"
)

// This file decodes a task instance's expect block into Task.Expect.

// decodeExpect reads the expect block (nil when there is none) and fills
// in the defaults.
func (in *instance) decodeExpect(fs *fields, tb *taskBlock, count int, countKnown bool) *Expect {
	e := &Expect{Status: mynth.StatusCompleted, Images: count, Severity: SeverityError, DeclRange: tb.DeclRange}
	if fs == nil {
		return e
	}
	e.DeclRange = tb.Blocks["expect"].DefRange
	if f, ok := fs.get("status"); ok {
		in.use(f)
		if s, ok := fs.str(f); ok {
			switch mynth.Status(s) {
			case mynth.StatusCompleted, mynth.StatusFailed:
				e.Status = mynth.Status(s)
			default:
				fs.add(errorf(f.rng, "Invalid expected status", "expect.status is %s; a task ends completed or failed.%s Use \"completed\" or \"failed\".", shown(s, f.sensitive), hint(s, f.sensitive, []string{"completed", "failed"})))
			}
		}
	}
	if f, ok := fs.get("images"); ok {
		in.use(f)
		if n, ok := fs.integer(f); ok {
			switch {
			case n < 0:
				fs.add(errorf(f.rng, "Invalid expected image count", "expect.images is %s; it counts succeeded images, so it must be 0 or more. Fix the number.", shownInt(n, f.sensitive)))
			case countKnown && n > count:
				fs.add(errorf(f.rng, "Invalid expected image count", "expect.images is %s but the task makes only %d image(s) (count = %d). Lower expect.images or raise count.", shownInt(n, f.sensitive), count, count))
			default:
				e.Images = n
			}
		}
	}
	if f, ok := fs.get("size"); ok {
		in.use(f)
		if s, ok := fs.str(f); ok {
			if !wxhPattern.MatchString(s) {
				fs.add(errorf(f.rng, "Invalid expected size", "expect.size is %s; images are measured in pixels, so it must be WIDTHxHEIGHT, such as \"1536x1024\". Write the exact pixel size.", shown(s, f.sensitive)))
			} else {
				e.Size = s
			}
		}
	}
	if f, ok := fs.get("max_cost"); ok {
		in.use(f)
		if a, ok := fs.amount(f); ok {
			e.MaxCost = &a
		}
	}
	if f, ok := fs.get("severity"); ok {
		in.use(f)
		if s, ok := fs.str(f); ok {
			switch Severity(s) {
			case SeverityError, SeverityWarning:
				e.Severity = Severity(s)
			default:
				fs.add(errorf(f.rng, "Invalid severity", "expect.severity is %s.%s Use \"error\" (a failure fails the run) or \"warning\" (it is only reported).", shown(s, f.sensitive), hint(s, f.sensitive, []string{"error", "warning"})))
			}
		}
	}
	return e
}
