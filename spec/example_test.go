package spec_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mynthform/mynthform/spec"
)

func ExampleLoad() {
	dir, err := os.MkdirTemp("", "spec-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	src := `
variable "model" {
  default = "google/gemini-3.1-flash-image"
}

task "product" {
  for_each = { mug = "a ceramic mug", bowl = "a stoneware bowl" }
  prompt   = "Studio photo of ${each.value}"
  model    = var.model
  size     = "square"
  files    = ["assets/${each.key}.webp"]
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
		panic(err)
	}
	sp, diags := spec.Load(dir, spec.LoadOptions{Vars: []string{"model=black-forest-labs/flux.2-dev"}})
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	for _, t := range sp.Tasks {
		fmt.Println(t.Address, t.Request.Prompt.Positive, t.Request.Model, t.Request.Size, t.Files)
	}
	// Output:
	// task.product["bowl"] Studio photo of a stoneware bowl black-forest-labs/flux.2-dev square [assets/bowl.webp]
	// task.product["mug"] Studio photo of a ceramic mug black-forest-labs/flux.2-dev square [assets/mug.webp]
}

func ExampleFormat() {
	out, diags := spec.Format([]byte("task \"a\" {\nprompt = \"p\"\n  count =  2\n}\n"), "main.mynth.hcl")
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	fmt.Print(string(out))
	// Output:
	// task "a" {
	//   prompt = "p"
	//   count  = 2
	// }
}
