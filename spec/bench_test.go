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
	return specDir(tb, b.String())
}

// specDir writes src as the one spec file of a new directory.
func specDir(tb testing.TB, src string) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
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

// handWrittenSpec writes n task blocks, as users write specs by hand,
// spread over the given number of files.
func handWrittenSpec(tb testing.TB, n, files int) string {
	tb.Helper()
	dir := tb.TempDir()
	per := (n + files - 1) / files
	for f := 0; f < files; f++ {
		var b strings.Builder
		for i := f * per; i < min(n, (f+1)*per); i++ {
			fmt.Fprintf(&b, "task \"p%05d\" {\n  id     = \"tsk_SCALE%05d\"\n  prompt = \"Studio photo of product p%05d\"\n  model  = \"google/gemini-3.1-flash-image\"\n  size   = \"square\"\n}\n\n", i, i, i)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part%03d.mynth.hcl", f)), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func benchmarkLoadDir(b *testing.B, dir string, n int) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU(b)
	for b.Loop() {
		sp, diags := Load(dir, LoadOptions{})
		if diags.HasErrors() || len(sp.Tasks) != n {
			b.Fatalf("%d tasks, diagnostics: %v", len(sp.Tasks), diags)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/task")
	b.ReportMetric(float64((processCPU(b)-cpu).Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/task")
}

// BenchmarkLoadBlocks10000 loads 10,000 hand-written task blocks from one
// file; BenchmarkLoadFiles10000 the same blocks from 100 files. Their
// ns/task should be about equal: one large file must not cost more.
func BenchmarkLoadBlocks10000(b *testing.B) { benchmarkLoadDir(b, handWrittenSpec(b, 10000, 1), 10000) }
func BenchmarkLoadFiles10000(b *testing.B) {
	benchmarkLoadDir(b, handWrittenSpec(b, 10000, 100), 10000)
}

// BenchmarkLoadSmallFiles10000 loads the same blocks from 1,000 files of
// 10 blocks (1.3 KB) each: small files must not cost more per task.
func BenchmarkLoadSmallFiles10000(b *testing.B) {
	benchmarkLoadDir(b, handWrittenSpec(b, 10000, 1000), 10000)
}

// forEachSpec writes n tasks as one for_each block over a map of ids, as
// the scale script's foreach shape does.
func forEachSpec(tb testing.TB, n int) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("locals {\n  ids = {\n")
	for i := range n {
		fmt.Fprintf(&b, "    p%05d = \"tsk_SCALE%05d\"\n", i, i)
	}
	b.WriteString("  }\n}\n\ntask \"product\" {\n  for_each = local.ids\n  id       = each.value\n  prompt   = \"Studio photo of product ${each.key}\"\n  model    = \"google/gemini-3.1-flash-image\"\n  size     = \"square\"\n}\n")
	return specDir(tb, b.String())
}

// BenchmarkLoadForEach10000 loads the tasks of BenchmarkLoadBlocks10000
// as one for_each block: it should cost no more per task.
func BenchmarkLoadForEach10000(b *testing.B) { benchmarkLoadDir(b, forEachSpec(b, 10000), 10000) }
