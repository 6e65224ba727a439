//go:build !amd64 || purego

package sse

// validUTF8 reports whether p is valid UTF-8, as utf8.Valid.
func validUTF8(p []byte) bool { return validUTF8Generic(p) }
