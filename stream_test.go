package sse

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ssekit/sse/ssetest"
)

// Tests of a Stream's life: its states, Reconnect, All, the observers,
// its zero value.

func TestReadyStateString(t *testing.T) {
	for st, want := range map[ReadyState]string{StateConnecting: "connecting", StateOpen: "open", StateClosed: "closed", 7: "ReadyState(7)"} {
		if st.String() != want {
			t.Errorf("%d.String() = %q, want %q", st, st.String(), want)
		}
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
		if ri.N != i+2 || ri.Delay <= 0 || ri.Err == nil {
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

func TestUnfinishedEventDiscarded(t *testing.T) {
	checkLeaks(t)
	// By hand: events cut before their blank line, which the Writer
	// never writes.
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
	var re *ResponseError
	if diff := cmp.Diff([]string{"1", "2"}, data); diff != "" || !errors.As(last, &re) || re.StatusCode != 404 {
		t.Errorf("data (-want +got):\n%s, last error %v, want the 404", diff, last)
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
			checkReconnectedAtOnce(t, s, next, start, "b")
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
			checkReconnectedAtOnce(t, s, next, start, "b")
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
			checkReconnectedAtOnce(t, s, next, start, "b")
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
	var yields []string
	for ev, err := range s.All() {
		yields = append(yields, fmt.Sprintf("%+v, %v", ev, err))
	}
	if len(yields) != 1 || !strings.Contains(yields[0], "zero Stream") {
		t.Errorf("All yielded %q, want only the zero Stream's error", yields)
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
	if s, err := c.NewStream(req); s != nil || err == nil || !strings.Contains(err.Error(), "nil *Client") {
		t.Errorf("nil Client: NewStream = %v, %v; want an error that names the nil Client", s, err)
	}
	if s, err := c.Do(req); s != nil || err == nil || !strings.Contains(err.Error(), "nil *Client") {
		t.Errorf("nil Client: Do = %v, %v; want an error that names the nil Client", s, err)
	}
}

// checkReconnectedAtOnce checks that the Next whose result next carries
// returned the event with data want, and that the bubble's clock has not
// moved since start: the reconnect waited for nothing.
func checkReconnectedAtOnce(t *testing.T, s *Stream, next <-chan bool, start time.Time, want string) {
	t.Helper()
	if !<-next || s.Event().Data != want {
		t.Fatalf("after Reconnect: %v, Err %v", s.Event(), s.Err())
	}
	if d := time.Since(start); d != 0 {
		t.Errorf("reconnecting took %v, want no wait", d)
	}
}
