package sse

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ssekit/sse/ssetest"
)

// Tests of how a Stream ends from outside: Close and the request's
// context, at any moment.

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

// A Close (or the end of the request's context) that lands while the
// reader is deciding how an attempt ended, after it last looked at the
// context, still ends the stream with ErrClosed (or the context's error).
// TestCloseAtAnyMoment meets this window by chance; here the Client's
// callbacks, which run inside it, make it land there every time.
func TestCloseWhileDeciding(t *testing.T) {
	checkLeaks(t)
	// elsewhere calls f on another goroutine and waits for it to return,
	// as a Close from outside that returns before the reader goes on.
	elsewhere := func(f func()) {
		done := make(chan struct{})
		go func() { defer close(done); f() }()
		<-done
	}
	cause := errors.New("user left")
	for _, tc := range []struct {
		name  string
		setup func(c *Client, s func() *Stream, cancel context.CancelCauseFunc)
		want  []error
	}{
		{"ShouldRetry", func(c *Client, s func() *Stream, _ context.CancelCauseFunc) {
			c.ShouldRetry = func(error) bool { elsewhere(func() { s().Close() }); return false }
		}, []error{ErrClosed}},
		{"NextBackOff", func(c *Client, s func() *Stream, _ context.CancelCauseFunc) {
			c.NewBackOff = func() BackOff {
				return backOffFunc(func() time.Duration { elsewhere(func() { s().Close() }); return -1 })
			}
		}, []error{ErrClosed}},
		{"RequestContext", func(c *Client, s func() *Stream, cancel context.CancelCauseFunc) {
			c.ShouldRetry = func(error) bool { elsewhere(func() { cancel(cause) }); return false }
		}, []error{context.Canceled, cause}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ssetest.New(t, ssetest.Script{ssetest.Respond(503, "")})
			c, _ := testClient(srv)
			var s *Stream
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			tc.setup(c, func() *Stream { return s }, cancel)
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
			s, _ = c.NewStream(req)
			defer s.Close()
			if s.Next() {
				t.Fatal("Next = true")
			}
			for _, want := range tc.want {
				if !errors.Is(s.Err(), want) {
					t.Errorf("Err = %v, want it to wrap %v", s.Err(), want)
				}
			}
			if s.State() != StateClosed {
				t.Errorf("State = %v", s.State())
			}
		})
	}
}

// backOffFunc is a BackOff whose NextBackOff is the function.
type backOffFunc func() time.Duration

func (f backOffFunc) NextBackOff() time.Duration { return f() }
func (backOffFunc) Reset()                       {}

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
