package spec

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSizePresetsOfTheSizeGuide: the docs' size guide lists portrait_tall
// and landscape_wide beside square, portrait and landscape; the spec
// accepts them as it accepts the others (any case, normalized to lower
// case) and still refuses a preset Mynth does not have.
func TestSizePresetsOfTheSizeGuide(t *testing.T) {
	for _, tc := range []struct{ size, want, diag string }{
		{"portrait_tall", `"portrait_tall"`, ""},
		{"Landscape_Wide", `"landscape_wide"`, ""},
		{"instagram", `"instagram"`, ""},
		{"portrait_wide", "", "Unknown size"},
	} {
		t.Run(tc.size, func(t *testing.T) {
			dir := writeSpec(t, map[string]string{"main.mynth.hcl": fmt.Sprintf("task \"a\" {\n  prompt = \"p\"\n  size   = %q\n}\n", tc.size)})
			sp, diags := Load(dir, LoadOptions{})
			if tc.diag != "" {
				if want := []string{tc.diag}; !cmp.Equal(want, summaries(diags)) {
					t.Fatalf("diagnostics %v, want %v", summaries(diags), want)
				}
				if text := renderDiags(sp, diags); !strings.Contains(text, "portrait_tall") {
					t.Errorf("the diagnostic does not list the new presets:\n%s", text)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("diagnostics:\n%s", renderDiags(sp, diags))
			}
			if got := requestJSON(t, sp.Task("task.a").Request); !strings.Contains(got, `"size":`+tc.want) {
				t.Errorf("request %s, want size %s", got, tc.want)
			}
		})
	}
}

// TestRatingLevelLengths: a custom content-rating level's value is 1 to 24
// characters and its description 1 to 150 (the content-rating guide and
// the errors-and-limits page); characters, not bytes.
func TestRatingLevelLengths(t *testing.T) {
	level := func(v, d string) string { return fmt.Sprintf("{ value = %q, description = %q }", v, d) }
	for _, tc := range []struct {
		name, first string
		bad         bool
	}{
		{"value of 24", level(strings.Repeat("v", 24), "d"), false},
		{"value of 24 characters, 48 bytes", level(strings.Repeat("é", 24), "d"), false},
		{"value of 25", level(strings.Repeat("v", 25), "d"), true},
		{"empty value", level("", "d"), true},
		{"description of 150", level("v", strings.Repeat("d", 150)), false},
		{"description of 151", level("v", strings.Repeat("d", 151)), true},
		{"empty description", level("v", ""), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "task \"a\" {\n  prompt = \"p\"\n  content_rating {\n    enabled = true\n    levels  = [" + tc.first + ", " + level("other", "other") + "]\n  }\n}\n"
			sp, diags := Load(writeSpec(t, map[string]string{"main.mynth.hcl": src}), LoadOptions{})
			got := summaries(diags)
			if tc.bad {
				if !cmp.Equal([]string{"Invalid rating level"}, got) {
					t.Fatalf("diagnostics %v, want [Invalid rating level]", got)
				}
				if d := diags[0]; d.Subject == nil || d.Subject.Filename == "" || d.Subject.Start.Line != 5 {
					t.Errorf("diagnostic without the levels line: %+v", d.Subject)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("diagnostics:\n%s", renderDiags(sp, diags))
			}
		})
	}
}
