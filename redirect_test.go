package sse

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ssekit/sse/ssetest"
)

// Tests of redirects: the default policy and where a reconnect goes.

func TestRedirectReconnectsToOriginalURL(t *testing.T) {
	checkLeaks(t)
	h := ssetest.NewHandler(
		ssetest.Script{ssetest.Data("1")},
		ssetest.Script{ssetest.Data("2")},
	)
	defer h.Close()
	var mu sync.Mutex
	var paths []string
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
	})
	mux.Handle("/new", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &Client{HTTPClient: srv.Client(), sleep: newRecorder().sleep}
	s := mustNewStream(t, c, "POST", srv.URL+"/old", "body")
	if evs := readAll(s); len(evs) != 2 {
		t.Errorf("events %v", evs)
	}
	mu.Lock()
	requested := len(paths)
	mu.Unlock()
	if requested != 3 {
		t.Errorf("/old requested %d times, want 3", requested)
	}
	for _, r := range h.Requests() {
		if r.URL.Path != "/new" || string(r.Body) != "body" || r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("redirected request %+v", r)
		}
	}
}

// The default redirect policy keeps the caller's credentials at home: a
// redirect to another origin (another port, a downgrade to http, another
// host) carries none of the request's headers but the harmless ones, a
// header PrepareRequest set included; no redirect adds a Referer; and an
// HTTPClient's own CheckRedirect replaces the policy.
func TestRedirectPolicy(t *testing.T) {
	checkLeaks(t)
	secret := []string{"Authorization", "Cookie", "X-Api-Key", "X-Attempt-Token"}
	// redirector answers every request with a 307 to target, or to the
	// path target on its own server.
	redirector := func(target string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusTemporaryRedirect)
		})
	}
	plain := ssetest.New(t) // the target of the cross-origin cases
	plain.After = ssetest.Script{ssetest.Data("x")}
	plainURL := func(host string) string {
		u, _ := url.Parse(plain.URL)
		return "http://" + host + ":" + u.Port() + "/target"
	}
	startServer := func(h http.Handler, tls bool) *httptest.Server {
		var srv *httptest.Server
		if tls {
			srv = httptest.NewTLSServer(h)
		} else {
			srv = httptest.NewServer(h)
		}
		t.Cleanup(srv.Close)
		t.Cleanup(srv.Client().CloseIdleConnections)
		return srv
	}
	for _, tt := range []struct {
		name string
		// start returns the URL to request, the http.Client to use and
		// the handler that the redirect reaches.
		start func() (string, *http.Client, *ssetest.Handler)
		kept  bool // credentials reach the target
	}{
		{"SameOrigin", func() (string, *http.Client, *ssetest.Handler) {
			h := ssetest.NewHandler()
			h.After = ssetest.Script{ssetest.Data("x")}
			mux := http.NewServeMux()
			mux.Handle("/old", redirector("/new"))
			mux.Handle("/new", h)
			srv := startServer(mux, false)
			return srv.URL + "/old", srv.Client(), h
		}, true},
		{"OtherPort", func() (string, *http.Client, *ssetest.Handler) {
			srv := startServer(redirector(plainURL("127.0.0.1")), false)
			return srv.URL, srv.Client(), plain.Handler
		}, false},
		{"Downgrade", func() (string, *http.Client, *ssetest.Handler) {
			srv := startServer(redirector(plainURL("127.0.0.1")), true)
			return srv.URL, srv.Client(), plain.Handler
		}, false},
		{"OtherHost", func() (string, *http.Client, *ssetest.Handler) {
			srv := startServer(redirector(plainURL("localhost")), false)
			return srv.URL, srv.Client(), plain.Handler
		}, false},
		{"OwnCheckRedirect", func() (string, *http.Client, *ssetest.Handler) {
			srv := startServer(redirector(plainURL("127.0.0.1")), false)
			hc := &http.Client{Transport: srv.Client().Transport, CheckRedirect: func(req *http.Request, via []*http.Request) error {
				// The user's policy: send everything along.
				for _, k := range secret {
					req.Header.Set(k, via[0].Header.Get(k))
				}
				return nil
			}}
			return srv.URL, hc, plain.Handler
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start, hc, target := tt.start()
			before := len(target.Requests())
			c, _ := recordedClient(hc)
			c.PrepareRequest = func(req *http.Request, _ Attempt) (*http.Request, error) {
				req.Header.Set("X-Attempt-Token", "secret")
				return req, nil
			}
			req := newRequest(t, "GET", start, "")
			req.Header.Set("Authorization", "Bearer secret")
			req.Header.Set("Cookie", "session=secret")
			req.Header.Set("X-Api-Key", "secret")
			req.Header.Set("Last-Event-ID", "5")
			req.Header.Set("Accept-Language", "fr")
			s, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if evs := readAll(s); len(evs) != 1 || s.Err() != nil {
				t.Fatalf("events %v, Err %v", evs, s.Err())
			}
			reqs := target.Requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("%d requests reached the target, want 1", len(reqs))
			}
			got := reqs[0].Header
			for _, k := range secret {
				if sent := got.Get(k) != ""; sent != tt.kept {
					t.Errorf("%s sent: %v, want %v", k, sent, tt.kept)
				}
			}
			for k, v := range map[string]string{"Accept": "text/event-stream", "Cache-Control": "no-cache", "Last-Event-ID": "5", "Accept-Language": "fr"} {
				if got.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, got.Get(k), v)
				}
			}
			if ref := got.Get("Referer"); ref != "" && tt.name != "OwnCheckRedirect" {
				t.Errorf("Referer %q added", ref)
			}
		})
	}
}

// checkRedirect on its own, for the cases two test servers cannot make:
// a downgrade to the same port, default ports written out, case.
func TestCheckRedirect(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		kept     bool
	}{
		{"http://h/a", "http://h/b", true},
		{"http://h/a", "http://h:80/b", true},
		{"https://h/a", "https://h:443/b", true},
		{"https://H/a", "https://h/b", true},
		{"https://h:8443/a", "http://h:8443/b", false}, // downgrade, same port
		{"http://h:8080/a", "https://h:8080/b", false}, // another scheme
		{"http://h:1/a", "http://h:2/b", false},
		{"http://h/a", "http://sub.h/b", false},
		{"https://h/a", "http://h/b", false},
	} {
		first := httptest.NewRequest("GET", tt.from, nil)
		first.Header.Set("Authorization", "Bearer secret")
		first.Header.Set("X-Api-Key", "secret")
		first.Header.Set("Accept", "text/event-stream")
		req := httptest.NewRequest("GET", tt.to, nil)
		req.Header = first.Header.Clone()
		req.Header.Set("Referer", tt.from) // as net/http adds it
		if err := checkRedirect(req, []*http.Request{first}); err != nil {
			t.Fatal(err)
		}
		want := http.Header{"Accept": {"text/event-stream"}}
		if tt.kept {
			want["Authorization"] = []string{"Bearer secret"}
			want["X-Api-Key"] = []string{"secret"}
		}
		if diff := cmp.Diff(want, req.Header); diff != "" {
			t.Errorf("%s -> %s: headers (-want +got):\n%s", tt.from, tt.to, diff)
		}
	}
	// The limit is net/http's: the 10th redirect is followed, the 11th
	// is not.
	via := make([]*http.Request, maxRedirects)
	for i := range via {
		via[i] = httptest.NewRequest("GET", "http://h/", nil)
	}
	if err := checkRedirect(httptest.NewRequest("GET", "http://h/", nil), via[:maxRedirects-1]); err != nil {
		t.Errorf("redirect %d: %v, want it followed", maxRedirects, err)
	}
	if err := checkRedirect(httptest.NewRequest("GET", "http://h/", nil), via); err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Errorf("redirect %d: %v, want it refused at the limit", maxRedirects+1, err)
	}
}
