package record

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// A Player is an http.Handler that serves a recording: the Nth request gets
// the Nth recorded response, its body written chunk by chunk at the
// recorded pace divided by Speed (zero or less: all at once). A recorded
// Location that points to the server recorded is sent as a path, so a
// redirect is followed on the replay server. A request
// recorded as failed without a response is answered 502 Bad Gateway, with
// the recorded error as its body. A body ends when it ended when recorded
// (at the recorded pace), and one that broke off breaks off again; one the
// recording client closed (an idle timeout, a --timeout, Ctrl-C), or that
// the recording stops before the end of, stays open until the client
// leaves or the server stops. After the last recorded response the Player
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
	i := p.take(r.Header.Get("Last-Event-ID"))
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
	if loc := c.Header.Get("Location"); loc != "" {
		w.Header().Set("Location", localLocation(c.Request, loc))
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
	case EndClosedByClient, "":
		// The recording client left, or the recording stops first: the
		// server had not ended the response, so it stays open until the
		// client leaves or the replay server stops.
		<-r.Context().Done()
		return
	}
	// The body ended (or broke off) when recorded: not before.
	if p.Speed > 0 {
		due := start.Add(time.Duration(float64(c.EndAt-c.Start) / p.Speed))
		if err := sleepUntil(r.Context(), due); err != nil {
			return
		}
	}
	if c.End == EndEOF {
		return
	}
	// The body broke off when recorded: break it off again.
	panic(http.ErrAbortHandler)
}

// localLocation returns the Location loc of a response to request
// ("METHOD URL") as a path on the replay server when it points to the
// server recorded, so that a replayed redirect stays on the replay server.
func localLocation(request, loc string) string {
	_, reqURL, _ := strings.Cut(request, " ")
	u, err := url.Parse(loc)
	if err != nil || !u.IsAbs() {
		return loc
	}
	from, err := url.Parse(reqURL)
	if err != nil || !from.IsAbs() {
		return loc
	}
	if !strings.EqualFold(u.Scheme, from.Scheme) || !strings.EqualFold(u.Host, from.Host) {
		return loc
	}
	rel := *u
	rel.Scheme, rel.Host, rel.User = "", "", nil
	s := rel.String()
	if !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	return s
}

// take returns the index of the response to serve to a request with
// Last-Event-ID lid, len(p.Conns) for the final 204, and moves on.
func (p *Player) take(lid string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.pick(lid)
	p.next = i + 1
	if p.next > len(p.Conns) {
		p.next = 0
	}
	return i
}

// pick chooses the response for a request with Last-Event-ID lid.
func (p *Player) pick(lid string) int {
	i := p.next
	var expected string
	switch {
	case i < len(p.Conns):
		if p.Conns[i].Request == "" {
			return i // not recorded: serve in turn
		}
		expected = p.Conns[i].LastEventID
	case len(p.Conns) > 0 && lid == "" && p.Conns[len(p.Conns)-1].LastEventID != "":
		// The end of a recording that resumed: a request without an ID
		// is a new client.
		expected = p.Conns[len(p.Conns)-1].LastEventID
	default:
		return i
	}
	if lid == expected {
		return i
	}
	for j, c := range p.Conns {
		if c.Request != "" && c.LastEventID == lid {
			return j
		}
	}
	return i
}

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
