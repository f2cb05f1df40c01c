package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBudgetBlock reads every setting of the budget block: both limits,
// the unpriced setting and prices for every size and for one size.
func TestBudgetBlock(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "cap" {
  default = "2.50"
}
budget {
  max_total = "1.00"
  max_spent = var.cap
  unpriced  = "error"
  price "black-forest-labs/flux.2-dev" {
    image = "0.008"
  }
  price "black-forest-labs/flux.2-dev" {
    image = "0.016"
    size  = "2048x2048"
  }
}
task "a" {
  prompt = "p"
}
`})
	sp, diags := Load(dir, LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b := sp.Budget
	if b == nil || b.MaxTotal == nil || b.MaxSpent == nil {
		t.Fatalf("budget %+v", b)
	}
	type price struct{ Model, Size, Image string }
	var got []price
	for _, p := range b.Prices {
		got = append(got, price{p.Model, p.Size, p.Image.String()})
	}
	want := []price{{"black-forest-labs/flux.2-dev", "", "0.00800000"}, {"black-forest-labs/flux.2-dev", "2048x2048", "0.01600000"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("prices (-want +got):\n%s", diff)
	}
	if b.MaxTotal.String() != "1.00000000" || b.MaxSpent.String() != "2.50000000" || b.Unpriced != UnpricedError {
		t.Errorf("max_total %s, max_spent %s, unpriced %s", b.MaxTotal, b.MaxSpent, b.Unpriced)
	}
}

// TestBudgetBlockOneLimit: either limit alone is a budget, and a block
// with neither and no price is an error.
func TestBudgetBlockOneLimit(t *testing.T) {
	for name, tc := range map[string]struct {
		body    string
		wantErr bool
	}{
		"max_spent only": {`max_spent = "3"`, false},
		"prices only":    {"price \"m\" {\n image = \"0.01\"\n}", false},
		"nothing":        {"", true},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeSpec(t, map[string]string{"main.mynth.hcl": "budget {\n" + tc.body + "\n}\ntask \"a\" {\n prompt = \"p\"\n}\n"})
			sp, diags := Load(dir, LoadOptions{})
			if diags.HasErrors() != tc.wantErr {
				t.Fatalf("diagnostics %v", diags)
			}
			if !tc.wantErr && (sp.Budget == nil || sp.Budget.MaxTotal != nil || sp.Budget.Unpriced != UnpricedWarn) {
				t.Errorf("budget %+v", sp.Budget)
			}
			if tc.wantErr && (diags[0].Summary != "Missing budget limit" || diags[0].Subject == nil) {
				t.Errorf("diagnostic %v", diags[0])
			}
		})
	}
}
