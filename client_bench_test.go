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

// serverProcess runs the test binary again with env set to "1", as a
// server in another process (see TestMain), and returns its URL. The
// server exits when b's cleanups run.
func serverProcess(b *testing.B, env string) string {
	exe, err := os.Executable()
	if err != nil {
		b.Skip(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), env+"=1")
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Skip(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return "http://" + strings.TrimSpace(addr)
}

// BenchmarkIdleStreams measures the memory (heap and stacks) that the
// client holds per open, idle stream, with 1000 streams to a server in
// another process.
func BenchmarkIdleStreams(b *testing.B) {
	const streams = 1000
	url := serverProcess(b, idleServerEnv)
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

// streamServerEnv, set to "1", makes the test binary run streamServer
// instead of its tests (see TestMain).
const streamServerEnv = "SSE_STREAM_SERVER"

// cpuEvent is the length of each event that streamServer sends: about
// 100 bytes, as JSON APIs send, all of one length so that ?n= events are
// a prefix of whole blocks.
const cpuEvent = 100

// cpuBlock is 1000 events of cpuEvent bytes.
var cpuBlock = func() []byte {
	var b []byte
	for i := range 1000 {
		ev := fmt.Appendf(nil, "id: %07d\ndata: {\"n\":%07d,\"text\":\"the quick brown fox jumps over the lazy dog!!!!\",\"ok\":true}\n\n", i, i)
		if len(ev) != cpuEvent {
			panic(fmt.Sprintf("event of %d bytes, want %d", len(ev), cpuEvent))
		}
		b = append(b, ev...)
	}
	return b
}()

// streamServer is the server of BenchmarkClientCPU, in another process, so
// that the CPU time the benchmark measures is the client's alone. It
// prints its address and serves ?n= events of cpuBlock over HTTP/1.1, as
// fast as the client reads them, until its stdin closes.
func streamServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "text/event-stream")
		for ; n > 0; n -= 1000 {
			if _, err := w.Write(cpuBlock[:min(n, 1000)*cpuEvent]); err != nil {
				return
			}
		}
	})}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	go srv.Serve(ln)
	fmt.Println(ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// cpuChunk is how many events each request of BenchmarkClientCPU asks
// for: enough that the request itself costs next to nothing per event.
const cpuChunk = 50000

// BenchmarkClientCPU measures the client's CPU time per event (user and
// system, of the whole process: the server runs in another one), reading
// ~100-byte events over loopback HTTP/1.1: with Stream.Data, with
// Stream.Event, and with net/http alone (io.Copy of the same response
// body to io.Discard), the floor under the other two. The interleaved
// run reads the three in turn, chunk by chunk, and reports the ratios
// of the stream's CPU time to the raw read's, measured side by side.
//
//	go test -run '^$' -bench ClientCPU -benchtime 400000x -count 10 .
func BenchmarkClientCPU(b *testing.B) {
	if cpuTime() == 0 {
		b.Skip("no CPU time on this system")
	}
	base := serverProcess(b, streamServerEnv)
	tr := &http.Transport{}
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetHTTP1(true)
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	c := &Client{HTTPClient: hc}
	url := func(n int) string { return fmt.Sprintf("%s/?n=%d", base, n) }

	raw := func(b *testing.B, n int) {
		resp, err := hc.Get(url(n))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if m, err := io.Copy(io.Discard, resp.Body); err != nil || m != int64(n)*cpuEvent {
			b.Fatalf("read %d bytes of %d: %v", m, n*cpuEvent, err)
		}
	}
	stream := func(b *testing.B, n int, event bool) {
		req, _ := http.NewRequest("GET", url(n), nil)
		s, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		got, size := 0, 0
		for s.Next() {
			if event {
				size += len(s.Event().Data)
			} else {
				size += len(s.Data())
			}
			got++
		}
		if got != n || s.Err() != nil || size == 0 {
			b.Fatalf("%d events of %d: %v", got, n, s.Err())
		}
	}
	reads := []struct {
		name string
		read func(b *testing.B, n int)
	}{
		{"raw", raw},
		{"Data", func(b *testing.B, n int) { stream(b, n, false) }},
		{"Event", func(b *testing.B, n int) { stream(b, n, true) }},
	}
	for _, r := range reads {
		b.Run("read="+r.name, func(b *testing.B) {
			b.SetBytes(cpuEvent)
			b.ReportAllocs()
			start := cpuTime()
			for done := 0; done < b.N; done += cpuChunk {
				r.read(b, min(cpuChunk, b.N-done))
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/event")
		})
	}
	b.Run("read=interleaved", func(b *testing.B) {
		b.SetBytes(cpuEvent * int64(len(reads)))
		cpu := make([]int64, len(reads))
		for done := 0; done < b.N; done += cpuChunk {
			n := min(cpuChunk, b.N-done)
			for i, r := range reads {
				start := cpuTime()
				r.read(b, n)
				cpu[i] += cpuTime() - start
			}
		}
		for i, r := range reads {
			b.ReportMetric(float64(cpu[i])/float64(b.N), r.name+"-cpu-ns/event")
		}
		b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "Data/raw")
		b.ReportMetric(float64(cpu[2])/float64(cpu[0]), "Event/raw")
	})
}

// blockReader reads n events of cpuBlock, over and over, then io.EOF.
type blockReader struct{ left int64 }

func newBlockReader(n int) *blockReader { return &blockReader{left: int64(n) * cpuEvent} }

func (r *blockReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	off := int(r.left % int64(len(cpuBlock)))
	if off == 0 {
		off = len(cpuBlock)
	}
	n := copy(p[:min(int64(len(p)), r.left)], cpuBlock[len(cpuBlock)-off:])
	r.left -= int64(n)
	return n, nil
}

// blockTransport answers every request with a stream of ?n= events read
// from memory.
type blockTransport struct{}

func (blockTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	n, _ := strconv.Atoi(req.URL.Query().Get("n"))
	return &http.Response{
		StatusCode: http.StatusOK,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"text/event-stream"}},
		Body:          io.NopCloser(newBlockReader(n)),
		ContentLength: -1,
		Request:       req,
	}, nil
}

// BenchmarkStreamOverhead measures the stream's own cost per event, with
// no network: a Stream, whose transport answers from memory, against a
// Decoder reading the same bytes. The interleaved run reads both in turn,
// chunk by chunk, and reports the difference of their CPU time per event
// and the ratio.
//
//	go test -run '^$' -bench StreamOverhead -benchtime 1000000x -count 10 .
func BenchmarkStreamOverhead(b *testing.B) {
	c := &Client{HTTPClient: &http.Client{Transport: blockTransport{}}}
	dec := func(b *testing.B, n int) {
		d := NewDecoder(newBlockReader(n))
		got := 0
		for d.Next() {
			got += len(d.Data())
		}
		if got == 0 || d.Err() != nil {
			b.Fatal(d.Err())
		}
	}
	stream := func(b *testing.B, n int) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://sse.test/?n=%d", n), nil)
		s, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		got := 0
		for s.Next() {
			got += len(s.Data())
		}
		if got == 0 || s.Err() != nil {
			b.Fatal(s.Err())
		}
	}
	reads := []struct {
		name string
		read func(b *testing.B, n int)
	}{{"Decoder", dec}, {"Stream", stream}}
	for _, r := range reads {
		b.Run("read="+r.name, func(b *testing.B) {
			b.SetBytes(cpuEvent)
			b.ReportAllocs()
			for done := 0; done < b.N; done += cpuChunk {
				r.read(b, min(cpuChunk, b.N-done))
			}
		})
	}
	b.Run("read=interleaved", func(b *testing.B) {
		if cpuTime() == 0 {
			b.Skip("no CPU time on this system")
		}
		var t [2]int64
		for done := 0; done < b.N; done += cpuChunk {
			n := min(cpuChunk, b.N-done)
			for i, r := range reads {
				start := cpuTime()
				r.read(b, n)
				t[i] += cpuTime() - start
			}
		}
		b.ReportMetric(float64(t[1]-t[0])/float64(b.N), "own-cpu-ns/event")
		b.ReportMetric(float64(t[1])/float64(t[0]), "Stream/Decoder")
	})
}
