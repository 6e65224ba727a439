package ssejson

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/ssetest"
)

// respSummary is what the tests compare of a response: nil stays nil.
type respSummary struct {
	Status                       int
	RequestID, Session, RateLeft string
}

func summarize(r *http.Response) *respSummary {
	if r == nil {
		return nil
	}
	return &respSummary{r.StatusCode, r.Header.Get("X-Request-Id"), r.Header.Get("Mcp-Session-Id"),
		r.Header.Get("X-Ratelimit-Remaining-Requests")}
}

func TestResponse(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t, ssetest.Script{
		ssetest.Header("X-Request-Id", "req_1"),
		ssetest.Header("Mcp-Session-Id", "sess-9"),
		ssetest.Header("X-Ratelimit-Remaining-Requests", "499"),
		ssetest.Data(`{"choices":[{"delta":{"content":"a"}}]}`),
		ssetest.Data("[DONE]"),
	})
	j, err := Do[chunk](nil, post(t, context.Background(), srv.URL, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	want := &respSummary{200, "req_1", "sess-9", "499"}
	if diff := cmp.Diff(want, summarize(j.Response())); diff != "" {
		t.Errorf("Response() after Do (-want +got):\n%s", diff)
	}
	if _, err := readAll(j); err != nil {
		t.Fatal(err)
	}
	// The stream has ended; its response is still there to read.
	if diff := cmp.Diff(want, summarize(j.Response())); diff != "" {
		t.Errorf("Response() after the end (-want +got):\n%s", diff)
	}
}

func TestResponseOfReconnectingStream(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Header("X-Request-Id", "req_1"), ssetest.Send(ssetest.Event{ID: "1", Data: `{}`}), ssetest.Drop()},
		ssetest.Script{ssetest.Header("X-Request-Id", "req_2"), ssetest.Send(ssetest.Event{ID: "2", Data: `{}`}), ssetest.Data("[DONE]")},
	)
	req, err := http.NewRequest("GET", srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := (&sse.Client{ReconnectionTime: time.Millisecond}).NewStream(req)
	if err != nil {
		t.Fatal(err)
	}
	j := New[struct{}](s)
	defer j.Close()
	var got []*respSummary
	got = append(got, summarize(j.Response())) // nothing sent yet
	for j.Next() {
		got = append(got, summarize(j.Response()))
	}
	if err := j.Err(); err != nil {
		t.Fatal(err)
	}
	want := []*respSummary{nil, {200, "req_1", "", ""}, {200, "req_2", "", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Response() at each value (-want +got):\n%s", diff)
	}
}

func TestResponseWithoutOne(t *testing.T) {
	tests := []struct {
		name string
		src  Source
	}{
		{"decoder", sse.NewDecoder(strings.NewReader(tokData("a")))},
		{"closer", &closeRecorder{Decoder: sse.NewDecoder(strings.NewReader(tokData("a")))}},
	}
	for _, tt := range tests {
		j := New[chunk](tt.src)
		if r := j.Response(); r != nil {
			t.Errorf("%s: Response() before Next = %v, want nil", tt.name, r)
		}
		if _, err := readAll(j); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if r := j.Response(); r != nil {
			t.Errorf("%s: Response() after the end = %v, want nil", tt.name, r)
		}
	}
	var zero Stream[chunk]
	if r := zero.Response(); r != nil {
		t.Errorf("zero Stream: Response() = %v, want nil", r)
	}
}

// Response may be called while another goroutine is in Next (-race).
func TestResponseWhileReading(t *testing.T) {
	checkLeaks(t)
	srv, _ := stallServer(t, tokData("a"))
	j, err := Do[chunk](nil, post(t, context.Background(), srv.URL, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for j.Next() {
		}
	}()
	for range 100 {
		if r := j.Response(); r == nil || r.StatusCode != 200 {
			t.Fatalf("Response() = %v", r)
		}
	}
	j.Close()
	<-done
}
