//go:build !amd64 || purego

package sse

// eolImpls is empty: indexEOL is indexEOLGeneric here.
var eolImpls []eolImpl
