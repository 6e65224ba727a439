package sse

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ssekit/sse/ssetest"
)

// Do returns once the headers are in, and its stream ends cleanly, with a
// nil Err, at the end of the response.
func TestDoReadsEvents(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t, ssetest.Script{
		ssetest.Send(ssetest.Event{Type: "greeting", Data: "hello\nworld", ID: "1"}),
		ssetest.Comment(" keep-alive"),
		ssetest.Data("no id"),
	})
	c, _ := testClient(srv)
	var comments []string
	var from []*Stream
	c.OnComment = func(s *Stream, b []byte) {
		from = append(from, s)
		comments = append(comments, string(b))
	}
	s := mustDo(t, c, "GET", srv.URL, "")
	// Do has read the headers already: the stream is open before any
	// event (with Connect it was still connecting).
	if got := s.State(); got != StateOpen {
		t.Errorf("State after Do = %v, want open", got)
	}
	if !s.Next() {
		t.Fatalf("Next = false, Err = %v", s.Err())
	}
	if s.State() != StateOpen {
		t.Errorf("State = %v, want open", s.State())
	}
	if got := string(s.Data()); got != "hello\nworld" {
		t.Errorf("Data = %q", got)
	}
	if got := s.Response().Header.Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("Response().Header Content-Type = %q", got)
	}
	want := []Event{{Type: "greeting", Data: "hello\nworld", ID: "1"}}
	if diff := cmp.Diff(want, []Event{s.Event()}); diff != "" {
		t.Errorf("first event (-want +got):\n%s", diff)
	}
	rest := readAll(s)
	if diff := cmp.Diff([]Event{{Type: "message", Data: "no id", ID: "1"}}, rest); diff != "" {
		t.Errorf("rest (-want +got):\n%s", diff)
	}
	if s.Err() != nil {
		t.Errorf("one-shot Err = %v, want nil", s.Err())
	}
	if s.State() != StateClosed {
		t.Errorf("State = %v, want closed", s.State())
	}
	if diff := cmp.Diff([]string{" keep-alive"}, comments); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	for _, got := range from {
		if got != s {
			t.Errorf("OnComment got stream %p, want %p", got, s)
		}
	}
	if s.LastEventID() != "1" {
		t.Errorf("LastEventID = %q", s.LastEventID())
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestReadyStateString(t *testing.T) {
	for st, want := range map[ReadyState]string{StateConnecting: "connecting", StateOpen: "open", StateClosed: "closed", 7: "ReadyState(7)"} {
		if st.String() != want {
			t.Errorf("%d.String() = %q, want %q", st, st.String(), want)
		}
	}
}

func TestHeadersOnEachAttempt(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.RequireLastEventID(""), ssetest.Send(ssetest.Event{ID: "a", Data: "1"}), ssetest.Raw("id: b\ndata: unfinished\n")},
		ssetest.Script{ssetest.RequireLastEventID("a"), ssetest.Send(ssetest.Event{ID: "b", Data: "2"})},
		ssetest.Script{ssetest.RequireLastEventID("b"), ssetest.Raw("id\n\n"), ssetest.Data("3")},
		ssetest.Script{ssetest.RequireLastEventID(""), ssetest.Data("4")},
	)
	c, _ := testClient(srv)
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("X-Custom", "kept")
	s, err := c.NewStream(req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ids []string
	for s.Next() {
		ids = append(ids, s.Event().ID)
	}
	if diff := cmp.Diff([]string{"a", "b", "", ""}, ids); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if !errors.Is(s.Err(), ErrNoContent) {
		t.Errorf("Err = %v, want ErrNoContent (the server's 5th answer)", s.Err())
	}
	reqs := srv.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests, want 5", len(reqs))
	}
	for i, r := range reqs {
		for k, v := range map[string]string{"Accept": "text/event-stream", "Cache-Control": "no-cache", "X-Custom": "kept"} {
			if got := r.Header.Get(k); got != v {
				t.Errorf("request %d: %s = %q, want %q", i+1, k, got, v)
			}
		}
	}
	if len(req.Header) != 1 {
		t.Errorf("NewStream changed the caller's request headers: %v", req.Header)
	}
}

// The starting last event ID is the request's Last-Event-ID header (the
// Client no longer has one of its own).
func TestInitialLastEventID(t *testing.T) {
	checkLeaks(t)
	t.Run("Do", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.RequireLastEventID("7"), ssetest.Data("x")})
		c, _ := testClient(srv)
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Last-Event-ID", "7")
		s, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		// Events without an id carry the seeded last event ID.
		if evs := readAll(s); len(evs) != 1 || evs[0].ID != "7" || s.Err() != nil {
			t.Fatalf("events %v, Err %v", evs, s.Err())
		}
	})
	t.Run("NewStream", func(t *testing.T) {
		srv := ssetest.New(t,
			ssetest.Script{ssetest.RequireLastEventID("41"), ssetest.Data("no id")},
			ssetest.Script{ssetest.RequireLastEventID("41"), ssetest.Send(ssetest.Event{ID: "42", Data: "x"})},
			ssetest.Script{ssetest.RequireLastEventID("42"), ssetest.Respond(204, "")},
		)
		c, _ := testClient(srv)
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Last-Event-ID", "41")
		s, err := c.NewStream(req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got := s.LastEventID(); got != "41" {
			t.Errorf("LastEventID before Next = %q, want 41", got)
		}
		var ids []string
		for s.Next() {
			ids = append(ids, s.Event().ID)
		}
		if diff := cmp.Diff([]string{"41", "42"}, ids); diff != "" || !errors.Is(s.Err(), ErrNoContent) {
			t.Errorf("IDs (-want +got):\n%s\nErr %v", diff, s.Err())
		}
	})
}

func TestBodyResentOnReconnect(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Data("1"), ssetest.Drop()},
		ssetest.Script{ssetest.Respond(503, "busy")},
		ssetest.Script{ssetest.Data("2")},
	)
	c, _ := testClient(srv)
	s := mustNewStream(t, c, "POST", srv.URL, `{"q":"hi"}`)
	if evs := readAll(s); len(evs) != 2 {
		t.Errorf("got %d events, want 2", len(evs))
	}
	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		if r.Method != "POST" || string(r.Body) != `{"q":"hi"}` {
			t.Errorf("request %d: %s with body %q", i+1, r.Method, r.Body)
		}
	}
}

func TestBodyNotReplayable(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t, ssetest.Script{ssetest.Data("a")})
	c, _ := testClient(srv)
	req, _ := http.NewRequest("POST", srv.URL, io.NopCloser(strings.NewReader("x")))
	if _, err := c.NewStream(req); !errors.Is(err, ErrBodyNotReplayable) {
		t.Errorf("NewStream = %v, want ErrBodyNotReplayable", err)
	}
	s, err := c.Do(req)
	if err != nil {
		t.Fatalf("Do = %v", err)
	}
	s.Close()
	if _, err := c.NewStream(nil); err == nil {
		t.Error("NewStream(nil) succeeded")
	}
	if _, err := c.Do(nil); err == nil {
		t.Error("Do(nil) succeeded")
	}
}

// Do sends its request once and never reconnects: a refused response is
// its error, a drop ends the stream with an error. (With OneShot, a
// refusal before the stream opened was retried up to MaxRetries; Do has
// no retries at all.)
func TestDo(t *testing.T) {
	checkLeaks(t)
	t.Run("DropIsAnError", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Data("a"), ssetest.Drop()})
		c, rec := testClient(srv)
		c.MaxRetries = 3
		req, _ := http.NewRequest("POST", srv.URL, io.NopCloser(strings.NewReader("prompt")))
		s, err := c.Do(req) // a body without GetBody is fine: it is sent once
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if evs := readAll(s); len(evs) != 1 {
			t.Errorf("%d events", len(evs))
		}
		if s.Err() == nil || errors.Is(s.Err(), ErrGaveUp) {
			t.Errorf("Err = %v, want the read error", s.Err())
		}
		if n := len(srv.Requests()); n != 1 || string(srv.Requests()[0].Body) != "prompt" {
			t.Errorf("%d requests: %v", n, srv.Requests())
		}
		if d := rec.Delays(); len(d) != 0 {
			t.Errorf("delays %v, want none", d)
		}
	})
	t.Run("RefusedNotRetried", func(t *testing.T) {
		for _, status := range []int{401, 429, 503} {
			srv := ssetest.New(t,
				ssetest.Script{ssetest.Header("Retry-After", "1"), ssetest.Header("Content-Type", "application/json"), ssetest.Respond(status, `{"error":"no"}`)},
				ssetest.Script{ssetest.Data("answer")},
			)
			c, rec := testClient(srv)
			c.MaxRetries = 2 // retries are allowed, but Do makes none
			s, err := c.Do(newRequest(t, "POST", srv.URL, "prompt"))
			if s != nil {
				s.Close()
				t.Errorf("%d: Do returned a stream", status)
			}
			var re *ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("%d: Do = %v, want a *ResponseError", status, err)
			}
			want := &ResponseError{
				StatusCode: status,
				Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
				Body:       []byte(`{"error":"no"}`),
				RetryAfter: time.Second,
			}
			if diff := cmp.Diff(want, re, cmpopts.IgnoreFields(ResponseError{}, "Header")); diff != "" {
				t.Errorf("%d: ResponseError (-want +got):\n%s", status, diff)
			}
			if got := re.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("%d: Header Content-Type = %q", status, got)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d: %d requests, want exactly 1", status, n)
			}
			if d := rec.Delays(); len(d) != 0 {
				t.Errorf("%d: delays %v, want none", status, d)
			}
		}
	})
	t.Run("NetworkErrorNotRetried", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Drop()}, ssetest.Script{ssetest.Data("x")})
		c, _ := testClient(srv)
		if s, err := c.Do(newRequest(t, "GET", srv.URL, "")); err == nil {
			s.Close()
			t.Fatal("Do succeeded after a dropped request")
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
}

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

func TestUnfinishedEventDiscarded(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Send(ssetest.Event{ID: "1", Data: "one"}), ssetest.Raw("id: 2\ndata: partial\n"), ssetest.Drop()},
		ssetest.Script{ssetest.RequireLastEventID("1"), ssetest.Send(ssetest.Event{ID: "2", Data: "two"})},
		ssetest.Script{ssetest.Raw("data: cut at EOF")},
	)
	c, _ := testClient(srv)
	s := mustNewStream(t, c, "GET", srv.URL, "")
	var data []string
	for s.Next() {
		data = append(data, s.Event().Data)
	}
	if diff := cmp.Diff([]string{"one", "two"}, data); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
}

func TestStateTransitions(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Data("1")},
		ssetest.Script{ssetest.Respond(500, "")},
		ssetest.Script{ssetest.Data("2")},
	)
	c, _ := testClient(srv)
	var mu sync.Mutex
	var states []ReadyState
	c.OnStateChange = func(_ *Stream, st ReadyState) { mu.Lock(); states = append(states, st); mu.Unlock() }
	var retries []ReconnectInfo
	c.OnReconnect = func(_ *Stream, ri ReconnectInfo) { retries = append(retries, ri) }
	s := mustNewStream(t, c, "GET", srv.URL, "")
	readAll(s)
	want := []ReadyState{StateOpen, StateConnecting, StateOpen, StateConnecting, StateClosed}
	// The failed attempt in the middle keeps the state at Connecting.
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if len(retries) != 3 {
		t.Fatalf("retries %v", retries)
	}
	for i, ri := range retries {
		if ri.Attempt != i+2 || ri.Delay <= 0 || ri.Err == nil {
			t.Errorf("retry %d: %+v", i, ri)
		}
	}
	if !errors.Is(retries[0].Err, ErrResponseEnded) {
		t.Errorf("retry 1 error %v, want ErrResponseEnded", retries[0].Err)
	}
	var re *ResponseError
	if !errors.As(retries[1].Err, &re) || re.StatusCode != 500 {
		t.Errorf("retry 2 error %v, want 500", retries[1].Err)
	}
}

func TestRetryDelays(t *testing.T) {
	checkLeaks(t)
	t.Run("ServerRetryGrowsAndResets", func(t *testing.T) {
		srv := ssetest.New(t,
			ssetest.Script{ssetest.Retry(100 * time.Millisecond), ssetest.Data("1")},
			ssetest.Script{ssetest.Respond(503, "")},
			ssetest.Script{ssetest.Respond(503, "")},
			ssetest.Script{ssetest.Respond(503, "")},
			ssetest.Script{ssetest.Data("2")},
			ssetest.Script{ssetest.Respond(503, "")},
		)
		c, rec := testClient(srv)
		c.ReconnectionTime = time.Hour // the server's retry wins
		s := mustNewStream(t, c, "GET", srv.URL, "")
		readAll(s)
		d := rec.Delays()
		base := 100 * time.Millisecond
		// After each connection that delivered events, the delay starts
		// again from the server's retry.
		wantMin := []time.Duration{base, 2 * base, 4 * base, 8 * base, base, 2 * base}
		if len(d) != len(wantMin) {
			t.Fatalf("delays %v", d)
		}
		for i := range d {
			if d[i] < wantMin[i] || d[i] > wantMin[i]*3/2 {
				t.Errorf("delay %d = %v, want in [%v, %v]", i, d[i], wantMin[i], wantMin[i]*3/2)
			}
		}
	})
	t.Run("CapBoundsAbsurdRetry", func(t *testing.T) {
		srv := ssetest.New(t,
			ssetest.Script{ssetest.Raw("retry: 99999999999\n\n"), ssetest.Data("1")},
			ssetest.Script{ssetest.Respond(503, "")},
		)
		c, rec := testClient(srv)
		c.MaxReconnectionTime = 5 * time.Second
		s := mustNewStream(t, c, "GET", srv.URL, "")
		readAll(s)
		if diff := cmp.Diff([]time.Duration{5 * time.Second, 5 * time.Second}, rec.Delays()); diff != "" {
			t.Errorf("delays (-want +got):\n%s", diff)
		}
	})
	t.Run("DefaultReconnectionTime", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Data("1")})
		c, rec := testClient(srv)
		c.ReconnectionTime = 0
		s := mustNewStream(t, c, "GET", srv.URL, "")
		readAll(s)
		if d := rec.Delays(); len(d) != 1 || d[0] < DefaultReconnectionTime || d[0] > DefaultReconnectionTime*3/2 {
			t.Errorf("delays %v", d)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	checkLeaks(t)
	date := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Header("Retry-After", "7"), ssetest.Respond(429, "")},
		ssetest.Script{ssetest.Header("Retry-After", date), ssetest.Respond(503, "")},
		ssetest.Script{ssetest.Header("Retry-After", "3600"), ssetest.Respond(503, "")},
	)
	c, rec := testClient(srv)
	c.MaxReconnectionTime = 2 * time.Minute
	s := mustNewStream(t, c, "GET", srv.URL, "")
	readAll(s)
	d := rec.Delays()
	if len(d) != 3 {
		t.Fatalf("delays %v", d)
	}
	if d[0] != 7*time.Second {
		t.Errorf("Retry-After 7: delay %v", d[0])
	}
	if d[1] < 20*time.Second || d[1] > 31*time.Second {
		t.Errorf("Retry-After date 30s away: delay %v", d[1])
	}
	if d[2] != 2*time.Minute {
		t.Errorf("Retry-After 3600: delay %v, want the 2m cap", d[2])
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

func TestRedirectReconnectsToOriginalURL(t *testing.T) {
	checkLeaks(t)
	h := ssetest.NewHandler(
		ssetest.Script{ssetest.Data("1")},
		ssetest.Script{ssetest.Data("2")},
	)
	defer h.Close()
	var mu sync.Mutex
	var paths []string
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
	})
	mux.Handle("/new", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &Client{HTTPClient: srv.Client(), sleep: newRecorder().sleep}
	s := mustNewStream(t, c, "POST", srv.URL+"/old", "body")
	if evs := readAll(s); len(evs) != 2 {
		t.Errorf("events %v", evs)
	}
	mu.Lock()
	requested := len(paths)
	mu.Unlock()
	if requested != 3 {
		t.Errorf("/old requested %d times, want 3", requested)
	}
	for _, r := range h.Requests() {
		if r.URL.Path != "/new" || string(r.Body) != "body" || r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("redirected request %+v", r)
		}
	}
}

func TestPrepareRequest(t *testing.T) {
	checkLeaks(t)
	t.Run("Attempts", func(t *testing.T) {
		srv := ssetest.New(t,
			ssetest.Script{ssetest.RequireHeader("Authorization", "Bearer 1"), ssetest.Respond(503, "")},
			ssetest.Script{ssetest.RequireHeader("Authorization", "Bearer 2"), ssetest.Data("x")},
		)
		c, _ := testClient(srv)
		var attempts []int
		c.PrepareRequest = func(req *http.Request, a Attempt) (*http.Request, error) {
			attempts = append(attempts, a.N)
			req.Header.Set("Authorization", fmt.Sprintf("Bearer %d", a.N))
			return req, nil
		}
		s := mustNewStream(t, c, "GET", srv.URL, "")
		readAll(s)
		if diff := cmp.Diff([]int{1, 2, 3}, attempts); diff != "" {
			t.Errorf("attempts (-want +got):\n%s", diff)
		}
	})
	t.Run("ErrorEnds", func(t *testing.T) {
		srv := ssetest.New(t)
		c, _ := testClient(srv)
		boom := errors.New("no token")
		c.PrepareRequest = func(*http.Request, Attempt) (*http.Request, error) { return nil, boom }
		c.ShouldRetry = func(error) bool { return true }
		s := mustNewStream(t, c, "GET", srv.URL, "")
		readAll(s)
		if !errors.Is(s.Err(), boom) || len(srv.Requests()) != 0 {
			t.Errorf("Err = %v, %d requests", s.Err(), len(srv.Requests()))
		}
	})
	t.Run("RetryableError", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Data("x")})
		c, _ := testClient(srv)
		c.PrepareRequest = func(req *http.Request, a Attempt) (*http.Request, error) {
			if a.N == 1 {
				return nil, Retryable(errors.New("token service busy"))
			}
			return req, nil
		}
		s := mustNewStream(t, c, "GET", srv.URL, "")
		if evs := readAll(s); len(evs) != 1 {
			t.Errorf("events %v, Err %v", evs, s.Err())
		}
	})
}

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

func TestCloseUnblocks(t *testing.T) {
	checkLeaks(t)
	t.Run("Read", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Data("1"), ssetest.Hold()})
		c, _ := testClient(srv)
		var states []ReadyState
		var mu sync.Mutex
		c.OnStateChange = func(_ *Stream, st ReadyState) { mu.Lock(); states = append(states, st); mu.Unlock() }
		s := mustNewStream(t, c, "GET", srv.URL, "")
		if !s.Next() {
			t.Fatal(s.Err())
		}
		done := make(chan bool)
		go func() { done <- s.Next() }()
		s.Close()
		if s.State() != StateClosed {
			t.Errorf("State after Close = %v", s.State())
		}
		if <-done {
			t.Error("Next after Close = true")
		}
		if !errors.Is(s.Err(), ErrClosed) {
			t.Errorf("Err = %v", s.Err())
		}
		if s.Close() != nil {
			t.Error("second Close failed")
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%d requests", n)
		}
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff([]ReadyState{StateOpen, StateClosed}, states); diff != "" {
			t.Errorf("states (-want +got):\n%s", diff)
		}
	})
	t.Run("Wait", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Respond(503, "")})
		c := &Client{HTTPClient: srv.Client(), ReconnectionTime: time.Hour}
		s := mustNewStream(t, c, "GET", srv.URL, "")
		retrying := make(chan struct{})
		c.OnReconnect = func(*Stream, ReconnectInfo) { close(retrying) }
		done := make(chan bool)
		go func() { done <- s.Next() }()
		<-retrying
		s.Close()
		if <-done || !errors.Is(s.Err(), ErrClosed) {
			t.Errorf("Err = %v", s.Err())
		}
	})
	t.Run("Request", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		arrived := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		c := &Client{HTTPClient: srv.Client()}
		s := mustNewStream(t, c, "GET", srv.URL, "")
		done := make(chan bool)
		go func() { done <- s.Next() }()
		<-arrived // the request is out, waiting for its response
		s.Close()
		if <-done || !errors.Is(s.Err(), ErrClosed) {
			t.Errorf("Err = %v", s.Err())
		}
	})
	t.Run("BeforeNext", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Data("1")})
		c, _ := testClient(srv)
		s := mustNewStream(t, c, "GET", srv.URL, "")
		s.Close()
		if s.Next() || !errors.Is(s.Err(), ErrClosed) || len(srv.Requests()) != 0 {
			t.Errorf("Next after Close: Err %v, %d requests", s.Err(), len(srv.Requests()))
		}
	})
	t.Run("BufferedEventsNotReturned", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Data("1"), ssetest.Data("2"), ssetest.Data("3"), ssetest.Hold()})
		c, _ := testClient(srv)
		s := mustNewStream(t, c, "GET", srv.URL, "")
		s.Next()
		s.Close()
		if s.Next() {
			t.Errorf("Next after Close returned %v", s.Event())
		}
	})
	t.Run("AfterEndKeepsErr", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Respond(404, "")})
		c, _ := testClient(srv)
		s := mustNewStream(t, c, "GET", srv.URL, "")
		readAll(s)
		s.Close()
		var re *ResponseError
		if !errors.As(s.Err(), &re) {
			t.Errorf("Err = %v", s.Err())
		}
	})
}

func TestContextCancel(t *testing.T) {
	checkLeaks(t)
	t.Run("DuringRead", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Data("1"), ssetest.Hold()})
		c, _ := testClient(srv)
		ctx, cancel := context.WithCancelCause(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		s, _ := c.NewStream(req)
		defer s.Close()
		if !s.Next() {
			t.Fatal(s.Err())
		}
		cause := errors.New("user left")
		go cancel(cause)
		if s.Next() {
			t.Error("Next = true")
		}
		if !errors.Is(s.Err(), context.Canceled) || !errors.Is(s.Err(), cause) {
			t.Errorf("Err = %v, want context.Canceled with its cause", s.Err())
		}
		if s.State() != StateClosed || len(srv.Requests()) != 1 {
			t.Errorf("State %v, %d requests", s.State(), len(srv.Requests()))
		}
	})
	t.Run("Deadline", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h, hc := memScripts(t, ssetest.Script{ssetest.Data("1"), ssetest.Hold()})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", memURL, nil)
			s, _ := (&Client{HTTPClient: hc}).NewStream(req)
			defer s.Close()
			start := time.Now()
			evs := readAll(s)
			if len(evs) != 1 || !errors.Is(s.Err(), context.DeadlineExceeded) || len(h.Requests()) != 1 {
				t.Errorf("events %v, Err = %v, %d requests", evs, s.Err(), len(h.Requests()))
			}
			if d := time.Since(start); d != 20*time.Millisecond {
				t.Errorf("the stream ended after %v, want the deadline, 20ms", d)
			}
		})
	})
	t.Run("DuringWait", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Respond(503, "")})
		ctx, cancel := context.WithCancel(context.Background())
		c := &Client{HTTPClient: srv.Client(), ReconnectionTime: time.Hour, OnReconnect: func(*Stream, ReconnectInfo) { cancel() }}
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		s, _ := c.NewStream(req)
		defer s.Close()
		readAll(s)
		if !errors.Is(s.Err(), context.Canceled) {
			t.Errorf("Err = %v", s.Err())
		}
	})
}

// An idle timeout cuts a connection that sends nothing, before or after
// its headers, and the stream reconnects; comments keep a connection
// alive. In a bubble the timeouts are exact and no real time passes.
func TestIdleTimeout(t *testing.T) {
	t.Run("Reconnects", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			h, hc := memScripts(t,
				ssetest.Script{ssetest.Data("1"), ssetest.Wait(release)},   // silent after one event
				ssetest.Script{stallHeaders()},                             // silent before the headers
				ssetest.Script{ssetest.Status(200), ssetest.Wait(release)}, // headers, then silence
			)
			// Later connections send an event, then are silent too.
			h.After = ssetest.Script{ssetest.Data("2"), ssetest.Wait(release)}
			c := &Client{HTTPClient: hc, ReconnectionTime: time.Millisecond, IdleTimeout: 300 * time.Millisecond}
			var errs []error
			c.OnReconnect = func(_ *Stream, ri ReconnectInfo) { errs = append(errs, ri.Err) }
			start := time.Now()
			s := mustNewStream(t, c, "GET", memURL, "")
			var data []string
			for s.Next() {
				data = append(data, s.Event().Data)
				if s.Event().Data == "2" {
					break
				}
			}
			s.Close()
			if diff := cmp.Diff([]string{"1", "2"}, data); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
			if len(errs) != 3 {
				t.Errorf("reconnect errors %v, want three idle timeouts", errs)
			}
			for _, err := range errs {
				if !errors.Is(err, ErrIdleTimeout) {
					t.Errorf("reconnect error %v, want an idle timeout", err)
				}
			}
			// Three timeouts and three delays (1, 2 and 4 ms, plus jitter):
			// nothing else waited.
			if d := time.Since(start); d < 907*time.Millisecond || d > 910500*time.Microsecond {
				t.Errorf("the stream took %v, want 3 × 300 ms and delays of 7 to 10.5 ms", d)
			}
		})
	})
	t.Run("CommentsKeepAlive", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			script := ssetest.Script{ssetest.Data("1")}
			for range 5 {
				script = append(script, ssetest.Sleep(900*time.Millisecond), ssetest.Comment(""))
			}
			script = append(script, ssetest.Data("2"))
			_, hc := memScripts(t, script)
			c := &Client{HTTPClient: hc, IdleTimeout: time.Second}
			s := mustDo(t, c, "GET", memURL, "")
			if evs := readAll(s); len(evs) != 2 || s.Err() != nil {
				t.Errorf("events %v, Err %v", evs, s.Err())
			}
		})
	})
	t.Run("DoEnds", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			_, hc := memScripts(t, ssetest.Script{ssetest.Data("1"), ssetest.Hold()})
			c := &Client{HTTPClient: hc, IdleTimeout: time.Second}
			s := mustDo(t, c, "GET", memURL, "")
			if evs := readAll(s); len(evs) != 1 || !errors.Is(s.Err(), ErrIdleTimeout) {
				t.Errorf("events %v, Err %v, want an idle timeout", evs, s.Err())
			}
		})
	})
	t.Run("DoWaitingForHeaders", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			_, hc := memScripts(t, ssetest.Script{stallHeaders()})
			c := &Client{HTTPClient: hc, IdleTimeout: time.Second}
			start := time.Now()
			s, err := c.Do(newRequest(t, "GET", memURL, ""))
			if s != nil || !errors.Is(err, ErrIdleTimeout) || time.Since(start) != time.Second {
				t.Errorf("Do = %v, %v after %v; want an idle timeout after 1s", s, err, time.Since(start))
			}
		})
	})
}

// stallHeaders is a step that sends nothing, not even the headers, until
// the client goes away.
func stallHeaders() ssetest.Step {
	return ssetest.Func("stallHeaders()", func(c *ssetest.Conn) error {
		<-c.Request.Context().Done()
		return nil
	})
}

func TestAll(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t, ssetest.Script{ssetest.Data("1"), ssetest.Data("2")}, ssetest.Script{ssetest.Respond(404, "")})
	c, _ := testClient(srv)
	s := mustNewStream(t, c, "GET", srv.URL, "")
	var data []string
	var last error
	for ev, err := range s.All() {
		if err != nil {
			last = err
			break
		}
		data = append(data, ev.Data)
	}
	if diff := cmp.Diff([]string{"1", "2"}, data); diff != "" || last == nil {
		t.Errorf("data (-want +got):\n%s, last error %v", diff, last)
	}
	// Breaking out leaves the stream open, to be read on.
	srv2 := ssetest.New(t, ssetest.Script{ssetest.Data("a"), ssetest.Data("b"), ssetest.Hold()})
	c2, _ := testClient(srv2)
	s2 := mustNewStream(t, c2, "GET", srv2.URL, "")
	for range s2.All() {
		break
	}
	if st := s2.State(); st != StateOpen {
		t.Errorf("State after break = %v, want open", st)
	}
	if !s2.Next() || s2.Event().Data != "b" {
		t.Errorf("after break: Next gave %q, Err %v; want \"b\"", s2.Event().Data, s2.Err())
	}
}

func TestConcurrentStateAndClose(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t)
	srv.After = ssetest.Script{ssetest.Data("x"), ssetest.Data("y")}
	c, _ := testClient(srv)
	var changes sync.Map
	c.OnStateChange = func(_ *Stream, st ReadyState) { changes.Store(st, true) }
	s := mustNewStream(t, c, "GET", srv.URL, "")
	quit := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(quit) // before wg.Wait, also when the test fails
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-quit:
				return
			default:
				_ = s.State().String()
			}
		}
	}()
	enough := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(ended)
		n := 0
		for s.Next() {
			if n++; n == 50 {
				close(enough)
			}
		}
	}()
	select {
	case <-enough:
	case <-ended:
		// The stream must not end on its own: fail rather than wait for
		// an event that will never come.
		t.Fatalf("the stream ended before 50 events: %v", s.Err())
	}
	s.Close()
	<-ended
	if !errors.Is(s.Err(), ErrClosed) {
		t.Errorf("Err = %v", s.Err())
	}
	if _, ok := changes.Load(StateClosed); !ok {
		t.Error("OnStateChange(StateClosed) not called")
	}
}

func TestNoLeaks(t *testing.T) {
	checkLeaks(t)
	var scripts []ssetest.Script
	for range 20 {
		scripts = append(scripts,
			ssetest.Script{ssetest.Data("a"), ssetest.Drop()},
			ssetest.Script{ssetest.Respond(500, "x")},
			ssetest.Script{ssetest.Data("b"), ssetest.Hold()},
		)
	}
	srv := ssetest.New(t, scripts...)
	c, _ := testClient(srv)
	c.MaxRetries = 1
	for range 20 {
		s := mustNewStream(t, c, "GET", srv.URL, "")
		for s.Next() {
			if s.Event().Data == "b" {
				s.Close()
			}
		}
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

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Thu, 01 Jan 2026 00:01:00 GMT": time.Minute,
		"Wed, 31 Dec 2025 00:00:00 GMT": 0,
		"4294967296":                    4294967296 * time.Second,
		"9223372037":                    math.MaxInt64, // just past what a Duration holds
		"99999999999999999999999":       math.MaxInt64,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestBackOffJitterOnlyAdds(t *testing.T) {
	for _, r := range []float64{0, 0.5, 0.999} {
		b := backOff{rand: func() float64 { return r }}
		base, limit := 100*time.Millisecond, time.Second
		want := base
		for i := range 6 {
			d, ok := b.next(base, limit)
			if !ok {
				t.Fatalf("rand %v, attempt %d: the default backoff stopped", r, i)
			}
			lo := min(want, limit)
			if d < lo || d > min(want*3/2, limit) {
				t.Errorf("rand %v, attempt %d: %v, want in [%v, %v]", r, i, d, lo, min(want*3/2, limit))
			}
			want *= 2
		}
		b.reset()
		if d, _ := b.next(base, limit); d < base || d > base*3/2 {
			t.Errorf("after reset: %v", d)
		}
	}
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

// A 200 of another content type that streams is not waited for: its
// ResponseError holds what arrived within errorBodyTimeout.
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
		if d := time.Since(start); d != errorBodyTimeout {
			t.Errorf("took %v, want errorBodyTimeout (%v)", d, errorBodyTimeout)
		}
	})
}

// Over HTTP/2 too, the idle timeout cuts a silent stream and Close ends
// one being read.
func TestHTTP2CloseAndIdle(t *testing.T) {
	bubble(t, func(t *testing.T) {
		h := ssetest.NewHandler(
			ssetest.Script{ssetest.Data("1"), ssetest.Hold()}, // cut by the idle timeout
		)
		h.After = ssetest.Script{ssetest.Data("2"), ssetest.Hold()} // cut by Close
		hc := memServer(t, h, true)
		c := &Client{HTTPClient: hc, ReconnectionTime: time.Millisecond, IdleTimeout: 300 * time.Millisecond}
		var errs []error
		c.OnReconnect = func(_ *Stream, ri ReconnectInfo) { errs = append(errs, ri.Err) }
		s := mustNewStream(t, c, "GET", memURL, "")
		var data []string
		for s.Next() {
			data = append(data, s.Event().Data)
			if s.Event().Data == "2" {
				s.Close()
			}
		}
		if diff := cmp.Diff([]string{"1", "2"}, data); diff != "" || !errors.Is(s.Err(), ErrClosed) {
			t.Errorf("data (-want +got):\n%s\nErr %v", diff, s.Err())
		}
		if len(errs) != 1 || !errors.Is(errs[0], ErrIdleTimeout) {
			t.Errorf("reconnect errors %v, want one idle timeout", errs)
		}
		for _, r := range h.Requests() {
			if r.Proto != "HTTP/2.0" {
				t.Errorf("request over %s", r.Proto)
			}
		}
		if err := h.Err(); err != nil {
			t.Error(err)
		}
	})
}

func TestUnsendableLastEventIDEnds(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t, ssetest.Script{ssetest.Raw("id: a\x01b\ndata: x\n\n")})
	c, _ := testClient(srv)
	s := mustNewStream(t, c, "GET", srv.URL, "")
	if evs := readAll(s); len(evs) != 1 {
		t.Errorf("events %v", evs)
	}
	if s.Err() == nil || !strings.Contains(s.Err().Error(), "Last-Event-ID") || len(srv.Requests()) != 1 {
		t.Errorf("Err = %v, %d requests", s.Err(), len(srv.Requests()))
	}
}

// Do tells a caller whether the server accepted the request before any
// event is read, as http.Client.Do does. (Stream.Open did that for
// Connect, retrying refusals as Next would; Do retries nothing.)
func TestDoReturnsAtHeaders(t *testing.T) {
	checkLeaks(t)
	t.Run("Accepted", func(t *testing.T) {
		release := make(chan struct{})
		srv := ssetest.New(t, ssetest.Script{ssetest.Flush(), ssetest.Wait(release), ssetest.Data("a"), ssetest.Data("b")})
		c, _ := testClient(srv)
		s := mustDo(t, c, "GET", srv.URL, "") // returns although no event came
		if st := s.State(); st != StateOpen {
			t.Errorf("State after Do = %v, want open", st)
		}
		if s.Response() == nil || s.Response().StatusCode != 200 {
			t.Errorf("Response after Do = %v", s.Response())
		}
		close(release)
		if !s.Next() || s.Event().Data != "a" {
			t.Fatalf("first event after Do: %v %v", s.Event(), s.Err())
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Respond(401, `{"error":"bad key"}`)})
		c, _ := testClient(srv)
		var states []ReadyState
		c.OnStateChange = func(_ *Stream, st ReadyState) { states = append(states, st) }
		s, err := c.Do(newRequest(t, "GET", srv.URL, ""))
		var re *ResponseError
		if s != nil || !errors.As(err, &re) || re.StatusCode != 401 || string(re.Body) != `{"error":"bad key"}` {
			t.Fatalf("Do = %v, %v; want the 401 with its body", s, err)
		}
		if diff := cmp.Diff([]ReadyState{StateClosed}, states); diff != "" {
			t.Errorf("states (-want +got):\n%s", diff)
		}
	})
}

// The idle timeout measures the server's silence, not the caller's: a
// consumer that spends longer than IdleTimeout on one event, while the
// server keeps sending, loses nothing.
func TestIdleTimeoutIgnoresSlowConsumer(t *testing.T) {
	bubble(t, func(t *testing.T) {
		script := ssetest.Script{ssetest.Data("1")}
		for range 15 {
			script = append(script, ssetest.Comment("keep-alive"), ssetest.Sleep(100*time.Millisecond))
		}
		script = append(script, ssetest.Data("2"))
		_, hc := memScripts(t, script)
		c := &Client{HTTPClient: hc, IdleTimeout: time.Second}
		s := mustDo(t, c, "GET", memURL, "")
		if !s.Next() {
			t.Fatal(s.Err())
		}
		time.Sleep(1500 * time.Millisecond) // busy with event 1
		if !s.Next() || s.Event().Data != "2" {
			t.Fatalf("event 2 lost: Err = %v", s.Err())
		}
	})
}

// A PrepareRequest slower than IdleTimeout (a token refresh) is not a
// silent server.
func TestIdleTimeoutExcludesPrepareRequest(t *testing.T) {
	bubble(t, func(t *testing.T) {
		_, hc := memScripts(t, ssetest.Script{ssetest.Data("a")})
		c := &Client{HTTPClient: hc, IdleTimeout: 50 * time.Millisecond, MaxRetries: 2}
		c.PrepareRequest = func(req *http.Request, _ Attempt) (*http.Request, error) {
			time.Sleep(200 * time.Millisecond) // fetching a token
			return req, nil
		}
		s := mustNewStream(t, c, "GET", memURL, "")
		if !s.Next() {
			t.Fatalf("no event: %v", s.Err())
		}
	})
}

// A caller's Accept header is kept: MCP's Streamable HTTP transport
// requires "application/json, text/event-stream".
func TestCallerAcceptKept(t *testing.T) {
	checkLeaks(t)
	const accept = "application/json, text/event-stream"
	srv := ssetest.New(t, ssetest.Script{ssetest.RequireHeader("Accept", accept), ssetest.Data("ok")})
	c, _ := testClient(srv)
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept", accept)
	s, err := c.NewStream(req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Next() {
		t.Fatalf("Err = %v", s.Err())
	}
}

// Err reports ErrClosed as soon as Close returns, before any Next.
func TestErrRightAfterClose(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t, ssetest.Script{ssetest.Data("a"), ssetest.Hold()})
	c, _ := testClient(srv)
	s := mustNewStream(t, c, "GET", srv.URL, "")
	if !s.Next() {
		t.Fatal(s.Err())
	}
	s.Close()
	if !errors.Is(s.Err(), ErrClosed) {
		t.Errorf("Err after Close = %v, want ErrClosed", s.Err())
	}
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
		if d := time.Since(start); d != errorBodyTimeout {
			t.Errorf("Next took %v, want errorBodyTimeout (%v)", d, errorBodyTimeout)
		}
	})
}

// A URL the transport can never fetch fails NewStream and Do, rather than being
// retried for ever as a network error.
func TestUnusableURL(t *testing.T) {
	checkLeaks(t)
	for _, raw := range []string{"localhost:8080/events", "ftp://example.com/x", "http:///no-host"} {
		req, err := http.NewRequest("GET", raw, nil)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if _, err := (&Client{}).NewStream(req); err == nil || !strings.Contains(err.Error(), "sse: ") {
			t.Errorf("NewStream(%q) = %v, want an error", raw, err)
		}
		if _, err := (&Client{}).Do(req); err == nil || !strings.Contains(err.Error(), "sse: ") {
			t.Errorf("Do(%q) = %v, want an error", raw, err)
		}
	}
}

// A server's "retry: 0" asks for a prompt reconnect; the client honours it
// with a small floor, not with its own default, so a failing server cannot
// make it spin.
func TestServerRetryZero(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Retry(0), ssetest.Data("a")},
		ssetest.Script{ssetest.Respond(503, "")},
		ssetest.Script{ssetest.Data("b")},
	)
	c, rec := testClient(srv)
	c.ReconnectionTime = 3 * time.Second
	s := mustNewStream(t, c, "GET", srv.URL, "")
	if evs := readAll(s); len(evs) != 2 {
		t.Fatalf("events %v, Err %v", evs, s.Err())
	}
	d := rec.Delays()
	if len(d) != 3 {
		t.Fatalf("delays %v, want 3", d)
	}
	// After "a": the floor plus jitter; after the 503: doubled.
	if d[0] < minServerRetry || d[0] > minServerRetry*3/2 || d[1] < 2*minServerRetry || d[1] > 3*minServerRetry {
		t.Errorf("delays %v, want [%v..%v] then [%v..%v]", d, minServerRetry, minServerRetry*3/2, 2*minServerRetry, 3*minServerRetry)
	}
}

// A "retry" too large to add jitter to is capped, never wrapped into a
// negative delay (which would mean reconnecting at once).
func TestHugeServerRetryCapped(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Raw("retry: 9223372036854\n\n"), ssetest.Data("a")},
		ssetest.Script{ssetest.Data("b")},
	)
	c, rec := testClient(srv)
	s := mustNewStream(t, c, "GET", srv.URL, "")
	if evs := readAll(s); len(evs) != 2 {
		t.Fatalf("events %v, Err %v", evs, s.Err())
	}
	d := rec.Delays()
	if len(d) != 2 {
		t.Fatalf("delays %v, want 2", d)
	}
	for _, d := range d {
		if d != DefaultMaxReconnectionTime {
			t.Errorf("delay %v, want the cap %v", d, DefaultMaxReconnectionTime)
		}
	}
}

// Close from another goroutine at any moment (connecting, waiting, reading)
// ends Next promptly, with ErrClosed, and the observer sees StateClosed last.
func TestCloseAtAnyMoment(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t)
	srv.After = ssetest.Script{ssetest.Data("a"), ssetest.Flush(), ssetest.Sleep(time.Millisecond), ssetest.Data("b"), ssetest.Drop()}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 100 {
		var mu sync.Mutex
		var states []ReadyState
		c := &Client{
			HTTPClient:       srv.Client(),
			ReconnectionTime: time.Millisecond,
			IdleTimeout:      time.Duration(1+rng.IntN(3)) * time.Millisecond,
			OnStateChange: func(_ *Stream, st ReadyState) {
				mu.Lock()
				states = append(states, st)
				mu.Unlock()
			},
		}
		req, _ := http.NewRequest("GET", srv.URL, nil)
		s, _ := c.NewStream(req)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for s.Next() {
			}
		}()
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		s.Close()
		if s.State() != StateClosed {
			t.Fatalf("round %d: State after Close = %v", i, s.State())
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Next did not return after Close", i)
		}
		if !errors.Is(s.Err(), ErrClosed) {
			t.Fatalf("round %d: Err = %v", i, s.Err())
		}
		mu.Lock()
		if len(states) == 0 || states[len(states)-1] != StateClosed {
			t.Fatalf("round %d: states %v", i, states)
		}
		mu.Unlock()
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

// A body without GetBody cannot be sent again. NewStream refuses it,
// unless PrepareRequest could make the requests that follow; an attempt
// that would still need the body then ends the stream.
func TestBodyWithoutGetBody(t *testing.T) {
	checkLeaks(t)
	body := func() io.Reader { return io.NopCloser(strings.NewReader("prompt")) }
	t.Run("NoPrepareRequest", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "http://127.0.0.1:1/", body())
		if s, err := (&Client{}).NewStream(req); !errors.Is(err, ErrBodyNotReplayable) {
			t.Errorf("NewStream = %v, %v; want ErrBodyNotReplayable", s, err)
		}
	})
	t.Run("PrepareRequestKeepsIt", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Data("a"), ssetest.Drop()}, ssetest.Script{ssetest.Data("b")})
		c, _ := testClient(srv)
		c.MaxRetries = 3
		c.PrepareRequest = func(req *http.Request, _ Attempt) (*http.Request, error) { return req, nil }
		req, _ := http.NewRequest("POST", srv.URL, body())
		s, err := c.NewStream(req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if evs := readAll(s); len(evs) != 1 || !errors.Is(s.Err(), ErrBodyNotReplayable) {
			t.Errorf("events %v, Err %v; want one event, then ErrBodyNotReplayable", evs, s.Err())
		}
		if reqs := srv.Requests(); len(reqs) != 1 || string(reqs[0].Body) != "prompt" {
			t.Errorf("requests %v, want the POST alone", reqs)
		}
	})
	t.Run("PrepareRequestReplacesIt", func(t *testing.T) {
		srv := ssetest.New(t, ssetest.Script{ssetest.Data("a"), ssetest.Drop()}, ssetest.Script{ssetest.Data("b")})
		c, _ := testClient(srv)
		c.PrepareRequest = func(req *http.Request, a Attempt) (*http.Request, error) {
			if a.N == 1 {
				return req, nil
			}
			return http.NewRequest("GET", req.URL.String(), nil)
		}
		req, _ := http.NewRequest("POST", srv.URL, body())
		s, err := c.NewStream(req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if evs := readAll(s); len(evs) != 2 || !errors.Is(s.Err(), ErrNoContent) {
			t.Errorf("events %v, Err %v; want two events, then the 204", evs, s.Err())
		}
		var got []string
		for _, r := range srv.Requests() {
			got = append(got, r.Method+" "+string(r.Body))
		}
		if diff := cmp.Diff([]string{"POST prompt", "GET ", "GET "}, got); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
	})
}

// Reconnect, from another goroutine, drops the connection or cuts the
// wait short and reconnects at once, with the last event ID, whatever the
// stream is doing; it does not count against MaxRetries.
func TestReconnect(t *testing.T) {
	t.Run("WhileReading", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h, hc := memScripts(t,
				ssetest.Script{ssetest.Send(ssetest.Event{ID: "1", Data: "a"}), ssetest.Hold()},
				// Two connections that deliver nothing, each dropped by
				// Reconnect: with MaxRetries 1 the stream would give up,
				// were they failures.
				ssetest.Script{ssetest.RequireLastEventID("1"), ssetest.Hold()},
				ssetest.Script{ssetest.RequireLastEventID("1"), ssetest.Hold()},
				ssetest.Script{ssetest.RequireLastEventID("1"), ssetest.Send(ssetest.Event{ID: "2", Data: "b"})},
			)
			c := &Client{HTTPClient: hc, ReconnectionTime: time.Hour, MaxRetries: 1}
			var states []ReadyState
			c.OnStateChange = func(_ *Stream, st ReadyState) { states = append(states, st) }
			s := mustNewStream(t, c, "GET", memURL, "")
			if !s.Next() || s.Event().Data != "a" {
				t.Fatalf("first event: %v, Err %v", s.Event(), s.Err())
			}
			next := make(chan bool)
			go func() { next <- s.Next() }()
			start := time.Now()
			for n := 2; n <= 4; n++ {
				synctest.Wait() // Next is blocked reading connection n-1
				s.Reconnect()
				// In the bubble, the timeout fires only if nothing else can
				// happen: the reconnect did not.
				select {
				case <-h.Arrived(n):
				case ok := <-next:
					t.Fatalf("Reconnect %d: Next = %v, Err %v", n-1, ok, s.Err())
				case <-time.After(time.Minute):
					t.Fatalf("Reconnect %d: no new connection", n-1)
				}
			}
			if !<-next || s.Event().Data != "b" {
				t.Fatalf("after Reconnect: %v, Err %v", s.Event(), s.Err())
			}
			if d := time.Since(start); d != 0 {
				t.Errorf("reconnecting took %v, want no wait", d)
			}
			want := []ReadyState{StateOpen, StateConnecting, StateOpen, StateConnecting, StateOpen, StateConnecting, StateOpen}
			if diff := cmp.Diff(want, states); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
		})
	})
	t.Run("WhileWaitingForHeaders", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			_, hc := memScripts(t,
				ssetest.Script{stallHeaders()},
				ssetest.Script{ssetest.RequireLastEventID("7"), ssetest.Data("b")},
			)
			c := &Client{HTTPClient: hc, ReconnectionTime: time.Hour, MaxRetries: 1}
			req := newRequest(t, "GET", memURL, "")
			req.Header.Set("Last-Event-ID", "7")
			s, err := c.NewStream(req)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			next := make(chan bool)
			go func() { next <- s.Next() }()
			synctest.Wait() // the request is out, its headers awaited
			start := time.Now()
			s.Reconnect()
			if !<-next || s.Event().Data != "b" {
				t.Fatalf("after Reconnect: %v, Err %v", s.Event(), s.Err())
			}
			if d := time.Since(start); d != 0 {
				t.Errorf("reconnecting took %v, want no wait", d)
			}
		})
	})
	t.Run("WhileWaitingToReconnect", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			_, hc := memScripts(t,
				ssetest.Script{ssetest.Send(ssetest.Event{ID: "1", Data: "a"})},
				ssetest.Script{ssetest.RequireLastEventID("1"), ssetest.Data("b")},
			)
			waiting := make(chan time.Duration)
			c := &Client{HTTPClient: hc, ReconnectionTime: time.Hour,
				OnReconnect: func(_ *Stream, ri ReconnectInfo) { waiting <- ri.Delay }}
			s := mustNewStream(t, c, "GET", memURL, "")
			if !s.Next() || s.Event().Data != "a" {
				t.Fatalf("first event: %v, Err %v", s.Event(), s.Err())
			}
			next := make(chan bool)
			go func() { next <- s.Next() }() // the server ends; Next waits to reconnect
			if d := <-waiting; d != DefaultMaxReconnectionTime {
				t.Errorf("delay %v, want the cap, %v", d, DefaultMaxReconnectionTime)
			}
			synctest.Wait() // in the wait
			start := time.Now()
			s.Reconnect()
			if !<-next || s.Event().Data != "b" {
				t.Fatalf("after Reconnect: %v, Err %v", s.Event(), s.Err())
			}
			if d := time.Since(start); d != 0 {
				t.Errorf("reconnecting took %v, want no wait", d)
			}
		})
	})
	// A Reconnect before the first attempt is carried out by that attempt;
	// it must not also cut short the wait after it.
	t.Run("BeforeFirstNext", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			_, hc := memScripts(t, ssetest.Script{ssetest.Respond(503, "")}, ssetest.Script{ssetest.Data("b")})
			c := &Client{HTTPClient: hc, ReconnectionTime: time.Second}
			s := mustNewStream(t, c, "GET", memURL, "")
			s.Reconnect()
			start := time.Now()
			if !s.Next() || s.Event().Data != "b" {
				t.Fatalf("Next: %v, Err %v", s.Event(), s.Err())
			}
			if d := time.Since(start); d < time.Second {
				t.Errorf("waited %v after the 503, want the reconnection time (1s) or more", d)
			}
		})
	})
	t.Run("DoStream", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			release := make(chan struct{})
			h, hc := memScripts(t, ssetest.Script{ssetest.Data("a"), ssetest.Wait(release), ssetest.Data("b")})
			s := mustDo(t, &Client{HTTPClient: hc}, "GET", memURL, "")
			if !s.Next() {
				t.Fatal(s.Err())
			}
			s.Reconnect() // does nothing: Do never reconnects
			close(release)
			if evs := readAll(s); len(evs) != 1 || evs[0].Data != "b" || s.Err() != nil {
				t.Errorf("after Reconnect: events %v, Err %v; want b, then a clean end", evs, s.Err())
			}
			if n := len(h.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	})
}

// scriptedBackOff is a backoff.BackOff that returns its delays in turn,
// then backoff.Stop, and counts its resets.
type scriptedBackOff struct {
	delays []time.Duration
	next   int
	resets int
}

func (b *scriptedBackOff) NextBackOff() time.Duration {
	if b.next >= len(b.delays) {
		return backoff.Stop
	}
	b.next++
	return b.delays[b.next-1]
}

func (b *scriptedBackOff) Reset() { b.resets++ }

// A custom BackOff makes the delays; the server's retry is still the
// least delay and MaxReconnectionTime the most, and its Stop gives up.
func TestNewBackOff(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Retry(time.Second), ssetest.Data("a")},
		ssetest.Script{ssetest.Respond(503, "")},
		ssetest.Script{ssetest.Respond(503, "")},
		ssetest.Script{ssetest.Respond(503, "busy")},
		ssetest.Script{ssetest.Data("never")},
	)
	c, rec := testClient(srv)
	c.MaxReconnectionTime = time.Minute
	bo := &scriptedBackOff{delays: []time.Duration{50 * time.Millisecond, 5 * time.Second, 20 * time.Minute}}
	var made int
	c.NewBackOff = func() backoff.BackOff { made++; return bo }
	s := mustNewStream(t, c, "GET", srv.URL, "")
	if evs := readAll(s); len(evs) != 1 {
		t.Errorf("events %v", evs)
	}
	// 50 ms is below the server's retry, 20 min above the cap.
	if diff := cmp.Diff([]time.Duration{time.Second, 5 * time.Second, time.Minute}, rec.Delays()); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	if made != 1 || bo.resets != 1 {
		t.Errorf("NewBackOff called %d times, Reset %d times; want 1 and 1 (after the connection that delivered)", made, bo.resets)
	}
	var gu *GaveUpError
	var re *ResponseError
	if !errors.Is(s.Err(), ErrGaveUp) || !errors.As(s.Err(), &gu) || !errors.As(gu.Err, &re) || string(re.Body) != "busy" {
		t.Fatalf("Err = %v, want a *GaveUpError of the last 503", s.Err())
	}
	// The failures count from the end of the connection that delivered.
	if gu.Attempts != 4 || gu.Elapsed != time.Minute+6*time.Second {
		t.Errorf("GaveUpError{Attempts: %d, Elapsed: %v}, want 4 and 1m6s", gu.Attempts, gu.Elapsed)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
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
			if resp.StatusCode == 299 && isEventStream(resp.Header) {
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

// One Client serves many streams at once: each observer call names the
// stream it is about.
func TestObserversReceiveTheirStream(t *testing.T) {
	checkLeaks(t)
	type record struct {
		Comments   []string
		States     []ReadyState
		Reconnects int
	}
	var mu sync.Mutex
	seen := map[*Stream]*record{}
	get := func(s *Stream) *record {
		mu.Lock()
		defer mu.Unlock()
		if seen[s] == nil {
			seen[s] = &record{}
		}
		return seen[s]
	}
	c := &Client{
		ReconnectionTime: time.Millisecond,
		sleep:            newRecorder().sleep,
		OnComment: func(s *Stream, b []byte) {
			r := get(s)
			r.Comments = append(r.Comments, string(b))
		},
		OnStateChange: func(s *Stream, st ReadyState) {
			r := get(s)
			mu.Lock()
			r.States = append(r.States, st)
			mu.Unlock()
		},
		OnReconnect: func(s *Stream, _ ReconnectInfo) { get(s).Reconnects++ },
	}
	script := func(name string, n int) []ssetest.Script {
		var ss []ssetest.Script
		for i := range n {
			ss = append(ss, ssetest.Script{ssetest.Comment(fmt.Sprint(name, i)), ssetest.Data("x")})
		}
		return ss
	}
	srvA := ssetest.New(t, script("a", 3)...)
	srvB := ssetest.New(t, script("b", 5)...)
	c.HTTPClient = srvA.Client() // plain HTTP: the same for both
	a := mustNewStream(t, c, "GET", srvA.URL, "")
	b := mustNewStream(t, c, "GET", srvB.URL, "")
	var wg sync.WaitGroup
	for _, s := range []*Stream{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			readAll(s)
		}()
	}
	wg.Wait()
	states := func(n int) []ReadyState {
		var st []ReadyState
		for range n {
			st = append(st, StateOpen, StateConnecting)
		}
		return append(st, StateClosed)
	}
	want := map[*Stream]*record{
		a: {Comments: []string{"a0", "a1", "a2"}, States: states(3), Reconnects: 3},
		b: {Comments: []string{"b0", "b1", "b2", "b3", "b4"}, States: states(5), Reconnects: 5},
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("observed per stream (-want +got):\n%s", diff)
	}
}

// PrepareRequest learns each attempt's number, last event ID, previous
// response and error, and may send another request (MCP resumes a POST's
// stream with a GET elsewhere); the client still sets Accept,
// Cache-Control and Last-Event-ID on it.
func TestPrepareRequestResume(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Header("Mcp-Session-Id", "s1"), ssetest.Send(ssetest.Event{ID: "1", Data: "a"}), ssetest.Drop()},
		ssetest.Script{ssetest.Header("Mcp-Session-Id", "s2"), ssetest.Send(ssetest.Event{ID: "2", Data: "b"})},
	)
	c, _ := testClient(srv)
	type seen struct {
		N           int
		LastEventID string
		Session     string // of the previous response
		Err         string // what the previous attempt's error is
	}
	var attempts []seen
	c.PrepareRequest = func(req *http.Request, a Attempt) (*http.Request, error) {
		sn := seen{N: a.N, LastEventID: a.LastEventID}
		if a.Response != nil {
			sn.Session = a.Response.Header.Get("Mcp-Session-Id")
		}
		switch {
		case a.Err == nil:
		case errors.Is(a.Err, ErrResponseEnded):
			sn.Err = "ended"
		default:
			sn.Err = "other"
		}
		attempts = append(attempts, sn)
		if a.N == 1 {
			return req, nil
		}
		get, err := http.NewRequest("GET", req.URL.String()+"resume?session="+sn.Session, nil)
		if err != nil {
			return nil, err
		}
		get.Header.Set("Mcp-Session-Id", sn.Session)
		get.Header.Set("Last-Event-ID", "stale") // the client's ID wins
		return get, nil
	}
	req := newRequest(t, "POST", srv.URL+"/", `{"method":"tools/call"}`)
	req.Header.Set("Authorization", "Bearer t")
	s, err := c.NewStream(req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if evs := readAll(s); len(evs) != 2 || !errors.Is(s.Err(), ErrNoContent) {
		t.Fatalf("events %v, Err %v", evs, s.Err())
	}
	want := []seen{{N: 1}, {2, "1", "s1", "other"}, {3, "2", "s2", "ended"}}
	if diff := cmp.Diff(want, attempts); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	type sent struct {
		Method, URI, Body                                      string
		Accept, CacheControl, LastEventID, Session, Authorized string
	}
	var got []sent
	for _, r := range srv.Requests() {
		got = append(got, sent{r.Method, r.URL.RequestURI(), string(r.Body),
			r.Header.Get("Accept"), r.Header.Get("Cache-Control"), r.Header.Get("Last-Event-ID"),
			r.Header.Get("Mcp-Session-Id"), r.Header.Get("Authorization")})
	}
	wantSent := []sent{
		{"POST", "/", `{"method":"tools/call"}`, "text/event-stream", "no-cache", "", "", "Bearer t"},
		{"GET", "/resume?session=s1", "", "text/event-stream", "no-cache", "1", "s1", ""},
		{"GET", "/resume?session=s2", "", "text/event-stream", "no-cache", "2", "s2", ""},
	}
	if diff := cmp.Diff(wantSent, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// No exported method of a zero Stream panics, and Next says why it
// returns false. A nil *Client returns an error.
func TestZeroValues(t *testing.T) {
	checkLeaks(t)
	var s Stream
	// Before Next too: the zero Stream will never connect.
	if st, err := s.State(), s.Err(); st != StateClosed || err == nil {
		t.Errorf("zero Stream before Next: State %v, Err %v; want closed and an error", st, err)
	}
	if s.Next() {
		t.Error("Next on a zero Stream = true")
	}
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "zero Stream") {
		t.Errorf("Err = %v, want one that names the zero Stream", err)
	}
	for ev, err := range s.All() {
		if err == nil {
			t.Errorf("All yielded %v", ev)
		}
	}
	// The rest must merely not panic, and give zero answers.
	if ev, id := s.Event(), s.LastEventID(); ev != (Event{}) || id != "" || s.Data() != nil || s.Type() != nil || s.ID() != nil {
		t.Errorf("zero Stream: Event %+v, LastEventID %q, Data %q", ev, id, s.Data())
	}
	if s.Response() != nil {
		t.Errorf("zero Stream: Response = %v", s.Response())
	}
	s.Reconnect()
	if err := s.Close(); err != nil || s.Close() != nil || s.State() != StateClosed {
		t.Errorf("zero Stream: Close = %v, then State %v", err, s.State())
	}

	var c *Client
	req := newRequest(t, "GET", "http://127.0.0.1:1/", "")
	if s, err := c.NewStream(req); s != nil || err == nil {
		t.Errorf("nil Client: NewStream = %v, %v", s, err)
	}
	if s, err := c.Do(req); s != nil || err == nil {
		t.Errorf("nil Client: Do = %v, %v", s, err)
	}
}

// A request without a header map, which http.Client.Do accepts, works with
// Do, NewStream and a PrepareRequest that returns one.
func TestNilHeader(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Send(ssetest.Event{ID: "1", Data: "do"})},
		ssetest.Script{ssetest.Send(ssetest.Event{ID: "1", Data: "a"}), ssetest.Drop()},
		ssetest.Script{ssetest.RequireLastEventID("1"), ssetest.Respond(204, "")},
		ssetest.Script{ssetest.Send(ssetest.Event{ID: "1", Data: "b"}), ssetest.Drop()},
		ssetest.Script{ssetest.RequireLastEventID("1"), ssetest.Respond(204, "")},
	)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	bare := func() *http.Request { return &http.Request{Method: "GET", URL: u} }
	c, _ := testClient(srv)
	s, err := c.Do(bare())
	if err != nil {
		t.Fatal(err)
	}
	if evs := readAll(s); len(evs) != 1 || s.Err() != nil {
		t.Errorf("Do: events %v, Err %v", evs, s.Err())
	}
	for _, prepare := range []func(*http.Request, Attempt) (*http.Request, error){
		nil,
		func(*http.Request, Attempt) (*http.Request, error) { return bare(), nil },
	} {
		c.PrepareRequest = prepare
		s, err := c.NewStream(bare())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if evs := readAll(s); len(evs) != 1 || !errors.Is(s.Err(), ErrNoContent) {
			t.Errorf("NewStream (PrepareRequest %v): events %v, Err %v", prepare != nil, evs, s.Err())
		}
	}
	for i, r := range srv.Requests() {
		if got := r.Header.Get("Accept"); got != "text/event-stream" {
			t.Errorf("request %d: Accept %q", i+1, got)
		}
	}
}

// A request that PrepareRequest returns is the caller's: the client sets
// its headers on a copy, so a request made once and returned for every
// attempt, by any number of streams at once, is never changed (nor raced
// on).
func TestPrepareRequestResultNotChanged(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t)
	srv.After = ssetest.Script{ssetest.Send(ssetest.Event{ID: "1", Data: "a"})}
	c, _ := testClient(srv)
	c.MaxRetries = 1
	shared, _ := http.NewRequest("GET", srv.URL, nil)
	shared.Header.Set("X-Token", "t")
	c.PrepareRequest = func(*http.Request, Attempt) (*http.Request, error) { return shared, nil }
	var wg sync.WaitGroup
	for range 4 {
		s := mustNewStream(t, c, "GET", srv.URL, "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 5 && s.Next(); n++ {
			}
			s.Close()
		}()
	}
	wg.Wait()
	if diff := cmp.Diff(http.Header{"X-Token": {"t"}}, shared.Header); diff != "" {
		t.Errorf("the request PrepareRequest returned was changed (-want +got):\n%s", diff)
	}
	for i, r := range srv.Requests() {
		if r.Header.Get("X-Token") != "t" || r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("request %d: headers %v", i+1, r.Header)
		}
	}
}

// The default redirect policy keeps the caller's credentials at home: a
// redirect to another origin (another port, a downgrade to http, another
// host) carries none of the request's headers but the harmless ones, a
// header PrepareRequest set included; no redirect adds a Referer; and an
// HTTPClient's own CheckRedirect replaces the policy.
func TestRedirectPolicy(t *testing.T) {
	checkLeaks(t)
	secret := []string{"Authorization", "Cookie", "X-Api-Key", "X-Attempt-Token"}
	// redirector answers every request with a 307 to target, or to the
	// path target on its own server.
	redirector := func(target string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusTemporaryRedirect)
		})
	}
	plain := ssetest.New(t) // the target of the cross-origin cases
	plain.After = ssetest.Script{ssetest.Data("x")}
	plainURL := func(host string) string {
		u, _ := url.Parse(plain.URL)
		return "http://" + host + ":" + u.Port() + "/target"
	}
	startServer := func(h http.Handler, tls bool) *httptest.Server {
		var srv *httptest.Server
		if tls {
			srv = httptest.NewTLSServer(h)
		} else {
			srv = httptest.NewServer(h)
		}
		t.Cleanup(srv.Close)
		t.Cleanup(srv.Client().CloseIdleConnections)
		return srv
	}
	for _, tt := range []struct {
		name string
		// start returns the URL to request, the http.Client to use and
		// the handler that the redirect reaches.
		start func() (string, *http.Client, *ssetest.Handler)
		kept  bool // credentials reach the target
	}{
		{"SameOrigin", func() (string, *http.Client, *ssetest.Handler) {
			h := ssetest.NewHandler()
			h.After = ssetest.Script{ssetest.Data("x")}
			mux := http.NewServeMux()
			mux.Handle("/old", redirector("/new"))
			mux.Handle("/new", h)
			srv := startServer(mux, false)
			return srv.URL + "/old", srv.Client(), h
		}, true},
		{"OtherPort", func() (string, *http.Client, *ssetest.Handler) {
			srv := startServer(redirector(plainURL("127.0.0.1")), false)
			return srv.URL, srv.Client(), plain.Handler
		}, false},
		{"Downgrade", func() (string, *http.Client, *ssetest.Handler) {
			srv := startServer(redirector(plainURL("127.0.0.1")), true)
			return srv.URL, srv.Client(), plain.Handler
		}, false},
		{"OtherHost", func() (string, *http.Client, *ssetest.Handler) {
			srv := startServer(redirector(plainURL("localhost")), false)
			return srv.URL, srv.Client(), plain.Handler
		}, false},
		{"OwnCheckRedirect", func() (string, *http.Client, *ssetest.Handler) {
			srv := startServer(redirector(plainURL("127.0.0.1")), false)
			hc := &http.Client{Transport: srv.Client().Transport, CheckRedirect: func(req *http.Request, via []*http.Request) error {
				// The user's policy: send everything along.
				for _, k := range secret {
					req.Header.Set(k, via[0].Header.Get(k))
				}
				return nil
			}}
			return srv.URL, hc, plain.Handler
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start, hc, target := tt.start()
			before := len(target.Requests())
			c, _ := recordedClient(hc)
			c.PrepareRequest = func(req *http.Request, _ Attempt) (*http.Request, error) {
				req.Header.Set("X-Attempt-Token", "secret")
				return req, nil
			}
			req := newRequest(t, "GET", start, "")
			req.Header.Set("Authorization", "Bearer secret")
			req.Header.Set("Cookie", "session=secret")
			req.Header.Set("X-Api-Key", "secret")
			req.Header.Set("Last-Event-ID", "5")
			req.Header.Set("Accept-Language", "fr")
			s, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if evs := readAll(s); len(evs) != 1 || s.Err() != nil {
				t.Fatalf("events %v, Err %v", evs, s.Err())
			}
			reqs := target.Requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("%d requests reached the target, want 1", len(reqs))
			}
			got := reqs[0].Header
			for _, k := range secret {
				if sent := got.Get(k) != ""; sent != tt.kept {
					t.Errorf("%s sent: %v, want %v", k, sent, tt.kept)
				}
			}
			for k, v := range map[string]string{"Accept": "text/event-stream", "Cache-Control": "no-cache", "Last-Event-ID": "5", "Accept-Language": "fr"} {
				if got.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, got.Get(k), v)
				}
			}
			if ref := got.Get("Referer"); ref != "" && tt.name != "OwnCheckRedirect" {
				t.Errorf("Referer %q added", ref)
			}
		})
	}
}

// checkRedirect on its own, for the cases two test servers cannot make:
// a downgrade to the same port, default ports written out, case.
func TestCheckRedirect(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		kept     bool
	}{
		{"http://h/a", "http://h/b", true},
		{"http://h/a", "http://h:80/b", true},
		{"https://h/a", "https://h:443/b", true},
		{"https://H/a", "https://h/b", true},
		{"https://h:8443/a", "http://h:8443/b", false}, // downgrade, same port
		{"http://h:8080/a", "https://h:8080/b", false}, // another scheme
		{"http://h:1/a", "http://h:2/b", false},
		{"http://h/a", "http://sub.h/b", false},
		{"https://h/a", "http://h/b", false},
	} {
		first := httptest.NewRequest("GET", tt.from, nil)
		first.Header.Set("Authorization", "Bearer secret")
		first.Header.Set("X-Api-Key", "secret")
		first.Header.Set("Accept", "text/event-stream")
		req := httptest.NewRequest("GET", tt.to, nil)
		req.Header = first.Header.Clone()
		req.Header.Set("Referer", tt.from) // as net/http adds it
		if err := checkRedirect(req, []*http.Request{first}); err != nil {
			t.Fatal(err)
		}
		want := http.Header{"Accept": {"text/event-stream"}}
		if tt.kept {
			want["Authorization"] = []string{"Bearer secret"}
			want["X-Api-Key"] = []string{"secret"}
		}
		if diff := cmp.Diff(want, req.Header); diff != "" {
			t.Errorf("%s -> %s: headers (-want +got):\n%s", tt.from, tt.to, diff)
		}
	}
	via := make([]*http.Request, maxRedirects)
	for i := range via {
		via[i] = httptest.NewRequest("GET", "http://h/", nil)
	}
	if err := checkRedirect(httptest.NewRequest("GET", "http://h/", nil), via); err == nil {
		t.Errorf("redirect %d followed", maxRedirects+1)
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

// Retry-After is honoured on every refused response that is retried: 429,
// 503 and any 5xx, 408, and one that CheckResponse marks Retryable; in
// seconds or as a date; capped by MaxReconnectionTime, however large.
func TestRetryAfterStatuses(t *testing.T) {
	checkLeaks(t)
	date := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Header("Retry-After", "7"), ssetest.Respond(429, "")},
		ssetest.Script{ssetest.Header("Retry-After", "8"), ssetest.Respond(500, "")},
		ssetest.Script{ssetest.Header("Retry-After", "9"), ssetest.Respond(408, "")},
		ssetest.Script{ssetest.Header("Retry-After", "10"), ssetest.Respond(401, "refresh")},
		ssetest.Script{ssetest.Header("Retry-After", date), ssetest.Respond(503, "")},
		// 2^32 seconds and more: the longest wait there is, capped.
		ssetest.Script{ssetest.Header("Retry-After", "4294967296"), ssetest.Respond(503, "")},
		ssetest.Script{ssetest.Header("Retry-After", "99999999999999999999999"), ssetest.Respond(503, "")},
	)
	c, rec := testClient(srv)
	c.MaxReconnectionTime = 2 * time.Minute
	c.CheckResponse = func(resp *http.Response) error {
		if resp.StatusCode == http.StatusUnauthorized {
			return Retryable(DefaultCheckResponse(resp))
		}
		return DefaultCheckResponse(resp)
	}
	s := mustNewStream(t, c, "GET", srv.URL, "")
	readAll(s)
	d := rec.Delays()
	if len(d) != 7 {
		t.Fatalf("delays %v, want 7", d)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second, 8 * time.Second, 9 * time.Second, 10 * time.Second}, d[:4]); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	if d[4] < 20*time.Second || d[4] > 31*time.Second {
		t.Errorf("Retry-After date 30s away: delay %v", d[4])
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Minute, 2 * time.Minute}, d[5:]); diff != "" {
		t.Errorf("huge Retry-After: delays (-want +got):\n%s", diff)
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

// closeCounter is a request body that counts its Close calls.
type closeCounter struct {
	io.Reader
	closed *atomic.Int32
}

func (c closeCounter) Close() error { c.closed.Add(1); return nil }

func TestPrepareRequestReplacedBodyClosed(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Send(ssetest.Event{ID: "1", Data: "a"}), ssetest.Drop()},
		ssetest.Script{ssetest.Data("b")},
	)
	c, _ := testClient(srv)
	var made, closed atomic.Int32
	c.PrepareRequest = func(req *http.Request, a Attempt) (*http.Request, error) {
		if a.N == 1 {
			return req, nil
		}
		return http.NewRequest("GET", req.URL.String(), nil)
	}
	req := newRequest(t, "POST", srv.URL, "call")
	req.GetBody = func() (io.ReadCloser, error) {
		made.Add(1)
		return closeCounter{strings.NewReader("call"), &closed}, nil
	}
	s, err := c.NewStream(req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := readAll(s); len(got) != 2 {
		t.Fatalf("got %d events, want 2", len(got))
	}
	if made.Load() == 0 || closed.Load() != made.Load() {
		t.Errorf("GetBody made %d bodies, %d were closed", made.Load(), closed.Load())
	}
}
