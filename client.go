package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ssekit/sse/internal/httpx"
)

// Defaults used when the Client's fields are zero.
const (
	DefaultReconnectionTime    = 3 * time.Second
	DefaultMaxReconnectionTime = time.Minute
)

// A Client holds the settings for event streams: it is configuration
// only, like [http.Client], and safe for concurrent use by any number of
// streams. Its zero value is ready to use: [Client.NewStream] reconnects
// forever with backoff, as EventSource does. Do not change its fields while
// it has streams.
//
// A Client makes streams in two ways. [Client.Do] sends a request once and
// returns when the response headers have arrived, as [http.Client.Do]
// does: the response is the whole stream, as with an LLM's chat
// completion. [Client.NewStream] returns a stream that reconnects as
// EventSource does, resuming with Last-Event-ID.
//
// # Timeouts
//
// Each wait has its own limit, and none is set by default, as in net/http:
//   - the request's context bounds the whole stream, reconnects included;
//   - IdleTimeout bounds each wait for the server: for the response
//     headers, and then for each read of the body (comments count);
//   - the HTTPClient's Timeout, if any, bounds each whole connection,
//     which suits no long-lived stream: leave it zero.
//
// # Redirects
//
// Redirects are followed, and every reconnect goes to the original URL.
// Unless the HTTPClient has a CheckRedirect of its own, a redirect to
// another origin (scheme, host or port, so also from https to http) is
// sent with none of the request's headers but Accept, Accept-Language,
// Cache-Control, Content-Type, Last-Event-ID and User-Agent, so that no
// credential (Authorization, Cookie, an API key, a header PrepareRequest
// set) reaches a server it was not meant for; and no redirect adds a
// Referer, which would carry the original URL's query to the new server.
// At most 10 redirects are followed.
type Client struct {
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client

	// MaxEventSize is the Decoder's limit; zero means DefaultMaxEventSize.
	// An event over it ends the stream: it would only be sent again.
	MaxEventSize int

	// IdleTimeout, if set, treats a connection that receives no bytes at
	// all for that long, waiting for the response or reading it, as dead:
	// a reconnecting stream reconnects, a one-shot stream ends. Comments
	// count, so a server's keep-alives keep it open. Only the time spent
	// waiting for the server counts: not PrepareRequest, nor the caller's
	// work between events.
	IdleTimeout time.Duration

	// ReconnectionTime is the delay before the first reconnect until the
	// server sets it with "retry"; zero means DefaultReconnectionTime. A
	// server's "retry" below 100 ms counts as 100 ms, so that a "retry: 0"
	// from a server that keeps failing cannot make the client spin.
	ReconnectionTime time.Duration

	// MaxReconnectionTime caps every delay between attempts, whatever set
	// it: the backoff, the server's "retry" or a Retry-After header; zero
	// means DefaultMaxReconnectionTime.
	MaxReconnectionTime time.Duration

	// NewBackOff, if set, makes the backoff policy of each new stream,
	// which then replaces the default: exponential growth from the
	// reconnection time, doubling after each attempt that delivers no
	// event, with up to half of each delay added as jitter, capped by
	// MaxReconnectionTime. Either way the server's "retry", and the
	// Retry-After header of a refused response that is retried (whatever
	// its status: see DefaultShouldRetry), are the least delay, and
	// MaxReconnectionTime the most. A BackOff whose NextBackOff returns a
	// negative delay ends the stream with a [*GaveUpError]. Reset is called
	// after a connection that delivered events.
	NewBackOff func() BackOff

	// MaxRetries ends a stream after that many reconnects in a row that
	// delivered no event; zero means no limit. The stream's error is then
	// a [*GaveUpError].
	MaxRetries int

	// MaxElapsedTime ends a stream when the next attempt would start more
	// than that long after the first failure of a run of attempts that
	// delivered no event; zero means no limit. The stream's error is then
	// a [*GaveUpError].
	MaxElapsedTime time.Duration

	// PrepareRequest, if set, makes the request of each attempt. It is
	// given the stream's request (a clone of the one passed to NewStream
	// or Do, its body made anew from GetBody after the first attempt) and
	// the [Attempt], and returns the request to send: req itself, changed
	// (a fresh Authorization header, say), or another one, with another
	// method, URL or body, for a protocol that resumes differently than
	// it starts (see the Attempt type). The client then sets Accept (if
	// empty), Cache-Control and Last-Event-ID, and the stream's context.
	// An error from it ends the stream, unless it is marked with
	// [Retryable].
	PrepareRequest func(req *http.Request, a Attempt) (*http.Request, error)

	// CheckResponse, if set, replaces [DefaultCheckResponse], as
	// fetch-event-source's onopen: it decides whether a response is a
	// stream to read (nil) or not. To end the stream return an error
	// marked with [Permanent]; to reconnect, one marked with [Retryable];
	// any other error goes to ShouldRetry. It must not close the body; the
	// stream drains and closes it. It may return DefaultCheckResponse(resp)
	// for the cases it does not handle itself.
	CheckResponse func(resp *http.Response) error

	// ShouldRetry, if set, replaces [DefaultShouldRetry]: it decides
	// whether a failed attempt is retried (true) or ends the stream. It is
	// asked only about errors that can be retried at all (see
	// DefaultShouldRetry).
	ShouldRetry func(err error) bool

	// OnStateChange, if set, is called with the stream at each change of
	// its ReadyState. Calls for one stream are made one at a time and in
	// order, from the goroutine reading the stream or from one calling
	// Close.
	OnStateChange func(s *Stream, state ReadyState)

	// OnReconnect, if set, is called before each wait to reconnect, on the
	// goroutine reading the stream.
	OnReconnect func(s *Stream, r ReconnectInfo)

	// OnComment, if set, is called with the text after the colon of each
	// comment line (servers send comments as keep-alives), on the
	// goroutine reading the stream. The slice is valid only during the
	// call.
	OnComment func(s *Stream, comment []byte)

	// sleep waits for d, or until ctx is done or wake receives; tests
	// replace it.
	sleep func(ctx context.Context, wake <-chan struct{}, d time.Duration) error
	// now is the clock of MaxElapsedTime; tests replace it.
	now func() time.Time
}

// A BackOff is a reconnect policy, made by [Client.NewBackOff] for each
// stream. The method set is that of github.com/cenkalti/backoff's BackOff,
// in v4 and in v5, so that any of their policies (ExponentialBackOff,
// ConstantBackOff, and their wrappers) can be used as they are, without
// this package's API depending on one major version of that module.
type BackOff interface {
	// NextBackOff returns the delay before the next attempt. A negative
	// delay, such as cenkalti/backoff's Stop (-1), means give up: the
	// stream ends with a [*GaveUpError].
	NextBackOff() time.Duration
	// Reset starts the policy over; a stream calls it after a connection
	// that delivered events.
	Reset()
}

// An Attempt describes the request about to be sent, for
// [Client.PrepareRequest].
//
// A protocol that resumes a stream with another request than the one that
// started it says so with PrepareRequest. MCP's Streamable HTTP transport,
// for one, starts a stream with a POST and resumes it with a GET that
// carries Last-Event-ID and the session's Mcp-Session-Id:
//
//	PrepareRequest: func(req *http.Request, a sse.Attempt) (*http.Request, error) {
//		if a.N == 1 {
//			return req, nil // the POST itself
//		}
//		if a.LastEventID == "" {
//			// Nothing to resume from: sending the POST again could run
//			// the tool twice.
//			return nil, sse.Permanent(a.Err)
//		}
//		get, err := http.NewRequest(http.MethodGet, req.URL.String(), nil)
//		if err != nil {
//			return nil, err
//		}
//		get.Header.Set("Accept", "text/event-stream")
//		get.Header.Set("Mcp-Session-Id", req.Header.Get("Mcp-Session-Id"))
//		return get, nil
//	},
type Attempt struct {
	// N counts the attempts of the stream, from 1.
	N int
	// LastEventID is the last event ID the stream has received (or was
	// given in the request's Last-Event-ID header), which the client sends
	// as Last-Event-ID; "" for none.
	LastEventID string
	// Response is the last response read as a stream, or nil before one
	// was: its status and headers, not its body.
	Response *http.Response
	// Err is why the previous attempt ended, or nil for the first.
	Err error
}

// ReconnectInfo describes a reconnect about to happen, for
// [Client.OnReconnect].
type ReconnectInfo struct {
	// N is the number of the attempt that will follow the delay, from 2:
	// the [Attempt.N] that PrepareRequest is then given.
	N     int
	Delay time.Duration // how long the stream waits first
	Err   error         // why the previous attempt ended
}

// DefaultClient is the Client used by the package's [Do] and [NewStream].
var DefaultClient = &Client{}

// Do sends req once with [DefaultClient]; see [Client.Do].
func Do(req *http.Request) (*Stream, error) { return DefaultClient.Do(req) }

// NewStream returns a reconnecting stream of req's events with
// [DefaultClient]; see [Client.NewStream].
func NewStream(req *http.Request) (*Stream, error) { return DefaultClient.NewStream(req) }

// Do sends req once, as [http.Client.Do] does, and returns a stream of the
// events of its response once the response headers have arrived and have
// been accepted (by CheckResponse, by default a 200 text/event-stream). A
// response that is not accepted is returned as a [*ResponseError] holding
// its status, headers and the start of its body, such as the JSON error
// that an API sends with a 401 or 429.
//
// The stream never reconnects: the end of the response ends it, with a
// nil [Stream.Err] if the response ended cleanly. The request's body may
// be any reader; it is sent once. Like http.Client.Do, Do waits for the
// headers as long as req's context allows (and IdleTimeout, if set): give
// the context a deadline to bound the wait. The request's context, or
// [Stream.Close], ends the stream and its connection.
func (c *Client) Do(req *http.Request) (*Stream, error) {
	s, err := c.newStream(req, true)
	if err != nil {
		return nil, err
	}
	if !s.ensureOpen() {
		return nil, s.err
	}
	return s, nil
}

// NewStream returns a stream of the events of req's server that
// reconnects as EventSource does. The first request is sent on the first
// call to [Stream.Next]; a refused response, or a network error, is then
// retried or ends the stream as the Client says (see DefaultShouldRetry).
//
// The request may have any method, headers and a body, which is made
// anew from GetBody for every reconnect; its Last-Event-ID header, if any,
// is the last event ID the stream starts from. NewStream does not change
// req. The request's context ends the stream when it is done.
//
// NewStream fails only when req cannot be used: it is nil, its URL is not
// http or https with a host (when the default transport would send it),
// or it has a body that cannot be sent again ([ErrBodyNotReplayable]) and
// there is no PrepareRequest that could make another.
func (c *Client) NewStream(req *http.Request) (*Stream, error) {
	return c.newStream(req, false)
}

func (c *Client) newStream(req *http.Request, oneShot bool) (*Stream, error) {
	if c == nil {
		return nil, errors.New("sse: nil *Client")
	}
	if req == nil || req.URL == nil {
		return nil, errors.New("sse: the request has no URL")
	}
	if !oneShot && hasBody(req) && req.GetBody == nil && c.PrepareRequest == nil {
		return nil, ErrBodyNotReplayable
	}
	if err := c.checkURL(req.URL); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	s := &Stream{
		c:       c,
		req:     req,
		oneShot: oneShot,
		ctx:     ctx,
		cancel:  cancel,
		lastID:  req.Header.Get("Last-Event-ID"),
		wake:    make(chan struct{}, 1),
		sleep:   c.sleep,
		now:     c.now,
		hc:      c.httpClient(),
	}
	if s.sleep == nil {
		s.sleep = sleepContext
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.bo.init(c.NewBackOff)
	s.dec.MaxEventSize = c.MaxEventSize
	if c.OnComment != nil {
		s.dec.OnComment = func(comment []byte) { c.OnComment(s, comment) }
	}
	s.dec.OnRetryField = s.setRetry
	return s, nil
}

// httpClient returns the http.Client that sends the requests: the
// caller's, with the safe redirect policy unless it has one of its own.
func (c *Client) httpClient() *http.Client {
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	if hc.CheckRedirect != nil {
		return hc
	}
	safe := *hc
	safe.CheckRedirect = checkRedirect
	return &safe
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
	case u.Scheme == "" && u.Host == "" && u.Path != "" && !strings.HasPrefix(u.Path, "/"),
		u.Scheme != "" && u.Opaque != "" && u.Host == "":
		// "localhost:8080/events" parses as scheme "localhost", opaque
		// "8080/events"; "example.com/events" as a path.
		return fmt.Errorf("sse: URL %q has no scheme (did you mean \"http://%s\"?)", u.String(), u.String())
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("sse: unsupported URL scheme %q in %q (want http or https)", u.Scheme, u.String())
	case u.Host == "":
		return fmt.Errorf("sse: URL %q has no host", u.String())
	}
	return nil
}

// DefaultCheckResponse accepts a 200 response whose content type is
// text/event-stream (parameters and case ignored), as the spec asks. Any
// other response is a [*ResponseError]: one that wraps [ErrNoContent] for
// a 204, [ErrContentType] for a 200 of another type.
func DefaultCheckResponse(resp *http.Response) error {
	switch resp.StatusCode {
	case http.StatusOK:
		if httpx.IsEventStream(resp.Header.Get("Content-Type")) {
			return nil
		}
		return newResponseError(resp, ErrContentType, true)
	case http.StatusNoContent:
		return newResponseError(resp, ErrNoContent, true)
	}
	return newResponseError(resp, nil, true)
}

func init() {
	httpx.NewResponseError = func(resp *http.Response, err error, readBody bool) error {
		return newResponseError(resp, err, readBody)
	}
}

// newResponseError is the one constructor of a *ResponseError, for this
// package and for ssejson (through httpx.NewResponseError). readBody says
// whether the body is still unread, so that its start can be kept.
func newResponseError(resp *http.Response, err error, readBody bool) *ResponseError {
	var body []byte
	if readBody && resp.Body != nil {
		body = httpx.ReadErrorBody(resp.Body)
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
	if resp.ContentLength >= 0 && resp.ContentLength <= httpx.MaxErrorBody {
		t := time.AfterFunc(httpx.ErrorBodyTimeout, func() { resp.Body.Close() })
		_, _ = io.CopyN(io.Discard, resp.Body, httpx.MaxErrorBody)
		t.Stop()
	}
	resp.Body.Close()
}
