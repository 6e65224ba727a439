package ssejson

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/httpx"
	"github.com/ssekit/sse/ssetest"
)

// acceptAll is a CheckResponse that reads every response as a stream.
func acceptAll(*http.Response) error { return nil }

// accept200 reads every 200 response as a stream, whatever its type, and
// leaves the other statuses to sse.DefaultCheckResponse (so that a 204
// still ends a reconnecting stream).
func accept200(resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return sse.DefaultCheckResponse(resp)
}

// The response of a one-shot stream that is not text/event-stream, which
// a CheckResponse accepted, must not decode to nothing with Err nil: it is
// refused as sse.DefaultCheckResponse would refuse it, with the start of
// its body.
func TestContentType(t *testing.T) {
	const jsonBody = `{"error":{"message":"upstream gateway says no","code":"bad_gateway"}}`
	sseBody := []ssetest.Step{ssetest.Data(`{"choices":[{"delta":{"content":"a"}}]}`), ssetest.Data("[DONE]")}
	tests := []struct {
		name   string
		script ssetest.Script
		check  func(*http.Response) error
		want   []chunk
		// wantBody is the Body of the *sse.ResponseError wanted, which
		// wraps sse.ErrContentType; nil for no error.
		wantBody []byte
		wantType string
		// wantRetryAfter is its RetryAfter, from the Retry-After header,
		// as sse.DefaultCheckResponse would set it.
		wantRetryAfter time.Duration
	}{{
		name:     "JSON reply",
		script:   ssetest.Script{ssetest.Header("Content-Type", "application/json"), ssetest.Respond(200, jsonBody)},
		check:    acceptAll,
		wantBody: []byte(jsonBody),
		wantType: "application/json",
	}, {
		name: "JSON reply with Retry-After",
		script: ssetest.Script{
			ssetest.Header("Content-Type", "application/json"),
			ssetest.Header("Retry-After", "30"),
			ssetest.Respond(200, jsonBody),
		},
		check:          acceptAll,
		wantBody:       []byte(jsonBody),
		wantType:       "application/json",
		wantRetryAfter: 30 * time.Second,
	}, {
		name:     "SSE under another type",
		script:   append(ssetest.Script{ssetest.Header("Content-Type", "text/plain; charset=utf-8")}, sseBody...),
		check:    acceptAll,
		wantBody: []byte(`data: {"choices":[{"delta":{"content":"a"}}]}` + "\n\n" + "data: [DONE]\n\n"),
		wantType: "text/plain; charset=utf-8",
	}, {
		name:   "SSE under another type, vouched for by CheckResponse",
		script: append(ssetest.Script{ssetest.Header("Content-Type", "text/plain; charset=utf-8")}, sseBody...),
		check: func(resp *http.Response) error {
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				resp.Header.Set("Content-Type", "text/event-stream")
			}
			return sse.DefaultCheckResponse(resp)
		},
		want: []chunk{tok("a")},
	}, {
		name:   "event stream with parameters",
		script: append(ssetest.Script{ssetest.Header("Content-Type", "Text/Event-Stream; charset=UTF-8")}, sseBody...),
		check:  acceptAll,
		want:   []chunk{tok("a")},
	}}
	for _, tt := range tests {
		for _, how := range []string{"Do", "New"} {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				checkLeaks(t)
				srv := ssetest.New(t, tt.script)
				c := &sse.Client{CheckResponse: tt.check}
				req := post(t, context.Background(), srv.URL, `{}`)
				var j *Stream[chunk]
				var err error
				var got []chunk
				if how == "Do" {
					j, err = Do[chunk](c, req)
					if err == nil {
						got, err = readAll(j)
					} else if j != nil {
						t.Errorf("Do returned a Stream with its error")
					}
				} else {
					s, derr := c.Do(req)
					if derr != nil {
						t.Fatal(derr)
					}
					j = New[chunk](s)
					got, err = readAll(j)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("values (-want +got):\n%s", diff)
				}
				if tt.wantBody == nil {
					if err != nil {
						t.Errorf("Err() = %v", err)
					}
					return
				}
				var re *sse.ResponseError
				if !errors.As(err, &re) || !errors.Is(err, sse.ErrContentType) {
					t.Fatalf("error = %v, want an *sse.ResponseError wrapping sse.ErrContentType", err)
				}
				gotErr := []any{re.StatusCode, re.Header.Get("Content-Type"), string(re.Body), re.RetryAfter}
				if diff := cmp.Diff([]any{200, tt.wantType, string(tt.wantBody), tt.wantRetryAfter}, gotErr); diff != "" {
					t.Errorf("status, type, body, RetryAfter (-want +got):\n%s", diff)
				}
				if !strings.Contains(err.Error(), tt.wantType) {
					t.Errorf("Error() = %q, does not name the type", err)
				}
			})
		}
	}
}

// A reconnecting stream whose later response is of another type ends
// with the same error when that response delivers its first event.
func TestContentTypeOnReconnect(t *testing.T) {
	checkLeaks(t)
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Send(ssetest.Event{ID: "1", Data: `{"choices":[{"delta":{"content":"a"}}]}`}), ssetest.Drop()},
		ssetest.Script{
			ssetest.Header("Content-Type", "text/html"),
			ssetest.Header("Retry-After", "5"),
			ssetest.Data(`{"choices":[{"delta":{"content":"b"}}]}`),
		},
		// Further connections get 204, which ends the stream.
	)
	req, err := http.NewRequest("GET", srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := (&sse.Client{CheckResponse: accept200, ReconnectionTime: time.Millisecond}).NewStream(req)
	if err != nil {
		t.Fatal(err)
	}
	j := New[chunk](s)
	got, err := readAll(j)
	if diff := cmp.Diff([]chunk{tok("a")}, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	var re *sse.ResponseError
	if !errors.As(err, &re) || !errors.Is(err, sse.ErrContentType) || re.Header.Get("Content-Type") != "text/html" {
		t.Fatalf("Err() = %v, want an *sse.ResponseError for text/html wrapping sse.ErrContentType", err)
	}
	// The body has been read as a stream: none of it is kept.
	if re.RetryAfter != 5*time.Second || re.Body != nil {
		t.Errorf("RetryAfter, Body = %v, %q; want 5s and none", re.RetryAfter, re.Body)
	}
	if s.State() != sse.StateClosed {
		t.Errorf("source state = %v, want closed", s.State())
	}
}

// A reply of another type whose body never ends is not waited for
// forever: Do keeps what arrived in time.
func TestContentTypeBodyStalls(t *testing.T) {
	checkLeaks(t)
	old := httpx.ErrorBodyTimeout
	httpx.ErrorBodyTimeout = 20 * time.Millisecond
	t.Cleanup(func() { httpx.ErrorBodyTimeout = old })
	srv := ssetest.New(t, ssetest.Script{
		ssetest.Header("Content-Type", "application/json"),
		ssetest.Raw(`{"partial`),
		ssetest.Hold(),
	})
	start := time.Now()
	j, err := Do[chunk](&sse.Client{CheckResponse: acceptAll}, post(t, context.Background(), srv.URL, `{}`))
	if j != nil {
		t.Error("Do returned a Stream")
		j.Close()
	}
	var re *sse.ResponseError
	if !errors.As(err, &re) || !errors.Is(err, sse.ErrContentType) {
		t.Fatalf("Do error = %v, want an *sse.ResponseError wrapping sse.ErrContentType", err)
	}
	// How much arrived within the bound depends on the machine's load;
	// it is a start of what was sent, and the wait ended.
	if !strings.HasPrefix(`{"partial`, string(re.Body)) {
		t.Errorf("Body = %q, want a prefix of %q", re.Body, `{"partial`)
	}
	if d := time.Since(start); d > patience {
		t.Errorf("Do took %v", d)
	}
}
