// Command anthropic streams a message from Anthropic's Messages API and
// prints the text as it arrives. It runs against a fake server on
// loopback; point the request at https://api.anthropic.com (with x-api-key
// and anthropic-version headers) to use the real one.
package main

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ssekit/sse/internal/fakellm"
	"github.com/ssekit/sse/ssejson"
)

// Event is the union of the Messages stream's events, as far as this
// program needs them; the "type" member says which one it is.
type Event struct {
	Type  string `json:"type"`
	Delta struct {
		Type       string `json:"type"`
		Text       string `json:"text"`
		StopReason string `json:"stop_reason"`
	} `json:"delta"`
	Usage struct {
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

func main() {
	srv := httptest.NewServer(&fakellm.Stream{
		Writes: fakellm.Anthropic("claude-fake", "Hallo", ", Wel", "t! ", "Grüß", " dich"),
	})
	defer srv.Close()

	body := `{"model":"claude-fake","max_tokens":256,"stream":true,
		"messages":[{"role":"user","content":"Say hello in German"}]}`
	req, err := http.NewRequest("POST", srv.URL+"/v1/messages", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "sk-ant-fake")
	req.Header.Set("anthropic-version", "2023-06-01")

	events, err := ssejson.Do[Event](nil, req)
	if err != nil {
		log.Fatal(err)
	}
	defer events.Close()
	events.Skip = ssejson.SkipTypes("ping")

	for events.Next() {
		ev := events.Current()
		switch ev.Type {
		case "content_block_delta":
			fmt.Print(ev.Delta.Text)
		case "message_delta":
			fmt.Printf("\n[%s, %d output tokens]\n", ev.Delta.StopReason, ev.Usage.OutputTokens)
		}
	}
	// The stream ends at the server's end of response. An "event: error"
	// (such as overloaded_error) ends it early with an *ssejson.EventError.
	var apiErr *ssejson.EventError
	if errors.As(events.Err(), &apiErr) {
		log.Fatalf("stream failed: %s: %s", apiErr.Kind, apiErr.Message)
	} else if err := events.Err(); err != nil {
		log.Fatal(err)
	}
}
