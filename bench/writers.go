package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	r3sse "github.com/r3labs/sse/v2"
	"github.com/ssekit/sse"
	tmsse "github.com/tmaxmax/go-sse"
)

// WriterEvents are the events every writer writes: the chunks of an LLM
// reply (typed, with ids, JSON data of about 150 bytes), a keep-alive-sized
// event, and one with several lines, so that each writer's line splitting
// runs. None has a CR, which r3labs does not split on.
var WriterEvents = func() []sse.Event {
	var evs []sse.Event
	for i := range 16 {
		evs = append(evs, sse.Event{
			Type: "delta",
			ID:   strconv.Itoa(i + 1),
			Data: fmt.Sprintf(`{"id":"chatcmpl-%d","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" token%d"},"finish_reason":null}]}`, i, i),
		})
	}
	evs = append(evs,
		sse.Event{Type: "ping", ID: "17", Data: "{}"},
		sse.Event{Type: "log", ID: "18", Data: "line one\nline two\nline three\nline four"},
	)
	return evs
}()

// A Writer is one way of producing a stream, as its users do.
type Writer struct {
	Name string
	// Write returns a function that writes one event to the writer made
	// for sink; the function is called for every event.
	Write func(sink *Sink) func(ev sse.Event) error
}

// Writers are the benchmarked encoders: this package's Writer and
// go-sse's Message.WriteTo, each writing straight to the sink. r3labs has
// no encoder apart from its server, so it is in Servers only.
var Writers = []Writer{
	{Name: "ssekit", Write: func(s *Sink) func(sse.Event) error {
		return sse.NewWriter(s).WriteEvent
	}},
	{Name: "tmaxmax-go-sse", Write: func(s *Sink) func(sse.Event) error {
		return func(ev sse.Event) error {
			// A Message per event, as a server that relays events builds
			// one: go-sse's Session.Send is Message.WriteTo.
			m := &tmsse.Message{ID: tmsse.ID(ev.ID), Type: tmsse.Type(ev.Type)}
			m.AppendData(ev.Data)
			_, err := m.WriteTo(s)
			return err
		}
	}},
}

// A Sink is an http.ResponseWriter that keeps nothing: it counts the
// bytes and flushes it is given, and can tell when a number of flushes has
// been reached.
type Sink struct {
	header http.Header

	mu      sync.Mutex
	Bytes   int
	Flushes int
	want    int
	reached chan struct{}
	Keep    *strings.Builder // if set, receives the bytes
}

// NewSink returns an empty Sink.
func NewSink() *Sink { return &Sink{header: http.Header{}} }

func (s *Sink) Header() http.Header { return s.header }
func (s *Sink) WriteHeader(int)     {}

func (s *Sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.Bytes += len(p)
	if s.Keep != nil {
		s.Keep.Write(p)
	}
	s.mu.Unlock()
	return len(p), nil
}

func (s *Sink) Flush() {
	s.mu.Lock()
	s.Flushes++
	if s.reached != nil && s.Flushes >= s.want {
		close(s.reached)
		s.reached = nil
	}
	s.mu.Unlock()
}

// AwaitFlushes returns a channel closed once the Sink has been flushed n
// times in all.
func (s *Sink) AwaitFlushes(n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	if s.Flushes >= n {
		close(ch)
		return ch
	}
	s.want, s.reached = n, ch
	return ch
}

// A Server is a writer behind its library's HTTP handler: Start serves
// one response into sink and returns a function that publishes an event
// to it (flushed at once, as a live stream is) and a function that ends
// the response and waits for the handler to return. Start returns once
// the response has started.
type Server struct {
	Name  string
	Start func(sink *Sink) (publish func(sse.Event), stop func())
}

// Servers are the writers behind their handlers: each event goes from the
// publishing goroutine to the handler's through the library's own
// channels (r3labs: Server.Publish, then its stream and subscriber
// goroutines) or, for the libraries that leave that to the user, one
// buffered channel.
var Servers = []Server{
	{Name: "ssekit", Start: func(sink *Sink) (func(sse.Event), func()) {
		ch := make(chan sse.Event, 64)
		h := &sse.Handler{ServeEvents: func(w *sse.Writer, r *http.Request) {
			for ev := range ch {
				if w.WriteEvent(ev) != nil || w.Flush() != nil {
					return
				}
			}
		}}
		return serveChannel(sink, h, ch)
	}},
	{Name: "tmaxmax-go-sse", Start: func(sink *Sink) (func(sse.Event), func()) {
		ch := make(chan sse.Event, 64)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := tmsse.Upgrade(w, r)
			if err != nil || s.Flush() != nil {
				return
			}
			for ev := range ch {
				m := &tmsse.Message{ID: tmsse.ID(ev.ID), Type: tmsse.Type(ev.Type)}
				m.AppendData(ev.Data)
				if s.Send(m) != nil || s.Flush() != nil {
					return
				}
			}
		})
		return serveChannel(sink, h, ch)
	}},
	{Name: "r3labs", Start: func(sink *Sink) (func(sse.Event), func()) {
		srv := r3sse.New()
		srv.AutoReplay = false
		srv.SplitData = true
		srv.CreateStream("bench")
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequestWithContext(ctx, "GET", "/events?stream=bench", nil)
		started := sink.AwaitFlushes(1) // r3labs flushes once subscribed
		done := make(chan struct{})
		go func() { srv.ServeHTTP(sink, req); close(done) }()
		<-started
		publish := func(ev sse.Event) {
			srv.Publish("bench", &r3sse.Event{ID: []byte(ev.ID), Event: []byte(ev.Type), Data: []byte(ev.Data)})
		}
		return publish, func() { cancel(); <-done; srv.Close() }
	}},
}

func serveChannel(sink *Sink, h http.Handler, ch chan sse.Event) (func(sse.Event), func()) {
	req := httptest.NewRequest("GET", "/events", nil)
	started := sink.AwaitFlushes(1)
	done := make(chan struct{})
	go func() { h.ServeHTTP(sink, req); close(done) }()
	<-started
	return func(ev sse.Event) { ch <- ev }, func() { close(ch); <-done }
}
