package sse

import (
	"encoding/binary"
	"math/bits"
)

// The decoder finds each line's end, and learns whether the line is
// ASCII, in one pass over its bytes: indexEOL. A stream ends lines with
// LF, CR or CRLF, so looking for LF and then for CR (two bytes.IndexByte
// calls) searches a CRLF stream's bytes twice; and a line known to be
// ASCII is valid UTF-8 without a second pass to check it. On amd64
// indexEOL is written in assembly (eol_amd64.s, 32 bytes a step with
// AVX2, 16 with SSE2); elsewhere, and with the purego build tag, it is
// indexEOLGeneric. Tests fuzz each against indexEOLGeneric, and CI runs
// the package with the tag too.

// indexEOLGeneric returns the index in b of its first CR or LF, or len(b)
// if it has none, and whether the bytes before that index are all ASCII.
// It is the portable indexEOL, and the reference the others are tested
// against.
func indexEOLGeneric(b []byte) (i int, ascii bool) {
	const hi = 0x8080808080808080
	var seen uint64 // the bytes passed, ORed: their high bits say if any was not ASCII
	le := binary.LittleEndian
	for ; i+8 <= len(b); i += 8 {
		w := le.Uint64(b[i:])
		if m := crlfMask(w); m != 0 {
			k := bits.TrailingZeros64(m) &^ 7 // the bit where the CR or LF byte starts
			return i + k/8, (seen|w&(1<<k-1))&hi == 0
		}
		seen |= w
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c == '\n' || c == '\r' {
			break
		}
		seen |= uint64(c)
	}
	return i, seen&hi == 0
}

// crlfMask returns w, eight bytes, with the high bit of each byte that is
// CR or LF set and every other bit clear.
func crlfMask(w uint64) uint64 {
	const lo7, hi = 0x7F7F7F7F7F7F7F7F, 0x8080808080808080
	x := w ^ 0x0A0A0A0A0A0A0A0A // zero where LF
	y := w ^ 0x0D0D0D0D0D0D0D0D // zero where CR
	// A byte's high bit is set where it is not zero, exactly.
	nx := (x&lo7 + lo7) | x
	ny := (y&lo7 + lo7) | y
	return ^(nx & ny) & hi
}
