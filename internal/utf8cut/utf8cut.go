// Package utf8cut shortens text for messages without cutting a UTF-8
// sequence in two, so an excerpt of a body or payload stays printable.
package utf8cut

import "unicode/utf8"

// Prefix returns the longest prefix of s that is at most n bytes long and
// does not end inside a UTF-8 sequence. Where the bytes before the cut
// are not the start of a sequence (invalid input), it cuts at n.
func Prefix[T ~string | ~[]byte](s T, n int) T {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return s[:0]
	}
	i := n
	for k := 1; k < utf8.UTFMax && i > 0 && !utf8.RuneStart(s[i]); k++ {
		i--
	}
	if !utf8.RuneStart(s[i]) {
		return s[:n]
	}
	return s[:i]
}
