package sse

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ssekit/sse/internal/httpx"
	"github.com/ssekit/sse/ssetest"
)

// Tests of what the client does with a response: CheckResponse, the
// ResponseError of a refusal, and the bodies it closes.

func TestCheckResponse(t *testing.T) {
	checkLeaks(t)
	t.Run("RetryableAndPermanent", func(t *testing.T) {
		srv := ssetest.New(t,
			ssetest.Script{ssetest.Respond(401, "expired")},
			ssetest.Script{ssetest.Data("x")},
			ssetest.Script{ssetest.Header("X-Fatal", "1"), ssetest.Data("y")},
		)
		c, _ := testClient(srv)
		c.CheckResponse = func(resp *http.Response) error {
			if resp.StatusCode == 401 {
				return Retryable(DefaultCheckResponse(resp))
			}
			if resp.Header.Get("X-Fatal") != "" {
				return Permanent(errors.New("server says fatal"))
			}
			return DefaultCheckResponse(resp)
		}
		s := mustNewStream(t, c, "GET", srv.URL, "")
		if evs := readAll(s); len(evs) != 1 {
			t.Errorf("events %v", evs)
		}
		if s.Err() == nil || s.Err().Error() != "server says fatal" {
			t.Errorf("Err = %v", s.Err())
		}
		if n := len(srv.Requests()); n != 3 {
			t.Errorf("%d requests", n)
		}
	})
	t.Run("PlainErrorGoesToShouldRetry", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Data("x")}, ssetest.Script{ssetest.Data("y")})
		c, _ := testClient(srv)
		reject := errors.New("rejected")
		c.CheckResponse = func(*http.Response) error { return reject }
		var asked []error
		c.ShouldRetry = func(err error) bool { asked = append(asked, err); return len(asked) < 2 }
		s := mustNewStream(t, c, "GET", srv.URL, "")
		readAll(s)
		if !errors.Is(s.Err(), reject) || len(asked) != 2 || len(srv.Requests()) != 2 {
			t.Errorf("Err = %v, asked %v, %d requests", s.Err(), asked, len(srv.Requests()))
		}
	})
}

// 200 is the only success: another 2xx is refused, not read and not
// retried, unless CheckResponse accepts it.
func TestOnly200(t *testing.T) {
	checkLeaks(t)
	for _, status := range []int{201, 205, 206, 299} {
		srv := ssetest.New(t, ssetest.Script{ssetest.Status(status), ssetest.Data("x")}, ssetest.Script{ssetest.Data("after")})
		c, rec := testClient(srv)
		s := mustNewStream(t, c, "GET", srv.URL, "")
		evs := readAll(s)
		var re *ResponseError
		if len(evs) != 0 || !errors.As(s.Err(), &re) || re.StatusCode != status {
			t.Errorf("%d: events %v, Err %v; want a *ResponseError", status, evs, s.Err())
		}
		if msg := s.Err().Error(); !strings.Contains(msg, "want 200 OK") {
			t.Errorf("%d: Err = %q, want it to say 200 is wanted", status, msg)
		}
		if n := len(srv.Requests()); n != 1 || len(rec.Delays()) != 0 {
			t.Errorf("%d: %d requests, delays %v; want 1 and none", status, n, rec.Delays())
		}
	}
	t.Run("CheckResponseAccepts", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Status(299), ssetest.Data("x")})
		c, _ := testClient(srv)
		c.CheckResponse = func(resp *http.Response) error {
			if resp.StatusCode == 299 && httpx.IsEventStream(resp.Header.Get("Content-Type")) {
				return nil
			}
			return DefaultCheckResponse(resp)
		}
		s := mustDo(t, c, "GET", srv.URL, "")
		if evs := readAll(s); len(evs) != 1 || s.Err() != nil {
			t.Errorf("events %v, Err %v", evs, s.Err())
		}
	})
}

func TestResponseError(t *testing.T) {
	checkLeaks(t)
	big := `{"error":"` + strings.Repeat("x", 10000) + `"}`
	srv := ssetest.New(t, ssetest.Script{ssetest.Header("X-Request-Id", "r1"), ssetest.Header("Content-Type", "application/json"), ssetest.Respond(400, big)})
	c, _ := testClient(srv)
	s := mustNewStream(t, c, "GET", srv.URL, "")
	readAll(s)
	var re *ResponseError
	if !errors.As(s.Err(), &re) {
		t.Fatalf("Err = %v", s.Err())
	}
	if re.StatusCode != 400 || re.Status != "400 Bad Request" || re.Header.Get("X-Request-Id") != "r1" {
		t.Errorf("ResponseError %+v", re)
	}
	if len(re.Body) != 4096 || string(re.Body) != big[:4096] {
		t.Errorf("Body is %d bytes, want the first 4096", len(re.Body))
	}
	msg := re.Error()
	if !strings.Contains(msg, "400 Bad Request") || !strings.Contains(msg, `{"error":"xxx`) || len(msg) > 300 {
		t.Errorf("Error() = %q", msg)
	}
	ct := (&ResponseError{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/html"}}, Err: ErrContentType}).Error()
	if !strings.Contains(ct, "text/html") {
		t.Errorf("content type error %q", ct)
	}
	if msg := (&ResponseError{StatusCode: 204, Err: ErrNoContent}).Error(); !strings.Contains(msg, "204 No Content") {
		t.Errorf("204 error %q", msg)
	}
}

// A refused response's message shows the start of its body, cut on a
// character boundary so the message stays valid UTF-8.
func TestResponseErrorCutsOnCharacter(t *testing.T) {
	body := strings.Repeat("a", 199) + "é and more"
	err := &ResponseError{StatusCode: 401, Status: "401 Unauthorized", Body: []byte(body)}
	msg := err.Error()
	if !utf8.ValidString(msg) {
		t.Errorf("Error() = %q: not valid UTF-8", msg)
	}
	if !strings.HasSuffix(msg, strings.Repeat("a", 199)+"…") {
		t.Errorf("Error() = %q, want the body cut before the é", msg)
	}
}

// An error's message carries no raw control character from the server
// (a terminal escape, a newline that forges a log line); the fields keep
// the bytes as they came.
func TestResponseErrorEscapesServerText(t *testing.T) {
	checkLeaks(t)
	const body = "\x1b[2J\nERROR forged log line\x07"
	srv := ssetest.New(t, ssetest.Script{ssetest.Respond(401, body)})
	c, _ := testClient(srv)
	_, err := c.Do(newRequest(t, "GET", srv.URL, ""))
	var re *ResponseError
	if !errors.As(err, &re) || string(re.Body) != body {
		t.Fatalf("Do = %v, want a *ResponseError with the raw body", err)
	}
	for _, e := range []error{
		err,
		&GaveUpError{Attempts: 2, Err: err},
		&ResponseError{StatusCode: 401, Status: "401 \x1b]0;owned\x07\r\nX-Injected: 1"},
		&ResponseError{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/html\x1b[31m"}}, Err: ErrContentType},
		&ResponseError{StatusCode: 500, Body: []byte("\xff\xfe bad \u009b")},
	} {
		msg := e.Error()
		for _, r := range msg {
			if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
				t.Errorf("Error() = %q: raw %U", msg, r)
				break
			}
		}
	}
	if msg := err.Error(); !strings.Contains(msg, `\x1b[2J\nERROR forged log line\a`) {
		t.Errorf("Error() = %q, want the body escaped", msg)
	}
}

// A 200 of another content type that streams is not waited for: its
// ResponseError holds what arrived within httpx.ErrorBodyTimeout.
func TestWrongContentTypeStreamNotWaitedFor(t *testing.T) {
	bubble(t, func(t *testing.T) {
		_, hc := memScripts(t, ssetest.Script{ssetest.Header("Content-Type", "text/plain"), ssetest.Data("x"), ssetest.Hold()})
		c := &Client{HTTPClient: hc}
		start := time.Now()
		s := mustNewStream(t, c, "GET", memURL, "")
		readAll(s)
		var re *ResponseError
		if !errors.Is(s.Err(), ErrContentType) || !errors.As(s.Err(), &re) || string(re.Body) != "data: x\n\n" {
			t.Errorf("Err = %v", s.Err())
		}
		if d := time.Since(start); d != httpx.ErrorBodyTimeout {
			t.Errorf("took %v, want httpx.ErrorBodyTimeout (%v)", d, httpx.ErrorBodyTimeout)
		}
	})
}

// A refused response whose body stalls does not hang Next, even when a
// custom CheckResponse leaves the body unread.
func TestRefusedBodyStalls(t *testing.T) {
	bubble(t, func(t *testing.T) {
		hc := memServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusUnauthorized)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}), false)
		c := &Client{
			HTTPClient: hc,
			CheckResponse: func(resp *http.Response) error {
				if resp.StatusCode == http.StatusUnauthorized {
					return Permanent(errors.New("unauthorized"))
				}
				return DefaultCheckResponse(resp)
			},
		}
		s := mustNewStream(t, c, "GET", memURL, "")
		start := time.Now()
		// Were Next to block for good, the bubble would deadlock and the
		// test fail.
		if s.Next() || s.Err() == nil || s.Err().Error() != "unauthorized" {
			t.Errorf("Err = %v, want unauthorized", s.Err())
		}
		if d := time.Since(start); d != httpx.ErrorBodyTimeout {
			t.Errorf("Next took %v, want httpx.ErrorBodyTimeout (%v)", d, httpx.ErrorBodyTimeout)
		}
	})
}

// countingTransport counts the response bodies it hands out and those
// closed.
type countingTransport struct {
	rt             http.RoundTripper
	mu             sync.Mutex
	opened, closed int
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.opened++
	t.mu.Unlock()
	resp.Body = &countingBody{ReadCloser: resp.Body, t: t}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	t    *countingTransport
	once sync.Once
}

func (b *countingBody) Close() error {
	b.once.Do(func() {
		b.t.mu.Lock()
		b.t.closed++
		b.t.mu.Unlock()
	})
	return b.ReadCloser.Close()
}

func TestBodiesClosed(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Respond(503, "busy")},
		ssetest.Script{ssetest.Data("1"), ssetest.Drop()},
		ssetest.Script{ssetest.Data("2")},
		ssetest.Script{ssetest.Respond(204, "")},
		// A second stream:
		ssetest.Script{ssetest.Header("Content-Type", "text/html"), ssetest.Respond(200, "<html>")},
		// A third, closed while reading:
		ssetest.Script{ssetest.Data("3"), ssetest.Hold()},
	)
	ct := &countingTransport{rt: srv.Client().Transport}
	c, _ := testClient(srv)
	c.HTTPClient = &http.Client{Transport: ct}
	readAll(mustNewStream(t, c, "GET", srv.URL, ""))
	readAll(mustNewStream(t, c, "GET", srv.URL, ""))
	s := mustNewStream(t, c, "GET", srv.URL, "")
	s.Next()
	s.Close()
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.opened != 6 || ct.closed != ct.opened {
		t.Errorf("%d bodies opened, %d closed", ct.opened, ct.closed)
	}
}
