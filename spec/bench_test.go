package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// generatedSpec writes a spec of n tasks: half plain, half one for_each
// block over a map, each with a prompt, model, size, files and expect.
func generatedSpec(tb testing.TB, n int) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("variable \"model\" {\n  default = \"google/gemini-3.1-flash-image\"\n}\n\nbudget {\n  max_total = \"500.00\"\n}\n\n")
	half := n / 2
	for i := 0; i < half; i++ {
		fmt.Fprintf(&b, "task \"t%d\" {\n  prompt = \"Studio photo number %d of ${var.model}\"\n  model  = var.model\n  size   = \"square\"\n  files  = [\"assets/t%d.webp\"]\n  expect {\n    max_cost = \"0.02\"\n  }\n}\n\n", i, i, i)
	}
	b.WriteString("locals {\n  products = {\n")
	for i := 0; i < n-half; i++ {
		fmt.Fprintf(&b, "    p%d = \"product %d\"\n", i, i)
	}
	b.WriteString("  }\n}\n\ntask \"product\" {\n  for_each = local.products\n  prompt   = \"Studio photo of ${each.value}\"\n  model    = var.model\n  size     = \"landscape\"\n  files    = [\"assets/products/${each.key}.webp\"]\n}\n")
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func benchmarkLoad(b *testing.B, n int) {
	dir := generatedSpec(b, n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sp, diags := Load(dir, LoadOptions{})
		if diags.HasErrors() || len(sp.Tasks) != n {
			b.Fatalf("%d tasks, diagnostics: %v", len(sp.Tasks), diags)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/task")
}

// BenchmarkLoad1000 and BenchmarkLoad10000 together show that loading is
// linear: their ns/task should be about equal.
func BenchmarkLoad1000(b *testing.B)  { benchmarkLoad(b, 1000) }
func BenchmarkLoad10000(b *testing.B) { benchmarkLoad(b, 10000) }
