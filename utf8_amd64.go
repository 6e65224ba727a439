//go:build amd64 && !purego

package sse

// validUTF8 reports whether p is valid UTF-8, as utf8.Valid. From 32
// bytes on, with AVX2, it checks 32 bytes a step without a branch on the
// data (validUTF8AVX2); the portable loop's branches, taken at each
// character that is not ASCII, mispredict in text where such characters
// are scattered, which made it a quarter of the decoder's time on
// multi-line events.
func validUTF8(p []byte) bool {
	if len(p) < 32 || !useAVX2 {
		return validUTF8Generic(p)
	}
	n := len(p) &^ 31
	// The tail is padded with NULs, which are ASCII: a sequence that the
	// end of p cuts short is then followed by a byte that cannot continue
	// it, and fails as it must.
	var tail [32]byte
	copy(tail[:], p[n:])
	return validUTF8AVX2(p[:n], &tail)
}

// validUTF8AVX2 reports whether p, a multiple of 32 bytes long, followed
// by tail is valid UTF-8. The CPU must have AVX2.
//
//go:noescape
func validUTF8AVX2(p []byte, tail *[32]byte) bool
