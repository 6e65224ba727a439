// Package utf8cut shortens text for messages without cutting a UTF-8
// sequence in two, so an excerpt of a body or payload stays printable.
package utf8cut

import (
	"strconv"
	"unicode/utf8"
)

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

// Excerpt returns s for an error message or a terminal: at most n bytes
// of it, cut on a character boundary and marked with "…" when cut, with
// control characters (C0, DEL, C1) and invalid bytes escaped as Go
// escapes them (\x1b, \n, \u009b), so that text from a server cannot move
// a terminal's cursor or forge a log line. Other text is kept as it is.
func Excerpt(s string, n int) string {
	cut := Prefix(s, n)
	truncated := len(cut) < len(s)
	clean := true
	for _, r := range cut {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if !clean {
		var b []byte
		for i := 0; i < len(cut); {
			r, size := utf8.DecodeRuneInString(cut[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, `\x`...)
				b = append(b, hex[cut[i]>>4], hex[cut[i]&0xf])
			case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0):
				q := strconv.QuoteRune(r)
				b = append(b, q[1:len(q)-1]...)
			default:
				b = append(b, cut[i:i+size]...)
			}
			i += size
		}
		cut = string(b)
	}
	if truncated {
		return cut + "…"
	}
	return cut
}

const hex = "0123456789abcdef"
