package mynth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Amount is an exact amount of US dollars. Mynth sends every amount as a
// decimal string with eight places ("0.01250000"); Amount never passes through
// a float. The zero value is $0.
//
// Amount wraps shopspring/decimal (arbitrary precision, immutable values)
// rather than exposing it, so that the JSON form is always a string with
// eight places whatever the library's package-level settings say.
type Amount struct{ d decimal.Decimal }

// amountPlaces is the number of decimal places Mynth uses for amounts.
const amountPlaces = 8

// ParseAmount parses a decimal amount such as "0.0125" or "5". It refuses
// anything that is not a plain decimal number: exponents, NaN, infinities,
// and empty strings.
func ParseAmount(s string) (Amount, error) {
	if s == "" {
		return Amount{}, fmt.Errorf("empty amount")
	}
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '.':
		case (r == '-' || r == '+') && i == 0:
		default:
			return Amount{}, fmt.Errorf("amount %q is not a decimal number", s)
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return Amount{}, fmt.Errorf("amount %q is not a decimal number", s)
	}
	return Amount{d: d}, nil
}

// MustParseAmount is ParseAmount for constants in code and tests; it panics
// on a malformed literal, which is a programmer error.
func MustParseAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

// Add returns a + b.
func (a Amount) Add(b Amount) Amount { return Amount{d: a.d.Add(b.d)} }

// Sub returns a - b.
func (a Amount) Sub(b Amount) Amount { return Amount{d: a.d.Sub(b.d)} }

// Mul returns a × n.
func (a Amount) Mul(n int64) Amount { return Amount{d: a.d.Mul(decimal.NewFromInt(n))} }

// DivUp returns a ÷ n rounded up to eight places (Mynth's precision), so
// that n × the result is never less than a: a per-image price taken from a
// total is a safe worst case. n must be positive.
func (a Amount) DivUp(n int64) Amount {
	q, r := a.d.QuoRem(decimal.NewFromInt(n), amountPlaces)
	if r.Sign() > 0 {
		q = q.Add(decimal.New(1, -amountPlaces))
	}
	return Amount{d: q}
}

// Cmp compares a and b: -1 when a < b, 0 when equal, +1 when a > b.
func (a Amount) Cmp(b Amount) int { return a.d.Cmp(b.d) }

// IsZero reports whether a is $0.
func (a Amount) IsZero() bool { return a.d.IsZero() }

// IsNegative reports whether a is below $0.
func (a Amount) IsNegative() bool { return a.d.IsNegative() }

// String formats a with eight decimal places, as Mynth does.
func (a Amount) String() string { return a.d.StringFixed(amountPlaces) }

// Short formats a without trailing zeros ("0.0125", "5").
func (a Amount) Short() string { return a.d.String() }

// Dollars formats a for people: a dollar sign and the digits that matter,
// never fewer than two decimals and never rounded ("$0.0125", "$0.05",
// "$5.00", "-$1.50"). Machine-readable output (JSON, the state) keeps
// String's eight places; every human view of money goes through Dollars so
// that they all agree.
func (a Amount) Dollars() string {
	d, neg := a.d, a.d.IsNegative()
	if neg {
		d = d.Abs() // a copy: only for the rare negative amount
	}
	s := d.String()
	if dot := strings.IndexByte(s, '.'); dot < 0 || len(s)-dot-1 < 2 {
		s = d.StringFixed(2)
	}
	if neg {
		return "-$" + s
	}
	return "$" + s
}

// MarshalJSON writes a as a JSON string with eight places.
func (a Amount) MarshalJSON() ([]byte, error) {
	// Digits, a point and a sign need no escaping: the string is quoted
	// as json.Marshal would, without encoding/json's reflection.
	s := a.String()
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// UnmarshalJSON reads a JSON string ("0.01250000"). A bare JSON number is
// accepted too, parsed from its literal text, never through a float.
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	v, err := ParseAmount(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}
