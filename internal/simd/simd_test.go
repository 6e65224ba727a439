package simd

import (
	"bytes"
	"strings"
	"testing"
)

// indexPairRef is IndexPair as plainly as it can be written.
func indexPairRef(b []byte, c0, c1 byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == c0 && b[i+1] == c1 {
			return i
		}
	}
	return -1
}

// TestIndexPair puts a pair at every position of inputs up to a little
// past three blocks of the vector code, among bytes that are half of it,
// so that each block, the last overlapping one and (below 33 bytes) the
// portable search find it and none finds a false one.
func TestIndexPair(t *testing.T) {
	for n := 0; n <= 100; n++ {
		for pos := -1; pos+1 < n; pos++ {
			b := []byte(strings.Repeat("r.", n)[:n]) // r's, none followed by r
			if pos >= 0 {
				b[pos], b[pos+1] = 'r', 'r'
			}
			want := indexPairRef(b, 'r', 'r')
			if got := IndexPair(b, 'r', 'r'); got != want {
				t.Fatalf("IndexPair(%q) = %d, want %d", b, got, want)
			}
			if got := indexPairGeneric(b, 'r', 'r'); got != want {
				t.Fatalf("indexPairGeneric(%q) = %d, want %d", b, got, want)
			}
		}
	}
}

func FuzzIndexPair(f *testing.F) {
	f.Add([]byte(`{"id":"chatcmpl-x","error":{"message":"overloaded"}}`), byte('r'), byte('r'))
	f.Add([]byte(strings.Repeat("ab", 40)+"b"), byte('b'), byte('b'))
	f.Fuzz(func(t *testing.T, b []byte, c0, c1 byte) {
		want := indexPairRef(b, c0, c1)
		for from := range min(len(b)+1, 40) {
			w := want
			if w >= 0 && w < from {
				w = indexPairRef(b[from:], c0, c1)
				if w >= 0 {
					w += from
				}
			}
			got := IndexPair(b[from:], c0, c1)
			if got >= 0 {
				got += from
			}
			if got != w {
				t.Fatalf("IndexPair(%q[%d:], %q, %q) = %d, want %d", b, from, c0, c1, got, w)
			}
		}
		if got := bytes.Contains(b, []byte{c0, c1}); got != (want >= 0) {
			t.Fatalf("reference disagrees with bytes.Contains on %q", b)
		}
	})
}
