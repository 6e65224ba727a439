package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
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
	// ErrIdleTimeout is the error of a connection that received no bytes
	// for the Client's IdleTimeout. It is retried by default.
	ErrIdleTimeout = errors.New("sse: idle timeout")
	// ErrContentType is wrapped by the ResponseError of a successful
	// response whose content type is not text/event-stream.
	ErrContentType = errors.New("sse: response is not text/event-stream")
	// ErrBodyNotReplayable is returned by Connect for a request with a body
	// that cannot be sent again on reconnect (its GetBody is nil).
	ErrBodyNotReplayable = errors.New("sse: request body cannot be re-sent on reconnect: set GetBody or Client.OneShot")
	// ErrGaveUp is wrapped, with the error of the last attempt, when
	// MaxRetries or MaxElapsedTime ends a stream.
	ErrGaveUp = errors.New("sse: gave up reconnecting")
	// errUnexpectedEOF is the error of a connection the server closed,
	// when the stream is not one-shot.
	errServerClosed = errors.New("sse: server closed the stream")
)

// A Client holds the settings for event streams. Its zero value is ready to
// use: it reconnects forever with backoff, as EventSource does.
//
// A Client is safe for concurrent use; do not change its fields while it
// has streams.
type Client struct {
	// HTTPClient sends the requests; nil means http.DefaultClient. Its
	// Timeout, if any, bounds each whole connection, so leave it zero and
	// use IdleTimeout for long-lived streams.
	HTTPClient *http.Client

	// MaxEventSize is the Decoder's limit; zero means DefaultMaxEventSize.
	// An event over it ends the stream: it would only be sent again.
	MaxEventSize int

	// ReconnectionTime is the delay before the first reconnect until the
	// server sets it with "retry"; zero means DefaultReconnectionTime.
	ReconnectionTime time.Duration

	// MaxReconnectionTime caps the delay between attempts, including one
	// set by the server; zero means DefaultMaxReconnectionTime.
	MaxReconnectionTime time.Duration

	// MaxRetries ends the stream after that many reconnects in a row that
	// delivered no event; zero means no limit.
	MaxRetries int

	// MaxElapsedTime ends the stream once it has been reconnecting, without
	// delivering an event, for that long; zero means no limit.
	MaxElapsedTime time.Duration

	// IdleTimeout, if set, treats a connection that receives no bytes at
	// all (comments count) for that long as dead, and reconnects.
	IdleTimeout time.Duration

	// OneShot makes the server's end of the response the end of the stream,
	// as in request/response streams such as LLM chat completions: nothing
	// is retried, and a request body is sent once.
	OneShot bool

	// LastEventID, if set, is sent as the Last-Event-ID header of the first
	// request, to resume a stream read earlier.
	LastEventID string

	// PrepareRequest, if set, is called with each request before it is
	// sent (attempt counts from 1) and may change it, for example to set a
	// fresh Authorization header. An error from it ends the stream.
	PrepareRequest func(req *http.Request, attempt int) error

	// CheckResponse, if set, replaces DefaultCheckResponse: it decides
	// whether a response is a stream to read (nil) or an error, which
	// ShouldRetry then classifies. Its error should not close the body.
	CheckResponse func(resp *http.Response) error

	// ShouldRetry, if set, replaces DefaultShouldRetry: it decides whether
	// a failed attempt is retried (true) or ends the stream.
	ShouldRetry func(err error) bool

	// OnStateChange, if set, is called at each change of ReadyState.
	OnStateChange func(state ReadyState)

	// OnRetry, if set, is called before each wait to reconnect.
	OnRetry func(RetryInfo)

	// OnComment, if set, is called with the text of each comment line.
	OnComment func(comment []byte)

	// sleep waits for d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
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

// Connect returns a Stream of the events that req's server sends. The first
// request is sent on the first call to Next. The request's context ends the
// stream when it is done. Connect fails only when req cannot be used: it is
// nil, or it has a body that cannot be re-sent on reconnect.
func (c *Client) Connect(req *http.Request) (*Stream, error) {
	if req == nil || req.URL == nil {
		return nil, errors.New("sse: Connect needs a request with a URL")
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil && !c.OneShot {
		return nil, ErrBodyNotReplayable
	}
	ctx, cancel := context.WithCancel(req.Context())
	s := &Stream{
		c:      c,
		req:    req,
		ctx:    ctx,
		cancel: cancel,
		lastID: c.LastEventID,
		bo:     newBackOff(),
	}
	s.dec.MaxEventSize = c.MaxEventSize
	s.dec.OnComment = c.OnComment
	s.dec.OnRetry = s.setRetry
	return s, nil
}

// A Stream is a server-sent event stream that reconnects as EventSource
// does. Like a Decoder, it is read with Next and Event (or Type, Data and
// ID), or with the All iterator, on one goroutine; Close and State may be
// called from any goroutine.
type Stream struct {
	c      *Client
	req    *http.Request
	ctx    context.Context
	cancel context.CancelFunc

	dec     Decoder
	state   atomic.Int32
	closed  atomic.Bool
	mu      sync.Mutex // guards body against Close
	body    io.ReadCloser
	conn    *connection
	attempt int  // attempts made
	started bool // the first request has been made
	err     error
	done    bool

	lastID    string
	retry     time.Duration // set by the server; zero until then
	bo        *backOff
	failingAt time.Time // when the current run of failed attempts began
	failures  int       // failed attempts in a row
}

// Next advances to the next event, connecting and reconnecting as needed.
// It returns false when the stream has ended; Err tells why.
func (s *Stream) Next() bool {
	for !s.done {
		if s.closed.Load() {
			s.finish(ErrClosed)
			return false
		}
		if s.body == nil {
			if !s.connect() {
				return false
			}
		}
		if s.dec.Next() {
			s.failures = 0
			s.bo.reset()
			return true
		}
		err := s.readError(s.dec.Err())
		s.lastID = s.dec.LastEventID()
		s.closeBody()
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

// readError classifies how reading a response ended; nil means the stream
// is over without error.
func (s *Stream) readError(err error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if s.conn != nil && s.conn.idle.Load() {
		return ErrIdleTimeout
	}
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if err == nil {
		if s.c.OneShot {
			return nil
		}
		return errServerClosed
	}
	return err
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
	if s.closed.Load() {
		err = ErrClosed
	}
	if ctxErr := s.ctx.Err(); ctxErr != nil && !errors.Is(err, ErrClosed) {
		err = ctxErr
	}
	if !s.retryable(err) {
		s.finish(err)
		return false
	}
	now := time.Now()
	if s.failures == 0 {
		s.failingAt = now
	}
	s.failures++
	if s.c.MaxRetries > 0 && s.failures > s.c.MaxRetries {
		s.finish(fmt.Errorf("%w after %d attempts: %w", ErrGaveUp, s.failures, err))
		return false
	}
	if s.c.MaxElapsedTime > 0 && now.Sub(s.failingAt) >= s.c.MaxElapsedTime {
		s.finish(fmt.Errorf("%w after %v: %w", ErrGaveUp, now.Sub(s.failingAt).Round(time.Millisecond), err))
		return false
	}
	delay := s.bo.next(s.reconnectionTime(), s.maxDelay())
	if ra := retryAfterHint(err); ra > delay {
		delay = min(ra, s.maxDelay())
	}
	s.setState(Connecting)
	if s.c.OnRetry != nil {
		s.c.OnRetry(RetryInfo{Attempt: s.attempt + 1, Delay: delay, Err: err})
	}
	sleep := s.c.sleep
	if sleep == nil {
		sleep = sleepContext
	}
	if werr := sleep(s.ctx, delay); werr != nil {
		if s.closed.Load() {
			werr = ErrClosed
		}
		s.finish(werr)
		return false
	}
	return true
}

func (s *Stream) retryable(err error) bool {
	if s.c.OneShot || errors.Is(err, ErrClosed) || s.ctx.Err() != nil {
		return false
	}
	if s.c.ShouldRetry != nil {
		return s.c.ShouldRetry(err)
	}
	return DefaultShouldRetry(err)
}

// attemptOnce sends one request and, if its response is a stream, makes it
// the one Next reads.
func (s *Stream) attemptOnce() error {
	s.attempt++
	s.setState(Connecting)
	req, err := s.newRequest()
	if err != nil {
		return err
	}
	conn := newConnection(s.ctx, s.c.IdleTimeout)
	req = req.WithContext(conn.ctx)
	if s.c.PrepareRequest != nil {
		if err := s.c.PrepareRequest(req, s.attempt); err != nil {
			conn.stop()
			return &permanentError{err}
		}
	}
	hc := s.c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		conn.stop()
		if conn.idle.Load() {
			return ErrIdleTimeout
		}
		return err
	}
	check := s.c.CheckResponse
	if check == nil {
		check = DefaultCheckResponse
	}
	if err := check(resp); err != nil {
		drainAndClose(resp.Body)
		conn.stop()
		return err
	}
	conn.body = resp.Body
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		resp.Body.Close()
		conn.stop()
		return ErrClosed
	}
	s.body = resp.Body
	s.conn = conn
	s.mu.Unlock()
	s.dec.Reset(conn)
	s.dec.seedLastEventID(s.lastID)
	s.setState(Open)
	return nil
}

// newRequest makes the request of the next attempt from the caller's.
func (s *Stream) newRequest() (*http.Request, error) {
	req := s.req.Clone(s.ctx)
	if s.started && s.req.Body != nil && s.req.Body != http.NoBody {
		if s.req.GetBody == nil {
			return nil, &permanentError{ErrBodyNotReplayable}
		}
		body, err := s.req.GetBody()
		if err != nil {
			return nil, &permanentError{fmt.Errorf("sse: re-creating the request body: %w", err)}
		}
		req.Body = body
	}
	s.started = true
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if s.lastID != "" {
		req.Header.Set("Last-Event-ID", s.lastID)
	} else {
		req.Header.Del("Last-Event-ID")
	}
	return req, nil
}

func (s *Stream) setRetry(d time.Duration) {
	s.retry = d
}

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
func (s *Stream) setState(st ReadyState) {
	for {
		old := ReadyState(s.state.Load())
		if old == st || old == Closed {
			return
		}
		if s.state.CompareAndSwap(int32(old), int32(st)) {
			break
		}
	}
	if s.c.OnStateChange != nil {
		s.c.OnStateChange(st)
	}
}

// finish ends the stream with err (nil for a clean end).
func (s *Stream) finish(err error) {
	s.err = err
	s.done = true
	s.closeBody()
	s.cancel()
	s.setState(Closed)
}

func (s *Stream) closeBody() {
	s.mu.Lock()
	body, conn := s.body, s.conn
	s.body, s.conn = nil, nil
	s.mu.Unlock()
	if body != nil {
		body.Close()
	}
	if conn != nil {
		conn.stop()
	}
}

// Err returns the error that ended the stream, or nil if it ended cleanly
// (a one-shot stream's end of response).
func (s *Stream) Err() error { return s.err }

// Event returns the current event.
func (s *Stream) Event() Event { return s.dec.Event() }

// Type returns the current event's type without copying; see Decoder.Type.
func (s *Stream) Type() []byte { return s.dec.Type() }

// Data returns the current event's data without copying; see Decoder.Data.
func (s *Stream) Data() []byte { return s.dec.Data() }

// ID returns the current event's ID without copying; see Decoder.ID.
func (s *Stream) ID() []byte { return s.dec.ID() }

// LastEventID returns the last event ID, which is sent as the
// Last-Event-ID header on reconnect.
func (s *Stream) LastEventID() string {
	if s.body != nil {
		return s.dec.LastEventID()
	}
	return s.lastID
}

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
// Err reporting ErrClosed. Close is idempotent and returns nil.
func (s *Stream) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	s.closeBody()
	s.setState(Closed)
	return nil
}

// A ResponseError is a response that the stream did not accept: a status
// other than 200, or a 200 that is not text/event-stream.
type ResponseError struct {
	StatusCode int
	Status     string
	Header     http.Header
	// Body is the start of the response body, at most 4 KiB, such as the
	// JSON error an API sends with a 4xx.
	Body []byte
	// RetryAfter is the delay the server asked for with Retry-After, or
	// zero.
	RetryAfter time.Duration
	// Err is ErrContentType for a 2xx of the wrong type, else nil.
	Err error
}

const maxErrorBody = 4 << 10

func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sse: server answered %s", e.Status)
	if e.Err != nil {
		fmt.Fprintf(&b, " with content type %q (want text/event-stream)", e.Header.Get("Content-Type"))
	}
	if len(e.Body) > 0 {
		body := strings.TrimSpace(string(e.Body))
		if len(body) > 200 {
			body = body[:200] + "…"
		}
		fmt.Fprintf(&b, ": %s", body)
	}
	return b.String()
}

func (e *ResponseError) Unwrap() error { return e.Err }

// DefaultCheckResponse accepts a 200 response whose content type is
// text/event-stream (parameters and case ignored); any other response is a
// *ResponseError.
func DefaultCheckResponse(resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if err == nil && mt == "text/event-stream" {
			return nil
		}
		return newResponseError(resp, ErrContentType)
	}
	return newResponseError(resp, nil)
}

func newResponseError(resp *http.Response, err error) *ResponseError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return &ResponseError{
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Header:     resp.Header,
		Body:       body,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Err:        err,
	}
}

func drainAndClose(body io.ReadCloser) {
	// A little draining lets the connection be reused.
	_, _ = io.CopyN(io.Discard, body, maxErrorBody)
	body.Close()
}
