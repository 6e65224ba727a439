// Package fakellm serves scripted LLM chat streams on loopback, for tests
// and examples that must not touch the network: OpenAI-compatible chat
// completion chunks and Anthropic Messages events, with the quirks real
// streams have (keep-alive comments, pings, UTF-8 characters split across
// writes, CRLF line endings from a proxy, a final usage chunk).
package fakellm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/ssekit/sse/internal/wire"
)

// A Stream is a scripted text/event-stream response. Each of Writes is
// written and flushed in turn, so that the client sees it arrive on its
// own.
type Stream struct {
	Writes []string
	// CRLF rewrites each "\n" of the writes as "\r\n", as some proxies do.
	CRLF bool
	// Hold, if set, keeps the response open after the writes until it is
	// closed or the client goes away, as a server that stalls.
	Hold <-chan struct{}
	// Request, if set, is called with each request and its body before the
	// response is written.
	Request func(r *http.Request, body []byte)
}

// ServeHTTP writes the scripted response.
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.Request != nil {
		body, _ := io.ReadAll(r.Body)
		s.Request(r, body)
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	for _, p := range s.Writes {
		if s.CRLF {
			p = strings.ReplaceAll(p, "\n", "\r\n")
		}
		if _, err := w.Write([]byte(p)); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
	if s.Hold != nil {
		select {
		case <-s.Hold:
		case <-r.Context().Done():
		}
	}
}

// Error returns a handler that refuses every request with status and a
// JSON body, as LLM APIs do for a bad key or a rate limit.
func Error(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
}

// event returns an event of the given type whose data is v as JSON,
// encoded as sse.Writer encodes it.
func event(typ string, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return encode(typ, string(b))
}

func encode(typ, data string) string {
	b, fe := wire.AppendEvent(nil, typ, "", data)
	if fe != nil {
		panic(fe)
	}
	return string(b)
}

// comment returns a comment line, and a blank line after it as providers
// send them.
func comment(text string) string {
	b, fe := wire.AppendComment(nil, text)
	if fe != nil {
		panic(fe)
	}
	return string(b) + "\n"
}

// splitRune splits an event in two inside its first multi-byte UTF-8
// character, if it has one, as a network may cut a write anywhere.
func splitRune(ev string) []string {
	for i, r := range ev {
		if r >= utf8.RuneSelf {
			return []string{ev[:i+1], ev[i+1:]}
		}
	}
	return []string{ev}
}

// OpenAI returns the writes of an OpenAI-compatible chat completion stream
// that sends tokens as content deltas: a role chunk, a keep-alive comment,
// one chunk per token (cut inside any multi-byte character), a finish
// chunk, a usage chunk and "data: [DONE]".
func OpenAI(model string, tokens ...string) []string {
	const id = "chatcmpl-fake123"
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": 1763700000, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
		}
	}
	w := []string{
		comment(" OPENROUTER PROCESSING"),
		event("", chunk(map[string]any{"role": "assistant", "content": ""}, nil)),
	}
	for i, t := range tokens {
		if i == len(tokens)/2 {
			w = append(w, comment(" keep-alive"))
		}
		w = append(w, splitRune(event("", chunk(map[string]any{"content": t}, nil)))...)
	}
	w = append(w,
		event("", chunk(map[string]any{}, "stop")),
		event("", map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": 1763700000, "model": model,
			"choices": []any{},
			"usage":   map[string]any{"prompt_tokens": 12, "completion_tokens": len(tokens), "total_tokens": 12 + len(tokens)},
		}),
		encode("", "[DONE]"),
	)
	return w
}

// Anthropic returns the writes of an Anthropic Messages stream that sends
// tokens as text deltas: message_start, a ping, content_block_start, one
// content_block_delta per token (cut inside any multi-byte character),
// content_block_stop, message_delta with the usage, and message_stop.
func Anthropic(model string, tokens ...string) []string {
	w := []string{
		event("message_start", map[string]any{"type": "message_start", "message": map[string]any{
			"id": "msg_fake123", "type": "message", "role": "assistant", "model": model, "content": []any{},
			"stop_reason": nil, "usage": map[string]any{"input_tokens": 12, "output_tokens": 1},
		}}),
		event("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
			"content_block": map[string]any{"type": "text", "text": ""}}),
		event("ping", map[string]any{"type": "ping"}),
	}
	for _, t := range tokens {
		w = append(w, splitRune(event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": t}}))...)
	}
	w = append(w,
		event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}),
		event("message_delta", map[string]any{"type": "message_delta",
			"delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil},
			"usage": map[string]any{"output_tokens": len(tokens)}}),
		event("message_stop", map[string]any{"type": "message_stop"}),
	)
	return w
}

// AnthropicError returns an Anthropic "event: error", as sent when the API
// is overloaded midway through a stream.
func AnthropicError(kind, message string) string {
	return event("error", map[string]any{"type": "error", "error": map[string]any{"type": kind, "message": message}})
}
