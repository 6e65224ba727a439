package ssejson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/ssejson"
	"github.com/ssekit/sse/ssetest"
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

// chatServer serves a short OpenAI-compatible chat completion stream, as
// the API sends it: a keep-alive comment, chunks, a usage chunk, [DONE].
func chatServer() *ssetest.Server {
	return ssetest.NewServer(ssetest.Script{
		ssetest.Header("X-Request-Id", "req_8f3a"),
		ssetest.Header("X-Ratelimit-Remaining-Tokens", "39985"),
		ssetest.Comment(" OPENROUTER PROCESSING"),
		ssetest.Data(`{"choices":[{"delta":{"role":"assistant","content":""}}]}`),
		ssetest.Data(`{"choices":[{"delta":{"content":"Hello"}}]}`),
		ssetest.Data(`{"choices":[{"delta":{"content":", wörld"}}]}`),
		ssetest.Data(`{"choices":[{"delta":{"content":"!"}}]}`),
		ssetest.Data(`{"choices":[],"usage":{"total_tokens":15}}`),
		ssetest.Data("[DONE]"),
	})
}

// Stream an OpenAI-compatible chat completion: POST the request, print the
// tokens as they arrive. The stream ends without error at "data: [DONE]".
func ExampleDo() {
	srv := chatServer()
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"gpt-fake","stream":true,"messages":[{"role":"user","content":"Hi"}]}`))
	req.Header.Set("Content-Type", "application/json")

	chunks, err := ssejson.Do[ChatChunk](nil, req)
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

// A refused request, such as a bad API key, is an *sse.ResponseError with
// the status and the start of the JSON error body.
func ExampleDo_refused() {
	srv := ssetest.NewServer(ssetest.Script{
		ssetest.Header("Content-Type", "application/json"),
		ssetest.Respond(http.StatusUnauthorized,
			`{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}`),
	})
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions", strings.NewReader(`{}`))
	_, err := ssejson.Do[ChatChunk](nil, req)

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
// *ssejson.EventError, after the events before it.
func ExampleDo_anthropic() {
	delta := func(text string) ssetest.Step {
		return ssetest.Send(ssetest.Event{Type: "content_block_delta",
			Data: `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"` + text + `"}}`})
	}
	srv := ssetest.NewServer(ssetest.Script{
		ssetest.Send(ssetest.Event{Type: "message_start", Data: `{"type":"message_start","message":{"id":"msg_1"}}`}),
		ssetest.Send(ssetest.Event{Type: "ping", Data: `{"type": "ping"}`}),
		delta("Hallo"),
		delta(" Welt"),
		ssetest.Send(ssetest.Event{Type: "error",
			Data: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`}),
	})
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/messages", strings.NewReader(`{"stream":true}`))
	events, err := ssejson.Do[MessageEvent](nil, req)
	if err != nil {
		log.Fatal(err)
	}
	defer events.Close()
	events.Skip = ssejson.SkipTypes("ping")

	for events.Next() {
		if ev := events.Current(); ev.Type == "content_block_delta" {
			fmt.Print(ev.Delta.Text)
		}
	}
	var apiErr *ssejson.EventError
	if errors.As(events.Err(), &apiErr) {
		fmt.Printf("\n%s: %s\n", apiErr.Kind, apiErr.Message)
	}
	// Output:
	// Hallo Welt
	// overloaded_error: Overloaded
}

// Response gives the status and headers of the response: request ids for
// a support ticket, rate limits, a session id.
func ExampleStream_Response() {
	srv := chatServer()
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions", strings.NewReader(`{"stream":true}`))
	chunks, err := ssejson.Do[ChatChunk](nil, req)
	if err != nil {
		log.Fatal(err)
	}
	defer chunks.Close()

	resp := chunks.Response()
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Request-Id"), resp.Header.Get("X-Ratelimit-Remaining-Tokens"))
	// Output:
	// 200 req_8f3a 39985
}

// Unmarshal plugs in another decoder: a faster one (see the field's doc),
// or encoding/json with options, here numbers kept as json.Number.
func ExampleStream_Unmarshal() {
	body := `data: {"id":12345678901234567890}` + "\n\n"
	values := ssejson.New[map[string]any](sse.NewDecoder(strings.NewReader(body)))
	values.Unmarshal = func(data []byte, v any) error {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		return d.Decode(v)
	}
	for v, err := range values.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v["id"])
	}
	// Output:
	// 12345678901234567890
}

// New reads the events of any Source: here a Decoder over a body already
// received, with a keep-alive comment and CRLF line endings.
func ExampleNew() {
	body := ": keep-alive\r\n\r\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\" there\"}}]}\r\n\r\n" +
		"data: [DONE]\r\n\r\n"

	chunks := ssejson.New[ChatChunk](sse.NewDecoder(strings.NewReader(body)))
	for chunks.Next() {
		fmt.Print(chunks.Current().Choices[0].Delta.Content)
	}
	fmt.Println()
	fmt.Println(chunks.Err())
	// Output:
	// Hi there
	// <nil>
}

// Data that is not JSON ends the stream with an *ssejson.DecodeError that
// names the event.
func ExampleDecodeError() {
	body := "id: 42\nevent: delta\ndata: Hello, plain text\n\n"
	chunks := ssejson.New[ChatChunk](sse.NewDecoder(strings.NewReader(body)))
	for chunks.Next() {
	}
	var de *ssejson.DecodeError
	if errors.As(chunks.Err(), &de) {
		fmt.Println(de.Event.Type, de.Event.ID, de.Event.Data)
	}
	fmt.Println(chunks.Err())
	// Output:
	// delta 42 Hello, plain text
	// ssejson: decoding "delta" event (id "42"): invalid character 'H' looking for beginning of value; data: Hello, plain text
}
