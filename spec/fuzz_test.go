package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoad loads arbitrary spec text: whatever it is, Load must not panic,
// must return a Spec with Files, and every error must be a diagnostic.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"valid", "types", "ranges", "references", "request", "for_each"} {
		src, err := os.ReadFile(filepath.Join(fixtureDir, dir, "main.mynth.hcl"))
		if err == nil {
			f.Add(string(src), false)
		}
	}
	f.Add(`task "a" { prompt = "p" }`, false)
	f.Add(`{"task": {"a": {"prompt": "p", "size": {"type": "auto"}}}}`, true)
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte("data"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string, asJSON bool) {
		// A hang is a bug too: crash with the input, so that the fuzzer
		// records it.
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("Load hangs on %q (json %v)", src, asJSON)) })
		defer watchdog.Stop()
		// One directory per worker process, one spec file in it at a time.
		name, other := "main.mynth.hcl", "main.mynth.json"
		if asJSON {
			name, other = other, name
		}
		_ = os.Remove(filepath.Join(dir, other))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		sp, diags := Load(dir, LoadOptions{Vars: []string{"model=m"}})
		if sp == nil || sp.Files == nil {
			t.Fatal("Load returned no Spec or no Files")
		}
		for _, d := range diags {
			if d.Summary == "" {
				t.Errorf("a diagnostic without a summary: %+v", d)
			}
		}
		for _, task := range sp.Tasks {
			if task.Expect == nil || task.Address == "" {
				t.Errorf("incomplete task: %+v", task)
			}
		}
		if !asJSON {
			_, _ = Format([]byte(src), name)
		}
	})
}
