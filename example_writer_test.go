package sse_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"time"

	"github.com/ssekit/sse"
)

func ExampleNewWriter() {
	w := sse.NewWriter(os.Stdout)
	w.WriteRetry(5 * time.Second)
	w.WriteEvent(sse.Event{Type: "greeting", ID: "1", Data: "hello\r\nworld"})
	w.WriteComment("keep-alive")
	w.WriteEvent(sse.Event{Data: " leading space"})

	// A value that would inject a field is refused, and nothing is written.
	err := w.WriteEvent(sse.Event{ID: "2\ndata: injected", Data: "x"})
	var fe *sse.FieldError
	if errors.As(err, &fe) {
		fmt.Println("refused:", fe.Field, "at byte", fe.Offset)
	}
	// Output:
	// retry: 5000
	// id: 1
	// event: greeting
	// data: hello
	// data: world
	//
	// :keep-alive
	// data:  leading space
	//
	// refused: id at byte 1
}

func ExampleStartResponse() {
	handler := func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("topic") == "" {
			http.Error(rw, "no topic", http.StatusBadRequest) // before the stream starts
			return
		}
		w := sse.StartResponse(rw)
		for i := 1; i <= 3; i++ {
			if err := w.WriteEvent(sse.Event{ID: strconv.Itoa(i), Data: "tick " + strconv.Itoa(i)}); err != nil {
				return
			}
		}
		w.Flush()
	}
	srv := httptest.NewServer(http.HandlerFunc(handler))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "?topic=clock")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Header.Get("Content-Type"))
	for e, err := range sse.Events(resp.Body) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.ID, e.Data)
	}
	// Output:
	// text/event-stream
	// 1 tick 1
	// 2 tick 2
	// 3 tick 3
}

func ExampleHandler() {
	// A stream that resumes after the client's Last-Event-ID, with
	// heartbeats while it waits and a bound on each write.
	h := &sse.Handler{
		Heartbeat:    15 * time.Second,
		WriteTimeout: 10 * time.Second,
		ServeEvents: func(w *sse.Writer, r *http.Request) {
			next, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
			for next < 5 {
				next++
				select {
				case <-time.After(time.Millisecond): // waiting for the next update
				case <-r.Context().Done(): // the client left, or a write failed
					return
				}
				if err := w.WriteEvent(sse.Event{ID: strconv.Itoa(next), Data: "update " + strconv.Itoa(next)}); err != nil {
					return
				}
				w.Flush()
			}
		},
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Last-Event-ID", "3") // as an EventSource sends when it reconnects
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	for e, err := range sse.Events(resp.Body) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.ID, e.Data)
	}
	// Output:
	// 4 update 4
	// 5 update 5
}
