package sse

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ssekit/sse/ssetest"
)

// Tests of the idle timeout. They run in a synctest bubble, where the
// timeouts are exact and no real time passes.

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
