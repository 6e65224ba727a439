package sse

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ssekit/sse/internal/wire"
)

// A Writer writes events in the text/event-stream format: the counterpart
// of a [Decoder], which reads back exactly what a Writer wrote.
//
// Each call writes whole lines, and each event its whole block, with a
// single Write to the destination; a value that cannot be written as given
// is refused with a [*FieldError] and nothing is written for it, so the
// stream stays well-formed. [Writer.Flush] pushes what has been written
// through a destination that buffers, such as an http.ResponseWriter:
// call it after the events that should reach the client now.
//
// When writing to the destination fails, the Writer stops: that error is
// returned by every later call, as by a bufio.Writer. A refused value is
// not such a failure; the Writer stays usable.
//
// A Writer is safe for concurrent use: a call's lines are never interleaved
// with another's. The zero Writer has no destination; its methods return
// an error that says so. Use [NewWriter], [StartResponse] or a [Handler].
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
	err error // sticky: the destination failed, or the Writer was closed

	flush func() error // nil: the destination does not buffer

	// Set for the Writers of a Handler.
	rc        *http.ResponseController
	ctx       context.Context         // writes end once it is done
	fail      context.CancelCauseFunc // called with the error that stops the Writer
	timeout   time.Duration           // per write and flush, through rc
	lastFlush time.Time               // when the client was last sent bytes
}

// maxKeptBuf is the largest encoding buffer a Writer keeps between calls:
// a huge event costs its buffer once, and is not held for the stream's
// life.
const maxKeptBuf = 64 << 10

var (
	errNoDestination = errors.New("sse: Writer has no destination (use NewWriter, StartResponse or a Handler)")
)

// NewWriter returns a Writer that writes to w. Its Flush calls w's
// Flush method, if w has one of the form Flush() error (as *bufio.Writer
// and *gzip.Writer) or Flush() (as http.Flusher); otherwise Flush does
// nothing, and each call reaches w as it is made.
//
// For an HTTP response, use [StartResponse], which also sets the headers of
// an event stream, or a [Handler].
func NewWriter(w io.Writer) *Writer {
	sw := &Writer{w: w}
	switch f := w.(type) {
	case interface{ Flush() error }:
		sw.flush = f.Flush
	case http.Flusher:
		sw.flush = func() error { f.Flush(); return nil }
	}
	return sw
}

// StartResponse starts the event stream of an HTTP response and returns a
// Writer for its events. It sets the response's headers, unless the
// caller has set them already:
//
//	Content-Type: text/event-stream
//	Cache-Control: no-cache
//	X-Accel-Buffering: no
//
// (a Content-Type that is not text/event-stream, with or without
// parameters, is replaced, since an EventSource would refuse the
// response), then sends them with status 200, so that the client's
// EventSource opens at once. The caller decides on another status, such as
// 204 No Content to tell a client to stop reconnecting, before calling
// StartResponse.
//
// The Writer's Flush goes through [http.ResponseController], so it works
// behind middleware whose ResponseWriter has an Unwrap method. An error
// sending the headers is returned by the first call on the Writer.
//
// The Writer sets no write deadline, and an http.Server's WriteTimeout
// applies to the whole response: a [Handler] renews a deadline at each
// write instead, writes heartbeats and ends the stream with the request.
func StartResponse(w http.ResponseWriter) *Writer {
	sw := newResponseWriter(w)
	sw.Flush()
	return sw
}

// newResponseWriter sets the headers and returns the Writer of
// StartResponse without sending anything.
func newResponseWriter(w http.ResponseWriter) *Writer {
	h := w.Header()
	if ct, _, _ := strings.Cut(h.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(ct), "text/event-stream") {
		h.Set("Content-Type", "text/event-stream")
	}
	if _, ok := h["Cache-Control"]; !ok {
		h.Set("Cache-Control", "no-cache")
	}
	if _, ok := h["X-Accel-Buffering"]; !ok {
		h.Set("X-Accel-Buffering", "no")
	}
	rc := http.NewResponseController(w)
	return &Writer{w: w, rc: rc, flush: rc.Flush}
}

// WriteEvent writes ev as one block: an "id" field if ev.ID is not empty,
// an "event" field if ev.Type is not empty, a "data" field for each line
// of ev.Data, and the blank line that dispatches it.
//
// Data is split at every line ending (LF, CR or CRLF), so that a client
// reads it back with its line endings as LF; an empty Data is written as
// one empty data field, which still dispatches an event. An empty Type is
// read as "message". An empty ID writes no "id" field: the client's last
// event ID stays what it was.
//
// WriteEvent refuses, with a [*FieldError], a Type or ID with a line break,
// an ID with a NUL byte (which a client ignores) and any value that is not
// valid UTF-8 (which a client alters).
func (w *Writer) WriteEvent(ev Event) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	b, fe := wire.AppendEvent(w.buf[:0], ev.Type, ev.ID, ev.Data)
	if fe != nil {
		return (*FieldError)(fe)
	}
	return w.send(b)
}

// WriteRetry writes a "retry" field, which sets the time a client waits
// before it reconnects, in milliseconds: d is rounded up to a whole
// millisecond. A negative d is refused with a [*FieldError].
func (w *Writer) WriteRetry(d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	b, fe := wire.AppendRetry(w.buf[:0], d)
	if fe != nil {
		return (*FieldError)(fe)
	}
	return w.send(b)
}

// WriteComment writes text as a comment, which a client ignores; servers
// send comments as keep-alives. Each line of text becomes a comment line
// of its own, written as ":" followed by the line, so a [Decoder]'s
// OnComment receives each line exactly. Text that is not valid UTF-8 is
// refused with a [*FieldError].
//
// A comment line does not end an event block, and need not: the Writer's
// events end with their blank line.
func (w *Writer) WriteComment(text string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	b, fe := wire.AppendComment(w.buf[:0], text)
	if fe != nil {
		return (*FieldError)(fe)
	}
	return w.send(b)
}

// Flush sends what has been written through a destination that buffers,
// and returns the error of the Writer, if it has stopped.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if err := w.check(); err != nil {
		return err
	}
	if w.flush == nil {
		return nil
	}
	w.setDeadline()
	if err := w.flush(); err != nil {
		return w.stop(err)
	}
	if w.ctx != nil {
		w.lastFlush = time.Now()
	}
	return nil
}

// send writes b, the encoding of one call, and keeps its buffer.
func (w *Writer) send(b []byte) error {
	if cap(b) <= maxKeptBuf {
		w.buf = b[:0]
	} else {
		w.buf = nil
	}
	if err := w.check(); err != nil {
		return err
	}
	w.setDeadline()
	if _, err := w.w.Write(b); err != nil {
		return w.stop(err)
	}
	return nil
}

// check returns the error that stops the Writer, if any.
func (w *Writer) check() error {
	if w.err != nil {
		return w.err
	}
	if w.w == nil {
		return errNoDestination
	}
	if w.ctx != nil && w.ctx.Err() != nil {
		return w.stop(context.Cause(w.ctx))
	}
	return nil
}

// stop makes err the error of the Writer from now on.
func (w *Writer) stop(err error) error {
	if w.err == nil {
		w.err = err
		if w.fail != nil {
			w.fail(err)
		}
	}
	return w.err
}

func (w *Writer) setDeadline() {
	if w.timeout > 0 {
		// A ResponseWriter that cannot set deadlines (ErrNotSupported)
		// is written without one.
		w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	}
}
