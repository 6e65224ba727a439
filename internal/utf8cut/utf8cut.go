// Package utf8cut shortens text for messages without cutting a UTF-8
// sequence in two, so an excerpt of a body or payload stays printable.
package utf8cut

import "unicode/utf8"

// Prefix returns s[:n] (all of s if it is shorter), or, when s[:n] would
// end inside a multi-byte UTF-8 sequence, the part of s before that
// sequence. Bytes that belong to no sequence (invalid input) are cut like
// ASCII.
func Prefix[T ~string | ~[]byte](s T, n int) T {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return s[:0]
	}
	// Find the byte that starts the sequence s[n] belongs to, if any:
	// at most UTFMax-1 continuation bytes back.
	i := n
	for k := 1; k < utf8.UTFMax && i > 0 && !utf8.RuneStart(s[i]); k++ {
		i--
	}
	if i < n && i+seqLen(s[i]) > n {
		return s[:i]
	}
	return s[:n]
}

// seqLen returns the length of the UTF-8 sequence that a lead byte b
// announces: 1 for ASCII and for bytes that lead no sequence.
func seqLen(b byte) int {
	switch {
	case b >= 0xF0 && b <= 0xF4:
		return 4
	case b >= 0xE0 && b <= 0xEF:
		return 3
	case b >= 0xC2 && b <= 0xDF:
		return 2
	}
	return 1
}
