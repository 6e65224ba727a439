package sse

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The fuzz targets share one input shape: the stream, a run of one byte
// inserted into it (so the fuzzer can build lines longer than the
// decoder's 64 KiB buffer cheaply), and bytes that choose read sizes.

// maxRun bounds the inserted run: past twice the largest read buffer, so
// streamed ("cont") lines are reached, and small enough to fuzz fast.
const maxRun = 150 << 10

// expand inserts n%maxRun copies of c at position pos of data.
func expand(data []byte, pos uint32, n uint32, c byte) []byte {
	n %= maxRun
	if n == 0 {
		return data
	}
	p := int(pos % uint32(len(data)+1))
	out := make([]byte, 0, len(data)+int(n))
	out = append(out, data[:p]...)
	out = append(out, bytes.Repeat([]byte{c}, int(n))...)
	return append(out, data[p:]...)
}

// splitsFrom turns fuzz bytes into read sizes (1 to 64, or a large read
// for a zero byte), used in turn and cycled.
func splitsFrom(b []byte) []int {
	if len(b) == 0 {
		return []int{1}
	}
	sizes := make([]int, len(b))
	for i, c := range b {
		if c == 0 {
			sizes[i] = 70 << 10
		} else {
			sizes[i] = int(c%64) + 1
		}
	}
	return sizes
}

// sizedReader returns data in reads of the given sizes, cycled. With
// eofWithData it returns io.EOF together with the last bytes.
type sizedReader struct {
	data        []byte
	sizes       []int
	i           int
	eofWithData bool
}

func (r *sizedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := r.sizes[r.i%len(r.sizes)]
	r.i++
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	if r.eofWithData && len(r.data) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// splitReader is the sizedReader the fuzz input chooses.
func splitReader(in, splits []byte) *sizedReader {
	return &sizedReader{data: in, sizes: splitsFrom(splits), eofWithData: len(splits)%2 == 1}
}

// addSeeds seeds a parser fuzz target with every golden stream, in three
// read patterns, and with the streams below, which the golden files do not
// have: each is read as it must be to reach what it tests.
func addSeeds(f *testing.F) {
	inputs, err := filepath.Glob("testdata/golden/*.input")
	if err != nil || len(inputs) == 0 {
		f.Fatalf("no golden inputs to seed from (%v)", err)
	}
	for _, name := range inputs {
		in, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		// Large reads, with io.EOF in the last; single bytes, likewise;
		// reads of two and three bytes, io.EOF alone.
		for _, splits := range []string{"\x00", "@", "\x01\x02"} {
			f.Add(in, uint32(0), uint32(0), byte('x'), []byte(splits))
		}
	}

	// Short streams in telling reads.
	// Comments of every shape, in reads of five bytes.
	f.Add([]byte("data:1\r:\x00\n:\r\ndata:2\n:xx\rdata:3\n:data:fail\r:x\ndata:4\n\n"), uint32(0), uint32(0), byte('x'), []byte("\x04"))
	// Reads that end between CR and LF.
	f.Add([]byte("data: a\r\ndata: b\r\n\r\n"), uint32(0), uint32(0), byte('x'), []byte("\x07\x08"))
	// IDs with NUL, empty and without colon.
	f.Add([]byte("id: 1\n\nid: a\x00b\ndata: x\n\nid:\ndata: y\n\nid\n\n"), uint32(0), uint32(0), byte('x'), []byte("\x05"))
	// Blocks that dispatch nothing.
	f.Add([]byte("id: a\n\nevent: e\n\n:\n\ndata\n\nid: b\n\n"), uint32(0), uint32(0), byte('x'), []byte("\x01"))
	// Characters cut by single-byte reads.
	f.Add([]byte("event: \xc3\xa9\nid: \xe2\x80\xa6\ndata: \xf0\x9f\x98\x80\n\n"), uint32(0), uint32(0), byte('x'), []byte("@"))

	// Seeds with an inserted run: long lines in every field, around the
	// 64 KiB read buffer.
	f.Add([]byte("data: \n\n"), uint32(6), uint32(100<<10), byte('x'), []byte{0, 7})
	f.Add([]byte(":\r\rdata:a\r\r"), uint32(1), uint32(70<<10), byte('c'), []byte{1})
	f.Add([]byte("event:\ndata\n\n"), uint32(6), uint32(66<<10), byte('e'), []byte{3, 0})
	f.Add([]byte("id:\r\ndata:x\r\n\r\n"), uint32(3), uint32(80<<10), byte('7'), []byte{5})
	f.Add([]byte("retry:\ndata:x\n\n"), uint32(6), uint32(40<<10), byte('9'), []byte{0})
	f.Add([]byte("data:\n\n"), uint32(5), uint32(70<<10), byte(' '), []byte{2})
	f.Add([]byte("\n\n"), uint32(0), uint32(65<<10), byte('d'), []byte{0, 1})
	f.Add([]byte("data:\xE2\x82\n\n"), uint32(5), uint32(90<<10), byte(0xF0), []byte{0})
	// A long comment.
	f.Add([]byte(":\r\ndata: a\r\n\r\n"), uint32(1), uint32(81920), byte('c'), []byte("\x00"))
	// A long data line, another event after it.
	f.Add([]byte("data: \n\ndata: b\n\n"), uint32(6), uint32(102400), byte('x'), []byte("\x00\x07"))
	// A long data line whose CR ends the 64 KiB buffer.
	f.Add([]byte("data: \r\rdata: b\r\r"), uint32(6), uint32(65529), byte('y'), []byte("\x00"))
	// A long event type.
	f.Add([]byte("event: \ndata: x\n\n"), uint32(7), uint32(67584), byte('e'), []byte("\x00"))
	// A long ID with a NUL.
	f.Add([]byte("id: \x00\ndata: x\n\n"), uint32(4), uint32(71680), byte('7'), []byte("\x00\x13"))
	// A long run of a 3-byte lead byte.
	f.Add([]byte("data: \n\n"), uint32(6), uint32(71680), byte(0xe2), []byte("\x00"))
	// A long run of spaces after the colon.
	f.Add([]byte("data:\n\n"), uint32(5), uint32(71680), byte(' '), []byte("\x00@"))
	// A long retry value.
	f.Add([]byte("retry: 5\n"), uint32(7), uint32(71680), byte('0'), []byte("\x00"))
	// A long unfinished line at the end.
	f.Add([]byte("data: a\n\ndata: "), uint32(15), uint32(92160), byte('z'), []byte("\x00"))
	// A long field name.
	f.Add([]byte("\ndata: a\n\n"), uint32(0), uint32(71680), byte('q'), []byte("\x00\x01"))
}

// FuzzDecoder checks that no input makes the decoder panic, exceed its
// size limit (in an event, an ID or a comment), or return invalid UTF-8.
func FuzzDecoder(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, pos, n uint32, c byte, splits []byte) {
		in := expand(data, pos, n, c)
		const limit = 1 << 10
		d := NewDecoder(splitReader(in, splits))
		d.MaxEventSize = limit
		d.OnComment = func(b []byte) {
			if len(b) > limit {
				t.Fatalf("comment of %d bytes passed the %d-byte limit", len(b), limit)
			}
		}
		d.OnRetryField = func(r time.Duration) {
			if r < 0 {
				t.Fatalf("negative retry %v", r)
			}
		}
		for d.Next() {
			ev := d.Event()
			// The limit bounds the event as delivered, after invalid
			// UTF-8 is replaced.
			if len(ev.Data)+len(ev.Type) > limit {
				t.Fatalf("event of %d bytes passed the %d-byte limit", len(ev.Data)+len(ev.Type), limit)
			}
			for _, s := range []string{ev.Type, ev.Data, ev.ID} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 in event %q", ev)
				}
			}
			if ev.Type == "" {
				t.Fatalf("empty event type")
			}
		}
		if err := d.Err(); err != nil && !errors.Is(err, ErrEventTooLarge) {
			t.Fatalf("unexpected error %v", err)
		}
		if len(d.LastEventID()) > limit {
			t.Fatalf("last event ID of %d bytes passed the %d-byte limit", len(d.LastEventID()), limit)
		}
		if !utf8.ValidString(d.LastEventID()) {
			t.Fatalf("invalid UTF-8 last event ID %q", d.LastEventID())
		}
	})
}

// FuzzSplit checks that how the stream is cut into reads changes nothing.
func FuzzSplit(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, pos, n uint32, c byte, splits []byte) {
		in := expand(data, pos, n, c)
		for _, limit := range []int{0, 1 + int(pos%(40<<10))} {
			want := decode(t, bytes.NewReader(in), limit)
			got := decode(t, splitReader(in, splits), limit)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("MaxEventSize %d: split reads differ from one read (-whole +split):\n%s", limit, diff)
			}
		}
	})
}

// FuzzReference compares the decoder with refDecode, a plain transcription
// of the spec.
func FuzzReference(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, pos, n uint32, c byte, splits []byte) {
		in := expand(data, pos, n, c)
		want := refDecode(in)
		got := decode(t, splitReader(in, splits), 0)
		decodeComments(&got)
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("decoder differs from the reference (-reference +decoder):\n%s", diff)
		}
	})
}

// FuzzUTF8 checks the hand-written UTF-8 code against unicode/utf8 and
// the WHATWG decoder: validUTF8 and validRuneLen agree with utf8.Valid and
// utf8.DecodeRune, and the U+FFFD repair, into a new buffer and in place,
// gives what refUTF8Decode does (one U+FFFD per maximal subpart of an
// ill-formed sequence, which unicode/utf8 and strings.ToValidUTF8 count
// differently).
func FuzzUTF8(f *testing.F) {
	for _, s := range []string{
		"", "ascii", "é東𝄞", "\uFFFD", "\xff", "\x80", "\xc0\xaf", "\xe2\x82", "\xe2\x82A",
		"\xed\xa0\x80", "\xed\x9f\xbf", "\xf4\x90\x80\x80", "\xf0\x9d\x84", "\xf0\x9f\x98\x80",
		"\xf0\x8f\xbf\xbf", "\xe0\x9f\xbf", "\xf8\x88\x80\x80\x80",
		strings.Repeat("x", 40) + "é" + strings.Repeat("\xff", 9) + strings.Repeat("y", 30) + "\xe2\x82",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validUTF8(b), utf8.Valid(b); got != want {
			t.Fatalf("validUTF8(%q) = %v, utf8.Valid %v", b, got, want)
		}
		if validShort(b) && !utf8.Valid(b) {
			t.Fatalf("validShort(%q) = true for invalid UTF-8", b)
		}
		for i := range b {
			if b[i] < utf8.RuneSelf {
				continue
			}
			want := 0
			if r, size := utf8.DecodeRune(b[i:]); r != utf8.RuneError || size > 1 {
				want = size
			}
			if got := validRuneLen(b[i:]); got != want {
				t.Fatalf("validRuneLen(%q) = %d, want %d", b[i:], got, want)
			}
		}

		want := refUTF8Decode(b)
		if got := appendValidUTF8([]byte("p"), b); string(got) != "p"+want {
			t.Fatalf("appendValidUTF8(%q) = %q, want %q", b, got[1:], want)
		}
		if n := validUTF8Len(b); n != len(want) {
			t.Fatalf("validUTF8Len(%q) = %d, want %d", b, n, len(want))
		}
		// In place, with exactly the room needed and with some to spare.
		for _, spare := range []int{0, 3} {
			buf := make([]byte, len(b), len(want)+spare)
			copy(buf, b)
			got := toValidUTF8InPlace(buf, len(want))
			if string(got) != want {
				t.Fatalf("toValidUTF8InPlace(%q) = %q, want %q", b, got, want)
			}
			if len(got) > 0 && &got[0] != &buf[:1][0] {
				t.Fatalf("toValidUTF8InPlace(%q) did not stay in its buffer", b)
			}
		}
	})
}

// decodeComments UTF-8-decodes the comments of a Decoder's outcome:
// comments reach OnComment as sent, while the reference decodes the whole
// stream first.
func decodeComments(o *outcome) {
	for i, s := range o.Comments {
		o.Comments[i] = refUTF8Decode([]byte(s))
	}
	for i, s := range o.Log {
		if c, ok := strings.CutPrefix(s, "comment "); ok {
			c, _ = strconv.Unquote(c)
			o.Log[i] = commentLine(refUTF8Decode([]byte(c)))
		}
	}
}

// refUTF8Decode is the WHATWG Encoding "UTF-8 decoder" run over the whole
// input, written as the spec's state machine: each error emits U+FFFD, and
// a byte that breaks a sequence is processed again.
func refUTF8Decode(in []byte) string {
	var out strings.Builder
	codePoint, bytesSeen, bytesNeeded := 0, 0, 0
	lower, upper := 0x80, 0xBF
	for i := 0; i <= len(in); i++ {
		if i == len(in) {
			if bytesNeeded != 0 {
				out.WriteRune(utf8.RuneError)
			}
			break
		}
		b := int(in[i])
		if bytesNeeded == 0 {
			switch {
			case b <= 0x7F:
				out.WriteByte(byte(b))
			case b >= 0xC2 && b <= 0xDF:
				bytesNeeded, codePoint = 1, b&0x1F
			case b >= 0xE0 && b <= 0xEF:
				if b == 0xE0 {
					lower = 0xA0
				}
				if b == 0xED {
					upper = 0x9F
				}
				bytesNeeded, codePoint = 2, b&0xF
			case b >= 0xF0 && b <= 0xF4:
				if b == 0xF0 {
					lower = 0x90
				}
				if b == 0xF4 {
					upper = 0x8F
				}
				bytesNeeded, codePoint = 3, b&0x7
			default:
				out.WriteRune(utf8.RuneError)
			}
			continue
		}
		if b < lower || b > upper {
			codePoint, bytesNeeded, bytesSeen = 0, 0, 0
			lower, upper = 0x80, 0xBF
			out.WriteRune(utf8.RuneError)
			i-- // prepend the byte to the stream
			continue
		}
		lower, upper = 0x80, 0xBF
		codePoint = codePoint<<6 | b&0x3F
		bytesSeen++
		if bytesSeen != bytesNeeded {
			continue
		}
		out.WriteRune(rune(codePoint))
		codePoint, bytesNeeded, bytesSeen = 0, 0, 0
	}
	return out.String()
}

// refDecode interprets an event stream exactly as the WHATWG HTML spec
// words it, with strings and no attention to speed.
func refDecode(in []byte) outcome {
	var o outcome
	// "UTF-8 decode" strips one leading BOM, then decodes.
	in = bytes.TrimPrefix(in, []byte("\xEF\xBB\xBF"))
	stream := refUTF8Decode(in)

	// Split into lines; the text after the last line ending is not a line.
	var lines []string
	for {
		i := strings.IndexAny(stream, "\r\n")
		if i < 0 {
			break
		}
		lines = append(lines, stream[:i])
		if strings.HasPrefix(stream[i:], "\r\n") {
			stream = stream[i+2:]
		} else {
			stream = stream[i+1:]
		}
	}

	var data, eventType, lastIDBuffer string
	for _, line := range lines {
		switch {
		case line == "":
			// Dispatch the event.
			o.LastEventID = lastIDBuffer
			if data == "" {
				data, eventType = "", ""
				continue
			}
			data = strings.TrimSuffix(data, "\n")
			ev := Event{Type: "message", Data: data, ID: o.LastEventID}
			if eventType != "" {
				ev.Type = eventType
			}
			o.Events = append(o.Events, ev)
			o.Log = append(o.Log, eventLine(ev))
			data, eventType = "", ""
		case strings.HasPrefix(line, ":"):
			o.Comments = append(o.Comments, line[1:])
			o.Log = append(o.Log, commentLine(line[1:]))
		default:
			name, value := line, ""
			if i := strings.Index(line, ":"); i >= 0 {
				name, value = line[:i], line[i+1:]
				value = strings.TrimPrefix(value, " ")
			}
			switch name {
			case "event":
				eventType = value
			case "data":
				data += value + "\n"
			case "id":
				if !strings.Contains(value, "\x00") {
					lastIDBuffer = value
				}
			case "retry":
				if value == "" || strings.Trim(value, "0123456789") != "" {
					break
				}
				ms, err := strconv.ParseInt(value, 10, 64)
				if err != nil || ms > math.MaxInt64/int64(time.Millisecond) {
					break // too large for a time.Duration: ignored
				}
				o.Retries = append(o.Retries, time.Duration(ms)*time.Millisecond)
				o.Retry, o.RetrySet = o.Retries[len(o.Retries)-1], true
				o.Log = append(o.Log, retryLine(o.Retry))
			}
		}
	}
	o.Log = append(o.Log, endLine(o))
	return o
}
