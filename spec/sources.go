package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"path/filepath"
	"slices"

	"github.com/zclconf/go-cty/cty"
)

// Source is one spec file as Load read it.
type Source struct {
	// Name is the file's name relative to the spec directory, with forward
	// slashes.
	Name string
	// SHA256 is the hex sha256 of the file's bytes.
	SHA256 string
}

// Variable is a declared variable and the value Load gave it.
type Variable struct {
	Name      string
	Sensitive bool
	// Value is the value, without the sensitive mark; an unknown value
	// when none could be assigned (the error is a diagnostic).
	Value cty.Value
}

// savedSource names the values a saved plan gives, in diagnostics.
const savedSource = "the saved plan"

// recordSources fills sp.Sources and sp.Variables once l has loaded.
func (l *loader) recordSources(sp *Spec) {
	files := l.parser.Files()
	for _, path := range slices.Sorted(maps.Keys(l.specFiles)) {
		f := files[path]
		if f == nil {
			continue
		}
		name := path
		if rel, err := filepath.Rel(l.dir, path); err == nil {
			name = rel
		}
		sum := sha256.Sum256(f.Bytes)
		sp.Sources = append(sp.Sources, Source{Name: filepath.ToSlash(name), SHA256: hex.EncodeToString(sum[:])})
	}
	for _, n := range slices.Sorted(maps.Keys(l.variables)) {
		v := l.variables[n]
		// decodeVariableBlock starts every value as unknown, so it is
		// never cty.NilVal.
		val, _ := v.value.Unmark()
		sp.Variables = append(sp.Variables, Variable{Name: n, Sensitive: v.Sensitive, Value: val})
	}
}
