package spec

import (
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestValidIdentifier holds validIdentifier to hclsyntax.ValidIdentifier
// on every ASCII string of up to three bytes and on random strings, and
// validTaskID to the regular expression it replaces.
func TestValidIdentifier(t *testing.T) {
	idPattern := regexp.MustCompile(`^tsk_[A-Za-z0-9_-]+$`)
	check := func(s string) {
		t.Helper()
		if got, want := validIdentifier(s), hclsyntax.ValidIdentifier(s); got != want {
			t.Fatalf("validIdentifier(%q) = %v, hclsyntax says %v", s, got, want)
		}
		for _, id := range []string{s, "tsk_" + s} {
			if got, want := validTaskID(id), idPattern.MatchString(id); got != want {
				t.Fatalf("validTaskID(%q) = %v, the pattern says %v", id, got, want)
			}
		}
	}
	check("")
	for a := range 128 {
		check(string(rune(a)))
		for b := range 128 {
			check(string([]byte{byte(a), byte(b)}))
		}
	}
	for _, a := range "aZ_9-. é" {
		for b := range 128 {
			for c := range 128 {
				check(string(a) + string([]byte{byte(b), byte(c)}))
			}
		}
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	alphabet := []rune("abcXYZ019_-. \n\t\"$é日本ß\u0301\u200d😀")
	for range 20000 {
		r := make([]rune, rnd.IntN(8))
		for i := range r {
			r[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		check(string(r))
	}
}
