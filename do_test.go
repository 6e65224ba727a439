package sse

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ssekit/sse/ssetest"
)

// Tests of Client.Do: one request, returned at its headers, never
// reconnected.

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
		if !errors.Is(s.Err(), io.ErrUnexpectedEOF) {
			t.Errorf("Err = %v, want the read error, io.ErrUnexpectedEOF", s.Err())
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
