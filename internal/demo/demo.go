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

	"github.com/ssekit/sse"
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

// ServeHTTP streams the tokens after the request's Last-Event-ID.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	toks := Tokens()
	from := 0
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		n, err := strconv.Atoi(id)
		if err == nil && n >= 0 {
			from = n
		}
	}
	if from >= len(toks) {
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	w := sse.StartResponse(rw)
	if s.Retry > 0 {
		w.WriteRetry(s.Retry)
	}
	if from == 0 {
		w.WriteComment(fmt.Sprintf(" demo stream of %d tokens", len(toks)))
		w.WriteEvent(sse.Event{Type: "start", Data: `{"model":"demo-1"}`})
	} else {
		w.WriteComment(fmt.Sprintf(" resuming after token %d", from))
	}
	if w.Flush() != nil {
		return
	}
	for i := from; i < len(toks); i++ {
		if s.Interval > 0 {
			select {
			case <-time.After(s.Interval):
			case <-r.Context().Done():
				return
			}
		}
		text, _ := json.Marshal(map[string]string{"text": toks[i]})
		if w.WriteEvent(sse.Event{Type: "delta", ID: strconv.Itoa(i + 1), Data: string(text)}) != nil || w.Flush() != nil {
			return
		}
		if s.DropAfter > 0 && i+1 == s.DropAfter && s.dropped.CompareAndSwap(false, true) {
			// Break the response off mid-stream, as a failing proxy would.
			panic(http.ErrAbortHandler)
		}
	}
	w.WriteEvent(sse.Event{Type: "done", ID: strconv.Itoa(len(toks)), Data: fmt.Sprintf(`{"tokens":%d}`, len(toks))})
	w.Flush()
}
