package spec

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestParseAddress(t *testing.T) {
	block := func(name string) Address { return Address{Name: name} }
	inst := func(name, key string) Address { return Address{Name: name, Key: key, HasKey: true} }
	tests := []struct {
		in   string
		want Address
	}{
		{"task.hero", block("hero")},
		{"task._x-1", block("_x-1")},
		{"task.café", block("café")},
		{"task.日本", block("日本")},
		{"  task.hero\t\n", block("hero")},
		{`task.product["mug"]`, inst("product", "mug")},
		{`task.a-b_c["x y"]`, inst("a-b_c", "x y")},
		{`task.product[""]`, inst("product", "")},
		{`task.product[]`, inst("product", "")},
		{`task.product[mug]`, inst("product", "mug")},
		{`task.product['mug']`, inst("product", "mug")},
		{`task.product['a "quoted" key']`, inst("product", `a "quoted" key`)},
		{`task.product[my mug]`, inst("product", "my mug")},
		{`task.product["a\"]b"]`, inst("product", `a"]b`)},
		{`task.product["a]"]`, inst("product", `a]`)},
		{`task.product["back\\slash"]`, inst("product", `back\slash`)},
		{`task.product["line\nbreak\r\ttab"]`, inst("product", "line\nbreak\r\ttab")},
		{"task.product[\"raw\nnewline\"]", inst("product", "raw\nnewline")},
		{`task.product["\u00e9\U0001F600"]`, inst("product", "é😀")},
		{`task.product["\u001B[31m"]`, inst("product", "\x1b[31m")},
		{`task.product["${not a template}"]`, inst("product", "${not a template}")},
		{`task.product["  spaced  "]`, inst("product", "  spaced  ")},
		// A decomposed é is the spec's composed one (cty strings are NFC).
		{"task.product[\"e\u0301\"]", inst("product", "é")},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAddress(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Error(diff)
			}
			again, err := ParseAddress(got.String())
			if err != nil || again != got {
				t.Errorf("%s reads back as %+v, %v", got, again, err)
			}
		})
	}
}

func TestParseAddressRefuses(t *testing.T) {
	tests := []struct {
		in, reason, suggestion string
	}{
		{"", `it does not start with "task."`, ""},
		{"   ", `it does not start with "task."`, ""},
		{"product", `it does not start with "task."`, "task.product"},
		{`product["mug"]`, `it does not start with "task."`, `task.product["mug"]`},
		{"tasks.product", `it does not start with "task."`, "task.product"},
		{"Task.product", `it does not start with "task."`, "task.product"},
		{"task.", "the task name is missing", ""},
		{`task.["mug"]`, "the task name is missing", ""},
		{"task.a.b", `"a.b" is not a task name: an address has one name after "task."`, ""},
		{"task.9x", `"9x" is not a task name`, ""},
		{"task. hero", `" hero" is not a task name`, ""},
		{`task.hero ["k"]`, `"hero " is not a task name`, ""},
		{"task.he ro", `"he ro" is not a task name`, ""},
		{"task.a\nb", `"a\nb" is not a task name`, ""},
		{`task.a["k"`, "the key does not end with ]", ""},
		{`task.a["k" ]`, "the key does not end with ]", ""},
		{`task.a["k]`, "the key's closing quote is missing", ""},
		{`task.a["k\"]`, "the key's closing quote is missing", ""},
		{`task.a["k\`, "the key's closing quote is missing", ""},
		{`task.a['k]`, "the key's closing quote is missing", ""},
		{`task.a[k`, "the key does not end with ]", ""},
		{`task.a[x"]`, `the key is not a quoted string: write it as task.NAME["KEY"], with \" for a quote inside`, ""},
		{`task.a[ "k" ]`, `the key is not a quoted string: write it as task.NAME["KEY"], with \" for a quote inside`, ""},
		{`task.a["x"]["y"]`, "an address has one key", ""},
		{`task.a["x"].images`, `".images" follows the key`, ""},
		{`task.a[x]y`, `"y" follows the key`, ""},
		{`task.a["\q"]`, `the key holds the unknown escape \q (a backslash is written \\)`, ""},
		{`task.a["\u12"]`, `the escape \u in the key needs 4 hex digits`, ""},
		{`task.a["\uzzzz"]`, `the escape \u in the key needs 4 hex digits`, ""},
		{`task.a["\uD800"]`, `the escape \uD800 in the key is not a character`, ""},
		{`task.a["\U00110000"]`, `the escape \U00110000 in the key is not a character`, ""},
		{"task.a[\"\xff\"]", "it is not valid UTF-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := ParseAddress(tt.in)
			var ae *AddressError
			if !errors.As(err, &ae) {
				t.Fatalf("got %+v, %v; want an *AddressError", a, err)
			}
			if diff := cmp.Diff(AddressError{Input: tt.in, Reason: tt.reason, Suggestion: tt.suggestion}, *ae); diff != "" {
				t.Error(diff)
			}
			if a != (Address{}) {
				t.Errorf("a refused address comes with %+v", a)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !utf8.ValidString(msg) {
				t.Errorf("the error is not one valid line: %q", msg)
			}
			if !strings.Contains(msg, `addresses are task.NAME, or task.NAME["KEY"]`) {
				t.Errorf("the error does not say how to write an address: %s", msg)
			}
			if tt.suggestion != "" && !strings.HasSuffix(msg, "; did you mean "+tt.suggestion+"?") {
				t.Errorf("the error does not suggest %s: %s", tt.suggestion, msg)
			}
		})
	}
}

func TestAddressMatch(t *testing.T) {
	hero, product := Address{Name: "hero"}, Address{Name: "product"}
	mug := Address{Name: "product", Key: "mug", HasKey: true}
	empty := Address{Name: "product", Key: "", HasKey: true}
	tests := []struct {
		pattern, addr Address
		want          bool
	}{
		{hero, hero, true},
		{product, mug, true},
		{product, empty, true},
		{product, product, true},
		{mug, mug, true},
		{mug, product, false},
		{mug, empty, false},
		{empty, product, false},
		{empty, empty, true},
		{hero, product, false},
		{Address{Name: "prod"}, mug, false},
		{hero, Address{}, false},
		{mug, Address{Name: "product", Key: "mug"}, false},
	}
	for _, tt := range tests {
		if got := tt.pattern.Match(tt.addr); got != tt.want {
			t.Errorf("%s.Match(%s) = %v, want %v", tt.pattern, tt.addr, got, tt.want)
		}
	}
}

func TestScopeContains(t *testing.T) {
	p := func(s string) Address {
		a, err := ParseAddress(s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	all := []string{"task.hero", `task.product["mug"]`, `task.product["bowl"]`, `task.product[""]`, "task.other"}
	tests := []struct {
		name  string
		scope Scope
		want  []string
	}{
		{"everything", Scope{}, all},
		{"a block", Scope{Targets: []Address{p("task.product")}}, []string{`task.product["mug"]`, `task.product["bowl"]`, `task.product[""]`}},
		{"an instance", Scope{Targets: []Address{p(`task.product["mug"]`)}}, []string{`task.product["mug"]`}},
		{"the empty key", Scope{Targets: []Address{p(`task.product[]`)}}, []string{`task.product[""]`}},
		{"exclude an instance", Scope{Excludes: []Address{p(`task.product["mug"]`)}}, []string{"task.hero", `task.product["bowl"]`, `task.product[""]`, "task.other"}},
		{"exclude after target", Scope{Targets: []Address{p("task.product"), p("task.hero")}, Excludes: []Address{p("task.product")}}, []string{"task.hero"}},
		{"a target that matches nothing", Scope{Targets: []Address{p("task.none")}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range all {
				if tt.scope.Contains(p(s)) {
					got = append(got, s)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Error(diff)
			}
			if tt.scope.IsAll() != (len(tt.scope.Targets)+len(tt.scope.Excludes) == 0) {
				t.Error("IsAll disagrees with the scope")
			}
		})
	}
	// An address the state holds that is not one (a hand-edited state) is
	// in a scope without targets, and in no other.
	junk := AddressOf("junk")
	if junk != (Address{}) || !(Scope{Excludes: []Address{p("task.hero")}}).Contains(junk) || (Scope{Targets: []Address{p("task.hero")}}).Contains(junk) {
		t.Errorf("a malformed recorded address: %+v", junk)
	}
}

// TestAddressJSON: a scope is written as the strings a user types, and read
// back exactly; a malformed address in a file is refused.
func TestAddressJSON(t *testing.T) {
	s := Scope{Targets: []Address{{Name: "product", Key: "a\"]\nb", HasKey: true}}, Excludes: []Address{{Name: "hero"}}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"targets":["task.product[\"a\\\"]\\nb\"]"],"excludes":["task.hero"]}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	var back Scope
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, back); diff != "" {
		t.Error(diff)
	}
	if b, _ := json.Marshal(Scope{}); string(b) != `{}` {
		t.Errorf("the empty scope is %s", b)
	}
	if err := json.Unmarshal([]byte(`{"targets":["task.a.b"]}`), &back); err == nil || !strings.Contains(err.Error(), `"task.a.b" is not a task address`) {
		t.Errorf("a malformed address in JSON: %v", err)
	}
}

// TestAddressOfLoadedKeys: the addresses Load gives for_each instances, whose
// keys hold quotes, brackets, backslashes, newlines, control characters,
// template sequences and unicode, read back as the task's own address.
func TestAddressOfLoadedKeys(t *testing.T) {
	dir := t.TempDir()
	src := `
task "product" {
  for_each = toset(["mug", "", "a\"]b", "back\\slash", "line\nbreak", "tab\there", "esc\u001b[31m", "$${x}", "é", "e\u0301x", "日本", " spaced "])
  prompt   = "a ${each.key}"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, diags := Load(dir, LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(sp.Tasks) != 12 {
		t.Fatalf("%d tasks, want 12", len(sp.Tasks))
	}
	for _, task := range sp.Tasks {
		a, err := ParseAddress(task.Address)
		if err != nil {
			t.Errorf("%q: %v", task.Address, err)
			continue
		}
		if a != task.Addr() || !(Address{Name: "product"}).Match(a) {
			t.Errorf("%q reads as %+v, want %+v", task.Address, a, task.Addr())
		}
		if strings.ContainsAny(task.Address, "\n\r\x1b") {
			t.Errorf("the address %q holds a control character", task.Address)
		}
	}
}

// FuzzAddress: whatever ParseAddress accepts, its String reads back as the
// same address; whatever address String writes (any name the spec accepts,
// any valid UTF-8 key), ParseAddress reads back; a refusal is one line; Parse never
// panics.
func FuzzAddress(f *testing.F) {
	for _, s := range []string{"task.a", `task.a["k"]`, `task.a[k]`, `task.a['k']`, `task.a["a\"]\n\\"]`, `task.a["\u00e9"]`, "task.", "task.a.b", " task.a ", `task.a[""]`, "product"} {
		f.Add(s, "a", "k", true)
	}
	f.Add("", "日本", "\x00\x7f\u2028\"]", true)
	f.Add("", "café", "e\u0301", true)
	f.Fuzz(func(t *testing.T, s, name, key string, hasKey bool) {
		if a, err := ParseAddress(s); err == nil {
			back, err := ParseAddress(a.String())
			if err != nil || back != a {
				t.Fatalf("%q reads as %+v, whose String %q reads as %+v, %v", s, a, a.String(), back, err)
			}
		} else if strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("the error for %q is not one line: %q", s, err)
		}
		if !hclsyntax.ValidIdentifier(name) || !utf8.ValidString(name) || !utf8.ValidString(key) {
			return
		}
		if !hasKey {
			key = ""
		}
		// The spec's keys are NFC, as every cty string is.
		a := Address{Name: name, Key: cty.StringVal(key).AsString(), HasKey: hasKey}
		back, err := ParseAddress(a.String())
		if err != nil || back != a {
			t.Fatalf("%+v writes as %q, which reads as %+v, %v", a, a.String(), back, err)
		}
		if !a.Block().Match(a) || (hasKey && a.Match(a.Block())) {
			t.Fatalf("%s and its block %s do not match as they should", a, a.Block())
		}
	})
}

// TestContainsAddressMatchesContains: the string forms, which skip the
// parse when there is nothing to match, answer as Contains and MatchAny of
// the parsed address do, invalid addresses included.
func TestContainsAddressMatchesContains(t *testing.T) {
	p := func(s string) Address { return AddressOf(s) }
	scopes := []Scope{
		{},
		{Targets: []Address{p("task.a")}},
		{Excludes: []Address{p(`task.a["k"]`)}},
		{Targets: []Address{p("task.a"), p("task.b")}, Excludes: []Address{p(`task.b["x"]`)}},
	}
	addrs := []string{"task.a", `task.a["k"]`, `task.a["a\"]\n\\"]`, "task.b", `task.b["x"]`, "task.c", "", "not an address", "task."}
	for _, sc := range scopes {
		for _, a := range addrs {
			if got, want := sc.ContainsAddress(a), sc.Contains(AddressOf(a)); got != want {
				t.Errorf("%+v.ContainsAddress(%q) = %v, Contains = %v", sc, a, got, want)
			}
			if got, want := MatchAnyAddress(sc.Targets, a), MatchAny(sc.Targets, AddressOf(a)); got != want {
				t.Errorf("MatchAnyAddress(%v, %q) = %v, MatchAny = %v", sc.Targets, a, got, want)
			}
		}
	}
}
