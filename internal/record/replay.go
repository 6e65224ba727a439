package record

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// A Player is an http.Handler that serves a recording: the Nth request gets
// the Nth recorded response, its body written chunk by chunk at the
// recorded pace divided by Speed (zero or less: all at once). A request
// recorded as failed without a response is answered 502 Bad Gateway, with
// the recorded error as its body; a body that broke off breaks off again. After the last recorded response the Player
// answers 204 No Content, which tells an event-stream client to stop, and
// starts over with the first.
type Player struct {
	Conns []*Conn
	Speed float64
	// Log, if set, is told of each request served.
	Log func(msg string)

	mu   sync.Mutex
	next int
}

// ServeHTTP serves the next recorded response.
func (p *Player) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	i := p.next
	p.next++
	if p.next > len(p.Conns) {
		p.next = 0
	}
	p.mu.Unlock()
	if i >= len(p.Conns) {
		p.log(fmt.Sprintf("%s %s: end of recording: 204 No Content", r.Method, r.URL.Path))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c := p.Conns[i]
	if c.Status == 0 {
		// A refused connection cannot be replayed on a port that
		// listens: say what happened with a 502, which clients retry.
		p.log(fmt.Sprintf("%s %s: connection %d of %d: recorded as failed: 502 Bad Gateway", r.Method, r.URL.Path, c.N, len(p.Conns)))
		http.Error(w, "ssecat replay: this request failed when recorded: "+c.Error, http.StatusBadGateway)
		return
	}
	p.log(fmt.Sprintf("%s %s: connection %d of %d: %d, %d chunks", r.Method, r.URL.Path, c.N, len(p.Conns), c.Status, len(c.Chunks)))
	for name, values := range c.Header {
		w.Header()[name] = values
	}
	w.WriteHeader(c.Status)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	start := time.Now()
	for _, chunk := range c.Chunks {
		if p.Speed > 0 {
			due := start.Add(time.Duration(float64(chunk.At-c.Start) / p.Speed))
			if err := sleepUntil(r.Context(), due); err != nil {
				return
			}
		}
		if _, err := w.Write([]byte(chunk.Text)); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
	switch c.End {
	case EndEOF, "", EndClosedByClient:
		return
	}
	// The body broke off when recorded: break it off again.
	panic(http.ErrAbortHandler)
}

// EndClosedByClient is the end reason of a body the recording client
// closed; it is replayed as a normal end.
const EndClosedByClient = "closed by client"

func (p *Player) log(msg string) {
	if p.Log != nil {
		p.Log(msg)
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
