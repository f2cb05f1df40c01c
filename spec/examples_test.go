package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExamples loads every example spec: each must be free of errors and
// warnings, with and without the variable files it ships.
func TestExamples(t *testing.T) {
	dirs, err := os.ReadDir("../examples")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join("..", "examples", d.Name())
		specs, _ := filepath.Glob(filepath.Join(dir, "*.mynth.*"))
		if len(specs) == 0 {
			continue
		}
		n++
		varFiles, _ := filepath.Glob(filepath.Join(dir, "*"+VarFileSuffix))
		runs := [][]string{nil}
		for _, vf := range varFiles {
			runs = append(runs, []string{filepath.Base(vf)})
		}
		for _, files := range runs {
			t.Run(d.Name()+"/"+filepath.Join(files...), func(t *testing.T) {
				sp, diags := Load(dir, LoadOptions{VarFiles: files})
				if len(diags) > 0 {
					t.Fatalf("diagnostics:\n%s", renderDiags(sp, diags))
				}
				if len(sp.Tasks) == 0 {
					t.Error("no tasks")
				}
			})
		}
	}
	if n < 3 {
		t.Errorf("only %d examples", n)
	}
}
