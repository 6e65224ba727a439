package sse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeResponse is an http.ResponseWriter that logs what it is asked to do,
// with the time since it was made (on the fake clock of a synctest
// bubble). With stall set, a write blocks until the write deadline passes,
// as the write to a client that reads nothing does.
type fakeResponse struct {
	mu       sync.Mutex
	start    time.Time
	header   http.Header
	code     int
	log      []string
	deadline time.Time
	stall    bool
}

func newFakeResponse() *fakeResponse {
	return &fakeResponse{start: time.Now(), header: http.Header{}}
}

func (f *fakeResponse) Header() http.Header { return f.header }

func (f *fakeResponse) WriteHeader(code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.code == 0 {
		f.code = code
	}
}

func (f *fakeResponse) logf(format string, args ...any) {
	f.log = append(f.log, fmt.Sprintf("%v ", time.Since(f.start))+fmt.Sprintf(format, args...))
}

func (f *fakeResponse) Write(p []byte) (int, error) {
	f.WriteHeader(http.StatusOK)
	f.mu.Lock()
	stall, deadline := f.stall, f.deadline
	f.mu.Unlock()
	if stall {
		if deadline.IsZero() {
			select {} // a deadlock the synctest bubble reports
		}
		time.Sleep(time.Until(deadline))
		return 0, os.ErrDeadlineExceeded
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logf("write %q", p)
	return len(p), nil
}

func (f *fakeResponse) FlushError() error {
	f.WriteHeader(http.StatusOK)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logf("flush")
	return nil
}

func (f *fakeResponse) SetWriteDeadline(t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deadline = t
	if t.IsZero() {
		f.logf("no deadline")
	}
	return nil
}

func (f *fakeResponse) Log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// serveEvents is a ServeEvents that writes and flushes each event it
// receives until events is closed or the request ends.
func serveEvents(events <-chan Event) func(w *Writer, r *http.Request) {
	return func(w *Writer, r *http.Request) {
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					return
				}
				if err := w.WriteEvent(ev); err != nil {
					return
				}
				w.Flush()
			case <-r.Context().Done():
				return
			}
		}
	}
}

func TestHandlerHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rw := newFakeResponse()
		events := make(chan Event)
		h := &Handler{Heartbeat: 10 * time.Second, ServeEvents: serveEvents(events)}
		done := make(chan struct{})
		go func() {
			h.ServeHTTP(rw, httptest.NewRequest("GET", "/", nil))
			close(done)
		}()
		time.Sleep(25 * time.Second)
		events <- Event{Data: "x"}
		time.Sleep(12 * time.Second)
		close(events)
		<-done
		time.Sleep(time.Minute) // no heartbeat after the handler returned
		want := []string{
			"0s flush", // the headers, at once
			`10s write ":\n"`, "10s flush",
			`20s write ":\n"`, "20s flush",
			`25s write "data: x\n\n"`, "25s flush",
			`35s write ":\n"`, "35s flush", // a full interval after the event
		}
		if diff := cmp.Diff(want, rw.Log()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestHandlerHeartbeatFlushesPendingWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rw := newFakeResponse()
		h := &Handler{Heartbeat: 10 * time.Second, ServeEvents: func(w *Writer, r *http.Request) {
			time.Sleep(4 * time.Second)
			w.WriteEvent(Event{Data: "unflushed"})
			time.Sleep(10 * time.Second)
		}}
		h.ServeHTTP(rw, httptest.NewRequest("GET", "/", nil))
		want := []string{"0s flush", `4s write "data: unflushed\n\n"`, `10s write ":\n"`, "10s flush"}
		if diff := cmp.Diff(want, rw.Log()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestHandlerWriteTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rw := newFakeResponse()
		var cause error
		var ended time.Duration
		start := time.Now()
		h := &Handler{
			Heartbeat:    10 * time.Second,
			WriteTimeout: 5 * time.Second,
			ServeEvents: func(w *Writer, r *http.Request) {
				rw.mu.Lock()
				rw.stall = true // the client stops reading
				rw.mu.Unlock()
				<-r.Context().Done() // the heartbeat at 10s stalls until 15s
				cause, ended = context.Cause(r.Context()), time.Since(start)
				if err := w.WriteEvent(Event{Data: "late"}); !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("WriteEvent after the timeout: %v, want os.ErrDeadlineExceeded", err)
				}
			},
		}
		h.ServeHTTP(rw, httptest.NewRequest("GET", "/", nil))
		if !errors.Is(cause, os.ErrDeadlineExceeded) || ended != 15*time.Second {
			t.Errorf("request ended after %v with %v, want after 15s with os.ErrDeadlineExceeded", ended, cause)
		}
	})
}

func TestHandlerClearsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rw := newFakeResponse()
		h := &Handler{WriteTimeout: 5 * time.Second, ServeEvents: func(w *Writer, r *http.Request) {
			time.Sleep(time.Second)
			w.WriteEvent(Event{Data: "x"})
			rw.mu.Lock()
			if got, want := rw.deadline.Sub(rw.start), 6*time.Second; got != want {
				t.Errorf("deadline of a write at 1s is at %v, want %v", got, want)
			}
			rw.mu.Unlock()
		}}
		h.ServeHTTP(rw, httptest.NewRequest("GET", "/", nil))
		// A connection kept alive for another request must not keep the
		// stream's last deadline.
		want := []string{"0s flush", `1s write "data: x\n\n"`, "1s no deadline"}
		if diff := cmp.Diff(want, rw.Log()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestHandlerEndsWithRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rw := newFakeResponse()
		ctx, cancel := context.WithCancel(context.Background())
		h := &Handler{Heartbeat: time.Second, ServeEvents: func(w *Writer, r *http.Request) {
			time.Sleep(1500 * time.Millisecond)
			cancel() // the client goes away
			if err := w.WriteEvent(Event{Data: "gone"}); !errors.Is(err, context.Canceled) {
				t.Errorf("WriteEvent after the client left: %v, want context.Canceled", err)
			}
			if err := w.Flush(); !errors.Is(err, context.Canceled) {
				t.Errorf("Flush after the client left: %v, want context.Canceled", err)
			}
			<-r.Context().Done()
			time.Sleep(time.Minute)
		}}
		h.ServeHTTP(rw, httptest.NewRequestWithContext(ctx, "GET", "/", nil))
		want := []string{"0s flush", `1s write ":\n"`, "1s flush"}
		if diff := cmp.Diff(want, rw.Log()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestHandlerWriterUnusableAfterReturn(t *testing.T) {
	rw := newFakeResponse()
	var kept *Writer
	h := &Handler{ServeEvents: func(w *Writer, r *http.Request) { kept = w }}
	h.ServeHTTP(rw, httptest.NewRequest("GET", "/", nil))
	n := len(rw.Log())
	if err := kept.WriteEvent(Event{Data: "x"}); !errors.Is(err, errHandlerDone) {
		t.Errorf("WriteEvent after ServeEvents returned: %v, want %v", err, errHandlerDone)
	}
	if err := kept.Flush(); !errors.Is(err, errHandlerDone) {
		t.Errorf("Flush after ServeEvents returned: %v, want %v", err, errHandlerDone)
	}
	if got := rw.Log()[n:]; len(got) != 0 {
		t.Errorf("a Writer used after ServeEvents returned wrote %q", got)
	}
}

func TestZeroHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	new(Handler).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusInternalServerError || rec.Body.String() != "sse: Handler has no ServeEvents\n" {
		t.Errorf("zero Handler answered %d %q, want 500 saying it has no ServeEvents", rec.Code, rec.Body.String())
	}
}

func TestHandlerOverHTTP(t *testing.T) {
	ended := make(chan error, 1)
	srv := httptest.NewServer(&Handler{WriteTimeout: time.Minute, ServeEvents: func(w *Writer, r *http.Request) {
		from, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
		for i := from + 1; i <= from+3; i++ {
			w.WriteEvent(Event{Type: "n", ID: strconv.Itoa(i), Data: "event " + strconv.Itoa(i)})
		}
		w.Flush()
		<-r.Context().Done() // until the client leaves
		ended <- w.WriteComment("after")
	}})
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Last-Event-ID", "4")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"text/event-stream"}, resp.Header.Values("Content-Type")); diff != "" {
		t.Errorf("Content-Type (-want +got):\n%s", diff)
	}
	d := NewDecoder(resp.Body)
	var got []Event
	for len(got) < 3 && d.Next() {
		got = append(got, d.Event())
	}
	want := []Event{{"n", "event 5", "5"}, {"n", "event 6", "6"}, {"n", "event 7", "7"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	resp.Body.Close() // the client leaves: ServeEvents's request ends
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("a write after the client left: %v, want context.Canceled", err)
	}
}
