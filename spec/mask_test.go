package spec

import (
	"strings"
	"testing"
)

// TestSnippetsMaskSecrets: a diagnostic's source snippet never shows an
// access_token as written (a valid PAT, or not one at all) or the value
// of a sensitive variable; it shows where it is, masked.
func TestSnippetsMaskSecrets(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		opts   LoadOptions
		secret string
		masked string
	}{
		{"invalid access token", map[string]string{"main.mynth.hcl": "task \"a\" {\n  prompt       = \"p\"\n  access_token = \"tok_SECRETCANARY123\"\n}\n"}, LoadOptions{},
			"SECRETCANARY", `access_token = "*******************"`},
		{"valid PAT on a block-wide snippet", map[string]string{"main.mynth.hcl": "task \"a\" {\n  prompt = \"p\"\n  access_token = \"pat_SECRETCANARY123\"\n  count = {\n    a = \"pat_SECRETCANARY123\"\n  }\n}\n"}, LoadOptions{},
			"SECRETCANARY", `a = "pat_***************"`},
		{"sensitive variable default", map[string]string{"main.mynth.hcl": "variable \"tok\" {\n  sensitive = true\n  default   = \"pat_SECRETCANARY123\"\n}\ntask \"a\" {\n  prompt = \"p\"\n  count  = [\n    \"pat_SECRETCANARY123\",\n  ]\n}\n"}, LoadOptions{},
			"SECRETCANARY", `"pat_***************",`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp, diags := Load(writeSpec(t, tt.files), tt.opts)
			if !diags.HasErrors() {
				t.Fatal("no error to print")
			}
			out := renderDiags(sp, diags)
			if strings.Contains(out, tt.secret) {
				t.Errorf("the snippet shows the secret:\n%s", out)
			}
			if !strings.Contains(out, tt.masked) {
				t.Errorf("the snippet lacks %s:\n%s", tt.masked, out)
			}
		})
	}
}
