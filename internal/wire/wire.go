// Package wire encodes the fields of a text/event-stream exactly: the
// encoding under sse.Writer, shared with the test servers of this module
// (ssetest, fakellm), which the root package's own tests import and which
// therefore cannot import it.
package wire

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A FieldError is a value that cannot be written as given. sse.FieldError
// has the same fields and is converted from it; see its documentation.
type FieldError struct {
	Field  string
	Value  string
	Offset int
}

// AppendEvent appends the block of an event to b: an "id" field if id is
// not empty, an "event" field if typ is not empty, a "data" field for each
// line of data, and a blank line. If the event cannot be written it
// returns b unchanged and the reason.
func AppendEvent(b []byte, typ, id, data string) ([]byte, *FieldError) {
	if i := indexBadName(typ, false); i >= 0 {
		return b, &FieldError{Field: "event", Value: typ, Offset: i}
	}
	if i := indexBadName(id, true); i >= 0 {
		return b, &FieldError{Field: "id", Value: id, Offset: i}
	}
	if i := indexInvalid(data); i >= 0 {
		return b, &FieldError{Field: "data", Value: data, Offset: i}
	}
	if id != "" {
		b = appendField(b, "id:", id)
	}
	if typ != "" {
		b = appendField(b, "event:", typ)
	}
	b = appendLines(b, "data:", data)
	return append(b, '\n'), nil
}

// AppendRetry appends a "retry" field of d, rounded up to a whole
// millisecond, to b, or returns b unchanged and the reason if d is
// negative.
func AppendRetry(b []byte, d time.Duration) ([]byte, *FieldError) {
	if d < 0 {
		return b, &FieldError{Field: "retry", Value: d.String(), Offset: -1}
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 && ms < time.Duration(math.MaxInt64)/time.Millisecond {
		ms++
	}
	b = append(b, "retry: "...)
	b = strconv.AppendInt(b, int64(ms), 10)
	return append(b, '\n'), nil
}

// AppendComment appends a comment line, ":" followed by the line, for each
// line of text to b, or returns b unchanged and the reason if text is not
// valid UTF-8.
func AppendComment(b []byte, text string) ([]byte, *FieldError) {
	if i := indexInvalid(text); i >= 0 {
		return b, &FieldError{Field: "comment", Value: text, Offset: i}
	}
	return appendLines(b, ":", text), nil
}

// appendField appends a field line: name (with its colon), a space if
// value is not empty, value and a line feed. The space is always written
// before a value, since a client removes one space after the colon: a
// value that starts with a space keeps it.
func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	if value != "" {
		if name != ":" {
			b = append(b, ' ')
		}
		b = append(b, value...)
	}
	return append(b, '\n')
}

// appendLines appends one field line named name for each line of s, split
// at LF, CR and CRLF.
func appendLines(b []byte, name, s string) []byte {
	from := 0
	for {
		i := indexLineBreak(s, from)
		if i < 0 {
			return appendField(b, name, s[from:])
		}
		b = appendField(b, name, s[from:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		from = i + 1
	}
}

// indexLineBreak returns the index of the first CR or LF of s at or after
// from, or -1.
func indexLineBreak(s string, from int) int {
	// Two searches that each run at memchr speed beat a byte loop; the
	// farther result bounds the nearer search so no byte is read twice
	// per line in the common case of one kind of line ending.
	rest := s[from:]
	lf := strings.IndexByte(rest, '\n')
	if lf >= 0 {
		rest = rest[:lf]
	}
	if cr := strings.IndexByte(rest, '\r'); cr >= 0 {
		return from + cr
	}
	if lf >= 0 {
		return from + lf
	}
	return -1
}

// indexBadName returns the index of the first byte of an event type or
// id (with nul set) that cannot be written, or -1: CR, LF, NUL in an id, or
// the start of invalid UTF-8. One pass over the bytes suits these short
// values.
func indexBadName(s string, nul bool) int {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n' || c == '\r' || (c == 0 && nul):
			return i
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if ascii {
		return -1
	}
	return indexInvalid(s)
}

// indexInvalid returns the index of the first byte of s that is not part
// of valid UTF-8, or -1.
func indexInvalid(s string) int {
	if utf8.ValidString(s) {
		return -1
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return -1 // not reached
}

func (e *FieldError) Error() string {
	var reason string
	switch {
	case e.Offset < 0 || e.Offset >= len(e.Value):
		reason = "is negative"
	case e.Value[e.Offset] == '\r' || e.Value[e.Offset] == '\n':
		reason = "has a line break at byte " + strconv.Itoa(e.Offset)
	case e.Value[e.Offset] == 0:
		reason = "has a NUL byte at byte " + strconv.Itoa(e.Offset)
	default:
		reason = "has invalid UTF-8 at byte " + strconv.Itoa(e.Offset)
	}
	return "sse: cannot write " + e.Field + " " + quoteExcerpt(e.Value, e.Offset) + ": it " + reason
}

// quoteExcerpt quotes s, or the part of it around offset if it is long,
// with its control characters and invalid bytes escaped, so that an error
// message cannot carry them to a log or terminal.
func quoteExcerpt(s string, offset int) string {
	const context = 24
	if len(s) <= 2*context+8 {
		return strconv.Quote(s)
	}
	from, to := max(0, offset-context), min(len(s), max(0, offset)+context)
	if offset < 0 {
		from, to = 0, 2*context
	}
	q := strconv.Quote(s[from:to])
	if from > 0 {
		q = "..." + q
	}
	if to < len(s) {
		q += "..."
	}
	return q
}
