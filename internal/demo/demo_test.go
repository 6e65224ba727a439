package demo

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssekit/sse"
)

func TestTokens(t *testing.T) {
	toks := Tokens()
	if strings.Join(toks, "") != Reply || len(toks) < 10 {
		t.Errorf("tokens %q", toks)
	}
}

func get(t *testing.T, url, lastID string) (*http.Response, []sse.Event, error) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var evs []sse.Event
	for ev, err := range sse.Events(resp.Body) {
		if err != nil {
			return resp, evs, err
		}
		evs = append(evs, ev)
	}
	return resp, evs, nil
}

func TestDropAndResume(t *testing.T) {
	srv := httptest.NewServer(&Server{DropAfter: 3, Retry: 7 * time.Millisecond})
	defer srv.Close()
	n := len(Tokens())

	resp, evs, err := get(t, srv.URL, "")
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if err == nil || len(evs) != 4 || evs[0].Type != "start" || evs[3].ID != "3" {
		t.Errorf("first response: %v, %+v", err, evs)
	}

	_, evs, err = get(t, srv.URL, "3")
	if err != nil || len(evs) != n-3+1 || evs[0].ID != "4" || evs[len(evs)-1].Type != "done" {
		t.Errorf("resumed: %v, %d events", err, len(evs))
	}

	// It drops once only.
	_, evs, err = get(t, srv.URL, "")
	if err != nil || len(evs) != n+2 {
		t.Errorf("again: %v, %d events", err, len(evs))
	}

	resp, _, _ = get(t, srv.URL, "99")
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("past the end: %s", resp.Status)
	}
	resp, _, _ = get(t, srv.URL, "junk")
	if resp.StatusCode != 200 {
		t.Errorf("bad Last-Event-ID: %s", resp.Status)
	}
}
