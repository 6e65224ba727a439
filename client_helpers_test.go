package sse

import (
	"context"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ssekit/sse/ssetest"
)

func TestMain(m *testing.M) {
	// BenchmarkIdleStreams and BenchmarkClientCPU run the test binary
	// again as their server, in another process, so that the memory or
	// the CPU time they measure is the client's.
	switch {
	case os.Getenv(idleServerEnv) == "1":
		idleServer()
		return
	case os.Getenv(streamServerEnv) == "1":
		streamServer()
		return
	}
	os.Exit(m.Run())
}

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

func (r *recorder) sleep(ctx context.Context, wake <-chan struct{}, d time.Duration) error {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	r.clock = r.clock.Add(d)
	r.mu.Unlock()
	// The wait is over at once either way; a pending Reconnect is used up
	// by it, as by the real sleep.
	select {
	case <-wake:
	default:
	}
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
	return recordedClient(srv.Client())
}

// recordedClient returns a Client using hc whose waits are recorded, not
// slept.
func recordedClient(hc *http.Client) (*Client, *recorder) {
	rec := newRecorder()
	return &Client{
		HTTPClient:       hc,
		ReconnectionTime: 10 * time.Millisecond,
		sleep:            rec.sleep,
		now:              rec.now,
	}, rec
}

func newRequest(t testing.TB, method, url, body string) *http.Request {
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
	return req
}

// mustNewStream returns c's reconnecting stream of a request, closed when
// the test ends.
func mustNewStream(t testing.TB, c *Client, method, url, body string) *Stream {
	t.Helper()
	s, err := c.NewStream(newRequest(t, method, url, body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustDo returns c's one-shot stream of a request, closed when the test
// ends.
func mustDo(t testing.TB, c *Client, method, url, body string) *Stream {
	t.Helper()
	s, err := c.Do(newRequest(t, method, url, body))
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
// start. Call it first, so that it runs after the other cleanups, and
// outside a synctest bubble: it waits on the real clock.
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

// bubble runs f in a synctest bubble, where time is fake and advances only
// when every goroutine of the bubble is blocked: a test of timeouts waits
// no real time and cannot lose a race against the machine's load. Its
// goroutines are checked for leaks, as every client test's are.
func bubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	checkLeaks(t)
	synctest.Test(t, f)
}

// memURL is the URL of every in-memory server; the client's transport
// dials its server whatever the address.
const memURL = "http://sse.test/"

// memListener is a net.Listener of in-memory connections (net.Pipe). In a
// synctest bubble a real socket would block outside the bubble's control;
// these block on channels, so the bubble's clock can move past them.
type memListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newMemListener() *memListener {
	return &memListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *memListener) Addr() net.Addr { return memAddr{} }

func (l *memListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "sse.test:80" }

// memServer serves h with net/http over in-memory connections, HTTP/1 or,
// with h2, cleartext HTTP/2, and returns a client of it; any URL reaches
// it (use memURL). Call it inside a bubble; the server and the client's
// connections are closed when the test ends.
func memServer(t testing.TB, h http.Handler, h2 bool) *http.Client {
	ln := newMemListener()
	srv := &http.Server{Handler: h, Protocols: new(http.Protocols)}
	tr := &http.Transport{DialContext: ln.dial, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	if h2 {
		tr.Protocols.SetUnencryptedHTTP2(true)
	} else {
		tr.Protocols.SetHTTP1(true)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		if c, ok := h.(interface{ Close() }); ok {
			c.Close() // ends the scripts' pauses
		}
		srv.Close()
		tr.CloseIdleConnections()
		<-done
	})
	return &http.Client{Transport: tr}
}

// memScripts serves scripts over in-memory HTTP/1, as ssetest.New does on
// a socket: a failed requirement fails the test.
func memScripts(t testing.TB, scripts ...ssetest.Script) (*ssetest.Handler, *http.Client) {
	t.Helper()
	h := ssetest.NewHandler(scripts...)
	hc := memServer(t, h, false)
	t.Cleanup(func() {
		if err := h.Err(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return h, hc
}

// stallHeaders is a step that sends nothing, not even the headers, until
// the client goes away.
func stallHeaders() ssetest.Step {
	return ssetest.Func("stallHeaders()", func(c *ssetest.Conn) error {
		<-c.Request.Context().Done()
		return nil
	})
}
