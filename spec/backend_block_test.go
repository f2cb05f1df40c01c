package spec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

const backendTask = `
task "a" {
  prompt = "p"
  files  = ["a.webp"]
}
`

func TestBackendBlock(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
mynth {
  manifest = "mynth.manifest.json"
  backend "pg" {
    conn_str    = "postgres://u:pw@db/x"
    schema_name = "assets"
  }
}
` + backendTask})
	sp := mustLoad(t, dir, LoadOptions{})
	want := &Backend{Type: "pg", ConnStr: "postgres://u:pw@db/x", SchemaName: "assets"}
	if diff := cmp.Diff(want, sp.Settings.Backend, cmpIgnoreRange); diff != "" {
		t.Errorf("backend (-want +got):\n%s", diff)
	}
	if sp.Settings.Manifest != "mynth.manifest.json" {
		t.Errorf("manifest %q", sp.Settings.Manifest)
	}

	// Everything may be left out: conn_str then comes from PG_CONN_STR.
	dir = writeSpec(t, map[string]string{"main.mynth.hcl": "mynth {\n  backend \"pg\" {}\n}\n" + backendTask})
	sp = mustLoad(t, dir, LoadOptions{})
	if diff := cmp.Diff(&Backend{Type: "pg"}, sp.Settings.Backend, cmpIgnoreRange); diff != "" {
		t.Errorf("empty backend block (-want +got):\n%s", diff)
	}
	if sp.Settings.Manifest != "" {
		t.Errorf("manifest %q without one", sp.Settings.Manifest)
	}
}

// cmpIgnoreRange leaves source ranges out of comparisons.
var cmpIgnoreRange = cmp.Comparer(func(a, b hcl.Range) bool { return true })

func TestBackendBlockDiagnostics(t *testing.T) {
	for name, tc := range map[string]struct {
		mynth string
		want  []string
	}{
		"unknown type":  {`backend "s3" {}`, []string{"Unsupported backend type"}},
		"two backends":  {"backend \"pg\" {}\n  backend \"pg\" {}", []string{"Duplicate backend block"}},
		"bad schema":    {`backend "pg" { schema_name = "a;drop" }`, []string{"Invalid schema name"}},
		"empty conn":    {`backend "pg" { conn_str = "" }`, []string{"Invalid connection string"}},
		"unknown attr":  {`backend "pg" { password = "x" }`, []string{"Unsupported argument"}},
		"no label":      {`backend {}`, []string{"Missing type for backend"}},
		"state too":     {"state = \"s.json\"\n  backend \"pg\" {}", []string{"State file and backend both set"}},
		"abs manifest":  {`manifest = "/tmp/m.json"`, []string{"Invalid manifest path"}},
		"up manifest":   {`manifest = "../m.json"`, []string{"Invalid manifest path"}},
		"manifest=st":   {`manifest = "mynth.state.json"`, []string{"Invalid manifest path"}},
		"manifest=img":  {`manifest = "a.webp"`, []string{"Invalid file path"}},
		"conn_str type": {`backend "pg" { conn_str = ["x"] }`, []string{"Incorrect attribute value type"}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeSpec(t, map[string]string{"main.mynth.hcl": "mynth {\n  " + tc.mynth + "\n}\n" + backendTask})
			sp, diags := Load(dir, LoadOptions{})
			if diff := cmp.Diff(tc.want, summaries(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, renderDiags(sp, diags))
			}
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("%s: no source range", d.Summary)
				}
			}
		})
	}
}

// TestConnStrNeverInDiagnostics: a conn_str from a sensitive variable is
// never shown, whatever is wrong with the block.
func TestConnStrNeverInDiagnostics(t *testing.T) {
	const canary = "postgres://u:CANARY@db/x"
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "pg" {
  sensitive = true
}
mynth {
  backend "pg" {
    conn_str    = var.pg
    schema_name = var.pg
  }
}
` + backendTask})
	sp, diags := Load(dir, LoadOptions{Vars: []string{"pg=" + canary}})
	text := renderDiags(sp, diags)
	if strings.Contains(text, "CANARY") {
		t.Errorf("the connection string is in the diagnostics:\n%s", text)
	}
	if diff := cmp.Diff([]string{"Invalid schema name"}, summaries(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	if sp.Settings.Backend == nil || sp.Settings.Backend.ConnStr != canary {
		t.Errorf("conn_str lost: %+v", sp.Settings.Backend)
	}
}
