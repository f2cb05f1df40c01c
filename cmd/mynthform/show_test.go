package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/state"
)

// fakeShowView records what show asks its view to print.
type fakeShowView struct {
	calls    []string
	manifest render.Manifest
	st       *state.File
}

func (f *fakeShowView) Manifest(m render.Manifest, st *state.File) error {
	f.calls, f.manifest, f.st = append(f.calls, "manifest"), m, st
	return nil
}
func (f *fakeShowView) StateJSON(st *state.File) error {
	f.calls, f.st = append(f.calls, "json"), st
	return nil
}
func (f *fakeShowView) Plan(*planner.Plan) error { f.calls = append(f.calls, "plan"); return nil }

var _ render.ShowView = (*fakeShowView)(nil)

// TestShowDecides drives show with a fake view: the manifest, or with
// --json the state, always with what the spec marks sensitive hidden;
// the manifest names the state file and hides the same fields.
func TestShowDecides(t *testing.T) {
	dir, path := stateFixture(t, "mynth.state.json")
	spec := "variable \"v\" {\n  default   = \"m\"\n  sensitive = true\n}\n\ntask \"hero\" {\n  id    = \"tsk_hero\"\n  model = var.v\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		call string
	}{{nil, "manifest"}, {[]string{"--json"}, "json"}} {
		v := &fakeShowView{}
		var stdout, stderr bytes.Buffer
		g := &globals{ctx: context.Background(), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, dir: dir, showView: v}
		if code := runShow(g, tc.args); code != exitOK {
			t.Fatalf("show %q: exit %d; stderr: %s", tc.args, code, stderr.String())
		}
		if len(v.calls) != 1 || v.calls[0] != tc.call {
			t.Fatalf("show %q: calls %q, want [%s]", tc.args, v.calls, tc.call)
		}
		if stdout.Len() > 0 || stderr.Len() > 0 {
			t.Errorf("show %q wrote around its view: %s%s", tc.args, stdout.String(), stderr.String())
		}
		if tc.call == "json" {
			if req := string(v.st.Tasks["task.hero"].Request); strings.Contains(req, `"m"`) {
				t.Errorf("show --json was given the sensitive model: %s", req)
			}
			continue
		}
		if !strings.HasSuffix(v.manifest.Path, "mynth.state.json") || !strings.Contains(v.manifest.Path, filepath.Base(filepath.Dir(path))) {
			t.Errorf("manifest path %q, want the state file %s", v.manifest.Path, path)
		}
		if v.manifest.Sensitive == nil || !v.manifest.Sensitive("task.hero")["model"] {
			t.Errorf("the manifest does not hide task.hero's model")
		}
	}
}
