package sse_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/ssetest"
)

func ExampleConnect() {
	srv := ssetest.NewServer(ssetest.Script{
		ssetest.Send(ssetest.Event{Type: "greeting", Data: "hello", ID: "1"}),
		ssetest.Data("world"),
	})
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL, nil)
	stream, err := sse.Connect(req)
	if err != nil {
		panic(err)
	}
	defer stream.Close()
	if stream.Next() {
		ev := stream.Event()
		fmt.Println(ev.Type, ev.Data, ev.ID)
	}
	if stream.Next() {
		ev := stream.Event()
		fmt.Println(ev.Type, ev.Data, ev.ID)
	}
	// Output:
	// greeting hello 1
	// message world 1
}

// A one-shot POST, as LLM APIs stream a completion: the end of the
// response is the end of the stream, and Err is nil.
func ExampleClient_oneShot() {
	srv := ssetest.NewServer(ssetest.Script{
		ssetest.Data(`{"delta":"Hel"}`),
		ssetest.Data(`{"delta":"lo"}`),
		ssetest.Data("[DONE]"),
	})
	defer srv.Close()

	client := &sse.Client{HTTPClient: srv.Client(), OneShot: true, MaxRetries: 3}
	req, _ := http.NewRequestWithContext(context.Background(), "POST", srv.URL,
		strings.NewReader(`{"prompt":"Say hello"}`))
	req.Header.Set("Content-Type", "application/json")
	stream, err := client.Connect(req)
	if err != nil {
		panic(err)
	}
	defer stream.Close()
	for ev, err := range stream.All() {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		if ev.Data == "[DONE]" {
			break
		}
		fmt.Println(ev.Data)
	}
	fmt.Println("request body:", string(srv.Requests()[0].Body))
	// Output:
	// {"delta":"Hel"}
	// {"delta":"lo"}
	// request body: {"prompt":"Say hello"}
}

// A stream that refreshes its token when the server answers 401, and
// reconnects.
func ExampleClient_CheckResponse() {
	srv := ssetest.NewServer(
		ssetest.Script{ssetest.Respond(http.StatusUnauthorized, "token expired")},
		ssetest.Script{ssetest.RequireHeader("Authorization", "Bearer fresh"), ssetest.Data("secret")},
	)
	defer srv.Close()

	token := "stale"
	client := &sse.Client{
		HTTPClient:       srv.Client(),
		ReconnectionTime: time.Millisecond,
		PrepareRequest: func(req *http.Request, attempt int) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		},
		CheckResponse: func(resp *http.Response) error {
			err := sse.DefaultCheckResponse(resp)
			if resp.StatusCode == http.StatusUnauthorized {
				token = "fresh"
				return sse.Retryable(err) // reconnect, although a 4xx ends a stream by default
			}
			return err
		},
		OnRetry: func(ri sse.RetryInfo) {
			fmt.Printf("attempt %d after: %v\n", ri.Attempt, ri.Err)
		},
	}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	stream, _ := client.Connect(req)
	defer stream.Close()
	for stream.Next() {
		fmt.Println(string(stream.Data()))
	}
	fmt.Println(errors.Is(stream.Err(), sse.ErrNoContent))
	// Output:
	// attempt 2 after: sse: server answered 401 Unauthorized: token expired
	// secret
	// attempt 3 after: sse: server closed the stream
	// true
}

// Observing the connection: its state and the reconnects.
func ExampleClient_OnStateChange() {
	srv := ssetest.NewServer(
		ssetest.Script{ssetest.Retry(time.Millisecond), ssetest.Data("a"), ssetest.Drop()},
		ssetest.Script{ssetest.Header("Retry-After", "0"), ssetest.Respond(http.StatusServiceUnavailable, "")},
		ssetest.Script{ssetest.Data("b")},
		ssetest.Script{ssetest.Respond(http.StatusNotFound, "gone")},
	)
	defer srv.Close()

	client := &sse.Client{
		HTTPClient:    srv.Client(),
		OnStateChange: func(s sse.ReadyState) { fmt.Println("state:", s) },
	}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	stream, _ := client.Connect(req)
	defer stream.Close()
	for stream.Next() {
		fmt.Println("event:", stream.Event().Data)
	}
	var re *sse.ResponseError
	if errors.As(stream.Err(), &re) {
		fmt.Println("end:", re.StatusCode, string(re.Body))
	}
	// Output:
	// state: open
	// event: a
	// state: connecting
	// state: open
	// event: b
	// state: connecting
	// state: closed
	// end: 404 gone
}
