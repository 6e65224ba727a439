package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decodeAll reads every event of s with a Decoder, and the comments and
// the last retry it saw.
func decodeAll(t *testing.T, s string) (events []Event, comments []string, retry time.Duration) {
	t.Helper()
	d := NewDecoder(strings.NewReader(s))
	d.OnComment = func(c []byte) { comments = append(comments, string(c)) }
	for d.Next() {
		events = append(events, d.Event())
	}
	if err := d.Err(); err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	retry, _ = d.Retry()
	return events, comments, retry
}

func TestWriteEvent(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
		want string // the bytes written
		back Event  // what a Decoder reads back
	}{
		{"data only", Event{Data: "hi"}, "data: hi\n\n", Event{Type: "message", Data: "hi"}},
		{"all fields", Event{Type: "t", ID: "7", Data: "x"}, "id: 7\nevent: t\ndata: x\n\n", Event{Type: "t", ID: "7", Data: "x"}},
		{"empty data dispatches", Event{}, "data:\n\n", Event{Type: "message"}},
		{"empty data with type", Event{Type: "ping"}, "event: ping\ndata:\n\n", Event{Type: "ping"}},
		{"LF", Event{Data: "a\nb"}, "data: a\ndata: b\n\n", Event{Type: "message", Data: "a\nb"}},
		{"CR", Event{Data: "a\rb"}, "data: a\ndata: b\n\n", Event{Type: "message", Data: "a\nb"}},
		{"CRLF", Event{Data: "a\r\nb"}, "data: a\ndata: b\n\n", Event{Type: "message", Data: "a\nb"}},
		{"LF CR is two breaks", Event{Data: "a\n\rb"}, "data: a\ndata:\ndata: b\n\n", Event{Type: "message", Data: "a\n\nb"}},
		{"mixed", Event{Data: "1\r2\n3\r\n4\r\r\n5"}, "data: 1\ndata: 2\ndata: 3\ndata: 4\ndata:\ndata: 5\n\n",
			Event{Type: "message", Data: "1\n2\n3\n4\n\n5"}},
		{"trailing LF", Event{Data: "a\n"}, "data: a\ndata:\n\n", Event{Type: "message", Data: "a\n"}},
		{"only line breaks", Event{Data: "\r\n\r"}, "data:\ndata:\ndata:\n\n", Event{Type: "message", Data: "\n\n"}},
		{"leading space kept", Event{Data: " x"}, "data:  x\n\n", Event{Type: "message", Data: " x"}},
		{"leading space on every line", Event{Data: " a\n  b"}, "data:  a\ndata:   b\n\n", Event{Type: "message", Data: " a\n  b"}},
		{"type and id with spaces", Event{Type: " t ", ID: " 1"}, "id:  1\nevent:  t \ndata:\n\n", Event{Type: " t ", ID: " 1"}},
		{"colons", Event{Type: "a:b", ID: "c:d", Data: ":e"}, "id: c:d\nevent: a:b\ndata: :e\n\n", Event{Type: "a:b", ID: "c:d", Data: ":e"}},
		{"field-like data", Event{Data: "id: 9\nevent: x"}, "data: id: 9\ndata: event: x\n\n", Event{Type: "message", Data: "id: 9\nevent: x"}},
		{"NUL in data", Event{Data: "a\x00b"}, "data: a\x00b\n\n", Event{Type: "message", Data: "a\x00b"}},
		{"non-ASCII", Event{Type: "é", ID: "日本", Data: "👋 ü"}, "id: 日本\nevent: é\ndata: 👋 ü\n\n", Event{Type: "é", ID: "日本", Data: "👋 ü"}},
		{"BOM inside data", Event{Data: "\uFEFFx"}, "data: \uFEFFx\n\n", Event{Type: "message", Data: "\uFEFFx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := NewWriter(&b).WriteEvent(tt.ev); err != nil {
				t.Fatalf("WriteEvent(%+v): %v", tt.ev, err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("WriteEvent(%+v) wrote (-want +got):\n%s", tt.ev, diff)
			}
			got, _, _ := decodeAll(t, b.String())
			if diff := cmp.Diff([]Event{tt.back}, got); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteEventIDPersists(t *testing.T) {
	var b strings.Builder
	w := NewWriter(&b)
	for _, ev := range []Event{{ID: "1", Data: "a"}, {Data: "b"}, {ID: "2", Data: "c"}} {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	got, _, _ := decodeAll(t, b.String())
	want := []Event{{"message", "a", "1"}, {"message", "b", "1"}, {"message", "c", "2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
}

func TestWriterRefuses(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *Writer) error
		want  *FieldError
		msg   string
	}{
		{"LF in type", func(w *Writer) error { return w.WriteEvent(Event{Type: "a\nb"}) },
			&FieldError{"event", "a\nb", 1}, `sse: cannot write event "a\nb": it has a line break at byte 1`},
		{"CR in type", func(w *Writer) error { return w.WriteEvent(Event{Type: "a\r"}) },
			&FieldError{"event", "a\r", 1}, `sse: cannot write event "a\r": it has a line break at byte 1`},
		{"injection through id", func(w *Writer) error { return w.WriteEvent(Event{ID: "1\ndata: x", Data: "ok"}) },
			&FieldError{"id", "1\ndata: x", 1}, `sse: cannot write id "1\ndata: x": it has a line break at byte 1`},
		{"CR in id", func(w *Writer) error { return w.WriteEvent(Event{ID: "\r"}) },
			&FieldError{"id", "\r", 0}, `sse: cannot write id "\r": it has a line break at byte 0`},
		{"NUL in id", func(w *Writer) error { return w.WriteEvent(Event{ID: "a\x00"}) },
			&FieldError{"id", "a\x00", 1}, `sse: cannot write id "a\x00": it has a NUL byte at byte 1`},
		{"invalid UTF-8 in data", func(w *Writer) error { return w.WriteEvent(Event{Data: "ok\nü\xff"}) },
			&FieldError{"data", "ok\nü\xff", 5}, `sse: cannot write data "ok\nü\xff": it has invalid UTF-8 at byte 5`},
		{"invalid UTF-8 in type", func(w *Writer) error { return w.WriteEvent(Event{Type: "\xc3"}) },
			&FieldError{"event", "\xc3", 0}, `sse: cannot write event "\xc3": it has invalid UTF-8 at byte 0`},
		{"invalid UTF-8 in id", func(w *Writer) error { return w.WriteEvent(Event{ID: "\xed\xa0\x80"}) },
			&FieldError{"id", "\xed\xa0\x80", 0}, `sse: cannot write id "\xed\xa0\x80": it has invalid UTF-8 at byte 0`},
		{"invalid UTF-8 in comment", func(w *Writer) error { return w.WriteComment("a\x80") },
			&FieldError{"comment", "a\x80", 1}, `sse: cannot write comment "a\x80": it has invalid UTF-8 at byte 1`},
		{"negative retry", func(w *Writer) error { return w.WriteRetry(-time.Second) },
			&FieldError{"retry", "-1s", -1}, `sse: cannot write retry "-1s": it is negative`},
		{"long value shown in part, escaped", func(w *Writer) error {
			return w.WriteEvent(Event{ID: strings.Repeat("a", 100) + "\x1b[2J\n" + strings.Repeat("b", 100)})
		}, &FieldError{"id", strings.Repeat("a", 100) + "\x1b[2J\n" + strings.Repeat("b", 100), 104},
			`sse: cannot write id ..."aaaaaaaaaaaaaaaaaaaa\x1b[2J\nbbbbbbbbbbbbbbbbbbbbbbb"...: it has a line break at byte 104`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			w := NewWriter(&b)
			err := tt.write(w)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got error %v, want a *FieldError", err)
			}
			if diff := cmp.Diff(tt.want, fe); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if got := err.Error(); got != tt.msg {
				t.Errorf("Error() = %s\nwant      %s", got, tt.msg)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %q for a refused value, want nothing", b.String())
			}
			// A refusal does not stop the Writer.
			if err := w.WriteEvent(Event{Data: "next"}); err != nil {
				t.Fatalf("WriteEvent after a refusal: %v", err)
			}
			if got, want := b.String(), "data: next\n\n"; got != want {
				t.Errorf("after a refusal wrote %q, want %q", got, want)
			}
		})
	}
}

func TestFieldErrorHasNoControlCharacters(t *testing.T) {
	for _, v := range []string{"\x1b]0;pwned\x07\n", "a\r\n", "\x00\n", "\u2028\n", "\x9b\n"} {
		msg := (&FieldError{Field: "id", Value: v, Offset: len(v) - 1}).Error()
		for _, r := range msg {
			if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' {
				t.Errorf("Error() for %q = %q: has control character %U", v, msg, r)
			}
		}
	}
}

func TestWriteRetry(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
		back time.Duration
	}{
		{0, "retry: 0\n", 0},
		{3 * time.Second, "retry: 3000\n", 3 * time.Second},
		{1500 * time.Microsecond, "retry: 2\n", 2 * time.Millisecond}, // rounded up, never shorter
		{time.Nanosecond, "retry: 1\n", time.Millisecond},
		{time.Duration(1<<63 - 1), "retry: 9223372036854\n", 9223372036854 * time.Millisecond},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := NewWriter(&b).WriteRetry(tt.d); err != nil {
			t.Fatalf("WriteRetry(%v): %v", tt.d, err)
		}
		if got := b.String(); got != tt.want {
			t.Errorf("WriteRetry(%v) wrote %q, want %q", tt.d, got, tt.want)
		}
		d := NewDecoder(strings.NewReader(b.String()))
		for d.Next() {
		}
		if got, ok := d.Retry(); !ok || got != tt.back {
			t.Errorf("WriteRetry(%v): decoder's retry = %v, %v; want %v", tt.d, got, ok, tt.back)
		}
	}
}

func TestWriteComment(t *testing.T) {
	tests := []struct {
		text string
		want string
		back []string // as OnComment receives them
	}{
		{"", ":\n", []string{""}},
		{"ping", ":ping\n", []string{"ping"}},
		{" keep-alive", ": keep-alive\n", []string{" keep-alive"}},
		{"a\nb\rc\r\nd", ":a\n:b\n:c\n:d\n", []string{"a", "b", "c", "d"}},
		{"a\n", ":a\n:\n", []string{"a", ""}},
	}
	for _, tt := range tests {
		var b strings.Builder
		w := NewWriter(&b)
		if err := w.WriteComment(tt.text); err != nil {
			t.Fatalf("WriteComment(%q): %v", tt.text, err)
		}
		if got := b.String(); got != tt.want {
			t.Errorf("WriteComment(%q) wrote %q, want %q", tt.text, got, tt.want)
		}
		// A comment between events changes no event.
		w.WriteEvent(Event{Data: "x"})
		events, comments, _ := decodeAll(t, b.String())
		if diff := cmp.Diff(tt.back, comments); diff != "" {
			t.Errorf("WriteComment(%q): comments (-want +got):\n%s", tt.text, diff)
		}
		if diff := cmp.Diff([]Event{{Type: "message", Data: "x"}}, events); diff != "" {
			t.Errorf("WriteComment(%q): events (-want +got):\n%s", tt.text, diff)
		}
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct {
	n   int
	err error
	b   bytes.Buffer
}

func (f *failWriter) Write(p []byte) (int, error) {
	if f.b.Len()+len(p) > f.n {
		return 0, f.err
	}
	return f.b.Write(p)
}

func TestWriterErrorIsSticky(t *testing.T) {
	boom := errors.New("boom")
	f := &failWriter{n: 10, err: boom}
	w := NewWriter(f)
	if err := w.WriteEvent(Event{Data: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEvent(Event{Data: "too long for the rest"}); err != boom {
		t.Fatalf("failing write: got %v, want %v", err, boom)
	}
	f.n = 1 << 20 // the destination would work again: the Writer stays stopped
	for name, call := range map[string]func() error{
		"WriteEvent":   func() error { return w.WriteEvent(Event{Data: "2"}) },
		"WriteRetry":   func() error { return w.WriteRetry(time.Second) },
		"WriteComment": func() error { return w.WriteComment("c") },
		"Flush":        w.Flush,
	} {
		if err := call(); err != boom {
			t.Errorf("%s after a failure: got %v, want %v", name, err, boom)
		}
	}
	if got, want := f.b.String(), "data: 1\n\n"; got != want {
		t.Errorf("destination got %q, want %q", got, want)
	}
	// A refused value is still refused as such.
	var fe *FieldError
	if err := w.WriteEvent(Event{ID: "\n"}); !errors.As(err, &fe) {
		t.Errorf("refused value after a failure: got %v, want a *FieldError", err)
	}
}

func TestZeroWriter(t *testing.T) {
	var w Writer
	for name, call := range map[string]func() error{
		"WriteEvent":   func() error { return w.WriteEvent(Event{Data: "x"}) },
		"WriteRetry":   func() error { return w.WriteRetry(time.Second) },
		"WriteComment": func() error { return w.WriteComment("c") },
		"Flush":        w.Flush,
	} {
		err := call()
		if err == nil || !strings.Contains(err.Error(), "use NewWriter") {
			t.Errorf("zero Writer's %s: got %v, want an error that says to use NewWriter", name, err)
		}
	}
}

// flushRecorder records writes and flushes in order.
type flushRecorder struct {
	log []string
}

func (r *flushRecorder) Write(p []byte) (int, error) {
	r.log = append(r.log, string(p))
	return len(p), nil
}

type errFlusher struct{ flushRecorder }

func (r *errFlusher) Flush() error { r.log = append(r.log, "flush"); return nil }

type plainFlusher struct{ flushRecorder }

func (r *plainFlusher) Flush() { r.log = append(r.log, "flush") }

func TestNewWriterFlush(t *testing.T) {
	t.Run("Flush() error", func(t *testing.T) {
		r := &errFlusher{}
		w := NewWriter(r)
		w.WriteComment("a")
		w.Flush()
		if diff := cmp.Diff([]string{":a\n", "flush"}, r.log); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("http.Flusher", func(t *testing.T) {
		r := &plainFlusher{}
		w := NewWriter(r)
		w.WriteComment("a")
		w.Flush()
		if diff := cmp.Diff([]string{":a\n", "flush"}, r.log); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("bufio.Writer", func(t *testing.T) {
		var b strings.Builder
		w := NewWriter(bufio.NewWriter(&b))
		w.WriteEvent(Event{Data: "x"})
		if b.Len() != 0 {
			t.Fatalf("before Flush: %q reached the destination", b.String())
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != "data: x\n\n" {
			t.Errorf("after Flush: %q", got)
		}
	})
	t.Run("no Flush method", func(t *testing.T) {
		r := &flushRecorder{}
		w := NewWriter(r)
		w.WriteEvent(Event{Data: "x"})
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"data: x\n\n"}, r.log); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestStartResponseHeaders(t *testing.T) {
	tests := []struct {
		name   string
		preset http.Header
		want   http.Header
	}{
		{"defaults", nil, http.Header{
			"Content-Type": {"text/event-stream"}, "Cache-Control": {"no-cache"}, "X-Accel-Buffering": {"no"},
		}},
		{"caller's values kept", http.Header{
			"Content-Type":      {"text/event-stream; charset=utf-8"},
			"Cache-Control":     {"no-store"},
			"X-Accel-Buffering": {"yes"},
			"X-Other":           {"1"},
		}, http.Header{
			"Content-Type":      {"text/event-stream; charset=utf-8"},
			"Cache-Control":     {"no-store"},
			"X-Accel-Buffering": {"yes"},
			"X-Other":           {"1"},
		}},
		{"a content type an EventSource refuses is replaced", http.Header{
			"Content-Type": {"application/json"},
		}, http.Header{
			"Content-Type": {"text/event-stream"}, "Cache-Control": {"no-cache"}, "X-Accel-Buffering": {"no"},
		}},
		{"media type in other case", http.Header{
			"Content-Type": {"Text/Event-Stream"},
		}, http.Header{
			"Content-Type": {"Text/Event-Stream"}, "Cache-Control": {"no-cache"}, "X-Accel-Buffering": {"no"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			for k, v := range tt.preset {
				rec.Header()[k] = v
			}
			StartResponse(rec)
			if !rec.Flushed || rec.Code != http.StatusOK {
				t.Errorf("StartResponse: flushed %v, status %d; want the headers sent with 200", rec.Flushed, rec.Code)
			}
			if diff := cmp.Diff(tt.want, rec.Result().Header); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

// middleware wraps a ResponseWriter as logging middleware does: it has no
// Flush method of its own, only Unwrap.
type middleware struct {
	http.ResponseWriter
	writes int
}

func (m *middleware) Write(p []byte) (int, error) {
	m.writes++
	return m.ResponseWriter.Write(p)
}

func (m *middleware) Unwrap() http.ResponseWriter { return m.ResponseWriter }

func TestStartResponseFlushesThroughMiddleware(t *testing.T) {
	got := make(chan string, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		m := &middleware{ResponseWriter: rw}
		w := StartResponse(m)
		w.WriteEvent(Event{ID: "1", Data: "first"})
		if err := w.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		<-release // the event must arrive before the handler returns
		if m.writes != 1 {
			t.Errorf("middleware saw %d writes, want 1 for the event", m.writes)
		}
	}))
	defer srv.Close()
	defer close(release)
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	go func() {
		d := NewDecoder(resp.Body)
		if d.Next() {
			got <- d.Event().Data
		} else {
			got <- "error: " + d.Err().Error()
		}
	}()
	if data := <-got; data != "first" {
		t.Errorf("client read %q, want %q", data, "first")
	}
}

func TestWriteEventAllocs(t *testing.T) {
	w := NewWriter(io.Discard)
	events := []Event{
		{Type: "delta", ID: "42", Data: `{"choices":[{"delta":{"content":"Hello"}}]}`},
		{Data: "line one\nline two\r\nline three\rfour"},
		{Type: "é", Data: "👋"},
	}
	for _, ev := range events {
		w.WriteEvent(ev) // grow the buffer once
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, ev := range events {
			if err := w.WriteEvent(ev); err != nil {
				t.Fatal(err)
			}
		}
		w.WriteComment("keep-alive")
		w.WriteRetry(time.Second)
		w.Flush()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func TestWriterKeepsNoHugeBuffer(t *testing.T) {
	w := NewWriter(io.Discard)
	w.WriteEvent(Event{Data: strings.Repeat("x", 1<<20)})
	if cap(w.buf) > maxKeptBuf {
		t.Errorf("after a 1 MiB event the Writer keeps a %d-byte buffer, want at most %d", cap(w.buf), maxKeptBuf)
	}
	w.WriteEvent(Event{Data: "small"})
	if cap(w.buf) == 0 {
		t.Errorf("the Writer keeps no buffer for small events")
	}
}

func BenchmarkWriteEvent(b *testing.B) {
	w := NewWriter(io.Discard)
	ev := Event{Type: "delta", ID: "42", Data: `{"choices":[{"index":0,"delta":{"content":" world"}}]}`}
	b.ReportAllocs()
	for b.Loop() {
		w.WriteEvent(ev)
	}
}

func BenchmarkWriteEventMultiline(b *testing.B) {
	w := NewWriter(io.Discard)
	ev := Event{Data: strings.Repeat("a line of some text\n", 20)}
	b.ReportAllocs()
	b.SetBytes(int64(len(ev.Data)))
	for b.Loop() {
		w.WriteEvent(ev)
	}
}
