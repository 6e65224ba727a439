package sse

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// numberedServer streams events 0 to total-1, each with its number as ID,
// starting after the Last-Event-ID of the request; with everything sent it
// answers 204. With gz, it compresses the stream when the client accepts
// gzip.
func numberedServer(total int, gz bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := 0
		if id := r.Header.Get("Last-Event-ID"); id != "" {
			n, err := strconv.Atoi(id)
			if err != nil {
				http.Error(w, "bad Last-Event-ID", http.StatusBadRequest)
				return
			}
			start = n + 1
		}
		if start >= total {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		var out io.Writer = w
		flush := func() { rc.Flush() }
		if gz {
			if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				http.Error(w, "want Accept-Encoding: gzip", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			defer zw.Close()
			out = zw
			flush = func() { zw.Flush(); rc.Flush() }
		}
		sw := NewWriter(out)
		for i := start; i < total; i++ {
			var err error
			switch i % 5 {
			case 0:
				err = sw.WriteEvent(Event{ID: strconv.Itoa(i), Type: "five", Data: fmt.Sprintf("event %d\nsecond line", i)})
			case 1:
				// By hand: CRLF line endings and a comment inside the
				// block, which the Writer never writes, for the decoder
				// to meet across cuts too.
				_, err = fmt.Fprintf(out, ": comment\r\nid: %d\r\ndata: event %d\r\n\r\n", i, i)
			default:
				err = sw.WriteEvent(Event{ID: strconv.Itoa(i), Data: fmt.Sprintf("event %d", i)})
			}
			if err != nil {
				return
			}
			if i%23 == 0 {
				flush()
			}
		}
	})
}

// cutProxy forwards TCP connections to target, cutting each one after a
// random number of bytes from the server (seeded), half of the time with
// a reset.
type cutProxy struct {
	ln     net.Listener
	target string
	maxCut int
	cuts   atomic.Int64
	wg     sync.WaitGroup

	mu  sync.Mutex
	rng *rand.Rand
}

func newCutProxy(t *testing.T, target string, seed uint64, maxCut int) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, maxCut: maxCut, rng: rand.New(rand.NewPCG(seed, seed))}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		limit := int64(p.rng.IntN(p.maxCut))
		reset := p.rng.IntN(2) == 0
		p.mu.Unlock()
		p.wg.Add(1)
		go p.handle(c.(*net.TCPConn), limit, reset)
	}
}

func (p *cutProxy) handle(c *net.TCPConn, limit int64, reset bool) {
	defer p.wg.Done()
	defer c.Close()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	// A small window keeps the server from running far ahead of the cut.
	up.(*net.TCPConn).SetReadBuffer(smallBuffer)
	defer up.Close()
	go func() {
		io.Copy(up, c)
		up.(*net.TCPConn).CloseWrite()
	}()
	n, _ := io.CopyN(c, up, limit)
	if n == limit {
		p.cuts.Add(1)
		if reset {
			c.SetLinger(0)
		}
	}
}

// smallBuffer is the socket buffer size of the fault tests' servers and
// proxy: small, so that a server blocks soon after a cut rather than
// formatting the rest of the stream into kernel buffers.
const smallBuffer = 8 << 10

// smallBufListener sets small send buffers on the connections it accepts.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(smallBuffer)
	}
	return c, err
}

// newFaultServer returns a started server of h whose connections have
// small send buffers, over HTTP/2 and TLS if h2.
func newFaultServer(h http.Handler, h2 bool) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = smallBufListener{srv.Listener}
	if h2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	return srv
}

func (p *cutProxy) url(scheme string) string { return scheme + "://" + p.ln.Addr().String() }

// checkNumbered reads the stream and checks that it saw events 0 to
// total-1, each once, in order.
func checkNumbered(t *testing.T, s *Stream, total int) {
	t.Helper()
	next := 0
	for s.Next() {
		want := strconv.Itoa(next)
		if got := string(s.ID()); got != want {
			t.Fatalf("event ID %s, want %s", got, want)
		}
		wantData := "event " + want
		if next%5 == 0 {
			wantData += "\nsecond line"
		}
		if got := string(s.Data()); got != wantData {
			t.Fatalf("event %s: data %q, want %q", want, got, wantData)
		}
		next++
	}
	if next != total {
		t.Fatalf("saw %d events, want %d; Err %v", next, total, s.Err())
	}
	if !errors.Is(s.Err(), ErrNoContent) {
		t.Errorf("Err = %v, want the final 204", s.Err())
	}
}

const faultEvents = 10000

func TestFaultsHTTP1(t *testing.T) {
	checkLeaks(t)
	srv := newFaultServer(numberedServer(faultEvents, false), false)
	defer srv.Close()
	p := newCutProxy(t, srv.Listener.Addr().String(), 1, 20000)
	c := &Client{HTTPClient: srv.Client(), sleep: newRecorder().sleep}
	s := mustNewStream(t, c, "GET", p.url("http"), "")
	checkNumbered(t, s, faultEvents)
	if p.cuts.Load() < 10 {
		t.Errorf("only %d cuts", p.cuts.Load())
	}
	t.Logf("%d cuts", p.cuts.Load())
}

func TestFaultsHTTP2(t *testing.T) {
	checkLeaks(t)
	srv := newFaultServer(numberedServer(faultEvents, false), true)
	defer srv.Close()
	p := newCutProxy(t, srv.Listener.Addr().String(), 2, 40000)
	hc := srv.Client()
	var protos sync.Map
	c := &Client{HTTPClient: hc, sleep: newRecorder().sleep, CheckResponse: func(resp *http.Response) error {
		protos.Store(resp.Proto, true)
		return DefaultCheckResponse(resp)
	}}
	s := mustNewStream(t, c, "GET", p.url("https"), "")
	checkNumbered(t, s, faultEvents)
	if _, ok := protos.Load("HTTP/2.0"); !ok {
		t.Error("no response over HTTP/2")
	}
	if p.cuts.Load() < 5 {
		t.Errorf("only %d cuts", p.cuts.Load())
	}
	t.Logf("%d cuts", p.cuts.Load())
	hc.CloseIdleConnections()
}

// TestFaultsHTTP2StreamReset cuts HTTP/2 streams, not connections: the
// handler resets its stream after a random number of bytes.
func TestFaultsHTTP2StreamReset(t *testing.T) {
	checkLeaks(t)
	rng := rand.New(rand.NewPCG(3, 3))
	var mu sync.Mutex
	var requests atomic.Int64
	inner := numberedServer(faultEvents, false)
	srv := newFaultServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		mu.Lock()
		limit := rng.IntN(20000)
		mu.Unlock()
		inner.ServeHTTP(&cutWriter{ResponseWriter: w, left: limit}, r)
	}), true)
	defer srv.Close()
	hc := srv.Client()
	c := &Client{HTTPClient: hc, sleep: newRecorder().sleep}
	s := mustNewStream(t, c, "GET", srv.URL, "")
	checkNumbered(t, s, faultEvents)
	if got := s.Response().Proto; got != "HTTP/2.0" {
		t.Errorf("Proto %s", got)
	}
	if requests.Load() < 10 {
		t.Errorf("only %d requests", requests.Load())
	}
	t.Logf("%d requests", requests.Load())
	hc.CloseIdleConnections()
}

// cutWriter writes at most left bytes, then aborts the handler, which
// resets an HTTP/2 stream or closes an HTTP/1 connection.
type cutWriter struct {
	http.ResponseWriter
	left int
}

func (w *cutWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		w.ResponseWriter.Write(p[:w.left])
		http.NewResponseController(w.ResponseWriter).Flush()
		panic(http.ErrAbortHandler)
	}
	w.left -= len(p)
	return w.ResponseWriter.Write(p)
}

func (w *cutWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func TestFaultsGzip(t *testing.T) {
	checkLeaks(t)
	srv := newFaultServer(numberedServer(faultEvents, true), false)
	defer srv.Close()
	p := newCutProxy(t, srv.Listener.Addr().String(), 4, 4000)
	var uncompressed atomic.Int64
	c := &Client{HTTPClient: srv.Client(), sleep: newRecorder().sleep, CheckResponse: func(resp *http.Response) error {
		if resp.Uncompressed {
			uncompressed.Add(1)
		}
		return DefaultCheckResponse(resp)
	}}
	s := mustNewStream(t, c, "GET", p.url("http"), "")
	checkNumbered(t, s, faultEvents)
	if uncompressed.Load() == 0 {
		t.Error("no response was decompressed by the transport")
	}
	if p.cuts.Load() < 10 {
		t.Errorf("only %d cuts", p.cuts.Load())
	}
	t.Logf("%d cuts", p.cuts.Load())
}

// TestGzipDeliversPromptly checks that an event of a compressed stream
// reaches the reader as soon as the server flushes it, not when more
// compressed data arrives. In a bubble, a Next that waited for more data
// would deadlock it, and fail the test at once.
func TestGzipDeliversPromptly(t *testing.T) {
	bubble(t, func(t *testing.T) {
		release := make(chan struct{})
		hc := memServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			sw := NewWriter(zw)
			sw.WriteEvent(Event{Data: "first"})
			sw.Flush() // zw's Flush
			http.NewResponseController(w).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
			sw.WriteEvent(Event{Data: "second"})
			zw.Close()
		}), false)
		s, err := (&Client{HTTPClient: hc}).Do(newRequest(t, "GET", memURL, ""))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if !s.Response().Uncompressed {
			t.Error("the transport did not decompress the response")
		}
		if !s.Next() || string(s.Data()) != "first" {
			t.Fatalf("first event not delivered before the server paused: %v", s.Err())
		}
		close(release)
		if !s.Next() || string(s.Data()) != "second" || s.Next() || s.Err() != nil {
			t.Fatalf("second event: %q, Err %v", s.Data(), s.Err())
		}
	})
}
