package sse

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ssekit/sse/ssetest"
)

// Tests of the requests the client sends: headers, Last-Event-ID, bodies,
// PrepareRequest.

func TestHeadersOnEachAttempt(t *testing.T) {
	checkLeaks(t)
	// By hand: an event cut before its blank line, and an "id" field
	// without a colon (an empty ID, which resets the last event ID), bytes
	// the Writer never writes.
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

func TestUnsendableLastEventIDEnds(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t, ssetest.Script{ssetest.Send(ssetest.Event{ID: "a\x01b", Data: "x"})})
	c, _ := testClient(srv)
	s := mustNewStream(t, c, "GET", srv.URL, "")
	if evs := readAll(s); len(evs) != 1 {
		t.Errorf("events %v", evs)
	}
	if s.Err() == nil || !strings.Contains(s.Err().Error(), "Last-Event-ID") || len(srv.Requests()) != 1 {
		t.Errorf("Err = %v, %d requests", s.Err(), len(srv.Requests()))
	}
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
	if _, err := c.NewStream(nil); err == nil || !strings.Contains(err.Error(), "no URL") {
		t.Errorf("NewStream(nil) = %v, want the request's missing URL", err)
	}
	if _, err := c.Do(nil); err == nil || !strings.Contains(err.Error(), "no URL") {
		t.Errorf("Do(nil) = %v, want the request's missing URL", err)
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

func TestPrepareRequest(t *testing.T) {
	checkLeaks(t)
	t.Run("Attempts", func(t *testing.T) {
		srv := ssetest.New(t,
			ssetest.Script{ssetest.RequireHeader("Authorization", "Bearer 1"), ssetest.Respond(503, "")},
			ssetest.Script{ssetest.RequireHeader("Authorization", "Bearer 2"), ssetest.Data("x")},
		)
		c, _ := testClient(srv)
		// Each OnReconnect names the attempt that PrepareRequest is
		// given next.
		var calls []string
		c.PrepareRequest = func(req *http.Request, a Attempt) (*http.Request, error) {
			calls = append(calls, fmt.Sprintf("PrepareRequest %d", a.N))
			req.Header.Set("Authorization", fmt.Sprintf("Bearer %d", a.N))
			return req, nil
		}
		c.OnReconnect = func(_ *Stream, r ReconnectInfo) {
			calls = append(calls, fmt.Sprintf("OnReconnect %d", r.N))
		}
		s := mustNewStream(t, c, "GET", srv.URL, "")
		readAll(s)
		want := []string{"PrepareRequest 1", "OnReconnect 2", "PrepareRequest 2", "OnReconnect 3", "PrepareRequest 3"}
		if diff := cmp.Diff(want, calls); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
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
