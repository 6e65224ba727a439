package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ReadyState is the state of a Stream's connection, as EventSource's
// readyState.
type ReadyState int32

// The states of a Stream.
const (
	Connecting ReadyState = iota // connecting, or waiting to reconnect
	Open                         // a response is being read
	Closed                       // the stream has ended for good
)

// String returns "connecting", "open" or "closed".
func (s ReadyState) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Open:
		return "open"
	case Closed:
		return "closed"
	}
	return fmt.Sprintf("ReadyState(%d)", int32(s))
}

// Defaults used when the Client's fields are zero.
const (
	DefaultReconnectionTime    = 3 * time.Second
	DefaultMaxReconnectionTime = time.Minute
)

var (
	// ErrClosed is returned by Stream.Err after Close ended the stream.
	ErrClosed = errors.New("sse: stream closed")
	// ErrIdleTimeout is wrapped by the error of a connection that received
	// no bytes for the Client's IdleTimeout. It is retried by default.
	ErrIdleTimeout = errors.New("sse: idle timeout")
	// ErrContentType is wrapped by the ResponseError of a successful
	// response whose content type is not text/event-stream.
	ErrContentType = errors.New("sse: response is not text/event-stream")
	// ErrNoContent is wrapped by the ResponseError of a 204 No Content
	// response, the server's way to tell a client to stop reconnecting. It
	// ends the stream; test for it with errors.Is to treat it as a normal
	// end.
	ErrNoContent = errors.New("sse: server answered 204 No Content (stop reconnecting)")
	// ErrBodyNotReplayable is returned by Connect for a request with a body
	// that cannot be sent again on reconnect (its GetBody is nil).
	ErrBodyNotReplayable = errors.New("sse: request body cannot be re-sent on reconnect: set GetBody or Client.OneShot")
	// ErrGaveUp is wrapped, with the error of the last attempt, when
	// MaxRetries or MaxElapsedTime ends a stream.
	ErrGaveUp = errors.New("sse: gave up reconnecting")
	// ErrServerClosed is the error of a connection that the server ended
	// cleanly, when the stream is not one-shot. It is retried by default.
	ErrServerClosed = errors.New("sse: server closed the stream")
)

// A Client holds the settings for event streams. Its zero value is ready to
// use: it reconnects forever with backoff, as EventSource does.
//
// A Client is safe for concurrent use; do not change its fields while it
// has streams.
//
// # Reconnecting
//
// When a connection fails, or the server ends it, the stream decides
// whether to reconnect: an error marked with Permanent never is, one marked
// with Retryable always is (within MaxRetries and MaxElapsedTime), and any
// other goes to ShouldRetry (DefaultShouldRetry by default). Close, the
// request's context, an event over MaxEventSize and a body that cannot be
// re-sent always end the stream.
//
// The delay before a reconnect starts at the reconnection time (the
// server's "retry" field, else ReconnectionTime) and doubles after each
// attempt that delivers no event, up to MaxReconnectionTime. Up to half of
// the delay is added as random jitter: a stream never waits less than the
// server asked for, unless MaxReconnectionTime is smaller. A Retry-After
// header on a refused response (429, 503) makes the delay at least that
// long, still within MaxReconnectionTime. A connection that delivered
// events starts the growth over.
type Client struct {
	// HTTPClient sends the requests; nil means http.DefaultClient. Its
	// Timeout, if any, bounds each whole connection, so leave it zero and
	// use IdleTimeout for long-lived streams. Redirects follow its
	// CheckRedirect policy; every reconnect goes to the original URL.
	HTTPClient *http.Client

	// MaxEventSize is the Decoder's limit; zero means DefaultMaxEventSize.
	// An event over it ends the stream: it would only be sent again.
	MaxEventSize int

	// ReconnectionTime is the delay before the first reconnect until the
	// server sets it with "retry"; zero means DefaultReconnectionTime. A
	// server's "retry" below 100 ms counts as 100 ms, so that a "retry: 0"
	// from a server that keeps failing cannot make the client spin.
	ReconnectionTime time.Duration

	// MaxReconnectionTime caps the delay between attempts, including one
	// set by the server with "retry" or Retry-After; zero means
	// DefaultMaxReconnectionTime.
	MaxReconnectionTime time.Duration

	// MaxRetries ends the stream after that many reconnects in a row that
	// delivered no event; zero means no limit. The stream's error then
	// wraps ErrGaveUp and the last attempt's error.
	MaxRetries int

	// MaxElapsedTime ends the stream when the next attempt would start
	// more than that long after the first failure of a run of attempts
	// that delivered no event; zero means no limit. The stream's error then
	// wraps ErrGaveUp and the last attempt's error.
	MaxElapsedTime time.Duration

	// IdleTimeout, if set, treats a connection that receives no bytes at
	// all (comments count, so a server's keep-alives keep it open) for that
	// long, waiting for the response or reading it, as dead, and
	// reconnects. Only the time the client spends waiting for the server
	// counts: not PrepareRequest, nor the caller's work between events.
	IdleTimeout time.Duration

	// OneShot makes the first response the whole stream, as in
	// request/response streams such as LLM chat completions: exactly one
	// request is sent, a clean end of the response ends the stream with a
	// nil Err, and a failure or a refused response ends it with that error.
	// With MaxRetries set, attempts that fail before a stream opens
	// (network errors, 429, 5xx) are retried up to that many times when
	// the request can be re-sent; a stream that has opened is never
	// requested again. A request body without GetBody is allowed.
	OneShot bool

	// LastEventID, if set, is sent as the Last-Event-ID header of the first
	// request, to resume a stream read earlier. If it is empty, a
	// Last-Event-ID header on the request passed to Connect is used.
	LastEventID string

	// PrepareRequest, if set, is called with each request before it is
	// sent (attempt counts from 1) and may change it, for example to set a
	// fresh Authorization header. An error from it ends the stream, unless
	// it is marked with Retryable.
	PrepareRequest func(req *http.Request, attempt int) error

	// CheckResponse, if set, replaces DefaultCheckResponse, as
	// fetch-event-source's onopen: it decides whether a response is a
	// stream to read (nil) or not. To end the stream return an error
	// marked with Permanent; to reconnect, one marked with Retryable; any
	// other error goes to ShouldRetry. It must not close the body; the
	// stream drains and closes it. It may return DefaultCheckResponse(resp)
	// for the cases it does not handle itself.
	CheckResponse func(resp *http.Response) error

	// ShouldRetry, if set, replaces DefaultShouldRetry: it decides whether
	// a failed attempt is retried (true) or ends the stream.
	ShouldRetry func(err error) bool

	// OnStateChange, if set, is called at each change of ReadyState. Calls
	// are made one at a time and in order, from the goroutine reading the
	// stream or from one calling Close.
	OnStateChange func(state ReadyState)

	// OnRetry, if set, is called before each wait to reconnect, on the
	// goroutine reading the stream.
	OnRetry func(RetryInfo)

	// OnComment, if set, is called with the text of each comment line, on
	// the goroutine reading the stream. The slice is valid only during the
	// call.
	OnComment func(comment []byte)

	// sleep waits for d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// now is the clock of MaxElapsedTime; tests replace it.
	now func() time.Time
}

// RetryInfo describes a reconnect about to happen.
type RetryInfo struct {
	Attempt int           // the attempt that will follow the delay, from 2
	Delay   time.Duration // how long the stream waits first
	Err     error         // why the previous attempt failed
}

// DefaultClient is the Client used by Connect.
var DefaultClient = &Client{}

// Connect returns a Stream of the events that req's server sends, using
// DefaultClient.
func Connect(req *http.Request) (*Stream, error) {
	return DefaultClient.Connect(req)
}

// Connect returns a Stream of the events that req's server sends. The
// request may have any method and a body, which is sent again, from
// GetBody, on every reconnect; Connect does not change req. The first
// request is sent on the first call to Next. The request's context ends the
// stream when it is done.
//
// Connect fails only when req cannot be used: it is nil, its URL is not
// http or https with a host (when the default transport would send it), or
// it has a body that cannot be re-sent (ErrBodyNotReplayable), unless the
// Client is OneShot.
func (c *Client) Connect(req *http.Request) (*Stream, error) {
	if req == nil || req.URL == nil {
		return nil, errors.New("sse: Connect needs a request with a URL")
	}
	if hasBody(req) && req.GetBody == nil && !c.OneShot {
		return nil, ErrBodyNotReplayable
	}
	if err := c.checkURL(req.URL); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	s := &Stream{
		c:      c,
		req:    req,
		ctx:    ctx,
		cancel: cancel,
		lastID: c.LastEventID,
		sleep:  c.sleep,
		now:    c.now,
	}
	if s.lastID == "" {
		s.lastID = req.Header.Get("Last-Event-ID")
	}
	if s.sleep == nil {
		s.sleep = sleepContext
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.bo.init()
	s.dec.MaxEventSize = c.MaxEventSize
	s.dec.OnComment = c.OnComment
	s.dec.OnRetryField = s.setRetry
	return s, nil
}

func hasBody(req *http.Request) bool {
	return req.Body != nil && req.Body != http.NoBody
}

// checkURL rejects a URL that net/http's own transport can never fetch,
// which would otherwise be retried for ever as if the network had failed.
// A custom Transport may know other schemes, so it is left to judge.
func (c *Client) checkURL(u *url.URL) error {
	if c.HTTPClient != nil && c.HTTPClient.Transport != nil && c.HTTPClient.Transport != http.DefaultTransport {
		return nil
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("sse: unsupported URL scheme %q in %q (want http or https)", u.Scheme, u.String())
	case u.Host == "":
		return fmt.Errorf("sse: URL %q has no host", u.String())
	}
	return nil
}

// A Stream is a server-sent event stream that reconnects as EventSource
// does. Like a Decoder, it is read with Next and Event (or Type, Data and
// ID), or with the All iterator, on one goroutine. Close and State may be
// called from any goroutine.
//
// A Stream starts no goroutine of its own: all the work is done in Next.
// Close it, or read it to its end, to release its connection.
type Stream struct {
	c      *Client
	req    *http.Request
	ctx    context.Context // ends with Close, the request's context, or the stream
	cancel context.CancelCauseFunc
	sleep  func(ctx context.Context, d time.Duration) error
	now    func() time.Time

	// Owned by the goroutine that reads the stream.
	dec       Decoder
	conn      *connection // the connection being read, or nil
	resp      *http.Response
	attempt   int  // attempts made
	delivered bool // conn has delivered an event
	done      bool
	err       error
	lastID    string
	retry     time.Duration // set by the server; zero until then
	bo        backOff
	failingAt time.Time // when the current run of failed attempts began
	failures  int       // failed attempts in a row

	state  atomic.Int32
	closed atomic.Bool

	mu        sync.Mutex    // guards the fields below
	body      io.ReadCloser // the body being read, for Close
	pending   []ReadyState  // state changes not yet told to OnStateChange
	notifying bool          // a goroutine is calling OnStateChange
}

// Next advances to the next event, connecting and reconnecting as needed.
// It returns false when the stream has ended; Err tells why.
func (s *Stream) Next() bool {
	for !s.done {
		if !s.ensureOpen() {
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
	return false
}

// Open sends the request, retrying as Next would, and returns nil once
// the server's response has been accepted as a stream, or else the error
// that ended the stream. Next opens the stream itself when it must; call
// Open first to learn of a refused request before reading, as with
// http.Client.Do. Open returns at once if the stream is already open.
func (s *Stream) Open() error {
	if !s.done {
		s.ensureOpen()
	}
	return s.err
}

// ensureOpen ends the stream if its context is done, else connects if no
// connection is being read; it reports whether one is.
func (s *Stream) ensureOpen() bool {
	if s.ctx.Err() != nil {
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
	case conn.idle.Load():
		return conn.idleError()
	case err == nil:
		if s.c.OneShot {
			return nil
		}
		return ErrServerClosed
	case errors.Is(err, ErrEventTooLarge):
		return err
	}
	return fmt.Errorf("sse: reading the stream: %w", err)
}

// connect makes attempts until one gives a stream to read, or the stream
// ends.
func (s *Stream) connect() bool {
	for {
		err := s.attemptOnce()
		if err == nil {
			return true
		}
		if !s.retryAfter(err) {
			return false
		}
	}
}

// retryAfter decides whether err is retried; if so it waits the delay
// before the next attempt and reports true, else it ends the stream.
func (s *Stream) retryAfter(err error) bool {
	if s.ctx.Err() != nil {
		err = s.ctxError()
	}
	if s.delivered {
		// The connection that just ended delivered events: start over.
		s.delivered = false
		s.failures = 0
		s.bo.reset()
	}
	if !s.retryable(err) {
		s.finish(err)
		return false
	}
	now := s.now()
	if s.failures == 0 {
		s.failingAt = now
	}
	s.failures++
	if s.c.MaxRetries > 0 && s.failures > s.c.MaxRetries {
		s.finish(fmt.Errorf("%w after %d failed attempts: %w", ErrGaveUp, s.failures, err))
		return false
	}
	limit := s.maxDelay()
	delay := s.bo.next(s.reconnectionTime(), limit)
	if ra := retryAfterHint(err); ra > delay {
		delay = min(ra, limit)
	}
	if s.c.MaxElapsedTime > 0 && now.Sub(s.failingAt)+delay > s.c.MaxElapsedTime {
		s.finish(fmt.Errorf("%w after %v: %w", ErrGaveUp, now.Sub(s.failingAt), err))
		return false
	}
	s.setState(Connecting)
	if s.c.OnRetry != nil {
		s.c.OnRetry(RetryInfo{Attempt: s.attempt + 1, Delay: delay, Err: err})
	}
	if s.sleep(s.ctx, delay) != nil || s.ctx.Err() != nil {
		s.finish(s.ctxError())
		return false
	}
	return true
}

func (s *Stream) retryable(err error) bool {
	var pe *permanentError
	var re *retryableError
	switch {
	case s.ctx.Err() != nil, errors.Is(err, ErrClosed), errors.Is(err, ErrEventTooLarge),
		errors.Is(err, ErrBodyNotReplayable), errors.As(err, &pe):
		return false
	case s.c.OneShot && (s.resp != nil || s.c.MaxRetries == 0):
		return false
	case hasBody(s.req) && s.req.GetBody == nil:
		// A one-shot stream whose body cannot be sent again.
		return false
	case errors.As(err, &re):
		return true
	case s.c.ShouldRetry != nil:
		return s.c.ShouldRetry(err)
	}
	return DefaultShouldRetry(err)
}

// attemptOnce sends one request and, if its response is a stream, makes it
// the one Next reads.
func (s *Stream) attemptOnce() error {
	s.attempt++
	s.setState(Connecting)
	conn := newConnection(s.ctx, s.c.IdleTimeout)
	req, err := s.newRequest(conn.ctx)
	if err != nil {
		conn.stop()
		return err
	}
	if s.c.PrepareRequest != nil {
		if err := s.c.PrepareRequest(req, s.attempt); err != nil {
			conn.stop()
			err = fmt.Errorf("sse: PrepareRequest: %w", err)
			var re *retryableError
			if !errors.As(err, &re) {
				err = Permanent(err)
			}
			return err
		}
	}
	hc := s.c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	conn.arm()
	resp, err := hc.Do(req)
	if err != nil {
		conn.stop()
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
		conn.stop()
		if conn.idle.Load() {
			return fmt.Errorf("%w (%w)", conn.idleError(), err)
		}
		return err
	}
	conn.body = resp.Body
	conn.pause()
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		resp.Body.Close()
		conn.stop()
		return ErrClosed
	}
	s.body = resp.Body
	s.mu.Unlock()
	s.conn = conn
	s.resp = resp
	s.delivered = false
	s.dec.Reset(conn)
	s.dec.seedLastEventID(s.lastID)
	s.setState(Open)
	return nil
}

// newRequest makes the request of the next attempt from the caller's.
func (s *Stream) newRequest(ctx context.Context) (*http.Request, error) {
	req := s.req.Clone(ctx)
	if s.attempt > 1 && hasBody(s.req) {
		if s.req.GetBody == nil {
			return nil, ErrBodyNotReplayable
		}
		body, err := s.req.GetBody()
		if err != nil {
			return nil, Permanent(fmt.Errorf("sse: re-creating the request body: %w", err))
		}
		req.Body = body
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

func (s *Stream) setRetry(d time.Duration) {
	s.retry = max(d, minServerRetry)
}

// minServerRetry is the least reconnection time a server's "retry" can
// set: a "retry: 0" (reconnect at once) from a server that then keeps
// failing must not become a tight loop.
const minServerRetry = 100 * time.Millisecond

func (s *Stream) reconnectionTime() time.Duration {
	switch {
	case s.retry > 0:
		return s.retry
	case s.c.ReconnectionTime > 0:
		return s.c.ReconnectionTime
	}
	return DefaultReconnectionTime
}

func (s *Stream) maxDelay() time.Duration {
	if s.c.MaxReconnectionTime > 0 {
		return s.c.MaxReconnectionTime
	}
	return DefaultMaxReconnectionTime
}

// setState moves the stream to st and tells the observer. Closed is final.
// Observer calls are made one at a time and in the order of the changes:
// a goroutine that changes the state while another is telling the
// observer leaves the call to it.
func (s *Stream) setState(st ReadyState) {
	s.mu.Lock()
	old := ReadyState(s.state.Load())
	if old == st || old == Closed {
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
		s.c.OnStateChange(next)
		s.mu.Lock()
	}
	s.notifying = false
	s.mu.Unlock()
}

// finish ends the stream with err (nil for a clean end).
func (s *Stream) finish(err error) {
	s.err = err
	s.done = true
	s.closeConn()
	s.cancel(ErrClosed)
	s.setState(Closed)
}

// closeConn closes the connection being read, if any.
func (s *Stream) closeConn() {
	if s.conn == nil {
		return
	}
	s.mu.Lock()
	body := s.body
	s.body = nil
	s.mu.Unlock()
	if body != nil {
		body.Close()
	}
	s.conn.stop()
	s.conn = nil
}

// Err returns the error that ended the stream, or nil while it goes on and
// when it ended cleanly (the end of a one-shot stream's response). It is
// ErrClosed after Close, the context's error (with its cause) when the
// request's context ended it, and otherwise the error of the last attempt:
// a *ResponseError for a refused response (one that wraps ErrNoContent for
// a 204), an error wrapping ErrEventTooLarge, ErrGaveUp, and so on.
func (s *Stream) Err() error {
	if !s.done && s.closed.Load() {
		return ErrClosed
	}
	return s.err
}

// Event returns the current event.
func (s *Stream) Event() Event { return s.dec.Event() }

// Type returns the current event's type without copying; see Decoder.Type.
func (s *Stream) Type() []byte { return s.dec.Type() }

// Data returns the current event's data without copying; see Decoder.Data.
func (s *Stream) Data() []byte { return s.dec.Data() }

// ID returns the current event's ID without copying; see Decoder.ID.
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
// before a stream has opened: its status and headers, not its body, which
// belongs to the stream. Call it on the goroutine that reads the stream.
func (s *Stream) Response() *http.Response { return s.resp }

// State returns the stream's ReadyState. It is safe to call from any
// goroutine.
func (s *Stream) State() ReadyState { return ReadyState(s.state.Load()) }

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

// Close ends the stream and releases its connection. It may be called from
// any goroutine, also while Next is blocked, which then returns false with
// Err reporting ErrClosed; once Close returns, State is Closed and Next
// returns no more events. Close after the stream has ended leaves Err as it
// was. Close is idempotent and returns nil.
func (s *Stream) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// Cancelling the context unblocks a request, a read or a wait in
	// progress; closing the body covers transports that do not watch it.
	s.cancel(ErrClosed)
	s.mu.Lock()
	body := s.body
	s.mu.Unlock()
	if body != nil {
		body.Close()
	}
	s.setState(Closed)
	return nil
}

// A ResponseError is a response that the stream did not accept: with the
// default CheckResponse, a status other than 2xx, a 204, or a 2xx that is
// not text/event-stream.
type ResponseError struct {
	StatusCode int         // e.g. 401
	Status     string      // e.g. "401 Unauthorized"
	Header     http.Header // the response's header

	// Body is the start of the response body, at most 4 KiB, such as the
	// JSON error an API sends with a 4xx: what arrived within a second.
	Body []byte
	// RetryAfter is the delay the server asked for with Retry-After, in
	// seconds or as an HTTP date, or zero.
	RetryAfter time.Duration
	// Err is ErrContentType for a 2xx of the wrong type, ErrNoContent for
	// a 204, else nil.
	Err error
}

const maxErrorBody = 4 << 10

func (e *ResponseError) Error() string {
	var b strings.Builder
	status := e.Status
	if status == "" {
		status = fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	fmt.Fprintf(&b, "sse: server answered %s", status)
	switch {
	case e.Err == ErrContentType:
		fmt.Fprintf(&b, " with content type %q (want text/event-stream)", e.Header.Get("Content-Type"))
	case e.Err == ErrNoContent:
		b.WriteString(" (stop reconnecting)")
	case e.Err != nil:
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if len(e.Body) > 0 {
		fmt.Fprintf(&b, ": %s", snippet(strings.TrimSpace(string(e.Body))))
	}
	return b.String()
}

func (e *ResponseError) Unwrap() error { return e.Err }

// DefaultCheckResponse accepts a 2xx response, other than 204, whose
// content type is text/event-stream (parameters and case ignored). Any
// other response is a *ResponseError: one that wraps ErrNoContent for a
// 204, ErrContentType for another 2xx.
func DefaultCheckResponse(resp *http.Response) error {
	switch {
	case resp.StatusCode == http.StatusNoContent:
		return newResponseError(resp, ErrNoContent)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if err == nil && mt == "text/event-stream" {
			return nil
		}
		return newResponseError(resp, ErrContentType)
	}
	return newResponseError(resp, nil)
}

// errorBodyTimeout bounds the wait for the body snippet of a refused
// response, which may be a stream that sends little or nothing.
var errorBodyTimeout = time.Second

func newResponseError(resp *http.Response, err error) *ResponseError {
	var body []byte
	if resp.Body != nil {
		// Closing the body unblocks a read that waits too long; what was
		// read by then is kept.
		t := time.AfterFunc(errorBodyTimeout, func() { resp.Body.Close() })
		body, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		t.Stop()
	}
	return &ResponseError{
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Header:     resp.Header,
		Body:       body,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Err:        err,
	}
}

// drainAndClose closes the body of a refused response. A body of known,
// small length is read to its end first, so the connection can be reused;
// one that could go on forever is not waited for.
func drainAndClose(resp *http.Response) {
	if resp.ContentLength >= 0 && resp.ContentLength <= maxErrorBody {
		t := time.AfterFunc(errorBodyTimeout, func() { resp.Body.Close() })
		_, _ = io.CopyN(io.Discard, resp.Body, maxErrorBody)
		t.Stop()
	}
	resp.Body.Close()
}
