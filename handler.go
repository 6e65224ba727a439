package sse

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// A Handler is an http.Handler that serves an event stream: it starts the
// response as [StartResponse] does and calls ServeEvents with a Writer on
// it, which writes the events until the stream ends. Meanwhile it keeps an
// idle stream alive with heartbeats, and it bounds each write, so that a
// stalled client cannot hold the handler forever.
//
// The stream ends when ServeEvents returns, or when the request ends: the
// context of the request ServeEvents receives is done when the client goes
// away, or when a write fails or exceeds WriteTimeout. From then on, the
// Writer's methods return an error without writing. A ServeEvents that
// waits for events should also wait for that context:
//
//	select {
//	case ev := <-events:
//		if err := w.WriteEvent(ev); err != nil {
//			return
//		}
//		w.Flush()
//	case <-r.Context().Done():
//		return
//	}
//
// The zero Handler answers every request with 500 Internal Server Error,
// since it has nothing to serve.
type Handler struct {
	// ServeEvents writes the events of one request with w, and returns
	// when the stream is over. It must not use w after it returns (w then
	// refuses to write). To resume after the last event a client
	// received, it reads r.Header.Get("Last-Event-ID"): an EventSource
	// (and a [Stream]) sends the last event ID it received when it
	// reconnects, and none on its first connection.
	ServeEvents func(w *Writer, r *http.Request)

	// Heartbeat, if positive, is the longest the stream stays silent: when
	// nothing has been flushed to the client for that long, the Handler
	// writes an empty comment line and flushes, so that proxies do not
	// close an idle connection and a client that has gone is noticed.
	Heartbeat time.Duration

	// WriteTimeout, if positive, is how long each write and flush may
	// take: the Handler sets a write deadline through
	// [http.ResponseController] before each, and a write that misses it
	// ends the stream. It replaces, for this response, the
	// http.Server's WriteTimeout, which would otherwise end a long stream
	// at a fixed time after it began. Zero means no deadline of the
	// Handler's own. A ResponseWriter that cannot set deadlines is written
	// without them.
	WriteTimeout time.Duration
}

var errHandlerDone = errors.New("sse: Writer used after its Handler's ServeEvents returned")

// ServeHTTP sets the headers of an event stream, sends them, and calls
// ServeEvents.
func (h *Handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if h.ServeEvents == nil {
		http.Error(rw, "sse: Handler has no ServeEvents", http.StatusInternalServerError)
		return
	}
	ctx, cancel := context.WithCancelCause(r.Context())
	w := newResponseWriter(rw)
	w.ctx, w.fail, w.timeout = ctx, cancel, h.WriteTimeout
	w.Flush()

	var beating chan struct{}
	if h.Heartbeat > 0 {
		beating = make(chan struct{})
		go w.heartbeat(h.Heartbeat, beating)
	}
	defer func() {
		// The Writer stops before the ResponseWriter becomes invalid, and
		// the heartbeat with it.
		w.mu.Lock()
		w.stop(errHandlerDone)
		broken := w.err != errHandlerDone
		if h.WriteTimeout > 0 && !broken {
			// A connection kept alive for another request keeps the
			// deadline of its last write otherwise.
			w.rc.SetWriteDeadline(time.Time{})
		}
		w.mu.Unlock()
		if beating != nil {
			<-beating
		}
	}()
	h.ServeEvents(w, r.WithContext(ctx))
}

// heartbeat writes a heartbeat whenever the stream has been silent for
// interval, until the Writer stops, and then closes done.
func (w *Writer) heartbeat(interval time.Duration, done chan<- struct{}) {
	defer close(done)
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-w.ctx.Done():
			return
		}
		next, ok := w.beat(interval)
		if !ok {
			return
		}
		t.Reset(next)
	}
}

// beat writes a heartbeat if nothing has been flushed for interval, and
// returns how long to wait before the next one, or false if the Writer has
// stopped.
func (w *Writer) beat(interval time.Duration) (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.check() != nil {
		return 0, false
	}
	if wait := interval - time.Since(w.lastFlush); wait > 0 {
		return wait, true
	}
	if w.send(append(w.buf[:0], ":\n"...)) != nil || w.flushLocked() != nil {
		return 0, false
	}
	return interval, true
}
