//go:build !amd64 || purego

package sse

// indexEOL returns the index in b of its first CR or LF, or len(b) if it
// has none, and whether the bytes before that index are all ASCII.
func indexEOL(b []byte) (i int, ascii bool) { return indexEOLGeneric(b) }
