package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// writtenChunks returns its bytes in reads cut at the lengths of cuts, in
// turn (a zero length is a read of one byte).
type writtenChunks struct {
	b    []byte
	cuts []byte
}

func (r *writtenChunks) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(r.cuts) > 0 {
		n = max(1, int(r.cuts[0]))
		r.cuts = r.cuts[1:]
	}
	n = min(n, len(p), len(r.b))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

type roundTrip struct {
	Events   []Event
	Comments []string
	Retry    time.Duration
	RetrySet bool
}

func decodeRoundTrip(r io.Reader) (roundTrip, error) {
	var got roundTrip
	d := NewDecoder(r)
	d.OnComment = func(c []byte) { got.Comments = append(got.Comments, string(c)) }
	for d.Next() {
		got.Events = append(got.Events, d.Event())
	}
	got.Retry, got.RetrySet = d.Retry()
	return got, d.Err()
}

// lfLines is s with its line endings as LF, as a client reads data.
func lfLines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// FuzzWriterRoundTrip writes events, a comment and a retry built from the
// input and checks that the Decoder reads back exactly what was written,
// whole and through reads cut anywhere, and that whatever the Writer
// refused was refused for a reason, with a *FieldError and no byte
// written.
func FuzzWriterRoundTrip(f *testing.F) {
	f.Add("", "", "", "", int64(0), []byte{})
	f.Add("update", "1", "hello\nworld", " keep-alive", int64(3000), []byte{1, 2, 3})
	f.Add("a\nb", "1\ndata: x", "a\rb", "x\r\ny", int64(-1), []byte{0})
	f.Add("t", "id\x00", "a\r\nb\n\rc\r", "", int64(1500000), []byte{5})
	f.Add(" spaced", " 7", "  two spaces\n trailing \n", ":", int64(1), []byte{7, 0, 9})
	f.Add("é", "日本", "👋\xff", "\xc3", int64(1<<62), []byte{2})
	f.Add("message", "", "\n\n", "\n", int64(999999), []byte{255})
	f.Add("t", "1", "a\rb\r\rc", "d\re", int64(5), []byte{1})
	f.Add("", "x", "data: injected\n\nevent: x", "id: 5", int64(0), []byte{3, 3})
	f.Fuzz(func(t *testing.T, typ, id, data, comment string, retryNs int64, cuts []byte) {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		var want roundTrip
		lastID := ""
		write := func(name string, refuse bool, call func() error, ok func()) {
			before := buf.Len()
			err := call()
			if !refuse {
				if err != nil {
					t.Fatalf("%s: unexpected error %v", name, err)
				}
				ok()
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%s: got %v, want a *FieldError", name, err)
			}
			if fe.Offset >= len(fe.Value) {
				t.Fatalf("%s: %#v: offset out of range", name, fe)
			}
			if buf.Len() != before {
				t.Fatalf("%s: refused, but wrote %q", name, buf.Bytes()[before:])
			}
		}
		badName := func(s string, nul bool) bool {
			return strings.ContainsAny(s, "\r\n") || (nul && strings.IndexByte(s, 0) >= 0) || !utf8.ValidString(s)
		}
		event := func(ev Event) {
			refuse := badName(ev.Type, false) || badName(ev.ID, true) || !utf8.ValidString(ev.Data)
			write("WriteEvent", refuse, func() error { return w.WriteEvent(ev) }, func() {
				if ev.ID != "" {
					lastID = ev.ID
				}
				typ := ev.Type
				if typ == "" {
					typ = "message"
				}
				want.Events = append(want.Events, Event{Type: typ, Data: lfLines(ev.Data), ID: lastID})
			})
		}

		event(Event{Type: typ, ID: id, Data: data})
		write("WriteComment", !utf8.ValidString(comment), func() error { return w.WriteComment(comment) }, func() {
			want.Comments = append(want.Comments, strings.Split(lfLines(comment), "\n")...)
		})
		retry := time.Duration(retryNs)
		write("WriteRetry", retry < 0, func() error { return w.WriteRetry(retry) }, func() {
			ms := (retry + time.Millisecond - 1) / time.Millisecond
			if retry > time.Duration(1<<63-1)-time.Millisecond {
				ms = retry / time.Millisecond
			}
			want.Retry, want.RetrySet = ms*time.Millisecond, true
		})
		event(Event{Data: comment})               // no id: the last one persists
		event(Event{Type: id, ID: typ, Data: ""}) // the fields swapped, and empty data

		got, err := decodeRoundTrip(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("decoding %q: %v", buf.Bytes(), err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("wrote %q, roundTrip (-want +got):\n%s", buf.Bytes(), diff)
		}
		split, err := decodeRoundTrip(&writtenChunks{b: buf.Bytes(), cuts: cuts})
		if err != nil {
			t.Fatalf("decoding %q in reads cut at %v: %v", buf.Bytes(), cuts, err)
		}
		if diff := cmp.Diff(got, split); diff != "" {
			t.Fatalf("wrote %q, roundTrip in reads cut at %v (-whole +cut):\n%s", buf.Bytes(), cuts, diff)
		}
	})
}
