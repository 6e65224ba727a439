package sse

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchBlock is 1000 events of about 100 bytes, as JSON APIs send.
var benchBlock = func() []byte {
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "id: %d\ndata: {\"n\":%d,\"text\":\"the quick brown fox jumps over the lazy dog\",\"ok\":true}\n\n", i, i)
	}
	return []byte(b.String())
}()

// benchServer streams ?n= events, in blocks of 1000, and ends.
func benchServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "text/event-stream")
		for ; n > 0; n -= 1000 {
			if _, err := w.Write(benchBlock); err != nil {
				return
			}
		}
	}))
}

func blocksFor(n int) int { return (n + 999) / 1000 * 1000 }

// benchStream starts the benchmark server for b.N events and returns a
// one-shot Stream of them, with b's timer started; both are closed when b
// ends.
func benchStream(b *testing.B) *Stream {
	srv := benchServer()
	b.Cleanup(srv.Close)
	c := &Client{HTTPClient: srv.Client()}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/?n=%d", srv.URL, blocksFor(b.N)), nil)
	b.SetBytes(int64(len(benchBlock) / 1000))
	b.ReportAllocs()
	b.ResetTimer()
	s, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkClientEvents reads events through a Stream over loopback.
func BenchmarkClientEvents(b *testing.B) {
	s := benchStream(b)
	var n, size int
	for n < b.N && s.Next() {
		size += len(s.Data())
		n++
	}
	if n != b.N {
		b.Fatalf("%d events of %d: %v", n, b.N, s.Err())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkClientEventsAlloc is BenchmarkClientEvents with an Event, and
// its strings, made for each event.
func BenchmarkClientEventsAlloc(b *testing.B) {
	s := benchStream(b)
	n := 0
	for ev, err := range s.All() {
		if err != nil || ev.Data == "" {
			b.Fatal(err)
		}
		if n++; n == b.N {
			break
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRawBody reads the same stream's bytes with net/http alone, the
// floor under BenchmarkClientEvents.
func BenchmarkRawBody(b *testing.B) {
	srv := benchServer()
	defer srv.Close()
	b.SetBytes(int64(len(benchBlock) / 1000))
	b.ReportAllocs()
	b.ResetTimer()
	resp, err := srv.Client().Get(fmt.Sprintf("%s/?n=%d", srv.URL, blocksFor(b.N)))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	want := int64(b.N) * int64(len(benchBlock)/1000)
	if _, err := io.CopyN(io.Discard, resp.Body, want); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// idleServerEnv, set to "1", makes the test binary run idleServer instead
// of its tests (see TestMain).
const idleServerEnv = "SSE_IDLE_SERVER"

// idleServer is the server of BenchmarkIdleStreams, in another process, so
// that the memory the benchmark measures is the client's alone. It prints
// its address, sends one event on each connection and holds it until its
// stdin closes, then exits.
func idleServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "id: 1\ndata: hello\n\n")
		http.NewResponseController(w).Flush()
		select {
		case <-done:
		case <-r.Context().Done():
		}
	})}
	// HTTP/1 and cleartext HTTP/2 on one port: the benchmark measures both.
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	go srv.Serve(ln)
	fmt.Println(ln.Addr())
	<-done
	os.Exit(0)
}

// BenchmarkIdleStreams measures the memory (heap and stacks) that the
// client holds per open, idle stream, with 1000 streams to a server in
// another process.
func BenchmarkIdleStreams(b *testing.B) {
	const streams = 1000
	exe, err := os.Executable()
	if err != nil {
		b.Skip(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), idleServerEnv+"=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Skip(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	url := "http://" + strings.TrimSpace(addr)
	for _, proto := range []string{"http1", "http2"} {
		newTransport := func() *http.Transport {
			tr := &http.Transport{}
			if proto == "http2" {
				// Cleartext HTTP/2: many streams share a few connections.
				tr.Protocols = new(http.Protocols)
				tr.Protocols.SetUnencryptedHTTP2(true)
			}
			return tr
		}
		// The floor: net/http responses, held open after their first event.
		b.Run("proto="+proto+"/net-http", func(b *testing.B) {
			for range b.N {
				tr := newTransport()
				hc := &http.Client{Transport: tr}
				before := memInUse()
				resps := make([]*http.Response, streams)
				buf := make([]byte, 64)
				for i := range resps {
					resp, err := hc.Get(url)
					if err != nil {
						b.Fatal(err)
					}
					if resp.ProtoMajor != protoMajor(proto) {
						b.Fatalf("response over %s, want %s", resp.Proto, proto)
					}
					if _, err := resp.Body.Read(buf); err != nil {
						b.Fatal(err)
					}
					resps[i] = resp
				}
				after := memInUse()
				b.ReportMetric(float64(after-before)/streams, "bytes/stream")
				for _, resp := range resps {
					resp.Body.Close()
				}
				tr.CloseIdleConnections()
			}
		})
		b.Run("proto="+proto+"/Stream", func(b *testing.B) {
			for range b.N {
				tr := newTransport()
				c := &Client{HTTPClient: &http.Client{Transport: tr}, IdleTimeout: time.Minute}
				before := memInUse()
				ss := make([]*Stream, streams)
				for i := range ss {
					req, _ := http.NewRequest("GET", url, nil)
					s, err := c.NewStream(req)
					if err != nil {
						b.Fatal(err)
					}
					ss[i] = s
					if !ss[i].Next() {
						b.Fatal(ss[i].Err())
					}
					if resp := ss[i].Response(); resp.ProtoMajor != protoMajor(proto) {
						b.Fatalf("response over %s, want %s", resp.Proto, proto)
					}
				}
				after := memInUse()
				b.ReportMetric(float64(after-before)/streams, "bytes/stream")
				for _, s := range ss {
					s.Close()
				}
				tr.CloseIdleConnections()
			}
		})
	}
}

func protoMajor(proto string) int {
	if proto == "http2" {
		return 2
	}
	return 1
}

func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
