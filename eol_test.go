package sse

import (
	"bytes"
	"strings"
	"testing"
)

// An eolImpl is one version of indexEOL; eolImpls (per architecture) are
// those this machine can run, each tested against indexEOLGeneric.
type eolImpl struct {
	name string
	f    func([]byte) (int, bool)
}

func TestIndexEOL(t *testing.T) {
	long := strings.Repeat("abcdefgh", 9) // 72 bytes: past every block size
	tests := []struct {
		in    string
		i     int
		ascii bool
	}{
		{"", 0, true},
		{"\n", 0, true},
		{"\r", 0, true},
		{"a", 1, true},
		{"é", 2, false},
		{"a\n", 1, true},
		{"a\r\n", 1, true},
		{"é\n", 2, false},
		{"\né", 0, true}, // a non-ASCII byte after the line end does not count
		{"data: x\nÿ", 7, true},
		{long, len(long), true},
		{long + "\n", len(long), true},
		{long + "é", len(long) + 2, false},
		{long + "\né", len(long), true},
		{"é" + long + "\r", len(long) + 2, false},
		{long[:31] + "\n", 31, true},
		{long[:32] + "\n", 32, true},
		{long[:33] + "\r", 33, true},
		{long[:15] + "\x80\n", 16, false},
		{long[:16] + "\x80", 17, false},
		{long[:31] + "\xff", 32, false},
		{long[:32] + "\xff", 33, false},
		{long[:63] + "\n" + "\xff", 63, true},
	}
	for _, impl := range append(eolImpls, eolImpl{"generic", indexEOLGeneric}) {
		for _, tt := range tests {
			// Each input also at every offset in a larger slice, so that
			// the last block is read in each of its ways, and with bytes
			// after it that must not count.
			for pre := range 40 {
				buf := []byte(strings.Repeat("é", pre) + tt.in + "\xff\n\xff")
				b := buf[2*pre : 2*pre+len(tt.in)]
				i, ascii := impl.f(b)
				if i != tt.i || ascii != tt.ascii {
					t.Errorf("%s(%q) at offset %d = %d, %v; want %d, %v", impl.name, tt.in, 2*pre, i, ascii, tt.i, tt.ascii)
				}
			}
		}
	}
}

// FuzzIndexEOL checks each version of indexEOL against the portable one,
// on every suffix of the input, so that the input's bytes fall in each
// position of a block.
func FuzzIndexEOL(f *testing.F) {
	f.Add([]byte("data: hello\r\n\r\n"), uint8(0))
	f.Add([]byte(strings.Repeat("x", 40)+"é\n"), uint8(3))
	f.Add([]byte("\xff"+strings.Repeat("a", 70)+"\r"), uint8(33))
	f.Fuzz(func(t *testing.T, b []byte, cut uint8) {
		// cut trims the end too: the bytes after it are in memory but not
		// in the slice, and must be ignored.
		end := len(b) - min(int(cut)%64, len(b))
		for from := range min(end+1, 80) {
			s := b[from:end]
			wi, wa := indexEOLGeneric(s)
			if j := bytes.IndexAny(s, "\r\n"); (j < 0 && wi != len(s)) || (j >= 0 && wi != j) {
				t.Fatalf("indexEOLGeneric(%q) = %d, bytes.IndexAny says %d", s, wi, j)
			}
			if ascii := !bytes.ContainsFunc(s[:wi], func(r rune) bool { return r >= 0x80 }); wa != ascii {
				t.Fatalf("indexEOLGeneric(%q) ascii = %v, want %v", s, wa, ascii)
			}
			for _, impl := range eolImpls {
				if i, a := impl.f(s); i != wi || a != wa {
					t.Fatalf("%s(%q) = %d, %v; indexEOLGeneric: %d, %v", impl.name, s, i, a, wi, wa)
				}
			}
		}
	})
}
