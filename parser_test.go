package sse

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The decoder's conformance: the decode tables, the golden files and the
// reference decoder, each read in every chunking. The harness here is
// shared by the other parser_*_test.go files.

var update = flag.Bool("update", false, "rewrite the expected testdata/golden/*.events files")

// outcome is everything a stream produced, in a form cmp can diff.
type outcome struct {
	Events      []Event
	Comments    []string
	Retries     []time.Duration // each OnRetryField call
	LastEventID string          // at the end
	Retry       time.Duration   // Retry() at the end
	RetrySet    bool
	Err         string // "" at a clean end, "ErrEventTooLarge", or the error text

	// Log is the same, in the order it happened: the golden transcript.
	Log []string
}

var ignoreLog = cmpopts.IgnoreFields(outcome{}, "Log")

// decode runs a Decoder with the given MaxEventSize over r to the end and
// checks along the way that the zero-copy views agree with Event.
func decode(t testing.TB, r io.Reader, limit int) outcome {
	t.Helper()
	var o outcome
	d := NewDecoder(r)
	d.MaxEventSize = limit
	d.OnComment = func(b []byte) {
		o.Comments = append(o.Comments, string(b))
		o.Log = append(o.Log, commentLine(string(b)))
	}
	d.OnRetryField = func(r time.Duration) {
		o.Retries = append(o.Retries, r)
		o.Log = append(o.Log, retryLine(r))
	}
	for d.Next() {
		ev := d.Event()
		if got := (Event{string(d.Type()), string(d.Data()), string(d.ID())}); got != ev {
			t.Fatalf("Type/Data/ID = %q, Event() = %q", got, ev)
		}
		if again := d.Event(); again != ev {
			t.Fatalf("second Event() = %q, first %q", again, ev)
		}
		o.Events = append(o.Events, ev)
		o.Log = append(o.Log, eventLine(ev))
	}
	if d.Next() {
		t.Fatalf("Next returned true after returning false")
	}
	o.LastEventID = d.LastEventID()
	o.Retry, o.RetrySet = d.Retry()
	switch err := d.Err(); {
	case err == nil:
	case errors.Is(err, ErrEventTooLarge):
		o.Err = "ErrEventTooLarge"
	default:
		o.Err = err.Error()
	}
	o.Log = append(o.Log, endLine(o))
	return o
}

// Lines of an outcome's Log.
func eventLine(e Event) string {
	return fmt.Sprintf("event type=%q id=%q data=%q", e.Type, e.ID, e.Data)
}
func commentLine(c string) string      { return "comment " + strconv.Quote(c) }
func retryLine(r time.Duration) string { return "retry " + r.String() }
func endLine(o outcome) string {
	end := fmt.Sprintf("end lastEventID=%q", o.LastEventID)
	if o.RetrySet {
		end += " retry=" + o.Retry.String()
	}
	if o.Err != "" {
		end += " err=" + strconv.Quote(o.Err)
	}
	return end
}

// A chunking delivers a stream in reads of some pattern.
type chunking struct {
	name   string
	reader func(in []byte) io.Reader
}

// cutReader returns data in reads that end at the given offsets.
type cutReader struct {
	data []byte
	off  int
	cuts []int // ascending
}

func (r *cutReader) Read(p []byte) (int, error) {
	if r.off == len(r.data) {
		return 0, io.EOF
	}
	end := len(r.data)
	for len(r.cuts) > 0 && r.cuts[0] <= r.off {
		r.cuts = r.cuts[1:]
	}
	if len(r.cuts) > 0 {
		end = r.cuts[0]
	}
	n := copy(p, r.data[r.off:end])
	r.off += n
	return n, nil
}

// eofWithDataReader fills each read and returns io.EOF with the last bytes.
type eofWithDataReader struct{ data []byte }

func (r *eofWithDataReader) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// chunkings are the read patterns every case is run in: whole, 1-byte,
// halves, data with io.EOF, seeded random splits, and a read boundary right
// after each CR (so the LF of a CRLF comes in the next read).
func chunkings() []chunking {
	cs := []chunking{
		{"whole", func(in []byte) io.Reader { return bytes.NewReader(in) }},
		{"one-byte", func(in []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(in)) }},
		{"half", func(in []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(in)) }},
		{"data-err", func(in []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(in)) }},
		{"eof-with-data", func(in []byte) io.Reader { return &eofWithDataReader{data: in} }},
		{"cut-after-CR", func(in []byte) io.Reader {
			var cuts []int
			for i, c := range in {
				if c == '\r' {
					cuts = append(cuts, i+1)
				}
			}
			return &cutReader{data: in, cuts: cuts}
		}},
	}
	for seed := range uint64(4) {
		cs = append(cs, chunking{fmt.Sprintf("random-%d", seed), func(in []byte) io.Reader {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			sizes := make([]int, 97)
			for i := range sizes {
				sizes[i] = 1 + rng.IntN(1+rng.IntN(40))
			}
			return &sizedReader{data: in, sizes: sizes}
		}})
	}
	return cs
}

func ev(typ, data, id string) Event { return Event{Type: typ, Data: data, ID: id} }
func msg(data string) Event         { return Event{Type: "message", Data: data} }

var (
	long70k  = strings.Repeat("x", 70<<10)
	x32k     = strings.Repeat("x", 32<<10-5) // "data:" and x32k: a line of 32 KiB
	long200k = strings.Repeat("0123456789", 20<<10)
)

type decodeCase struct {
	name  string
	in    string
	limit int // MaxEventSize; 0 for the default
	want  outcome
}

var decodeCases = []decodeCase{
	// Line endings.
	{name: "LF ends lines", in: "data: a\n\n", want: outcome{Events: []Event{msg("a")}}},
	{name: "CRLF ends lines", in: "data: a\r\n\r\n", want: outcome{Events: []Event{msg("a")}}},
	{name: "lone CR ends lines", in: "data: a\r\rdata: b\r\r", want: outcome{Events: []Event{msg("a"), msg("b")}}},
	{name: "mixed line endings in one block", in: "data: a\rdata: b\r\ndata: c\n\r\n", want: outcome{Events: []Event{msg("a\nb\nc")}}},
	{name: "CR LF is one line ending not two", in: "data: a\r\ndata: b\r\n\r\n", want: outcome{Events: []Event{msg("a\nb")}}},
	{name: "LF CR is two line endings", in: "data: a\n\rdata: b\n\n", want: outcome{Events: []Event{msg("a"), msg("b")}}},
	{name: "stream ending in CR CR dispatches", in: "data: a\r\r", want: outcome{Events: []Event{msg("a")}}},
	{name: "newline fest", in: "data:test\r\ndata\ndata:test\r\n\r", want: outcome{Events: []Event{msg("test\n\ntest")}}},

	// Byte order marks.
	{name: "leading BOM is stripped", in: "\uFEFFdata: a\n\n", want: outcome{Events: []Event{msg("a")}}},
	{name: "second BOM is part of the first line", in: "\uFEFF\uFEFFdata: 1\n\ndata: 2\n\n", want: outcome{Events: []Event{msg("2")}}},
	{name: "BOM after the start is data", in: "data: \uFEFFa\n\n", want: outcome{Events: []Event{msg("\uFEFFa")}}},
	{name: "BOM as its own first line is an unknown field", in: "\uFEFF\uFEFF\ndata: a\n\n", want: outcome{Events: []Event{msg("a")}}},
	{name: "partial BOM is invalid UTF-8", in: "\xEF\xBB\ndata: a\n\n", want: outcome{Events: []Event{msg("a")}}},
	{name: "stream of only a BOM", in: "\uFEFF", want: outcome{}},

	// Fields.
	{name: "data lines are joined with LF", in: "data: a\ndata: b\ndata: c\n\n", want: outcome{Events: []Event{msg("a\nb\nc")}}},
	{name: "one leading space is removed", in: "data:  two\ndata:\tthree\ndata:none\n\n", want: outcome{Events: []Event{msg(" two\n\tthree\nnone")}}},
	{name: "line without colon is a field with empty value", in: "data\ndata\n\n", want: outcome{Events: []Event{msg("\n")}}},
	{name: "data with empty value dispatches an empty event", in: "data\n\n", want: outcome{Events: []Event{msg("")}}},
	{name: "data colon only dispatches an empty event", in: "data:\n\n", want: outcome{Events: []Event{msg("")}}},
	{name: "field names are case sensitive", in: "Data: x\nDATA: y\ndata: z\n\n", want: outcome{Events: []Event{msg("z")}}},
	{name: "space before colon makes another name", in: "data : x\n data: y\ndata: z\n\n", want: outcome{Events: []Event{msg("z")}}},
	{name: "unknown fields are ignored", in: "data:test\n data\ndata\nfoobar:xxx\njustsometext\n:comment\ndata:test\n\n", want: outcome{Events: []Event{msg("test\n\ntest")}, Comments: []string{"comment"}}},
	{name: "value keeps later colons", in: "data: a:b: c\n\n", want: outcome{Events: []Event{msg("a:b: c")}}},
	{name: "field parsing fest", in: "data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n",
		want: outcome{Events: []Event{msg("\x00\n 2\n1\n3\n\n4")}}},
	{name: "NUL in data is kept", in: "data:\x00\n\n", want: outcome{Events: []Event{msg("\x00")}}},
	{name: "event sets the type", in: "event: add\ndata: 1\n\n", want: outcome{Events: []Event{ev("add", "1", "")}}},
	{name: "last event field wins", in: "event: a\nevent: b\ndata: 1\n\n", want: outcome{Events: []Event{ev("b", "1", "")}}},
	{name: "empty event field means message", in: "event: a\nevent:\ndata: 1\n\n", want: outcome{Events: []Event{msg("1")}}},
	{name: "event type resets after each block", in: "event: a\ndata: 1\n\ndata: 2\n\n", want: outcome{Events: []Event{ev("a", "1", ""), msg("2")}}},
	{name: "event type of a block without data is dropped", in: "event: a\n\ndata: 2\n\n", want: outcome{Events: []Event{msg("2")}}},
	{name: "event type is not trimmed", in: "event:  a \ndata: 1\n\n", want: outcome{Events: []Event{ev(" a ", "1", "")}}},

	// IDs.
	{name: "id persists across events", in: "id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
		want: outcome{Events: []Event{ev("message", "a", "1"), ev("message", "b", "1"), ev("message", "c", "2")}, LastEventID: "2"}},
	{name: "empty id resets the last event ID", in: "id: 1\ndata: a\n\nid:\ndata: b\n\n",
		want: outcome{Events: []Event{ev("message", "a", "1"), msg("b")}}},
	{name: "id without colon resets the last event ID", in: "id: 1\ndata: a\n\nid\ndata: b\n\n",
		want: outcome{Events: []Event{ev("message", "a", "1"), msg("b")}}},
	{name: "id-only block sets the last event ID without an event", in: "id: 7\n\n", want: outcome{LastEventID: "7"}},
	{name: "id-only block applies to later events", in: "id: 7\n\ndata: a\n\n", want: outcome{Events: []Event{ev("message", "a", "7")}, LastEventID: "7"}},
	{name: "id of an unfinished block is not applied", in: "id: 1\ndata: a\n\nid: 2\ndata: b\n", want: outcome{Events: []Event{ev("message", "a", "1")}, LastEventID: "1"}},
	{name: "id with NUL is ignored", in: "id: 1\n\nid: a\x00b\ndata: x\n\nid: \x00\ndata: y\n\n",
		want: outcome{Events: []Event{ev("message", "x", "1"), ev("message", "y", "1")}, LastEventID: "1"}},
	{name: "id is any text", in: "id: \u2026 x:y \ndata: \u2026\n\n", want: outcome{Events: []Event{ev("message", "\u2026", "\u2026 x:y ")}, LastEventID: "\u2026 x:y "}},
	{name: "id in the dispatched block applies to its event", in: "data: a\nid: 3\n\n", want: outcome{Events: []Event{ev("message", "a", "3")}, LastEventID: "3"}},

	// Retry.
	{name: "retry sets the reconnection time", in: "retry: 3000\ndata: x\n\n",
		want: outcome{Events: []Event{msg("x")}, Retries: []time.Duration{3 * time.Second}, Retry: 3 * time.Second, RetrySet: true}},
	{name: "retry with leading zeros is decimal", in: "retry:03000\n", want: outcome{Retries: []time.Duration{3 * time.Second}, Retry: 3 * time.Second, RetrySet: true}},
	{name: "retry zero is valid", in: "retry:0\n", want: outcome{Retries: []time.Duration{0}, RetrySet: true}},
	{name: "bogus retry is ignored", in: "retry:3000\nretry:1000x\nretry: 1 \nretry:-1\nretry:+1\nretry:1.5\nretry:  1\ndata:x\n\n",
		want: outcome{Events: []Event{msg("x")}, Retries: []time.Duration{3 * time.Second}, Retry: 3 * time.Second, RetrySet: true}},
	{name: "empty retry is ignored", in: "retry\nretry:\ndata:test\n\n", want: outcome{Events: []Event{msg("test")}}},
	{name: "retry too large for a Duration is ignored", in: "retry: 9223372036855\nretry: 99999999999999999999999999\n", want: outcome{}},
	{name: "largest retry a Duration holds", in: "retry: 9223372036854\n",
		want: outcome{Retries: []time.Duration{9223372036854 * time.Millisecond}, Retry: 9223372036854 * time.Millisecond, RetrySet: true}},
	{name: "retry applies at once even in an unfinished block", in: "retry: 5\ndata: x", want: outcome{Retries: []time.Duration{5 * time.Millisecond}, Retry: 5 * time.Millisecond, RetrySet: true}},

	// Comments and blank lines.
	{name: "comments are passed without the colon", in: ":\n: keep-alive\n::x\n", want: outcome{Comments: []string{"", " keep-alive", ":x"}}},
	{name: "comment fest", in: "data:1\r:\x00\n:\r\ndata:2\n:" + strings.Repeat("x", 2048) + "\rdata:3\n:data:fail\r:" + strings.Repeat("x", 2048) + "\ndata:4\n\n",
		want: outcome{Events: []Event{msg("1\n2\n3\n4")}, Comments: []string{"\x00", "", strings.Repeat("x", 2048), "data:fail", strings.Repeat("x", 2048)}}},
	{name: "keep-alive comments make no events", in: ":ping\n\n:ping\n\n", want: outcome{Comments: []string{"ping", "ping"}}},
	{name: "blank lines alone make no events", in: "\n\n\r\n\r\r\n", want: outcome{}},
	{name: "comment does not end a block", in: "data: a\n: c\ndata: b\n\n", want: outcome{Events: []Event{msg("a\nb")}, Comments: []string{" c"}}},

	// End of stream.
	{name: "unfinished block at EOF is discarded", in: "data: a\n\ndata: b\n", want: outcome{Events: []Event{msg("a")}}},
	{name: "unfinished line at EOF is discarded", in: "data: a\n\ndata: b", want: outcome{Events: []Event{msg("a")}}},
	{name: "data before final empty line", in: "retry:1000\ndata:test1\n\nid:test\ndata:test2",
		want: outcome{Events: []Event{msg("test1")}, Retries: []time.Duration{time.Second}, Retry: time.Second, RetrySet: true}},
	{name: "empty stream", in: "", want: outcome{}},

	// UTF-8.
	{name: "valid UTF-8 passes through", in: "event: \u00e9t\u00e9\ndata: ok\u2026 \U0001F600\n\n", want: outcome{Events: []Event{ev("\u00e9t\u00e9", "ok\u2026 \U0001F600", "")}}},
	{name: "truncated 3-byte sequence is one U+FFFD", in: "data: \xE2\x82A\n\n", want: outcome{Events: []Event{msg("\uFFFDA")}}},
	{name: "surrogate encoding is three U+FFFD", in: "data: \xED\xA0\x80\n\n", want: outcome{Events: []Event{msg("\uFFFD\uFFFD\uFFFD")}}},
	{name: "overlong NUL is two U+FFFD", in: "data: \xC0\x80\n\n", want: outcome{Events: []Event{msg("\uFFFD\uFFFD")}}},
	{name: "truncated 4-byte sequence at line end is one U+FFFD", in: "data: \xF0\x9F\x98\n\n", want: outcome{Events: []Event{msg("\uFFFD")}}},
	{name: "invalid bytes", in: "data: \xFF\xFE\x80\xF5\xF8\x88\x80\n\n", want: outcome{Events: []Event{msg(strings.Repeat("\uFFFD", 7))}}},
	{name: "invalid UTF-8 in type and id", in: "event: \xE0\x80\nid: \xF4\x90\ndata: x\n\n",
		want: outcome{Events: []Event{ev("\uFFFD\uFFFD", "x", "\uFFFD\uFFFD")}, LastEventID: "\uFFFD\uFFFD"}},
	// The line scan notes which lines are ASCII, so that only the others
	// are checked: each way a non-ASCII byte can hide from it.
	{name: "invalid line after an ASCII one", in: "data: abc\ndata: \xFF\n\n", want: outcome{Events: []Event{msg("abc\n\uFFFD")}}},
	{name: "ASCII line after an invalid one", in: "data: \xFF\ndata: abc\n\n", want: outcome{Events: []Event{msg("\uFFFD\nabc")}}},
	{name: "invalid event after an ASCII one", in: "data: a\n\ndata: \xFF\n\n", want: outcome{Events: []Event{msg("a"), msg("\uFFFD")}}},
	{name: "ASCII event after an invalid one", in: "data: \xFF\n\ndata: a\n\n", want: outcome{Events: []Event{msg("\uFFFD"), msg("a")}}},
	{name: "invalid byte early in a line read in pieces", in: "data: \xFF" + strings.Repeat("x", 100) + "\n\n", want: outcome{Events: []Event{msg("\uFFFD" + strings.Repeat("x", 100))}}},
	{name: "invalid byte past the first blocks", in: "data: " + strings.Repeat("x", 70) + "\xFF\r\n\r\n", want: outcome{Events: []Event{msg(strings.Repeat("x", 70) + "\uFFFD")}}},
	{name: "invalid byte after a long ASCII line", in: "data: " + long70k + "\ndata: \xFF\n\n", want: outcome{Events: []Event{msg(long70k + "\n\uFFFD")}}},
	{name: "invalid byte in an event type after ASCII data", in: "data: a\nevent: \xFF\n\n", want: outcome{Events: []Event{{Type: "\uFFFD", Data: "a"}}}},
	{name: "truncated sequence before LF does not eat it", in: "data: \xE2\n\n", want: outcome{Events: []Event{msg("\uFFFD")}}},

	// Lines longer than the read buffer are streamed into their field.
	// A lone CR that ends the buffer before one must not leave its "skip
	// an LF" behind for the LF that ends the long line: with 32,768 bytes
	// in 1-byte reads, streaming starts right before that LF.
	{name: "lone CR before a long line", in: "data: a\rdata:" + x32k + "\n\n", want: outcome{Events: []Event{msg("a\n" + x32k)}}},
	{name: "lone CR before a long line and another", in: "data: a\rdata:" + x32k + "\ndata: b\n\n", want: outcome{Events: []Event{msg("a\n" + x32k + "\nb")}}},
	{name: "lone CR before a long line, one byte longer", in: "data: a\rdata:x" + x32k + "\n\n", want: outcome{Events: []Event{msg("a\nx" + x32k)}}},
	{name: "long data line", in: "data: " + long200k + "\n\n", want: outcome{Events: []Event{msg(long200k)}}},
	{name: "long data lines joined", in: "data: a\ndata: " + long70k + "\ndata: " + long200k + "\ndata: b\n\n",
		want: outcome{Events: []Event{msg("a\n" + long70k + "\n" + long200k + "\nb")}}},
	{name: "long line leading space split from colon", in: "data:" + strings.Repeat(" ", 70<<10) + "\n\n",
		want: outcome{Events: []Event{msg(strings.Repeat(" ", 70<<10-1))}}},
	{name: "long event type", in: "event: " + long70k + "\ndata: 1\n\n", want: outcome{Events: []Event{ev(long70k, "1", "")}}},
	{name: "long id", in: "id: " + long70k + "\ndata: 1\n\n", want: outcome{Events: []Event{ev("message", "1", long70k)}, LastEventID: long70k}},
	{name: "long id with NUL at the end is ignored", in: "id: " + long70k + "\x00\ndata: 1\n\n", want: outcome{Events: []Event{msg("1")}}},
	{name: "long retry", in: "retry: " + strings.Repeat("0", 70<<10) + "5\n",
		want: outcome{Retries: []time.Duration{5 * time.Millisecond}, Retry: 5 * time.Millisecond, RetrySet: true}},
	{name: "long comment", in: ":" + long200k + "\ndata: a\n\n", want: outcome{Events: []Event{msg("a")}, Comments: []string{long200k}}},
	{name: "long unknown field", in: "x" + long70k + ": y\ndata: a\n\n", want: outcome{Events: []Event{msg("a")}}},
	{name: "long data line ending in CR", in: "data: " + long70k + "\r\rdata: b\r\n\r\n", want: outcome{Events: []Event{msg(long70k), msg("b")}}},
	{name: "long line with invalid UTF-8", in: "data: " + long70k + "\xE2\x82\n\n", want: outcome{Events: []Event{msg(long70k + "\uFFFD")}}},
	{name: "long unfinished line at EOF is discarded", in: "data: a\n\ndata: " + long200k, want: outcome{Events: []Event{msg("a")}}},

	// MaxEventSize.
	{name: "line just under the limit passes", limit: 16, in: "data: 0123456789\n\n", want: outcome{Events: []Event{msg("0123456789")}}},
	{name: "line over the limit fails", limit: 16, in: "data: a\n\ndata: 01234567890\n\n", want: outcome{Events: []Event{msg("a")}, Err: "ErrEventTooLarge"}},
	{name: "unfinished line over the limit fails", limit: 16, in: "data: a\n\ndata: 0123456789abcdef", want: outcome{Events: []Event{msg("a")}, Err: "ErrEventTooLarge"}},
	{name: "unfinished line counts toward the event limit", limit: 16, in: "data: a\n\ndata: 0123456789\ndata: abcdef", want: outcome{Events: []Event{msg("a")}, Err: "ErrEventTooLarge"}},
	{name: "unfinished line under the event limit is discarded", limit: 16, in: "data: a\n\ndata: 01234\ndata: ab", want: outcome{Events: []Event{msg("a")}}},
	{name: "unfinished comment under the limit is not passed on", limit: 16, in: "data: a\n\n: 0123456789", want: outcome{Events: []Event{msg("a")}}},
	{name: "unfinished retry is not applied", in: "retry: 10", want: outcome{}},
	{name: "comment over the limit fails", limit: 16, in: ": 0123456789abcdef\ndata: a\n\n", want: outcome{Err: "ErrEventTooLarge"}},
	{name: "data over many lines over the limit fails", limit: 16, in: "data: 01234\ndata: 56789\ndata: abcd\n\n", want: outcome{Err: "ErrEventTooLarge"}},
	{name: "data over many lines at the limit passes", limit: 16, in: "data: 01234\ndata: 56789\ndata: abc\n\n", want: outcome{Events: []Event{msg("01234\n56789\nabc")}}},
	{name: "type and data together over the limit fail", limit: 16, in: "event: 01234567\ndata: 01234567\n\n", want: outcome{Err: "ErrEventTooLarge"}},
	{name: "limit is per event", limit: 16, in: strings.Repeat("data: 0123456789\n\n", 50), want: outcome{Events: repeatEvent(msg("0123456789"), 50)}},
	{name: "limit applies to streamed data lines", limit: 100 << 10, in: "data: " + long70k + "\ndata: " + long70k + "\n\n", want: outcome{Err: "ErrEventTooLarge"}},
	{name: "streamed data line at the limit passes", limit: 70<<10 + 6, in: "data: " + long70k + "\n\n", want: outcome{Events: []Event{msg(long70k)}}},
	{name: "streamed line over the limit fails", limit: 70<<10 + 5, in: "data: " + long70k + "\n\n", want: outcome{Err: "ErrEventTooLarge"}},
	{name: "unfinished long line over the event limit fails however read", limit: 40 << 10,
		in: "data: a\n\ndata: " + strings.Repeat("a", 20<<10) + "\ndata: " + strings.Repeat("b", 35<<10), want: outcome{Events: []Event{msg("a")}, Err: "ErrEventTooLarge"}},
	{name: "unfinished long line under the limit is discarded however read", limit: 60 << 10,
		in: "data: a\n\ndata: " + strings.Repeat("a", 20<<10) + "\ndata: " + strings.Repeat("b", 35<<10), want: outcome{Events: []Event{msg("a")}}},
	{name: "streamed comment over the limit fails", limit: 70 << 10, in: ": " + long70k + "\n\n", want: outcome{Err: "ErrEventTooLarge"}},
	{name: "streamed retry over the limit is not applied cut", limit: 70 << 10, in: "retry: " + strings.Repeat("0", 70<<10) + "5\n", want: outcome{Err: "ErrEventTooLarge"}},
	{name: "streamed id over the limit is not applied cut", limit: 70 << 10, in: "id: " + long70k + "\n\n", want: outcome{Err: "ErrEventTooLarge"}},
	// The line scan marks an ASCII id as needing no UTF-8 check; a long id
	// line, streamed, that replaces it is not scanned so, and is repaired.
	{name: "streamed id with invalid UTF-8 after an ASCII id is repaired", limit: 70 << 10,
		in:   "id: a\nid: " + strings.Repeat("i", 40<<10) + "\xff\ndata: x\n\n",
		want: outcome{Events: []Event{{Type: "message", Data: "x", ID: strings.Repeat("i", 40<<10) + "\uFFFD"}}, LastEventID: strings.Repeat("i", 40<<10) + "\uFFFD"}},
	{name: "id with a NUL after an ASCII id leaves it", in: "id: a\nid: b\x00\xff\ndata: x\n\n", want: outcome{Events: []Event{{Type: "message", Data: "x", ID: "a"}}, LastEventID: "a"}},
	{name: "ASCII id after an id with invalid UTF-8 is not repaired", in: "id: \xff\nid: ab\ndata: x\n\nid: \xfe\ndata: y\n\n",
		want: outcome{Events: []Event{{Type: "message", Data: "x", ID: "ab"}, {Type: "message", Data: "y", ID: "\uFFFD"}}, LastEventID: "\uFFFD"}},
}

func repeatEvent(e Event, n int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = e
	}
	return evs
}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range chunkings() {
				got := decode(t, c.reader([]byte(tc.in)), tc.limit)
				if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), ignoreLog); diff != "" {
					t.Errorf("%s reads: (-want +got)\n%s", c.name, diff)
				}
			}
		})
	}
}

// TestDecodeMatchesReference runs the table through the reference
// decoder of fuzz_test.go, so the two cannot drift apart silently.
func TestDecodeMatchesReference(t *testing.T) {
	for _, tc := range decodeCases {
		if tc.want.Err != "" {
			continue // the reference has no size limit
		}
		got := refDecode([]byte(tc.in))
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), ignoreLog); diff != "" {
			t.Errorf("%s: reference (-want +got)\n%s", tc.name, diff)
		}
	}
}

// TestGolden decodes each testdata/golden/NAME.input in every chunking and
// compares the transcript with NAME.events. go test -run TestGolden -update
// rewrites the .events files.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "golden", "*.input"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden cases")
	}
	for _, path := range inputs {
		name := strings.TrimSuffix(filepath.Base(path), ".input")
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			whole := decode(t, bytes.NewReader(in), 0)
			got := strings.Join(whole.Log, "\n") + "\n"
			wantPath := strings.TrimSuffix(path, ".input") + ".events"
			if *update {
				if err := os.WriteFile(wantPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range chunkings() {
				o := decode(t, c.reader(in), 0)
				got := strings.Join(o.Log, "\n") + "\n"
				if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
					t.Errorf("%s reads: (-%s +got)\n%s", c.name, wantPath, diff)
				}
			}
			ref := refDecode(in)
			if diff := cmp.Diff(ref, whole, cmpopts.EquateEmpty(), ignoreLog); diff != "" {
				t.Errorf("reference decoder disagrees (-reference +decoder)\n%s", diff)
			}
		})
	}
}

// streamTokens are the pieces random streams are built from: field names
// right and wrong, separators, every line ending, BOMs, NULs and broken
// UTF-8.
var streamTokens = []string{
	"data", "data:", "data: ", "event:", "event: ", "id:", "id: ", "retry:", "retry: ",
	":", ": ", "Data:", "x", "ab", " ", "  ", "\t", "5", "07", "99999999999999999999",
	"\r", "\n", "\r\n", "\n\n", "\r\r", "\r\n\r\n", "\x00", "\uFEFF", "\xEF\xBB", "\xE2\x82",
	"\xFF", "\xED\xA0\x80", "\xF0\x9F\x98", "é", "…", "\U0001F600",
}

// Random streams of tricky pieces, read in random splits, decode as the
// reference transcription of the spec does. Unlike the fuzz targets this
// runs on every go test.
func TestRandomStreamsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		var b strings.Builder
		for range rng.IntN(60) {
			b.WriteString(streamTokens[rng.IntN(len(streamTokens))])
		}
		in := []byte(b.String())
		splits := make([]byte, 1+rng.IntN(8))
		for j := range splits {
			splits[j] = byte(rng.IntN(256))
		}
		want := refDecode(in)
		got := decode(t, splitReader(in, splits), 0)
		decodeComments(&got)
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("stream %d %q, splits %q: (-reference +decoder)\n%s", i, in, splits, diff)
		}
	}
}
