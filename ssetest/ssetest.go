// Package ssetest provides a scripted Server-Sent Events server for
// testing SSE clients, in the manner of net/http/httptest.
//
// A Server answers each connection with a Script: a list of Steps that send
// events, comments or raw bytes, pause, cut the connection, or answer with
// a status and headers. The first connection plays the first script, the
// second the second, and so on, so a test can say "connection 1 sends two
// events and drops, connection 2 must carry Last-Event-ID 2 and ends the
// stream". Every request is recorded, with its headers and body, for the
// test to check afterwards.
//
// Events, comments and retry fields are written by the encoding of
// sse.Writer, so what a Script sends is what a spec-exact client reads;
// Raw sends deliberately malformed bytes. The package depends only on the
// standard library and this module, and works with any SSE client.
package ssetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/ssekit/sse/internal/wire"
)

// An Event is an event for Send to write.
//
// It repeats the fields of sse.Event, with Retry added, rather than
// embedding it: the sse package's own tests use ssetest, so ssetest cannot
// import sse (the encoding both share lives in an internal package).
type Event struct {
	// Type is written as the "event" field, if not empty.
	Type string
	// Data is written as one "data" field per line (split at LF, CR and
	// CRLF, so a client reads the line endings as LF); an empty Data is
	// written as a single empty "data" field, so the event is still
	// dispatched.
	Data string
	// ID is written as the "id" field, if not empty. To clear the last
	// event ID, send Raw("id\n\n").
	ID string
	// Retry is written as the "retry" field, in milliseconds, if positive.
	Retry time.Duration
}

// append appends the event as Send writes it to b, or returns b and an
// error for an event that cannot be written as given.
func (e Event) append(b []byte) ([]byte, error) {
	n := len(b)
	if e.Retry > 0 {
		b, _ = wire.AppendRetry(b, e.Retry)
	}
	b, fe := wire.AppendEvent(b, e.Type, e.ID, e.Data)
	if fe != nil {
		return b[:n], fe
	}
	return b, nil
}

// A Step is one action of a Script. Steps are made by the functions of this
// package, or by Func. The zero Step is no step: a Handler that meets one
// (in a Script made with make and then appended to, say) records an error
// and answers 412 Precondition Failed, as for a failed step.
type Step struct {
	name string
	run  func(*Conn) error
}

// String describes the step, as in the errors a Handler records.
func (s Step) String() string {
	if s.run == nil {
		return "Step{}"
	}
	return s.name
}

// errZeroStep is the error of a zero Step.
var errZeroStep = errors.New("a zero Step, which no function of ssetest makes (a Script made with make, then appended to?)")

// A Script is the steps a Handler plays, in order, for one connection.
// When the script ends without Drop or Respond, the response ends
// cleanly.
type Script []Step

// A Conn is the connection a Step acts on: the request being answered and
// its response. It is passed to the functions given to Func.
//
// A Handler makes a Conn for each connection. One made by hand with a
// ResponseWriter (an httptest.ResponseRecorder, say) tests a function for
// Func on its own; without one, as the zero Conn, Write and Flush fail.
type Conn struct {
	// N is the number of the connection, from 1, in the order requests
	// reached the handler.
	N int
	// Request is the request being answered. Its body has been read
	// already: see the Handler's Requests.
	Request *http.Request
	// ResponseWriter writes the response. Prefer the Conn's methods,
	// which send the stream's headers first.
	ResponseWriter http.ResponseWriter

	h       *Handler
	status  int
	started bool
	ended   bool
}

// Write writes p to the response, first sending the status and headers if
// they have not been sent. Writes are buffered until a Flush, a pause or the
// end of the script.
func (c *Conn) Write(p []byte) (int, error) {
	if c.ResponseWriter == nil {
		return 0, errNoResponseWriter
	}
	c.start()
	n, err := c.ResponseWriter.Write(p)
	return n, clientGone(err)
}

// Flush sends the status and headers, if not sent yet, and what has been
// written.
func (c *Conn) Flush() error {
	if c.ResponseWriter == nil {
		return errNoResponseWriter
	}
	c.start()
	return clientGone(http.NewResponseController(c.ResponseWriter).Flush())
}

var errNoResponseWriter = errors.New("ssetest: Conn has no ResponseWriter (a Handler makes the Conns of its connections)")

// clientGone marks a failed write as the client having left: a response
// can fail only because its connection is gone, which ends the script
// quietly rather than failing the test.
func clientGone(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", errClientGone, err)
}

// start sends the status and headers: text/event-stream and no-cache unless
// a Header step set them.
func (c *Conn) start() {
	if c.started {
		return
	}
	c.started = true
	h := c.ResponseWriter.Header()
	if _, ok := h["Content-Type"]; !ok {
		h.Set("Content-Type", "text/event-stream")
	}
	if _, ok := h["Cache-Control"]; !ok {
		h.Set("Cache-Control", "no-cache")
	}
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	c.ResponseWriter.WriteHeader(status)
}

// pause flushes what has been written and waits for done, the client to
// go away or the handler to close.
func pause[T any](c *Conn, done <-chan T) error {
	if err := c.Flush(); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-c.Request.Context().Done():
		return errClientGone
	case <-c.h.done():
		return errClientGone
	}
}

// errClientGone stops a script quietly: the client left, or the handler
// closed.
var errClientGone = errors.New("ssetest: client went away")

// errDrop stops a script by cutting the connection.
var errDrop = errors.New("ssetest: drop")

func writeStep(name, s string) Step {
	return Step{name: name, run: func(c *Conn) error {
		_, err := io.WriteString(c, s)
		return err
	}}
}

// encodeStep is a step that writes what encode returns. If encode fails,
// the step fails: the Handler records the error, for the test to see,
// and nothing is written.
func encodeStep(name string, encode func(b []byte) ([]byte, error)) Step {
	return Step{name: name, run: func(c *Conn) error {
		b, err := encode(nil)
		if err != nil {
			return err
		}
		_, err = c.Write(b)
		return err
	}}
}

// Send writes an event in text/event-stream format, as sse.Writer writes
// it: a "retry" field, if Retry is positive, then the "id", "event" and
// "data" fields, the data split at every line ending (LF, CR or CRLF), and
// the blank line that dispatches the event. An event that cannot be
// written as given (a Type or ID with a line break, an ID with a NUL byte,
// a value that is not valid UTF-8) fails the step: nothing is written,
// and the Handler records the error, which New reports to the test.
func Send(e Event) Step {
	return encodeStep(fmt.Sprintf("Send(%+v)", e), e.append)
}

// Data writes a message event with the given data.
func Data(data string) Step {
	return encodeStep(fmt.Sprintf("Data(%q)", data), Event{Data: data}.append)
}

// Comment writes a comment, such as servers send as keep-alives: ":"
// followed by text, one comment line for each line of text. Text that is
// not valid UTF-8 fails the step (send it with Raw).
func Comment(text string) Step {
	return encodeStep(fmt.Sprintf("Comment(%q)", text), func(b []byte) ([]byte, error) {
		b, fe := wire.AppendComment(b, text)
		if fe != nil {
			return b, fe
		}
		return b, nil
	})
}

// Retry writes a "retry" field, which sets the client's reconnection time
// (in milliseconds, rounded up), in a block of its own. A negative d fails
// the step.
func Retry(d time.Duration) Step {
	return encodeStep(fmt.Sprintf("Retry(%v)", d), func(b []byte) ([]byte, error) {
		b, fe := wire.AppendRetry(b, d)
		if fe != nil {
			return b, fe
		}
		return append(b, '\n'), nil
	})
}

// Raw writes s as it is: partial lines, odd line endings, invalid UTF-8.
func Raw(s string) Step {
	return writeStep(fmt.Sprintf("Raw(%q)", s), s)
}

// Flush sends what has been written so far, and the headers if they have
// not been sent. Scripts flush on their own before every pause and at
// their end; Flush splits writes that would otherwise go together.
func Flush() Step {
	return Step{name: "Flush()", run: func(c *Conn) error { return c.Flush() }}
}

// Sleep flushes, then pauses the script for d, or until the client goes
// away.
func Sleep(d time.Duration) Step {
	return Step{name: fmt.Sprintf("Sleep(%v)", d), run: func(c *Conn) error {
		t := time.NewTimer(d)
		defer t.Stop()
		return pause(c, t.C)
	}}
}

// Wait flushes, then pauses the script until ch is closed or receives a
// value, or the client goes away. A test uses it to hold a connection open
// until it has checked something.
func Wait[T any](ch <-chan T) Step {
	return Step{name: "Wait()", run: func(c *Conn) error {
		return pause(c, ch)
	}}
}

// Hold flushes, then keeps the connection open, sending nothing, until the
// client goes away or the server closes.
func Hold() Step {
	return Step{name: "Hold()", run: func(c *Conn) error {
		return pause[struct{}](c, nil)
	}}
}

// Drop flushes, then cuts the connection abruptly: an HTTP/1 connection is
// closed without ending the response, an HTTP/2 stream is reset. Before
// anything has been written, the client gets no response at all.
func Drop() Step {
	return Step{name: "Drop()", run: func(c *Conn) error {
		if c.started {
			c.Flush()
		}
		return errDrop
	}}
}

// Status sets the status code of the response (200 by default). It must
// come before anything is written.
func Status(code int) Step {
	return Step{name: fmt.Sprintf("Status(%d)", code), run: func(c *Conn) error {
		if c.started {
			return errors.New("the response has started")
		}
		c.status = code
		return nil
	}}
}

// Header adds a header to the response. It must come before anything is
// written. A Content-Type or Cache-Control set with it replaces the
// default, text/event-stream and no-cache.
func Header(key, value string) Step {
	return Step{name: fmt.Sprintf("Header(%q, %q)", key, value), run: func(c *Conn) error {
		if c.started {
			return errors.New("the response has started")
		}
		c.ResponseWriter.Header().Add(key, value)
		return nil
	}}
}

// Respond answers with status and body, as text/plain unless a Header step
// set the content type, and ends the script: for example Respond(503,
// "busy") after Header("Retry-After", "2"), or Respond(204, "").
func Respond(status int, body string) Step {
	return Step{name: fmt.Sprintf("Respond(%d, %q)", status, body), run: func(c *Conn) error {
		if c.started {
			return errors.New("the response has started")
		}
		h := c.ResponseWriter.Header()
		if _, ok := h["Content-Type"]; !ok && status != http.StatusNoContent {
			h.Set("Content-Type", "text/plain; charset=utf-8")
		}
		c.started = true
		c.ResponseWriter.WriteHeader(status)
		io.WriteString(c.ResponseWriter, body)
		c.ended = true
		return nil
	}}
}

// RequireLastEventID checks that the request's Last-Event-ID header is id;
// an empty id requires that there is no such header. If not, the Handler
// records an error and answers 412 Precondition Failed, ending the script.
func RequireLastEventID(id string) Step {
	s := RequireHeader("Last-Event-ID", id)
	s.name = fmt.Sprintf("RequireLastEventID(%q)", id)
	return s
}

// RequireHeader checks that the request's header key has the value value;
// an empty value requires that there is no such header. If not, the
// Handler records an error and answers 412 Precondition Failed, ending the
// script.
func RequireHeader(key, value string) Step {
	return Step{name: fmt.Sprintf("RequireHeader(%q, %q)", key, value), run: func(c *Conn) error {
		vs := c.Request.Header.Values(key)
		switch {
		case value == "" && len(vs) > 0:
			return fmt.Errorf("want no %s header, got %q", key, vs)
		case value != "" && (len(vs) != 1 || vs[0] != value):
			return fmt.Errorf("want %s %q, got %q", key, value, vs)
		}
		return nil
	}}
}

// Func makes a step of f, named name. An error from f is recorded by the
// Handler, and ends the script as a failed requirement does. Func panics
// if f is nil, as http.HandleFunc does for a nil handler.
func Func(name string, f func(c *Conn) error) Step {
	if f == nil {
		panic(fmt.Sprintf("ssetest: Func(%q) with a nil function", name))
	}
	return Step{name: name, run: f}
}

// A Request is a request a Handler received.
type Request struct {
	// Conn is the number of the connection, from 1.
	Conn   int
	Method string      // as received
	URL    *url.URL    // the request URI, as received
	Proto  string      // "HTTP/1.1" or "HTTP/2.0"
	Header http.Header // as received
	// Body is the whole request body.
	Body []byte
	// Time is when the request reached the handler.
	Time time.Time
}

// LastEventID returns the request's Last-Event-ID header.
func (r Request) LastEventID() string { return r.Header.Get("Last-Event-ID") }

// A Handler is an http.Handler that answers each request with the next
// Script. Its methods are safe for concurrent use. The zero Handler has no
// scripts: it answers every request with After, or if After is nil with
// 204 No Content.
type Handler struct {
	// After is played by the connections beyond the scripts. If it is nil,
	// they are answered with 204 No Content, which tells an SSE client to
	// stop reconnecting. Set it before the first request.
	After Script

	scripts []Script
	closed  chan struct{} // made by done
	once    sync.Once

	mu       sync.Mutex
	requests []Request
	errs     []error
	arrived  []chan struct{}
}

// NewHandler returns a Handler that plays scripts[0] for the first
// request, scripts[1] for the second, and so on.
func NewHandler(scripts ...Script) *Handler {
	return &Handler{scripts: scripts}
}

// ServeHTTP records the request, reading its body, and plays its script.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	n := len(h.requests) + 1
	h.requests = append(h.requests, Request{
		Conn:   n,
		Method: r.Method,
		URL:    r.URL,
		Proto:  r.Proto,
		Header: r.Header.Clone(),
		Body:   body,
		Time:   time.Now(),
	})
	close(h.arrivedLocked(n))
	h.mu.Unlock()

	script := h.After
	if n <= len(h.scripts) {
		script = h.scripts[n-1]
	} else if script == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c := &Conn{N: n, Request: r, ResponseWriter: w, h: h}
	for i, step := range script {
		err := errZeroStep
		if step.run != nil {
			err = step.run(c)
		}
		switch {
		case err == nil && !c.ended:
			continue
		case err == nil, errors.Is(err, errClientGone):
			return
		case errors.Is(err, errDrop):
			panic(http.ErrAbortHandler)
		}
		h.fail(fmt.Errorf("ssetest: connection %d, step %d: %v: %w", n, i+1, step, err))
		if !c.started {
			c.started = true
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusPreconditionFailed)
			fmt.Fprintf(w, "ssetest: %v: %v\n", step, err)
		}
		return
	}
	c.Flush()
}

func (h *Handler) fail(err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err)
	h.mu.Unlock()
}

func (h *Handler) arrivedLocked(n int) chan struct{} {
	for len(h.arrived) < n {
		h.arrived = append(h.arrived, make(chan struct{}))
	}
	return h.arrived[n-1]
}

// Requests returns the requests received so far, in order.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.requests...)
}

// Arrived returns a channel that is closed when the nth request (from 1)
// reaches the handler.
func (h *Handler) Arrived(n int) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.arrivedLocked(n)
}

// WaitRequests waits until n requests have reached the handler, or ctx is
// done, and returns the requests received.
func (h *Handler) WaitRequests(ctx context.Context, n int) ([]Request, error) {
	select {
	case <-h.Arrived(n):
		return h.Requests(), nil
	case <-ctx.Done():
		return h.Requests(), ctx.Err()
	}
}

// Err returns the failed requirements and steps, joined, or nil.
func (h *Handler) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return errors.Join(h.errs...)
}

// Close ends the steps that pause (Sleep, Wait, Hold) of every connection,
// whose responses then end cleanly. It does not close connections; a
// Server's Close does.
func (h *Handler) Close() {
	h.once.Do(func() { close(h.done()) })
}

// done returns the channel that Close closes, made on first use so that
// a zero Handler works: it answers every request with 204 No Content.
func (h *Handler) done() chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed == nil {
		h.closed = make(chan struct{})
	}
	return h.closed
}

// A Server is an httptest.Server that plays scripts with a Handler, made
// by New, NewServer or NewUnstartedServer. The zero Server has no
// httptest.Server nor Handler: only its Close may be called, a no-op.
type Server struct {
	*httptest.Server
	*Handler
}

// NewServer starts and returns a Server that plays scripts[0] for the
// first request, scripts[1] for the second, and so on. The caller should
// call Close when finished, to shut it down.
func NewServer(scripts ...Script) *Server {
	s := NewUnstartedServer(scripts...)
	s.Start()
	return s
}

// NewUnstartedServer returns a Server that is not started yet, so that its
// configuration can be changed (for HTTP/2, set EnableHTTP2 and call
// StartTLS). The caller should call Start or StartTLS, and Close when
// finished.
func NewUnstartedServer(scripts ...Script) *Server {
	h := NewHandler(scripts...)
	return &Server{Server: httptest.NewUnstartedServer(h), Handler: h}
}

// Close ends the scripts in progress, closes the connections and shuts
// the server down, as httptest.Server.Close does.
func (s *Server) Close() {
	if s.Handler != nil {
		s.Handler.Close()
	}
	if s.Server != nil {
		s.Server.CloseClientConnections()
		s.Server.Close()
	}
}

// TB is the part of testing.TB that New uses.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Cleanup(func())
}

// New starts a Server for a test: it is closed when the test ends, and a
// failed requirement or step fails the test then.
func New(tb TB, scripts ...Script) *Server {
	tb.Helper()
	s := NewServer(scripts...)
	tb.Cleanup(func() {
		s.Close()
		if err := s.Err(); err != nil {
			tb.Errorf("%v", err)
		}
	})
	return s
}
