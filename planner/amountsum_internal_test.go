package planner

import (
	"testing"

	"github.com/mynthform/mynthform/mynth"
)

// amountSum's total is the sum of one addition per amount, to the last
// place, for runs of equal amounts, equal values written with other
// exponents, and negatives.
func TestAmountSumIsTheSum(t *testing.T) {
	amounts := []string{"0.0125", "0.0125", "0.01250000", "0.0125", "0.04", "-0.01", "0.04", "0.00000001", "0.00000001", "5", "0.0125"}
	var want mynth.Amount
	var got amountSum
	for _, s := range amounts {
		a := mynth.MustParseAmount(s)
		want = want.Add(a)
		got.add(a)
	}
	sum := got.sum()
	if sum.Cmp(want) != 0 || sum.String() != want.String() || sum.Dollars() != want.Dollars() {
		t.Errorf("sum %s (%s), want %s (%s)", sum.String(), sum.Dollars(), want.String(), want.Dollars())
	}
	var none amountSum
	if s := none.sum(); !s.IsZero() || s.String() != (mynth.Amount{}).String() {
		t.Errorf("empty sum %s", s.String())
	}
}
