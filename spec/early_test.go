package spec

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// earlySpec has one task of each kind an early id could be guessed
// from: only task.literal and task.second have ids to tell.
const earlySpec = `mynth {
  parallelism = 7
  state       = "elsewhere.json"
}

variable "id" {
  default = "tsk_FROMVAR"
}

locals {
  ids = { a = "tsk_EACHA" }
}

task "literal" {
  id     = "tsk_LITERAL"
  prompt = "a"
}

task "from_var" {
  id     = var.id
  prompt = "b"
}

task "template" {
  id     = "tsk_${var.id}"
  prompt = "c"
}

task "each" {
  for_each = local.ids
  id       = each.value
  prompt   = "d"
}

task "each_literal" {
  for_each = { x = 1 }
  id       = "tsk_EACHLITERAL"
  prompt   = "e"
}

task "not_an_id" {
  id     = "../tasks/1"
  prompt = "f"
}

task "none" {
  prompt = "g"
}

task "second" {
  id     = "tsk_SECOND"
  prompt = "h"
}
`

type earlyHeard struct {
	mu       sync.Mutex
	ids      map[string]string
	settings []Settings
}

func (h *earlyHeard) hooks() *Early {
	h.ids = map[string]string{}
	return &Early{
		TaskID: func(addr, id string) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.ids[addr] = id
		},
		Settings: func(s Settings) { h.settings = append(h.settings, s) },
	}
}

// TestEarlyHearsLiteralIDs: Early hears the literal ids of the tasks
// without for_each, and nothing else (an id from a variable, a template,
// each.value, a for_each block, a string that is no task id), whether the
// file parses whole or in pieces (one block each); each is the id the
// loaded Spec gives the task. It hears the settings once, equal to the
// Spec's.
func TestEarlyHearsLiteralIDs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(earlySpec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{0, 1} {
		var h earlyHeard
		sp, diags := Load(dir, LoadOptions{Early: h.hooks(), chunkBytes: chunk})
		// task.not_an_id is refused; everything else loads.
		if len(diags) != 1 || !strings.Contains(diags[0].Summary, "Invalid task id") {
			t.Fatalf("chunk %d: diagnostics %v", chunk, diags)
		}
		want := map[string]string{"task.literal": "tsk_LITERAL", "task.second": "tsk_SECOND"}
		if diff := cmp.Diff(want, h.ids); diff != "" {
			t.Errorf("chunk %d: ids heard (-want +got):\n%s", chunk, diff)
		}
		for addr, id := range h.ids {
			if task := sp.Task(addr); task == nil || task.ID != id {
				t.Errorf("chunk %d: heard %s for %s, the spec gives %v", chunk, id, addr, task)
			}
		}
		// The settings are heard although a task has an error: only
		// the mynth block and what comes before it count.
		if len(h.settings) != 1 || h.settings[0].Parallelism != 7 || h.settings[0].State != "elsewhere.json" ||
			!cmp.Equal(h.settings[0], sp.Settings) {
			t.Errorf("chunk %d: settings heard %+v, the spec's %+v", chunk, h.settings, sp.Settings)
		}
	}
}

// TestEarlySettingsNotOnError: a mynth block with an error is not told.
func TestEarlySettingsNotOnError(t *testing.T) {
	dir := t.TempDir()
	src := "mynth {\n  parallelism = \"many\"\n}\n\ntask \"a\" {\n  id     = \"tsk_A\"\n  prompt = \"a\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var h earlyHeard
	_, diags := Load(dir, LoadOptions{Early: h.hooks()})
	if !diags.HasErrors() {
		t.Fatalf("no error for parallelism \"many\"")
	}
	if len(h.settings) != 0 {
		t.Errorf("settings heard from a mynth block with an error: %+v", h.settings)
	}
}
