package planner

import "github.com/mynthform/mynthform/mynth"

// amountPtr parses a literal amount, for budgets in tests.
func amountPtr(s string) *mynth.Amount {
	a := mynth.MustParseAmount(s)
	return &a
}
