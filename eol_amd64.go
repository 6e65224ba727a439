//go:build amd64 && !purego

package sse

import "github.com/ssekit/sse/internal/simd"

// useAVX2 says whether the CPU and the operating system support AVX2,
// and the CPU BMI2, whose BZHI indexEOLAVX2 uses (simd.HasAVX2). It is a
// variable of this package so that the assembly can read it.
var useAVX2 = simd.HasAVX2

// indexEOL returns the index in b of its first CR or LF, or len(b) if it
// has none, and whether the bytes before that index are all ASCII. It is
// indexEOLAVX2 or indexEOLSSE2, chosen in assembly rather than by a Go
// wrapper, which would cost a second call per line.
//
//go:noescape
func indexEOL(b []byte) (i int, ascii bool)

// indexEOLAVX2 is indexEOL, 32 bytes a step. The CPU must have AVX2.
//
//go:noescape
func indexEOLAVX2(b []byte) (i int, ascii bool)

// indexEOLSSE2 is indexEOL, 16 bytes a step, for any amd64 CPU.
//
//go:noescape
func indexEOLSSE2(b []byte) (i int, ascii bool)
