package sse_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/fakellm"
)

// ChatChunk is the part of an OpenAI-compatible chat.completion.chunk that
// the examples use.
type ChatChunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
	Usage *struct {
		TotalTokens int `json:"total_tokens"`
	} `json:"usage"`
}

// MessageEvent is the union of Anthropic Messages stream events, as far as
// the examples need it.
type MessageEvent struct {
	Type  string `json:"type"`
	Delta struct {
		Text string `json:"text"`
	} `json:"delta"`
}

// Stream an OpenAI-compatible chat completion: POST the request, print the
// tokens as they arrive. The stream ends without error at "data: [DONE]".
func ExampleDoJSON() {
	srv := httptest.NewServer(&fakellm.Stream{Writes: fakellm.OpenAI("gpt-fake", "Hello", ", wörld", "!")})
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"gpt-fake","stream":true,"messages":[{"role":"user","content":"Hi"}]}`))
	req.Header.Set("Content-Type", "application/json")

	chunks, err := sse.DoJSON[ChatChunk](req, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer chunks.Close()
	for chunk, err := range chunks.All() {
		if err != nil {
			log.Fatal(err)
		}
		for _, c := range chunk.Choices {
			fmt.Print(c.Delta.Content)
		}
		if chunk.Usage != nil {
			fmt.Printf("\n(%d tokens)\n", chunk.Usage.TotalTokens)
		}
	}
	// Output:
	// Hello, wörld!
	// (15 tokens)
}

// A refused request, such as a bad API key, is a *sse.ResponseError with
// the status and the start of the JSON error body.
func ExampleDoJSON_refused() {
	srv := httptest.NewServer(fakellm.Error(http.StatusUnauthorized,
		`{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}`))
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions", strings.NewReader(`{}`))
	_, err := sse.DoJSON[ChatChunk](req, nil)

	var re *sse.ResponseError
	if errors.As(err, &re) {
		fmt.Println(re.StatusCode)
		fmt.Println(string(re.Body))
	}
	// Output:
	// 401
	// {"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}
}

// Anthropic's Messages stream has typed events, decoded here into one
// union type. An in-band "event: error" ends the stream with an
// *sse.EventError, after the events before it.
func ExampleDoJSON_anthropic() {
	writes := fakellm.Anthropic("claude-fake", "Hallo", " Welt", "!")
	writes = append(writes[:5], fakellm.AnthropicError("overloaded_error", "Overloaded"))
	srv := httptest.NewServer(&fakellm.Stream{Writes: writes})
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/messages", strings.NewReader(`{"stream":true}`))
	events, err := sse.DoJSON[MessageEvent](req, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer events.Close()
	events.Skip = sse.SkipTypes("ping")

	for events.Next() {
		if ev := events.Current(); ev.Type == "content_block_delta" {
			fmt.Print(ev.Delta.Text)
		}
	}
	var apiErr *sse.EventError
	if errors.As(events.Err(), &apiErr) {
		fmt.Printf("\n%s: %s\n", apiErr.Kind, apiErr.Message)
	}
	// Output:
	// Hallo Welt
	// overloaded_error: Overloaded
}

// NewJSON reads the events of any Source: here a Decoder over a body
// already received, with a keep-alive comment and CRLF line endings.
func ExampleNewJSON() {
	body := ": keep-alive\r\n\r\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\" there\"}}]}\r\n\r\n" +
		"data: [DONE]\r\n\r\n"

	chunks := sse.NewJSON[ChatChunk](sse.NewDecoder(strings.NewReader(body)))
	for chunks.Next() {
		fmt.Print(chunks.Current().Choices[0].Delta.Content)
	}
	fmt.Println()
	fmt.Println(chunks.Err())
	// Output:
	// Hi there
	// <nil>
}

// Data that is not JSON ends the stream with a *sse.DecodeError that names
// the event.
func ExampleDecodeError() {
	body := "id: 42\nevent: delta\ndata: Hello, plain text\n\n"
	chunks := sse.NewJSON[ChatChunk](sse.NewDecoder(strings.NewReader(body)))
	for chunks.Next() {
	}
	var de *sse.DecodeError
	if errors.As(chunks.Err(), &de) {
		fmt.Println(de.Event.Type, de.Event.ID, de.Event.Data)
	}
	fmt.Println(chunks.Err())
	// Output:
	// delta 42 Hello, plain text
	// sse: decoding "delta" event (id "42"): invalid character 'H' looking for beginning of value: data "Hello, plain text"
}
