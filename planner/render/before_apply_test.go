package render

import (
	"bytes"
	"strings"
	"testing"
)

// TestHumanBeforeApply: before apply carries a failing plan out, the human
// view says the checks run again afterwards instead of "The plan failed".
func TestHumanBeforeApply(t *testing.T) {
	p := mixedPlan("https://img.example")
	if !p.Failed() {
		t.Fatal("the mixed fixture should fail")
	}
	for _, tc := range []struct {
		h          Human
		want, lose string
	}{
		{Human{}, "The plan failed:", "Some checks fail now"},
		{Human{BeforeApply: true}, "Some checks fail now: apply checks them again", "The plan failed:"},
	} {
		var b bytes.Buffer
		if err := tc.h.Render(&b, p); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) || strings.Contains(b.String(), tc.lose) {
			t.Errorf("Human%+v: want %q and not %q at the end of:\n%s", tc.h, tc.want, tc.lose, b.String())
		}
	}
}
