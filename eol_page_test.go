//go:build linux && amd64 && !purego

package sse

import (
	"syscall"
	"testing"
)

// TestIndexEOLPageEdges runs each version of indexEOL on slices at both
// ends of a page whose neighbours cannot be read: a version that loads a
// byte outside its slice's pages crashes the test.
func TestIndexEOLPageEdges(t *testing.T) {
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip(err)
	}
	defer syscall.Munmap(mem)
	for _, guard := range [][]byte{mem[:page], mem[2*page:]} {
		if err := syscall.Mprotect(guard, syscall.PROT_NONE); err != nil {
			t.Skip(err)
		}
	}
	p := mem[page : 2*page]
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	p[page/2] = 0xC3 // a byte that is not ASCII, in the middle, far from the edges
	for _, impl := range append(eolImpls, eolImpl{"generic", indexEOLGeneric}) {
		for n := range 70 {
			for _, b := range [][]byte{p[:n], p[page-n:]} {
				want, wantASCII := indexEOLGeneric(b)
				if i, ascii := impl.f(b); i != want || ascii != wantASCII {
					t.Errorf("%s on %d bytes at a page edge = %d, %v; want %d, %v", impl.name, n, i, ascii, want, wantASCII)
				}
			}
		}
	}
}
