//go:build amd64 && !purego

package simd

// HasAVX2 says whether the CPU has AVX2, and BMI2 with it, and the
// operating system saves the YMM registers, checked as the runtime checks
// them. It is found here, without golang.org/x/sys/cpu, so that the
// module needs no dependency for it; unlike the runtime's, it does not
// read GODEBUG=cpu.avx2=off (the purego build tag turns the vector code
// off instead).
var HasAVX2 = cpuHasAVX2()

func cpuHasAVX2() bool

// indexPairBulk searches b with AVX2, 32 positions a step. It returns
// i+1 if it found the pair at i, and -1 if there is none; 0 if it did
// not search, and the portable search must.
func indexPairBulk(b []byte, c0, c1 byte) int {
	if !HasAVX2 || len(b) < 33 {
		return 0
	}
	return indexPairAVX2(b, c0, c1)
}

//go:noescape
func indexPairAVX2(b []byte, c0, c1 byte) int
