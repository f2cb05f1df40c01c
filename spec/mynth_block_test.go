package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestParallelismResolution: a flag wins, then the mynth block, then the
// default; a spec that could not be read (nil) takes the default.
func TestParallelismResolution(t *testing.T) {
	block := &Spec{Settings: Settings{Parallelism: 32}}
	for _, tt := range []struct {
		name string
		sp   *Spec
		flag int
		want int
	}{
		{"flag over the block", block, 3, 3},
		{"the block without a flag", block, 0, 32},
		{"no block", &Spec{}, 0, DefaultParallelism},
		{"no spec", nil, 0, DefaultParallelism},
		{"no spec, a flag", nil, 1000, 1000},
	} {
		if got := tt.sp.Parallelism(tt.flag); got != tt.want {
			t.Errorf("%s: Parallelism(%d) = %d, want %d", tt.name, tt.flag, got, tt.want)
		}
	}
}

func TestStatePath(t *testing.T) {
	for _, tt := range []struct {
		sp   *Spec
		want string
	}{
		{&Spec{Settings: Settings{State: "state/custom.json"}}, "state/custom.json"},
		{&Spec{}, DefaultStatePath},
		{nil, DefaultStatePath},
	} {
		if got := tt.sp.StatePath(); got != tt.want {
			t.Errorf("%+v: StatePath() = %q, want %q", tt.sp, got, tt.want)
		}
	}
}

// TestCheckParallelismIsTheBlocksBound: the mynth block takes exactly what
// CheckParallelism takes (the --parallelism flag checks with it too).
func TestCheckParallelismIsTheBlocksBound(t *testing.T) {
	for _, n := range []int{-3, 0, 1, 10, MaxParallelism, MaxParallelism + 1, 1 << 30} {
		dir := t.TempDir()
		src := fmt.Sprintf("mynth {\n  parallelism = %d\n}\n\ntask \"a\" {\n  prompt = \"a\"\n}\n", n)
		if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		sp, diags := Load(dir, LoadOptions{})
		ok := CheckParallelism(n) == nil
		if diags.HasErrors() == ok {
			t.Errorf("parallelism = %d: CheckParallelism ok %v, but the block's diagnostics: %v", n, ok, diags)
		}
		if ok && sp.Parallelism(0) != n {
			t.Errorf("parallelism = %d: Parallelism(0) = %d", n, sp.Parallelism(0))
		}
	}
	if err := CheckParallelism(0); err == nil || err.Error() != "must be a whole number from 1 to 1000" {
		t.Errorf("CheckParallelism(0) = %v", err)
	}
}
