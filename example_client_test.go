package sse_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/ssetest"
)

func ExampleNewStream() {
	srv := ssetest.NewServer(ssetest.Script{
		ssetest.Send(ssetest.Event{Type: "greeting", Data: "hello", ID: "1"}),
		ssetest.Data("world"),
	})
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL, nil)
	stream, err := sse.NewStream(req)
	if err != nil {
		panic(err)
	}
	defer stream.Close()
	for range 2 {
		if !stream.Next() {
			break
		}
		ev := stream.Event()
		fmt.Println(ev.Type, ev.Data, ev.ID)
	}
	// Output:
	// greeting hello 1
	// message world 1
}

// A one-shot POST, as LLM APIs stream a completion: Do returns when the
// headers have arrived, the end of the response is the end of the stream,
// and Err is nil.
func ExampleClient_Do() {
	srv := ssetest.NewServer(ssetest.Script{
		ssetest.Data(`{"delta":"Hel"}`),
		ssetest.Data(`{"delta":"lo"}`),
		ssetest.Data("[DONE]"),
	})
	defer srv.Close()

	client := &sse.Client{HTTPClient: srv.Client()}
	// Do waits for the headers as long as the context allows.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL,
		strings.NewReader(`{"prompt":"Say hello"}`))
	req.Header.Set("Content-Type", "application/json")
	stream, err := client.Do(req)
	if err != nil {
		fmt.Println("refused:", err) // a *sse.ResponseError for a 4xx or 5xx
		return
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

// A refused one-shot request: the *ResponseError holds the status and the
// start of the body, such as the JSON error an API sends.
func ExampleResponseError() {
	srv := ssetest.NewServer(ssetest.Script{
		ssetest.Header("Content-Type", "application/json"),
		ssetest.Respond(http.StatusUnauthorized, `{"error":"invalid API key"}`),
	})
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(`{"prompt":"hi"}`))
	_, err := (&sse.Client{HTTPClient: srv.Client()}).Do(req)
	var re *sse.ResponseError
	if errors.As(err, &re) {
		fmt.Println(re.StatusCode, string(re.Body))
	}
	// Output:
	// 401 {"error":"invalid API key"}
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
		PrepareRequest: func(req *http.Request, a sse.Attempt) (*http.Request, error) {
			req.Header.Set("Authorization", "Bearer "+token)
			return req, nil
		},
		CheckResponse: func(resp *http.Response) error {
			err := sse.DefaultCheckResponse(resp)
			if resp.StatusCode == http.StatusUnauthorized {
				token = "fresh"
				return sse.Retryable(err) // reconnect, although a 4xx ends a stream by default
			}
			return err
		},
		OnReconnect: func(s *sse.Stream, r sse.ReconnectInfo) {
			fmt.Printf("attempt %d after: %v\n", r.N, r.Err)
		},
	}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	stream, _ := client.NewStream(req)
	defer stream.Close()
	for stream.Next() {
		fmt.Println(string(stream.Data()))
	}
	fmt.Println(errors.Is(stream.Err(), sse.ErrNoContent))
	// Output:
	// attempt 2 after: sse: server answered 401 Unauthorized: token expired
	// secret
	// attempt 3 after: sse: server ended the response
	// true
}

// A protocol that resumes differently than it starts, as MCP's Streamable
// HTTP transport: the stream starts with a POST, and after a drop resumes
// with a GET that carries Last-Event-ID and the session's header.
func ExampleClient_PrepareRequest() {
	srv := ssetest.NewServer(
		ssetest.Script{
			ssetest.Header("Mcp-Session-Id", "s1"),
			ssetest.Send(ssetest.Event{ID: "1", Data: "progress 50%"}),
			ssetest.Drop(),
		},
		ssetest.Script{
			ssetest.RequireHeader("Mcp-Session-Id", "s1"),
			ssetest.RequireLastEventID("1"),
			ssetest.Send(ssetest.Event{ID: "2", Data: "result"}),
		},
	)
	defer srv.Close()

	client := &sse.Client{
		HTTPClient:       srv.Client(),
		ReconnectionTime: time.Millisecond,
		PrepareRequest: func(req *http.Request, a sse.Attempt) (*http.Request, error) {
			if a.N == 1 || a.LastEventID == "" {
				return req, nil
			}
			get, err := http.NewRequest(http.MethodGet, req.URL.String(), nil)
			if err != nil {
				return nil, err
			}
			get.Header.Set("Accept", "text/event-stream")
			get.Header.Set("Mcp-Session-Id", a.Response.Header.Get("Mcp-Session-Id"))
			return get, nil
		},
	}
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(`{"method":"tools/call"}`))
	req.Header.Set("Accept", "application/json, text/event-stream")
	stream, _ := client.NewStream(req)
	defer stream.Close()
	for stream.Next() {
		fmt.Println(stream.Event().ID, string(stream.Data()))
	}
	for _, r := range srv.Requests() {
		fmt.Printf("%s Last-Event-ID: %q\n", r.Method, r.LastEventID())
	}
	// Output:
	// 1 progress 50%
	// 2 result
	// POST Last-Event-ID: ""
	// GET Last-Event-ID: "1"
	// GET Last-Event-ID: "2"
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
		OnStateChange: func(s *sse.Stream, state sse.ReadyState) { fmt.Println("state:", state) },
	}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	stream, _ := client.NewStream(req)
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

// A backoff policy of one's own: any value with NextBackOff and Reset, such
// as those of github.com/cenkalti/backoff (v4 or v5). Here a constant delay,
// and at most two reconnects before the stream gives up. The server's
// "retry" and a Retry-After header are still the least delay.
func ExampleClient_NewBackOff() {
	srv := ssetest.NewServer()
	srv.After = ssetest.Script{ssetest.Respond(http.StatusServiceUnavailable, "busy")}
	defer srv.Close()

	client := &sse.Client{
		HTTPClient: srv.Client(),
		NewBackOff: func() sse.BackOff {
			return backoff.WithMaxRetries(backoff.NewConstantBackOff(10*time.Millisecond), 2)
		},
		OnReconnect: func(s *sse.Stream, r sse.ReconnectInfo) {
			fmt.Printf("attempt %d in %v\n", r.N, r.Delay)
		},
	}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	stream, _ := client.NewStream(req)
	defer stream.Close()
	for stream.Next() {
	}
	var gaveUp *sse.GaveUpError
	if errors.As(stream.Err(), &gaveUp) {
		fmt.Println("gave up after", gaveUp.Attempts, "attempts:", gaveUp.Err)
	}
	// Output:
	// attempt 2 in 10ms
	// attempt 3 in 10ms
	// gave up after 3 attempts: sse: server answered 503 Service Unavailable: busy
}

// Reconnect makes the stream reconnect now, resuming from the last event
// ID, with no wait and no failure counted: here because the server says
// so in the stream (an "event: reconnect" before it moves the client to
// another node); a client also does it to renew a credential in
// PrepareRequest, or to resume a stream it knows is stale.
func ExampleStream_Reconnect() {
	srv := ssetest.NewServer(
		ssetest.Script{
			ssetest.Send(ssetest.Event{ID: "1", Data: "a"}),
			ssetest.Send(ssetest.Event{Type: "reconnect"}),
			ssetest.Hold(), // the server would keep the connection open
		},
		ssetest.Script{
			ssetest.RequireLastEventID("1"),
			ssetest.Send(ssetest.Event{ID: "2", Data: "b"}),
		},
	)
	defer srv.Close()

	client := &sse.Client{
		HTTPClient: srv.Client(),
		PrepareRequest: func(req *http.Request, a sse.Attempt) (*http.Request, error) {
			if a.Err == sse.ErrReconnect {
				fmt.Println("reconnecting as asked")
			}
			return req, nil
		},
	}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	stream, _ := client.NewStream(req)
	defer stream.Close()
	for stream.Next() {
		ev := stream.Event()
		if ev.Type == "reconnect" {
			stream.Reconnect()
			continue
		}
		fmt.Println(ev.ID, ev.Data)
		if ev.ID == "2" {
			break
		}
	}
	for _, r := range srv.Requests() {
		fmt.Printf("request %d, Last-Event-ID %q\n", r.Conn, r.LastEventID())
	}
	// Output:
	// 1 a
	// reconnecting as asked
	// 2 b
	// request 1, Last-Event-ID ""
	// request 2, Last-Event-ID "1"
}
