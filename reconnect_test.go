package sse

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssekit/sse/ssetest"
)

// Tests of which errors the reconnect loop retries and when it gives up.

func TestClassification(t *testing.T) {
	checkLeaks(t)
	retried := []ssetest.Script{
		{ssetest.Respond(500, "oops")},
		{ssetest.Respond(502, "")},
		{ssetest.Respond(503, "")},
		{ssetest.Respond(408, "")},
		{ssetest.Respond(429, "")},
		{ssetest.Data("x"), ssetest.Drop()}, // reset mid-stream
		{ssetest.Data("x")},                 // clean end of a stream
		{ssetest.Drop()},                    // no response at all
		{ssetest.Header("Content-Type", "TEXT/Event-Stream; charset=utf-8"), ssetest.Data("x")}, // accepted
	}
	for i, script := range retried {
		t.Run(fmt.Sprintf("retried/%d", i), func(t *testing.T) {
			srv := ssetest.New(t, script, ssetest.Script{ssetest.Data("after")})
			c, rec := testClient(srv)
			s := mustNewStream(t, c, "GET", srv.URL, "")
			evs := readAll(s)
			if len(evs) == 0 || evs[len(evs)-1].Data != "after" {
				t.Errorf("events %v: no reconnect", evs)
			}
			if n := len(srv.Requests()); n != 3 {
				t.Errorf("%d requests, want 3", n)
			}
			if !errors.Is(s.Err(), ErrNoContent) {
				t.Errorf("Err = %v", s.Err())
			}
			if len(rec.Delays()) != 2 {
				t.Errorf("delays %v", rec.Delays())
			}
		})
	}
	final := []struct {
		script ssetest.Script
		is     error
		status int
	}{
		{ssetest.Script{ssetest.Respond(204, "")}, ErrNoContent, 204},
		{ssetest.Script{ssetest.Respond(400, "bad")}, nil, 400},
		{ssetest.Script{ssetest.Respond(401, "who")}, nil, 401},
		{ssetest.Script{ssetest.Respond(404, "")}, nil, 404},
		{ssetest.Script{ssetest.Header("Content-Type", "application/json"), ssetest.Respond(200, "{}")}, ErrContentType, 200},
		{ssetest.Script{ssetest.Header("Content-Type", "text/event-streamx"), ssetest.Data("x")}, ErrContentType, 200},
		{ssetest.Script{ssetest.Data(strings.Repeat("x", 200))}, ErrEventTooLarge, 0},
	}
	for i, tt := range final {
		t.Run(fmt.Sprintf("final/%d", i), func(t *testing.T) {
			srv := ssetest.New(t, tt.script, ssetest.Script{ssetest.Data("after")})
			c, rec := testClient(srv)
			c.MaxEventSize = 100
			var states []ReadyState
			c.OnStateChange = func(_ *Stream, st ReadyState) { states = append(states, st) }
			s := mustNewStream(t, c, "GET", srv.URL, "")
			if evs := readAll(s); len(evs) != 0 {
				t.Errorf("events %v", evs)
			}
			if tt.is != nil && !errors.Is(s.Err(), tt.is) {
				t.Errorf("Err = %v, want %v", s.Err(), tt.is)
			}
			var re *ResponseError
			if tt.status != 0 && (!errors.As(s.Err(), &re) || re.StatusCode != tt.status) {
				t.Errorf("Err = %#v, want a ResponseError %d", s.Err(), tt.status)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			if len(rec.Delays()) != 0 {
				t.Errorf("delays %v", rec.Delays())
			}
			if last := states[len(states)-1]; last != StateClosed || s.State() != StateClosed {
				t.Errorf("states %v", states)
			}
		})
	}
}

func TestEventTooLargeNeverRetried(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t, ssetest.Script{ssetest.Data("ok"), ssetest.Data(strings.Repeat("x", 1000))})
	srv.After = ssetest.Script{ssetest.Data(strings.Repeat("x", 1000))}
	c, _ := testClient(srv)
	c.MaxEventSize = 100
	c.ShouldRetry = func(error) bool { return true }
	s := mustNewStream(t, c, "GET", srv.URL, "")
	if evs := readAll(s); len(evs) != 1 {
		t.Errorf("events %v", evs)
	}
	if !errors.Is(s.Err(), ErrEventTooLarge) {
		t.Errorf("Err = %v", s.Err())
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestDefaultShouldRetry(t *testing.T) {
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "https://x", Err: err} }
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{io.ErrUnexpectedEOF, true},
		{ErrResponseEnded, true},
		{fmt.Errorf("x: %w", ErrIdleTimeout), true},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{&ResponseError{StatusCode: 500}, true},
		{&ResponseError{StatusCode: 503}, true},
		{&ResponseError{StatusCode: 408}, true},
		{&ResponseError{StatusCode: 429}, true},
		{&ResponseError{StatusCode: 400}, false},
		{&ResponseError{StatusCode: 401}, false},
		{&ResponseError{StatusCode: 404}, false},
		{&ResponseError{StatusCode: 204, Err: ErrNoContent}, false},
		{&ResponseError{StatusCode: 200, Err: ErrContentType}, false},
		{&ResponseError{StatusCode: 205}, false},
		{&ResponseError{StatusCode: 299}, false},
		{urlErr(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false},
		{urlErr(x509.UnknownAuthorityError{}), false},
		{urlErr(x509.HostnameError{Host: "x"}), false},
		{urlErr(x509.CertificateInvalidError{Reason: x509.Expired}), false},
	} {
		if got := DefaultShouldRetry(tt.err); got != tt.want {
			t.Errorf("DefaultShouldRetry(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	if Permanent(nil) != nil || Retryable(nil) != nil {
		t.Error("marking nil is not nil")
	}
	if err := Permanent(io.EOF); !errors.Is(err, io.EOF) || err.Error() != io.EOF.Error() {
		t.Errorf("Permanent hides its cause: %v", err)
	}
}

// Some errors end a stream whatever ShouldRetry says, and Retryable is
// retried without asking. (DefaultShouldRetry used to decide these too;
// the stream decides them now, before it asks ShouldRetry, so that a
// custom ShouldRetry cannot override them.)
func TestFixedClassification(t *testing.T) {
	checkLeaks(t)
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{ErrClosed, false},
		{fmt.Errorf("x: %w", ErrEventTooLarge), false},
		{ErrBodyNotReplayable, false},
		{Permanent(io.ErrUnexpectedEOF), false},
		{Permanent(&ResponseError{StatusCode: 503}), false},
		{Retryable(&ResponseError{StatusCode: 401}), true},
		{Retryable(ErrNoContent), true},
	} {
		for _, says := range []bool{false, true} {
			c := &Client{ShouldRetry: func(error) bool { return says }}
			s, err := c.NewStream(newRequest(t, "GET", "http://127.0.0.1:1/", ""))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.retryable(tt.err); got != tt.want {
				t.Errorf("ShouldRetry says %v: retryable(%v) = %v, want %v", says, tt.err, got, tt.want)
			}
			s.Close()
		}
	}
}

// A certificate that does not verify ends the stream: no retry can mend
// it.
func TestCertificateErrorNotRetried(t *testing.T) {
	checkLeaks(t)
	var requests atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors
	srv.StartTLS()
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{}} // trusts the system's roots, not srv's
	defer hc.CloseIdleConnections()
	c, rec := recordedClient(hc)
	c.MaxRetries = 3 // a bound, were it retried
	var reconnects int
	c.OnReconnect = func(*Stream, ReconnectInfo) { reconnects++ }
	s := mustNewStream(t, c, "GET", srv.URL, "")
	readAll(s)
	var cve *tls.CertificateVerificationError
	if !errors.As(s.Err(), &cve) || errors.Is(s.Err(), ErrGaveUp) {
		t.Errorf("Err = %v, want the certificate error itself", s.Err())
	}
	if reconnects != 0 || len(rec.Delays()) != 0 || requests.Load() != 0 {
		t.Errorf("%d reconnects, delays %v, %d requests; want none", reconnects, rec.Delays(), requests.Load())
	}
	if _, err := c.Do(newRequest(t, "GET", srv.URL, "")); !errors.As(err, &cve) {
		t.Errorf("Do = %v, want the certificate error", err)
	}
}

func TestMaxRetries(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t, ssetest.Script{ssetest.Data("1")})
	srv.After = ssetest.Script{ssetest.Respond(503, "down")}
	c, rec := testClient(srv)
	c.MaxRetries = 3
	s := mustNewStream(t, c, "GET", srv.URL, "")
	if evs := readAll(s); len(evs) != 1 {
		t.Errorf("events %v", evs)
	}
	var re *ResponseError
	if !errors.Is(s.Err(), ErrGaveUp) || !errors.As(s.Err(), &re) || re.StatusCode != 503 {
		t.Errorf("Err = %v, want ErrGaveUp wrapping the 503", s.Err())
	}
	// The first reconnect follows a connection that delivered an event;
	// then three failed attempts in a row.
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	if n := len(rec.Delays()); n != 3 {
		t.Errorf("%d waits, want 3", n)
	}
	if s.State() != StateClosed {
		t.Errorf("State %v", s.State())
	}
}

func TestMaxElapsedTime(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t)
	srv.After = ssetest.Script{ssetest.Respond(500, "")}
	c, rec := testClient(srv)
	c.ReconnectionTime = time.Second
	c.MaxReconnectionTime = time.Second
	c.MaxElapsedTime = 10 * time.Second
	s := mustNewStream(t, c, "GET", srv.URL, "")
	readAll(s)
	if !errors.Is(s.Err(), ErrGaveUp) {
		t.Errorf("Err = %v", s.Err())
	}
	var total time.Duration
	for _, d := range rec.Delays() {
		total += d
	}
	if total > 10*time.Second || total < 9*time.Second {
		t.Errorf("waited %v in all (%v), want about 10s", total, rec.Delays())
	}
}
