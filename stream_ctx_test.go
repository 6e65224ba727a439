package sse

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// A done request context ends a stream even through a transport that does
// not watch the context: the stream checks it before each read, so at
// most the events already received are delivered after it.
func TestContextIgnoringTransport(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://sse.test/?n=100000000", nil)
	s, err := (&Client{HTTPClient: &http.Client{Transport: blockTransport{}}}).NewStream(req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Next() {
		t.Fatal(s.Err())
	}
	cancel()
	n := 0
	for s.Next() {
		// The decoder's buffer holds at most maxBufSize bytes of events.
		if n++; n > maxBufSize/cpuEvent {
			t.Fatalf("%d events after the context was cancelled", n)
		}
	}
	if !errors.Is(s.Err(), context.Canceled) {
		t.Errorf("Err = %v, want context.Canceled", s.Err())
	}
}
