//go:build !amd64 || purego

package simd

// HasAVX2 is false: there is no vector code in this build.
const HasAVX2 = false

func indexPairBulk(b []byte, c0, c1 byte) int { return 0 }
