package sse

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestValidUTF8 checks that validUTF8, which the parser uses for joined
// data lines, agrees with utf8.Valid.
func TestValidUTF8(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	pieces := []string{"a", " ", "é", "東", "𝄞", "\uFFFD", "\xff", "\x80", "\xc0\xaf", "\xe2\x82",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf0\x9d\x84"}
	for range 200000 {
		var b []byte
		for range rng.IntN(40) {
			if rng.IntN(3) == 0 {
				b = append(b, pieces[rng.IntN(len(pieces))]...)
			} else {
				b = append(b, strings.Repeat("x", rng.IntN(40))...)
			}
		}
		if got, want := validUTF8(b), utf8.Valid(b); got != want {
			t.Fatalf("validUTF8(%q) = %v, want %v", b, got, want)
		}
	}
}
