package sse

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Tests of the decoder over io.Readers that misbehave or are slow: read
// errors, timeouts, bad counts, no progress, and what it reads ahead.

// errReader returns data in one read and then err.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadErrorComesBackUnchangedAfterEvents(t *testing.T) {
	errBoom := errors.New("boom")
	in := []byte("data: a\n\nid: 1\ndata: b\n\ndata: partial\n")
	for _, c := range chunkings() {
		d := NewDecoder(io.MultiReader(c.reader(in), iotest.ErrReader(errBoom)))
		var got []Event
		for d.Next() {
			got = append(got, d.Event())
		}
		want := []Event{msg("a"), ev("message", "b", "1")}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: events (-want +got)\n%s", c.name, diff)
		}
		if err := d.Err(); err != errBoom {
			t.Errorf("%s: Err() = %v, want %v", c.name, err, errBoom)
		}
	}
	// An error returned together with the last bytes.
	d := NewDecoder(&errReader{data: in, err: errBoom})
	n := 0
	for d.Next() {
		n++
	}
	if n != 2 || !errors.Is(d.Err(), errBoom) {
		t.Errorf("got %d events, Err %v; want 2 events, %v", n, d.Err(), errBoom)
	}
}

func TestTimeoutReaderDeliversEventsThenTimeout(t *testing.T) {
	in := []byte("data: a\n\ndata: b\n\ndata: c")
	for _, inner := range []struct {
		name string
		r    func() io.Reader
	}{
		{"whole", func() io.Reader { return bytes.NewReader(in) }},
		{"cut-after-events", func() io.Reader { return &cutReader{data: in, cuts: []int{9, 18}} }},
	} {
		d := NewDecoder(iotest.TimeoutReader(inner.r()))
		var got []Event
		for d.Next() {
			got = append(got, d.Event())
		}
		want := []Event{msg("a"), msg("b")}
		if inner.name != "whole" {
			want = want[:1] // the second read times out
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: events (-want +got)\n%s", inner.name, diff)
		}
		if !errors.Is(d.Err(), iotest.ErrTimeout) {
			t.Errorf("%s: Err() = %v, want %v", inner.name, d.Err(), iotest.ErrTimeout)
		}
	}
}

// stuckReader returns data, then (0, nil) forever.
type stuckReader struct{ data []byte }

func (r *stuckReader) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReaderWithoutProgressFails(t *testing.T) {
	d := NewDecoder(&stuckReader{data: []byte("data: a\n\ndata: b")})
	var got []Event
	for d.Next() {
		got = append(got, d.Event())
	}
	if diff := cmp.Diff([]Event{msg("a")}, got); diff != "" {
		t.Errorf("events (-want +got)\n%s", diff)
	}
	if d.Err() != io.ErrNoProgress {
		t.Errorf("Err() = %v, want io.ErrNoProgress", d.Err())
	}
}

// badCountReader returns data once, then the count n whatever room it is
// given.
type badCountReader struct {
	data string
	n    func(p []byte) int
}

func (r *badCountReader) Read(p []byte) (int, error) {
	if r.data != "" {
		k := copy(p, r.data)
		r.data = r.data[k:]
		return k, nil
	}
	return r.n(p), nil
}

// A reader that claims more bytes than it had room for, or a negative
// count, fails the stream with errBadReadCount after the events before it,
// rather than making the decoder read past its buffer.
func TestReaderWithInvalidCountFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    func(p []byte) int
	}{
		{"past the room", func(p []byte) int { return len(p) + 1 }},
		{"negative", func([]byte) int { return -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(&badCountReader{data: "data: a\n\n", n: tc.n})
			var got []Event
			for d.Next() {
				got = append(got, d.Event())
			}
			if diff := cmp.Diff([]Event{msg("a")}, got); diff != "" {
				t.Errorf("events (-want +got)\n%s", diff)
			}
			if !errors.Is(d.Err(), errBadReadCount) {
				t.Errorf("Err() = %v, want errBadReadCount", d.Err())
			}
		})
	}
}

// An event is returned as soon as its blank line is read, without waiting
// for more input.
func TestEventDeliveredWithoutReadingAhead(t *testing.T) {
	for _, ending := range []string{"\n\n", "\r\n\r\n", "\r\r", "\n\r"} {
		pr, pw := io.Pipe()
		d := NewDecoder(pr)
		got := make(chan Event)
		go func() {
			defer close(got)
			for d.Next() {
				got <- d.Event()
			}
		}()
		for i := range 3 {
			data := strconv.Itoa(i)
			if _, err := io.WriteString(pw, "id: "+data+"\ndata: "+data+ending); err != nil {
				t.Fatal(err)
			}
			select {
			case e := <-got:
				if want := ev("message", data, data); e != want {
					t.Fatalf("%q: got %q, want %q", ending, e, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%q: event %d not delivered before more input", ending, i)
			}
		}
		pw.Close()
		for range got {
			t.Errorf("%q: extra event", ending)
		}
	}
}

// A reader that fills all the room it is given (a fast connection) earns a
// larger buffer, and fewer read calls; one that returns little at a time
// (an idle or slow stream) keeps the small one.
func TestBufferGrowsOnlyForFastReaders(t *testing.T) {
	in := strings.Repeat("data: "+strings.Repeat("x", 90)+"\n\n", 5000)
	fast := NewDecoder(strings.NewReader(in))
	for fast.Next() {
	}
	if len(fast.buf) != fastBufSize {
		t.Errorf("fast reader: buffer %d bytes, want %d", len(fast.buf), fastBufSize)
	}
	slow := NewDecoder(iotest.HalfReader(&chunkReader{s: in, n: 100}))
	for slow.Next() {
	}
	if len(slow.buf) != minBufSize {
		t.Errorf("slow reader: buffer %d bytes, want %d", len(slow.buf), minBufSize)
	}
}

// chunkReader returns at most n bytes of s per Read.
type chunkReader struct {
	s string
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.s)
	r.s = r.s[n:]
	return n, nil
}

// limitReader returns s, at most n bytes per Read (as many as fit if n is
// 0), then fails the test if it is read again: the decoder must not wait
// for more.
type limitReader struct {
	t *testing.T
	s string
	n int
}

func (r *limitReader) Read(p []byte) (int, error) {
	if r.s == "" {
		r.t.Error("read on after the stream passed the limit")
		return 0, io.EOF
	}
	if r.n > 0 {
		p = p[:min(len(p), r.n)]
	}
	n := copy(p, r.s)
	r.s = r.s[n:]
	return n, nil
}

// A line that passes MaxEventSize fails as soon as it does, even when it
// comes in reads too small to end a line: the server may send nothing
// more, and a decoder that read on would wait for it.
func TestLineFailsAtLimitWithoutReadingOn(t *testing.T) {
	const limit = 100
	for _, prefix := range []string{"", "data: one\n\n", "data: x"} {
		// The last line, begun in prefix, is one byte too long.
		begun := prefix[strings.LastIndexByte(prefix, '\n')+1:]
		in := prefix + strings.Repeat("y", limit+1-len(begun))
		d := NewDecoder(&limitReader{t: t, s: in, n: 3})
		d.MaxEventSize = limit
		for d.Next() {
		}
		if err := d.Err(); !errors.Is(err, ErrEventTooLarge) {
			t.Errorf("prefix %q: Err() = %v, want ErrEventTooLarge", prefix, err)
		}
	}
}

// An event that passes MaxEventSize in a line too long for the buffer,
// which the decoder streams into its field, fails as soon as it does too.
func TestStreamedLineFailsAtLimitWithoutReadingOn(t *testing.T) {
	const limit = 40 << 10
	in := "data: " + strings.Repeat("x", 30<<10) + "\ndata: " + strings.Repeat("y", 33<<10)
	d := NewDecoder(&limitReader{t: t, s: in})
	d.MaxEventSize = limit
	for d.Next() {
		t.Error("an event over the limit was delivered")
	}
	if err := d.Err(); !errors.Is(err, ErrEventTooLarge) {
		t.Errorf("Err() = %v, want ErrEventTooLarge", err)
	}
}
