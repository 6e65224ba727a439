package sse_test

import (
	"fmt"
	"strings"

	"github.com/ssekit/sse"
)

func ExampleNewDecoder() {
	stream := strings.NewReader("event: greeting\n" +
		"id: 1\n" +
		"data: hello\n" +
		"data: world\n" +
		"\n" +
		"data: no type, same id\n" +
		"\n")
	d := sse.NewDecoder(stream)
	for d.Next() {
		e := d.Event()
		fmt.Printf("type=%s id=%s data=%q\n", e.Type, e.ID, e.Data)
	}
	if err := d.Err(); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// type=greeting id=1 data="hello\nworld"
	// type=message id=1 data="no type, same id"
}

func ExampleEvents() {
	stream := strings.NewReader("data: {\"n\":1}\r\n\r\ndata: {\"n\":2}\r\n\r\ndata: unfinished")
	for e, err := range sse.Events(stream) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println(e.Data)
	}
	// Output:
	// {"n":1}
	// {"n":2}
}

// Data returns the event's data without copying it: the slice is valid
// until the next call to Next, so a consumer that decodes it at once
// allocates nothing per event.
func ExampleDecoder_Data() {
	stream := strings.NewReader("data: 3\n\ndata: 4\n\nevent: stop\ndata: 5\n\n")
	d := sse.NewDecoder(stream)
	sum := 0
	for d.Next() {
		if string(d.Type()) == "stop" { // compiled without allocating
			break
		}
		for _, c := range d.Data() {
			sum += int(c - '0')
		}
	}
	fmt.Println(sum)
	// Output:
	// 7
}

// Comments are often sent as keep-alives; LastEventID is what a client
// sends back in the Last-Event-ID header when it reconnects.
func ExampleDecoder_LastEventID() {
	stream := strings.NewReader(": keep-alive\n\n" +
		"id: 41\ndata: a\n\n" +
		"id: 42\n\n" + // an id-only block: no event, but the ID is set
		": bye\n")
	d := sse.NewDecoder(stream)
	d.OnComment = func(c []byte) { fmt.Printf("comment %q\n", c) }
	for d.Next() {
		fmt.Printf("event %q id %q\n", d.Event().Data, d.Event().ID)
	}
	fmt.Printf("reconnect with Last-Event-ID: %s\n", d.LastEventID())
	// Output:
	// comment " keep-alive"
	// event "a" id "41"
	// comment " bye"
	// reconnect with Last-Event-ID: 42
}
