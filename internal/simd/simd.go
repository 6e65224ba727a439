// Package simd holds what the vector code of the module shares: whether
// the CPU has AVX2, found once, and a search for a pair of bytes, which
// package ssejson uses to look for an "error" key in every event.
//
// On amd64 the search is in assembly; elsewhere, and with the purego
// build tag, it is the portable indexPairGeneric, which the tests compare
// it with.
package simd

import "bytes"

// IndexPair returns the index of the first c0 in b followed by c1, or -1
// if there is none.
func IndexPair(b []byte, c0, c1 byte) int {
	switch i := indexPairBulk(b, c0, c1); {
	case i > 0:
		return i - 1
	case i < 0:
		return -1
	}
	return indexPairGeneric(b, c0, c1)
}

// indexPairGeneric is IndexPair without vector code: IndexByte for c0,
// which skips ahead fast where c0 is rare, then a look at the byte after.
func indexPairGeneric(b []byte, c0, c1 byte) int {
	for from := 0; from+1 < len(b); {
		i := bytes.IndexByte(b[from:len(b)-1], c0)
		if i < 0 {
			return -1
		}
		from += i
		if b[from+1] == c1 {
			return from
		}
		from++
	}
	return -1
}
