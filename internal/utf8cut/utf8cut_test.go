package utf8cut

import (
	"testing"
	"unicode/utf8"
)

func TestPrefix(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"abc", 0, ""},
		{"abc", -1, ""},
		{"aé", 2, "a"},                          // é is 2 bytes: not cut in two
		{"aé", 3, "aé"},                         // fits exactly
		{"東京", 4, "東"},                          // a 3-byte rune, cut after its first byte
		{"東京", 5, "東"},                          // ... and after its second
		{"a😀b", 4, "a"},                         // a 4-byte rune, 3 of its bytes fit
		{"\x80\x80\x80\x80\x80", 2, "\x80\x80"}, // invalid input: cut at n
		{"a\x80\x80", 2, "a\x80"},               // a stray continuation byte is cut like ASCII
		{"\xff\x80\x80", 2, "\xff\x80"},         // so is a byte that leads no sequence
		{"\xe6\x9d\xb1", 2, ""},                 // the whole text is one cut sequence
	} {
		if got := Prefix(tc.in, tc.n); got != tc.want {
			t.Errorf("Prefix(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if got := Prefix([]byte(tc.in), tc.n); string(got) != tc.want {
			t.Errorf("Prefix([]byte(%q), %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// A valid input always gives a valid prefix: what an error message needs.
func FuzzPrefix(f *testing.F) {
	f.Add("naïve café 東京 😀", 7)
	f.Fuzz(func(t *testing.T, s string, n int) {
		got := Prefix(s, n)
		if b := Prefix([]byte(s), n); string(b) != got {
			t.Fatalf("Prefix(%q, %d): %q as a string, %q as bytes", s, n, got, b)
		}
		if len(got) > max(n, 0) {
			t.Fatalf("Prefix(%q, %d) = %q: longer than n", s, n, got)
		}
		if s[:len(got)] != got {
			t.Fatalf("Prefix(%q, %d) = %q: not a prefix", s, n, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Prefix(%q, %d) = %q: cut a rune", s, n, got)
		}
		if utf8.ValidString(s) && n >= 0 && len(got) < min(n, len(s))-(utf8.UTFMax-1) {
			t.Fatalf("Prefix(%q, %d) = %q: cut too much", s, n, got)
		}
	})
}
