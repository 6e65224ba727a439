// Command proxy is an LLM gateway: it reads an OpenAI-compatible chat
// completion stream from an upstream API with the client, and re-emits it
// to its own clients (browsers, with EventSource) with sse.Writer, as
// events of its own: "delta" events whose data is {"text": "..."} and
// whose ids count from 1, an "error" event for an upstream in-band error,
// and a "done" event at the upstream's end.
//
// The reply is kept while it streams, so that a browser whose connection
// drops reconnects with Last-Event-ID and resumes after the last delta it
// got, instead of starting over (and paying for the tokens twice).
//
// It runs against a fake upstream on loopback; point upstreamURL at
// https://api.openai.com/v1/chat/completions (with an Authorization header)
// to use a real one.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/fakellm"
	"github.com/ssekit/sse/ssejson"
)

// Chunk is the part of a chat.completion.chunk the gateway uses.
type Chunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
}

// readUpstream streams a completion of prompt from url and calls emit with
// each piece of text, until the upstream ends. It is the gateway's only
// use of the client.
func readUpstream(ctx context.Context, url, prompt string, emit func(text string)) error {
	body, _ := json.Marshal(map[string]any{
		"model": "gpt-fake", "stream": true,
		"messages": []any{map[string]string{"role": "user", "content": prompt}},
	})
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	chunks, err := ssejson.Do[Chunk](nil, req)
	if err != nil {
		return err
	}
	defer chunks.Close()
	for chunk, err := range chunks.All() { // ends cleanly at "data: [DONE]"
		if err != nil {
			return err // an in-band error is an *ssejson.EventError
		}
		for _, c := range chunk.Choices {
			if c.Delta.Content != "" {
				emit(c.Delta.Content)
			}
		}
	}
	return nil
}

// A reply is the events of one completion, kept as they arrive so that a
// client that reconnects resumes.
type reply struct {
	mu      sync.Mutex
	events  []sse.Event
	done    bool
	changed chan struct{} // closed and replaced at each change
}

func (r *reply) add(ev sse.Event, last bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev.ID = strconv.Itoa(len(r.events) + 1)
	r.events = append(r.events, ev)
	r.done = last
	close(r.changed)
	r.changed = make(chan struct{})
}

// after returns the events after the first n, whether the reply is over,
// and a channel closed at the next change.
func (r *reply) after(n int) ([]sse.Event, bool, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[min(n, len(r.events)):], r.done, r.changed
}

// A Gateway serves /chat?id=...&prompt=...: the first request for an id
// starts the upstream completion, and every request for it (a reconnect
// carries Last-Event-ID) streams its events.
type Gateway struct {
	Upstream string

	mu      sync.Mutex
	replies map[string]*reply
}

func (g *Gateway) reply(id, prompt string) *reply {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.replies[id]; ok {
		return r
	}
	r := &reply{changed: make(chan struct{})}
	if g.replies == nil {
		g.replies = map[string]*reply{}
	}
	g.replies[id] = r
	go func() {
		// The completion goes on if the browser drops: it resumes.
		err := readUpstream(context.Background(), g.Upstream, prompt, func(text string) {
			data, _ := json.Marshal(map[string]string{"text": text})
			r.add(sse.Event{Type: "delta", Data: string(data)}, false)
		})
		if ee := (*ssejson.EventError)(nil); errors.As(err, &ee) {
			data, _ := json.Marshal(map[string]string{"message": ee.Message})
			r.add(sse.Event{Type: "error", Data: string(data)}, true)
		} else if err != nil {
			r.add(sse.Event{Type: "error", Data: `{"message":"upstream failed"}`}, true)
		} else {
			r.add(sse.Event{Type: "done", Data: "{}"}, true)
		}
	}()
	return r
}

// Handler returns the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler {
	return &sse.Handler{
		Heartbeat:    15 * time.Second,
		WriteTimeout: 10 * time.Second,
		ServeEvents: func(w *sse.Writer, r *http.Request) {
			rep := g.reply(r.URL.Query().Get("id"), r.URL.Query().Get("prompt"))
			sent, _ := strconv.Atoi(r.Header.Get("Last-Event-ID")) // ids count the events
			for {
				events, done, changed := rep.after(sent)
				for _, ev := range events {
					if w.WriteEvent(ev) != nil {
						return
					}
				}
				sent += len(events)
				if w.Flush() != nil || done {
					return
				}
				select {
				case <-changed:
				case <-r.Context().Done():
					return
				}
			}
		},
	}
}

func main() {
	// Two fake upstreams: one that completes, one that fails midway with an
	// in-band error, as APIs do when overloaded.
	writes := fakellm.OpenAI("gpt-fake", "Bon", "jour", " à", " vous", " 👋")
	ok := httptest.NewServer(&fakellm.Stream{Writes: writes})
	defer ok.Close()
	failing := httptest.NewServer(&fakellm.Stream{Writes: append(writes[:4:4],
		`data: {"error":{"message":"Upstream overloaded","type":"server_error"}}`+"\n\n")})
	defer failing.Close()

	for _, upstream := range []string{ok.URL, failing.URL} {
		gw := httptest.NewServer((&Gateway{Upstream: upstream}).Handler())
		// A browser: it reads two deltas, its connection drops, and it
		// reconnects with the last id it got.
		last := browse(gw.URL+"/chat?id=c1&prompt=hello", "", 2)
		fmt.Printf("[reconnecting after id %s]\n", last)
		browse(gw.URL+"/chat?id=c1&prompt=hello", last, -1)
		gw.Close()
	}
}

// browse reads the stream at url as an EventSource would, from lastID,
// printing each event, and returns the last id after n events (n < 0: all).
func browse(url, lastID string, n int) string {
	req, _ := http.NewRequest("GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	d := sse.NewDecoder(resp.Body)
	for i := 0; i != n && d.Next(); i++ {
		e := d.Event()
		fmt.Printf("%s id=%s %s\n", e.Type, e.ID, e.Data)
		lastID = e.ID
	}
	if err := d.Err(); err != nil {
		log.Fatal(err)
	}
	return lastID
}
