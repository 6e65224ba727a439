package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ReadyState is the state of a Stream's connection, as EventSource's
// readyState.
type ReadyState int

// The states of a Stream, with EventSource's numbers.
const (
	StateConnecting ReadyState = iota // connecting, or waiting to reconnect
	StateOpen                         // a response is being read
	StateClosed                       // the stream has ended for good
)

// String returns "connecting", "open" or "closed".
func (s ReadyState) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateOpen:
		return "open"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("ReadyState(%d)", int(s))
}

// errZeroStream is the error of a Stream that no Client made.
var errZeroStream = errors.New("sse: zero Stream (make one with Client.NewStream or Client.Do)")

// A Stream is a stream of server-sent events from [Client.NewStream],
// which reconnects as EventSource does, or from [Client.Do], which reads
// one response. Like a [Decoder], it is read with [Stream.Next] and
// [Stream.Event] (or Type, Data and ID, without copying), or with the
// [Stream.All] iterator, on one goroutine. Close, Reconnect, State and
// Response may be called from any goroutine.
//
// A Stream starts no goroutine of its own: all the work is done in Next.
// Close it, or read it to its end, to release its connection.
type Stream struct {
	c       *Client
	req     *http.Request
	oneShot bool
	hc      *http.Client
	ctx     context.Context // ends with Close, the request's context, or the stream
	cancel  context.CancelCauseFunc
	sleep   func(ctx context.Context, wake <-chan struct{}, d time.Duration) error
	now     func() time.Time
	wake    chan struct{} // Reconnect cuts a wait short

	// Owned by the goroutine that reads the stream.
	dec       Decoder
	conn      *connection // the connection being read, or nil
	attempt   int         // attempts made
	delivered bool        // conn has delivered an event
	done      bool
	err       error
	lastID    string
	retry     time.Duration // set by the server; zero until then
	bo        backOff
	failingAt time.Time // when the current run of failed attempts began
	failures  int       // failed attempts in a row
	prevErr   error     // why the last attempt ended, for the next Attempt

	state  atomic.Int32
	closed atomic.Bool
	resp   atomic.Pointer[http.Response]

	mu        sync.Mutex   // guards the fields below
	current   *connection  // the attempt in progress, for Close and Reconnect
	restart   bool         // Reconnect was called and has not been acted on
	pending   []ReadyState // state changes not yet told to OnStateChange
	notifying bool         // a goroutine is calling OnStateChange
}

// Next advances to the next event, connecting and reconnecting as needed.
// It returns false when the stream has ended; Err tells why.
func (s *Stream) Next() bool {
	for {
		// An event from the connection being read costs one atomic load
		// besides the decoder's work: Close is checked before every event,
		// the context only when a read is due (see connection.Read) and
		// when a connection ends. A done context thus ends the stream once
		// the events already received have been read, or sooner.
		if (s.conn == nil || s.closed.Load()) && !s.ensureOpen() {
			return false
		}
		if s.dec.Next() {
			s.delivered = true
			return true
		}
		err := s.endConnection(s.dec.Err())
		if err == nil {
			s.finish(nil)
			return false
		}
		if !s.retryAfter(err) {
			return false
		}
	}
}

// ensureOpen ends the stream if it was closed or its context is done,
// else connects if no connection is being read; it reports whether one
// is.
func (s *Stream) ensureOpen() bool {
	if s.c == nil {
		s.done, s.err = true, errZeroStream
		return false
	}
	if s.done {
		return false
	}
	if s.closed.Load() || s.ctx.Err() != nil {
		s.finish(s.ctxError())
		return false
	}
	return s.conn != nil || s.connect()
}

// ctxError is the error of a stream whose context is done: ErrClosed after
// Close, else the request context's error with its cause.
func (s *Stream) ctxError() error {
	if s.closed.Load() {
		return ErrClosed
	}
	err := s.ctx.Err()
	if cause := context.Cause(s.ctx); cause != nil && cause != err {
		return fmt.Errorf("%w: %w", err, cause)
	}
	return err
}

// endConnection closes the connection being read, which ended with err,
// and classifies how it ended; nil means the stream is over without error.
func (s *Stream) endConnection(err error) error {
	conn := s.conn
	s.lastID = s.dec.LastEventID()
	s.closeConn()
	switch {
	case s.ctx.Err() != nil:
		return s.ctxError()
	case s.takeRestart():
		return ErrReconnect
	case conn.idle.Load():
		return conn.idleError()
	case err == nil:
		if s.oneShot {
			return nil
		}
		return ErrResponseEnded
	case errors.Is(err, ErrEventTooLarge):
		return err
	}
	return fmt.Errorf("sse: reading the stream: %w", err)
}

// attemptOnce sends one request and, if its response is a stream, makes it
// the one Next reads.
func (s *Stream) attemptOnce(prevErr error) error {
	s.attempt++
	s.setState(StateConnecting)
	conn := newConnection(s.ctx, s.c.IdleTimeout)
	s.mu.Lock()
	// This attempt is the reconnect asked for, if any: a wake-up left
	// from a Reconnect made when nothing was in progress (before the
	// first attempt) must not cut short a later wait.
	s.restart = false
	s.drainWake()
	s.current = conn
	s.mu.Unlock()
	err := s.send(conn, prevErr)
	if err != nil {
		conn.stop()
		if s.ctx.Err() == nil && s.takeRestart() {
			return ErrReconnect
		}
		return err
	}
	return nil
}

// send makes, sends and checks one attempt's request.
func (s *Stream) send(conn *connection, prevErr error) error {
	req, err := s.newRequest(conn.ctx, prevErr)
	if err != nil {
		return err
	}
	conn.arm()
	resp, err := s.hc.Do(req)
	if err != nil {
		if conn.idle.Load() {
			return conn.idleError()
		}
		return err
	}
	check := s.c.CheckResponse
	if check == nil {
		check = DefaultCheckResponse
	}
	if err := check(resp); err != nil {
		drainAndClose(resp)
		if conn.idle.Load() {
			return fmt.Errorf("%w (%w)", conn.idleError(), err)
		}
		return err
	}
	conn.setBody(resp.Body)
	conn.pause()
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		resp.Body.Close()
		return ErrClosed
	}
	s.mu.Unlock()
	s.conn = conn
	s.resp.Store(resp)
	s.delivered = false
	s.dec.Reset(conn)
	s.dec.seedLastEventID(s.lastID)
	s.setState(StateOpen)
	return nil
}

// newRequest makes the request of the next attempt.
func (s *Stream) newRequest(ctx context.Context, prevErr error) (*http.Request, error) {
	req := s.req.Clone(ctx)
	if req.Header == nil {
		// http.Client.Do accepts a request without a header map.
		req.Header = make(http.Header)
	}
	lacksBody := false
	if s.attempt > 1 && hasBody(s.req) {
		if s.req.GetBody == nil {
			req.Body, lacksBody = nil, true
		} else {
			body, err := s.req.GetBody()
			if err != nil {
				return nil, Permanent(fmt.Errorf("sse: making the request body anew: %w", err))
			}
			req.Body = body
		}
	}
	if s.c.PrepareRequest != nil {
		a := Attempt{N: s.attempt, LastEventID: s.lastID, Response: s.resp.Load(), Err: prevErr}
		made, err := s.c.PrepareRequest(req, a)
		if err != nil || made != req {
			// The body made for req will not be sent: close it, as
			// http.Client.Do closes the body of every request it is given,
			// so that a GetBody backed by a file or a pipe does not leak.
			if req.Body != nil && (made == nil || made.Body != req.Body) {
				req.Body.Close()
			}
		}
		if err != nil {
			err = fmt.Errorf("sse: PrepareRequest: %w", err)
			var re *retryableError
			if !errors.As(err, &re) {
				err = Permanent(err)
			}
			return nil, err
		}
		if made == nil {
			return nil, Permanent(errors.New("sse: PrepareRequest returned no request"))
		}
		if made != req {
			lacksBody = false
			// A copy: the headers set below must not change the caller's
			// request, which may be returned for every attempt, by any
			// number of streams at once.
			made = made.Clone(ctx)
			if made.Header == nil {
				made.Header = make(http.Header)
			}
		}
		req = made
	}
	if lacksBody {
		return nil, ErrBodyNotReplayable
	}
	if req.Header.Get("Accept") == "" {
		// A caller's own Accept stays: some protocols (MCP's Streamable
		// HTTP) require "application/json, text/event-stream".
		req.Header.Set("Accept", "text/event-stream")
	}
	req.Header.Set("Cache-Control", "no-cache")
	if s.lastID != "" {
		if !validHeaderValue(s.lastID) {
			// net/http would refuse it on every attempt.
			return nil, Permanent(fmt.Errorf("sse: last event ID %q cannot be sent in a Last-Event-ID header", s.lastID))
		}
		req.Header.Set("Last-Event-ID", s.lastID)
	} else {
		req.Header.Del("Last-Event-ID")
	}
	return req, nil
}

// validHeaderValue reports whether net/http sends v as a header value: it
// has no control characters other than tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// setState moves the stream to st and tells the observer. Closed is final.
// Observer calls are made one at a time and in the order of the changes:
// a goroutine that changes the state while another is telling the
// observer leaves the call to it.
func (s *Stream) setState(st ReadyState) {
	s.mu.Lock()
	old := ReadyState(s.state.Load())
	if old == st || old == StateClosed {
		s.mu.Unlock()
		return
	}
	s.state.Store(int32(st))
	if s.c.OnStateChange == nil {
		s.mu.Unlock()
		return
	}
	s.pending = append(s.pending, st)
	if s.notifying {
		s.mu.Unlock()
		return
	}
	s.notifying = true
	for len(s.pending) > 0 {
		next := s.pending[0]
		s.pending = append(s.pending[:0], s.pending[1:]...)
		s.mu.Unlock()
		s.c.OnStateChange(s, next)
		s.mu.Lock()
	}
	s.notifying = false
	s.mu.Unlock()
}

// finish ends the stream with err (nil for a clean end), or with
// ctxError if Close was called or the context is done by now.
//
// The reader decides how an attempt ended in several steps
// (endConnection, retryAfter, retryable, ShouldRetry, the backoff), each
// looking at the context on its own; a Close landing between two of them
// made the error that step saw (a read error, an idle timeout, a refusal,
// a GaveUpError) the stream's, although Close had returned: retryable
// even ends the stream because the context is done, with the error of
// the attempt. Looking again here, where the error is recorded, closes
// every such window at once. Close sets closed before it cancels the
// context, so a step that saw the context cancelled sees closed too.
func (s *Stream) finish(err error) {
	if s.closed.Load() || s.ctx.Err() != nil {
		err = s.ctxError()
	}
	s.err = err
	s.done = true
	s.closeConn()
	s.cancel(ErrClosed)
	s.setState(StateClosed)
}

// closeConn closes the connection being read, if any.
func (s *Stream) closeConn() {
	if s.conn == nil {
		return
	}
	s.mu.Lock()
	if s.current == s.conn {
		s.current = nil
	}
	s.mu.Unlock()
	s.conn.stop()
	s.conn = nil
}

// Err returns the error that ended the stream, or nil while it goes on and
// when it ended cleanly (the end of a one-shot stream's response). It is
// [ErrClosed] after Close, the context's error (with its cause) when the
// request's context ended it, and otherwise the error of the last attempt:
// a [*ResponseError] for a refused response (one that wraps [ErrNoContent]
// for a 204), an error wrapping [ErrEventTooLarge], a [*GaveUpError], and
// so on.
func (s *Stream) Err() error {
	if s.c == nil {
		return errZeroStream
	}
	if !s.done && s.closed.Load() {
		return ErrClosed
	}
	return s.err
}

// Event returns the current event; see [Decoder.Event].
func (s *Stream) Event() Event { return s.dec.Event() }

// Type returns the current event's type without copying; see
// [Decoder.Type].
func (s *Stream) Type() []byte { return s.dec.Type() }

// Data returns the current event's data without copying; see
// [Decoder.Data].
func (s *Stream) Data() []byte { return s.dec.Data() }

// ID returns the current event's ID without copying; see [Decoder.ID].
func (s *Stream) ID() []byte { return s.dec.ID() }

// LastEventID returns the last event ID, which is sent as the
// Last-Event-ID header on reconnect. Call it on the goroutine that reads
// the stream.
func (s *Stream) LastEventID() string {
	if s.conn != nil {
		return s.dec.LastEventID()
	}
	return s.lastID
}

// Response returns the response being read, or the last one read, or nil
// before a response has been accepted: its status and headers, not its
// body, which belongs to the stream.
func (s *Stream) Response() *http.Response { return s.resp.Load() }

// State returns the stream's ReadyState. A zero Stream, which can never
// connect, is StateClosed.
func (s *Stream) State() ReadyState {
	if s.c == nil {
		return StateClosed
	}
	return ReadyState(s.state.Load())
}

// All returns an iterator over the stream's events. If the stream fails,
// the last pair yielded carries the error. Breaking out of the loop leaves
// the stream open: Close it.
func (s *Stream) All() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for s.Next() {
			if !yield(s.Event(), nil) {
				return
			}
		}
		if err := s.Err(); err != nil {
			yield(Event{}, err)
		}
	}
}

// Reconnect drops the connection being read, or cuts short the wait for
// the next attempt, and reconnects at once, as after a drop: the last
// event ID is kept and sent, and the attempt does not count as a failure.
// It is for a stream known to be stale, or a credential that
// PrepareRequest must renew. It may be called from any goroutine; Next
// carries it out. On a stream from [Client.Do], which never reconnects,
// and on a stream that has ended, it does nothing.
func (s *Stream) Reconnect() {
	if s.c == nil || s.oneShot || s.closed.Load() {
		return
	}
	s.mu.Lock()
	s.restart = true
	conn := s.current
	// Under mu, so that an attempt starting now clears both the request
	// and the wake-up, or neither.
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.mu.Unlock()
	if conn != nil {
		conn.interrupt()
	}
}

// takeRestart reports whether Reconnect was called since the attempt in
// progress began, and clears the request.
func (s *Stream) takeRestart() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.restart
	s.restart = false
	return r
}

// Close ends the stream and releases its connection. It may be called from
// any goroutine, also while Next is blocked, which then returns false with
// Err reporting [ErrClosed]; once Close returns, State is StateClosed and
// Next returns no more events. Close after the stream has ended leaves Err
// as it was. Close is idempotent and returns nil.
func (s *Stream) Close() error {
	if s.c == nil || s.closed.Swap(true) {
		return nil
	}
	// Cancelling the context unblocks a request, a read or a wait in
	// progress; closing the body covers transports that do not watch it.
	s.cancel(ErrClosed)
	s.mu.Lock()
	conn := s.current
	s.mu.Unlock()
	if conn != nil {
		conn.closeBody()
	}
	s.setState(StateClosed)
	return nil
}

var _ io.Closer = (*Stream)(nil)
