package sse

import (
	"bytes"
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

// TestValidUTF8AtEveryPosition puts each kind of valid and invalid
// sequence at every position of ASCII text up to a little past two 32-byte
// blocks long, so that it falls in each lane and across each block boundary
// of the vector code, and before, at and after the end of the input.
func TestValidUTF8AtEveryPosition(t *testing.T) {
	seqs := []string{
		"é", "東", "𝄞", "\uFFFD", "\u07FF", "\u0800", "\uD7FF", "\uE000", "\U00010000", "\U0010FFFF",
		"\xff", "\xfe", "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xe2\x82", "\xe0\x9f\xbf", "\xe0\xa0",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x8f\xbf\xbf", "\xf0\x90\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
		"\xf8\x88\x80\x80\x80", "é\x80", "東\x80", "\xc3\xa9\xa9", "\xe6\x9d", "\xf0\x9d\x84",
	}
	for _, seq := range seqs {
		for n := len(seq); n <= 70; n++ {
			for pos := 0; pos+len(seq) <= n; pos++ {
				b := []byte(strings.Repeat("x", pos) + seq + strings.Repeat("y", n-pos-len(seq)))
				if got, want := validUTF8(b), utf8.Valid(b); got != want {
					t.Fatalf("validUTF8(%q) = %v, want %v", b, got, want)
				}
				// Twice, so that two sequences meet as well.
				b2 := append(b[:pos+len(seq):pos+len(seq)], b[pos:]...)
				if got, want := validUTF8(b2), utf8.Valid(b2); got != want {
					t.Fatalf("validUTF8(%q) = %v, want %v", b2, got, want)
				}
			}
		}
	}
}

// copyID's word paths must find a NUL at every position of every length
// they handle, leaving the ID buffer as it was, and copy a value that has
// none exactly: with the buffer short (the first ID) and full-sized; and
// the first ID must leave the buffer large enough for the word path.
func TestCopyID(t *testing.T) {
	const before = "earlier"
	for _, capacity := range []int{0, shortID} {
		for n := range 40 {
			b := bytes.Repeat([]byte{0x80}, n) // high bits set: the borrow trap of word tests
			for i := -1; i < n; i++ {
				for _, c := range []byte{0, 0x01} {
					if i >= 0 {
						b[i] = c
					}
					d := &Decoder{idBuf: append(make([]byte, 0, capacity), before...)}
					ok := d.copyID(b)
					hasNUL := i >= 0 && c == 0
					switch {
					case ok == hasNUL:
						t.Errorf("cap %d, len %d, %#x at %d: copyID = %v", capacity, n, c, i, ok)
					case ok && string(d.idBuf) != string(b):
						t.Errorf("cap %d, len %d, %#x at %d: copied %q, want %q", capacity, n, c, i, d.idBuf, b)
					case !ok && string(d.idBuf) != before:
						t.Errorf("cap %d, len %d, NUL at %d: buffer changed to %q", capacity, n, i, d.idBuf)
					case ok && cap(d.idBuf) < shortID:
						t.Errorf("cap %d, len %d: buffer left at capacity %d, below shortID: later IDs miss the word path", capacity, n, cap(d.idBuf))
					}
					if i >= 0 {
						b[i] = 0x80
					}
				}
			}
		}
	}
}
