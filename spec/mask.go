package spec

import (
	"bytes"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// minMaskedSecret is the shortest secret maskSources hides: masking every
// "a" of a file for a one-letter sensitive value would hide the snippet
// itself, and tells no more than the value's length.
const minMaskedSecret = 4

// noteSecret records an access_token as written, valid or not, for
// secretTexts; instances are decoded in parallel.
func (l *loader) noteSecret(s string) {
	l.secretMu.Lock()
	defer l.secretMu.Unlock()
	l.written = append(l.written, s)
}

// secretTexts returns the strings a source snippet must not show: every
// task's access_token as written (a valid Public Access Token or not) and
// the string values of the sensitive variables, given or default.
func (l *loader) secretTexts(sp *Spec) []string {
	var out []string
	add := func(s string) {
		if len(s) >= minMaskedSecret {
			out = append(out, s)
		}
	}
	l.secretMu.Lock()
	for _, s := range l.written {
		add(s)
	}
	l.secretMu.Unlock()
	for _, t := range sp.Tasks {
		add(t.AccessToken)
	}
	for _, v := range l.variables {
		if !v.Sensitive {
			continue
		}
		for _, val := range []cty.Value{v.value, v.Default} {
			stringLeaves(val, add)
		}
	}
	return out
}

// stringLeaves calls add with every known string inside v.
func stringLeaves(v cty.Value, add func(string)) {
	if v == cty.NilVal {
		return
	}
	v, _ = v.UnmarkDeep()
	_ = cty.Walk(v, func(_ cty.Path, x cty.Value) (bool, error) {
		if x.IsKnown() && !x.IsNull() && x.Type() == cty.String {
			add(x.AsString())
		}
		return true, nil
	})
}

// maskSources replaces, in the source of every file, each secret by
// asterisks of the same length (a Public Access Token keeps its "pat_"),
// so that a diagnostic's snippet shows where the secret is and not what
// it is. Byte offsets do not move, so every range stays valid.
func maskSources(files map[string]*hcl.File, secrets []string) {
	if len(secrets) == 0 {
		return
	}
	for name, f := range files {
		var masked []byte
		for _, s := range secrets {
			src := f.Bytes
			if masked != nil {
				src = masked
			}
			if !bytes.Contains(src, []byte(s)) {
				continue
			}
			if masked == nil {
				masked = bytes.Clone(f.Bytes)
			}
			hide := bytes.Repeat([]byte("*"), len(s))
			if strings.HasPrefix(s, "pat_") || strings.HasPrefix(s, "mak_") {
				copy(hide, s[:4])
			}
			for i := 0; ; {
				j := bytes.Index(masked[i:], []byte(s))
				if j < 0 {
					break
				}
				copy(masked[i+j:], hide)
				i += j + len(s)
			}
		}
		if masked != nil {
			c := *f
			c.Bytes = masked
			files[name] = &c
		}
	}
}
