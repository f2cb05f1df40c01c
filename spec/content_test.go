package spec

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// contentSchemas are the schemas bodyContent is held to hclsyntax's
// Content with: the task and nested block schemas, and some with labels
// and required attributes.
func contentSchemas() []*hcl.BodySchema {
	out := append([]*hcl.BodySchema{rootSchema, budgetSchema, priceSchema, {}}, taskSchemas[:]...)
	for _, s := range nestedSchemas {
		out = append(out, s)
	}
	return append(out, &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "prompt", Required: true}, {Name: "x"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "expect"}, {Type: "price", LabelNames: []string{"model"}}},
	})
}

// checkContent holds bodyContent to hclsyntax's Content on body and every
// body nested in it, with every schema of contentSchemas, and returns how
// many calls took the fast path.
func checkContent(t *testing.T, body *hclsyntax.Body, schemas []*hcl.BodySchema) int {
	t.Helper()
	fast := 0
	for _, s := range schemas {
		want, wd := body.Content(s)
		if !plainContent(body, s) {
			// bodyContent is Content itself (whose diagnostics come in
			// the order of a map's iteration).
			continue
		}
		fast++
		got, gd := bodyContent(body, s)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gd, wd) {
			t.Fatalf("bodyContent and hclsyntax differ on a body at %s (-hclsyntax +bodyContent):\n%s%s", body.SrcRange,
				cmp.Diff(want, got, cmp.Exporter(func(reflect.Type) bool { return true })), cmp.Diff(wd, gd))
		}
	}
	for _, b := range body.Blocks {
		fast += checkContent(t, b.Body, schemas)
	}
	return fast
}

// TestBodyContentMatchesHCL parses the pieces of quickParse's tests and
// random task blocks, valid and not, and holds bodyContent to hclsyntax's
// Content on every body; enough of them must take the fast path.
func TestBodyContentMatchesHCL(t *testing.T) {
	schemas := contentSchemas()
	r := rand.New(rand.NewPCG(5, 16))
	srcs := append(append([]string{}, quickPieces...), notQuickPieces...)
	n := 2000
	if testing.Short() || raceEnabled {
		n = 200
	}
	for i := range n {
		if i%2 == 0 {
			srcs = append(srcs, randomPiece(r))
		} else {
			srcs = append(srcs, randomPlainBlock(r, i))
		}
	}
	fast := 0
	for _, src := range srcs {
		f, _ := hclsyntax.ParseConfig([]byte(src), "f.hcl", hcl.Pos{Line: 3, Column: 1, Byte: 40})
		if body, ok := f.Body.(*hclsyntax.Body); ok {
			fast += checkContent(t, body, schemas)
		}
	}
	t.Logf("%d fast contents", fast)
	if fast < len(srcs) {
		t.Errorf("only %d of the contents of %d pieces took the fast path: the test checks too little", fast, len(srcs))
	}
}
