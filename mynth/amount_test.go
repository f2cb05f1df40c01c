package mynth

import "testing"

func TestAmountDollars(t *testing.T) {
	for in, want := range map[string]string{
		"0.01250000":   "$0.0125",
		"0.05000000":   "$0.05",
		"0.5":          "$0.50",
		"5":            "$5.00",
		"5.00000000":   "$5.00",
		"0":            "$0.00",
		"0.00000000":   "$0.00",
		"0.00000001":   "$0.00000001",
		"12.34567891":  "$12.34567891",
		"1234567.1":    "$1234567.10",
		"-1.5":         "-$1.50",
		"-0.00000001":  "-$0.00000001",
		"0.123456789":  "$0.123456789", // more places than Mynth sends: still exact
		"100":          "$100.00",
		"0.10":         "$0.10",
		"+2.010000000": "$2.01",
	} {
		got := MustParseAmount(in).Dollars()
		if got != want {
			t.Errorf("MustParseAmount(%q).Dollars() = %q, want %q", in, got, want)
		}
	}
	var zero Amount
	if got := zero.Dollars(); got != "$0.00" {
		t.Errorf("zero Amount: Dollars() = %q, want $0.00", got)
	}
	// A sum keeps every digit: no rounding to cents on the way.
	sum := MustParseAmount("0.0125").Add(MustParseAmount("0.0125")).Add(MustParseAmount("0.0125"))
	if got := sum.Dollars(); got != "$0.0375" {
		t.Errorf("sum.Dollars() = %q, want $0.0375", got)
	}
}
