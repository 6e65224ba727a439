// Package demo is the event-stream server of "ssecat demo": it streams a
// simulated LLM reply token by token, drops the connection once on purpose,
// and resumes after the Last-Event-ID the client sends back.
package demo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Reply is the text the demo streams.
const Reply = "Server-Sent Events keep one HTTP response open. When it drops, the client " +
	"reconnects with Last-Event-ID, and the server resumes right where it left off, as it just did."

// A Server streams Reply. Each token is an event of type "delta" whose ID
// is its position from 1 and whose data is {"text":"..."}; the stream
// starts with a "start" event and ends with a "done" event. A request with
// a Last-Event-ID resumes after that token; one past the end is answered
// 204 No Content, which tells the client to stop.
type Server struct {
	// Interval is the pause before each token.
	Interval time.Duration
	// DropAfter makes the first response break off after that many
	// tokens; zero never drops.
	DropAfter int
	// Retry is the reconnection time the stream asks for; zero sends none.
	Retry time.Duration

	dropped atomic.Bool
}

// New returns the Server that "ssecat demo" runs.
func New() *Server {
	return &Server{Interval: 60 * time.Millisecond, DropAfter: 9, Retry: 500 * time.Millisecond}
}

// Tokens returns Reply split into tokens: words with their leading space.
func Tokens() []string {
	var toks []string
	rest := Reply
	for rest != "" {
		i := strings.IndexByte(rest[1:], ' ')
		if i < 0 {
			toks = append(toks, rest)
			break
		}
		toks = append(toks, rest[:i+1])
		rest = rest[i+1:]
	}
	return toks
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	toks := Tokens()
	from := 0
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		n, err := strconv.Atoi(id)
		if err == nil && n >= 0 {
			from = n
		}
	}
	if from >= len(toks) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	var b strings.Builder
	if s.Retry > 0 {
		fmt.Fprintf(&b, "retry: %d\n\n", s.Retry.Milliseconds())
	}
	if from == 0 {
		fmt.Fprintf(&b, ": demo stream of %d tokens\n\nevent: start\ndata: {\"model\":\"demo-1\"}\n\n", len(toks))
	} else {
		fmt.Fprintf(&b, ": resuming after token %d\n\n", from)
	}
	if _, err := w.Write([]byte(b.String())); err != nil {
		return
	}
	flusher.Flush()
	for i := from; i < len(toks); i++ {
		if s.Interval > 0 {
			select {
			case <-time.After(s.Interval):
			case <-r.Context().Done():
				return
			}
		}
		text, _ := json.Marshal(map[string]string{"text": toks[i]})
		if _, err := fmt.Fprintf(w, "event: delta\nid: %d\ndata: %s\n\n", i+1, text); err != nil {
			return
		}
		flusher.Flush()
		if s.DropAfter > 0 && i+1 == s.DropAfter && s.dropped.CompareAndSwap(false, true) {
			// Break the response off mid-stream, as a failing proxy would.
			panic(http.ErrAbortHandler)
		}
	}
	fmt.Fprintf(w, "event: done\nid: %d\ndata: {\"tokens\":%d}\n\n", len(toks), len(toks))
	flusher.Flush()
}
