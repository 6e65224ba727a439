package sse

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssekit/sse/ssetest"
)

// recorder is an injected sleep that returns at once and records the
// delays asked for, and a fake clock that the delays advance.
type recorder struct {
	mu     sync.Mutex
	delays []time.Duration
	clock  time.Time
}

func newRecorder() *recorder {
	return &recorder{clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	r.clock = r.clock.Add(d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *recorder) now() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clock
}

func (r *recorder) Delays() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.delays...)
}

// testClient returns a Client for srv whose waits are recorded, not slept.
func testClient(srv *ssetest.Server) (*Client, *recorder) {
	rec := newRecorder()
	return &Client{
		HTTPClient:       srv.Client(),
		ReconnectionTime: 10 * time.Millisecond,
		sleep:            rec.sleep,
		now:              rec.now,
	}, rec
}

func mustConnect(t testing.TB, c *Client, method, url, body string) *Stream {
	t.Helper()
	var req *http.Request
	var err error
	if body != "" {
		req, err = http.NewRequest(method, url, strings.NewReader(body))
	} else {
		req, err = http.NewRequest(method, url, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Connect(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// readAll reads the stream to its end.
func readAll(s *Stream) []Event {
	var evs []Event
	for s.Next() {
		evs = append(evs, s.Event())
	}
	return evs
}

// checkLeaks fails the test if, once it and its cleanups registered
// before checkLeaks have run, more goroutines are running than at the
// start. Call it first, so that it runs after the other cleanups.
func checkLeaks(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d before, %d after:\n%s", before, n, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
