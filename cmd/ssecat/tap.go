package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/record"
)

// A tap is the HTTP transport of ssecat: it numbers requests, records
// responses with --record, and copies the bytes of accepted streams to
// --raw's writer, as they are read.
type tap struct {
	base  http.RoundTripper
	rec   *record.Writer // nil without --record
	raw   io.Writer      // nil without --raw
	bytes atomic.Int64   // bytes of accepted streams
	n     atomic.Int64   // requests sent
	// verbose, if set, is told of each request and response (-v).
	verbose func(format string, args ...any)
	// connecting, if set, is told of each attempt's request as it is
	// sent (not of the requests that follow redirects).
	connecting func(attempt int, req *http.Request)
	// redirected, if set, is told of each request that follows a redirect.
	redirected func(req *http.Request)
	// cut, if set, is told of the event that the end of an accepted
	// response cut off, which the client discards; eventLimit bounds what
	// is kept to tell it.
	cut        func(conn int, ev sse.Event)
	eventLimit int

	// Of --raw, on the goroutine reading the stream: how many accepted
	// responses were written, and the last byte written.
	rawConns int
	rawLast  byte
	attempts atomic.Int64
}

// showHeaders shows h for -v, its credentials masked (see
// record.MaskHeader): a terminal's scrollback and a pasted bug report are
// no place for them.
func (t *tap) showHeaders(prefix string, h http.Header) {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			t.verbose("%s %s: %s", prefix, name, record.MaskHeader(name, v))
		}
	}
}

// showRequest shows req's request line and headers for -v, as sent in
// proto.
func (t *tap) showRequest(req *http.Request, proto string) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	t.verbose("> %s %s %s", req.Method, record.RedactURL(req.URL.RequestURI()), proto)
	t.verbose("> Host: %s", host)
	t.showHeaders(">", req.Header)
}

// connProto returns the protocol a connection speaks: HTTP/2 when TLS
// negotiated it, else HTTP/1.1.
func connProto(c net.Conn) string {
	if tc, ok := c.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol == "h2" {
		return "HTTP/2.0"
	}
	return "HTTP/1.1"
}

func (t *tap) RoundTrip(req *http.Request) (*http.Response, error) {
	n := int(t.n.Add(1))
	attempt := int(t.attempts.Load())
	if req.Response == nil { // http.Client sets it on a redirect's request
		attempt = int(t.attempts.Add(1))
		if t.connecting != nil {
			t.connecting(attempt, req)
		}
	} else if t.redirected != nil {
		t.redirected(req)
	}
	if t.rec != nil {
		t.rec.Request(n, req)
	}
	var showRequest func(proto string)
	if t.verbose != nil {
		// The request is shown once the connection is known, with the
		// protocol it goes out in: req.Proto is always HTTP/1.1, and a
		// redirect's request has no Host of its own. A transport that
		// reports no connection has it shown with its response.
		var once sync.Once
		showRequest = func(proto string) {
			once.Do(func() { t.showRequest(req, proto) })
		}
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
			showRequest(connProto(info.Conn))
		}}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	}
	resp, err := t.base.RoundTrip(req)
	if showRequest != nil && err == nil {
		showRequest(resp.Proto)
	}
	if err != nil {
		if t.rec != nil {
			t.rec.Error(n, err)
		}
		return nil, err
	}
	if t.verbose != nil {
		t.verbose("< %s %s", resp.Proto, resp.Status)
		t.showHeaders("<", resp.Header)
	}
	if t.rec != nil {
		t.rec.Response(n, resp)
	}
	resp.Body = &tapBody{rc: resp.Body, t: t, n: n, attempt: attempt}
	return resp, nil
}

// accept marks resp, which the client accepted as a stream, for --raw, the
// byte count and the cut-off event; with --raw, the start of every
// response but the first is marked (see markPrefix). It is called on the
// goroutine that reads the stream, before the body is read.
func (t *tap) accept(resp *http.Response) {
	if resp == nil {
		return
	}
	b, ok := resp.Body.(*tapBody)
	if !ok {
		return
	}
	b.pending = &pendingEvent{limit: t.eventLimit}
	if t.raw != nil {
		t.rawConns++
		if t.rawConns > 1 {
			mark := connMark(b.attempt, resp.Request.Header.Get("Last-Event-ID"))
			if t.rawLast != '\n' && t.rawLast != '\r' {
				// The last response broke off inside a line: end it,
				// so that the mark starts a line of its own.
				mark = "\n" + mark
			}
			io.WriteString(t.raw, mark)
			t.rawLast = '\n'
		}
	}
	b.accepted.Store(true)
}

type tapBody struct {
	rc       io.ReadCloser
	t        *tap
	n        int // the request's number
	attempt  int // the attempt it belongs to
	accepted atomic.Bool
	ended    atomic.Bool
	pending  *pendingEvent // set when accepted
}

func (b *tapBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		if b.t.rec != nil {
			b.t.rec.Body(b.n, p[:n])
		}
		if b.accepted.Load() {
			b.t.bytes.Add(int64(n))
			b.pending.write(p[:n])
			if b.t.raw != nil {
				if _, werr := b.t.raw.Write(p[:n]); werr != nil && err == nil {
					err = werr
				}
				b.t.rawLast = p[n-1]
			}
		}
	}
	if err != nil {
		b.end(err)
	}
	return n, err
}

func (b *tapBody) end(err error) {
	if !b.ended.CompareAndSwap(false, true) {
		return
	}
	byClient := err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	if b.accepted.Load() && !byClient && b.t.cut != nil {
		// The server ended it, or it broke off: an event it cut off is
		// lost, which the client's decoder does not say.
		if ev, ok := b.pending.cut(); ok {
			b.t.cut(b.attempt, ev)
		}
	}
	if b.t.rec == nil {
		return
	}
	reason := record.EndEOF
	switch {
	case byClient:
		reason = record.EndClosedByClient
	case err != io.EOF:
		reason = err.Error()
	}
	b.t.rec.End(b.n, reason)
}

func (b *tapBody) Close() error {
	b.end(nil)
	return b.rc.Close()
}
