// Command openai streams a chat completion from an OpenAI-compatible API
// and prints the tokens as they arrive. It runs against a fake server on
// loopback; point the request at https://api.openai.com (with an
// Authorization header) or any compatible API to use a real one.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ssekit/sse/internal/fakellm"
	"github.com/ssekit/sse/ssejson"
)

// Chunk is the part of a chat.completion.chunk this program uses.
type Chunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

func main() {
	// A fake API that streams through a proxy using CRLF line endings.
	srv := httptest.NewServer(&fakellm.Stream{
		Writes: fakellm.OpenAI("gpt-fake", "Bon", "jour", " à", " vous", " 👋"),
		CRLF:   true,
	})
	defer srv.Close()

	body := `{"model":"gpt-fake","stream":true,"stream_options":{"include_usage":true},
		"messages":[{"role":"user","content":"Say hello in French"}]}`
	req, err := http.NewRequestWithContext(context.Background(), "POST",
		srv.URL+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-fake")

	chunks, err := ssejson.Do[Chunk](nil, req) // a 4xx would be an *sse.ResponseError here
	if err != nil {
		log.Fatal(err)
	}
	defer chunks.Close()
	// chunks.Response().Header holds the request id and rate limits, for
	// a real API: x-request-id, x-ratelimit-remaining-tokens.

	for chunk, err := range chunks.All() { // ends cleanly at "data: [DONE]"
		if err != nil {
			log.Fatal(err) // *ssejson.EventError, *ssejson.DecodeError, or a network error
		}
		for _, c := range chunk.Choices {
			fmt.Print(c.Delta.Content)
		}
		if chunk.Usage != nil {
			fmt.Printf("\n[%d prompt + %d completion tokens]\n",
				chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens)
		}
	}
}
