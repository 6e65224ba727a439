package sse

import (
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/ssekit/sse/ssetest"
)

// Tests of how long the reconnect loop waits: the backoff, the server's
// retry field, Retry-After.

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
			ssetest.Script{ssetest.Retry(99999999999 * time.Millisecond), ssetest.Data("1")},
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

// scriptedBackOff is a BackOff that returns its delays in turn,
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
	c.NewBackOff = func() BackOff { made++; return bo }
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

// Values of cenkalti/backoff v4 and a type of the caller's own plug into
// NewBackOff as they are; any negative delay, not only backoff.Stop, gives
// up.
func TestBackOffPolicies(t *testing.T) {
	tests := []struct {
		name       string
		newBackOff func() BackOff
		want       []time.Duration
	}{{
		name: "v4 ExponentialBackOff",
		newBackOff: func() BackOff {
			return backoff.NewExponentialBackOff(
				backoff.WithInitialInterval(time.Second),
				backoff.WithRandomizationFactor(0),
				backoff.WithMultiplier(2))
		},
		want: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
	}, {
		name:       "v4 ConstantBackOff",
		newBackOff: func() BackOff { return backoff.NewConstantBackOff(7 * time.Second) },
		want:       []time.Duration{7 * time.Second, 7 * time.Second, 7 * time.Second},
	}, {
		name:       "v4 WithMaxRetries",
		newBackOff: func() BackOff { return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Second), 1) },
		want:       []time.Duration{time.Second},
	}, {
		name:       "own type, -5 gives up",
		newBackOff: func() BackOff { return &ownBackOff{delays: []time.Duration{time.Second, -5}} },
		want:       []time.Duration{time.Second},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			srv := ssetest.New(t,
				ssetest.Script{ssetest.Respond(503, "")},
				ssetest.Script{ssetest.Respond(503, "")},
				ssetest.Script{ssetest.Respond(503, "")},
			)
			srv.After = ssetest.Script{ssetest.Respond(503, "")}
			c, rec := testClient(srv)
			c.MaxRetries = 3
			c.NewBackOff = tt.newBackOff
			s := mustNewStream(t, c, "GET", srv.URL, "")
			readAll(s)
			if !errors.Is(s.Err(), ErrGaveUp) {
				t.Errorf("Err = %v, want ErrGaveUp", s.Err())
			}
			if diff := cmp.Diff(tt.want, rec.Delays()); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
}

// ownBackOff is a BackOff written without cenkalti/backoff: its delays in
// turn, then the last one again.
type ownBackOff struct {
	delays []time.Duration
	n      int
}

func (b *ownBackOff) NextBackOff() time.Duration {
	d := b.delays[min(b.n, len(b.delays)-1)]
	b.n++
	return d
}

func (b *ownBackOff) Reset() { b.n = 0 }

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
		ssetest.Script{ssetest.Retry(9223372036854 * time.Millisecond), ssetest.Data("a")},
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
