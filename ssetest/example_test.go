package ssetest_test

import (
	"fmt"
	"net/http"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/ssetest"
)

// A server whose first connection sends two events and drops, and whose
// second requires the client to resume after the last event it saw.
func Example() {
	srv := ssetest.NewServer(
		ssetest.Script{
			ssetest.Send(ssetest.Event{ID: "1", Data: "first"}),
			ssetest.Send(ssetest.Event{ID: "2", Data: "second"}),
			ssetest.Drop(),
		},
		ssetest.Script{
			ssetest.RequireLastEventID("2"),
			ssetest.Send(ssetest.Event{ID: "3", Data: "third"}),
		},
		// Further connections are answered 204 No Content: stop.
	)
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL, nil)
	client := &sse.Client{HTTPClient: srv.Client(), ReconnectionTime: 1}
	stream, _ := client.NewStream(req)
	defer stream.Close()
	for stream.Next() {
		fmt.Println(stream.Event().ID, stream.Event().Data)
	}
	fmt.Println("end:", stream.Err())
	for _, r := range srv.Requests() {
		fmt.Printf("connection %d: Last-Event-ID %q\n", r.Conn, r.LastEventID())
	}
	fmt.Println("server errors:", srv.Err())
	// Output:
	// 1 first
	// 2 second
	// 3 third
	// end: sse: server answered 204 No Content (stop reconnecting)
	// connection 1: Last-Event-ID ""
	// connection 2: Last-Event-ID "2"
	// connection 3: Last-Event-ID "3"
	// server errors: <nil>
}
