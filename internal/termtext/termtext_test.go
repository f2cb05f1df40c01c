package termtext

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, line, block string
	}{
		{"plain", "google/gemini-3.1-flash-image 1536x1024 café", "google/gemini-3.1-flash-image 1536x1024 café", "google/gemini-3.1-flash-image 1536x1024 café"},
		{"workflow command", "m\n::error file=x::forged", `m\n::error file=x::forged`, "m\n::error file=x::forged"},
		{"stop commands", "m\r\n::stop-commands::tok", `m\r\n::stop-commands::tok`, "m\\r\n::stop-commands::tok"},
		{"escape sequence", "\x1b]0;title\x07\x1b[2J", `\x1b]0;title\x07\x1b[2J`, `\x1b]0;title\x07\x1b[2J`},
		{"tab and nul", "a\tb\x00", `a\tb\x00`, "a\tb\\x00"},
		{"del and c1 csi", "a\x7fb\u009b2J", `a\x7fb\u009b2J`, `a\x7fb\u009b2J`},
		{"invalid utf-8", "a\xffb", `a\xffb`, `a\xffb`},
		{"bidi override", "evil\u202egnp.exe", `evil\u202egnp.exe`, `evil\u202egnp.exe`},
		{"line separator", "a\u2028b", `a\u2028b`, `a\u2028b`},
		{"backslash kept", `C:\x`, `C:\x`, `C:\x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.in); got != tt.line {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if got := Block(tt.in); got != tt.block {
				t.Errorf("Block(%q) = %q, want %q", tt.in, got, tt.block)
			}
			if got := Line(tt.in); strings.ContainsAny(got, "\n\r\x1b\x00\x7f") {
				t.Errorf("Line(%q) still holds a control character: %q", tt.in, got)
			}
		})
	}
}

func TestCleanTextIsNotCopied(t *testing.T) {
	s := strings.Repeat("plain text, ünïcode ok ", 100)
	if n := testing.AllocsPerRun(100, func() { _ = Line(s) }); n != 0 {
		t.Errorf("Line allocated %v times for clean text", n)
	}
}
