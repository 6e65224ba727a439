package ssetest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ssekit/sse/ssetest"
)

func get(t *testing.T, srv *ssetest.Server, method, body string, header ...string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestEventEncode(t *testing.T) {
	for e, want := range map[ssetest.Event]string{
		{Data: "x"}:                        "data: x\n\n",
		{}:                                 "data:\n\n",
		{Type: "t", ID: "7", Data: "a\nb"}: "id: 7\nevent: t\ndata: a\ndata: b\n\n",
		{Data: "x", Retry: 1500 * time.Millisecond}: "retry: 1500\ndata: x\n\n",
		// A client reads CR and CRLF as line endings too: each is a line.
		{Data: "a\rb\r\nc"}: "data: a\ndata: b\ndata: c\n\n",
		{Data: " x"}:        "data:  x\n\n",
	} {
		got, err := ssetest.EncodeEvent(e)
		if got != want || err != nil {
			t.Errorf("EncodeEvent(%+v) = %q, %v; want %q", e, got, err, want)
		}
	}
}

func TestEventEncodeRefuses(t *testing.T) {
	for _, e := range []ssetest.Event{
		{ID: "1\ndata: injected"},
		{ID: "1\x00"},
		{Type: "a\rb"},
		{Data: "\xff"},
		{Data: "x", ID: "\n", Retry: time.Second}, // nothing, not even the retry
	} {
		got, err := ssetest.EncodeEvent(e)
		if got != "" || err == nil {
			t.Errorf("EncodeEvent(%+v) = %q, %v; want nothing and an error", e, got, err)
		}
	}
}

func TestSendRefusedIsAStepError(t *testing.T) {
	tb := &fakeTB{}
	srv := ssetest.New(tb, ssetest.Script{
		ssetest.Data("before"),
		ssetest.Send(ssetest.Event{ID: "1\ndata: injected", Data: "x"}),
		ssetest.Data("never"),
	})
	resp, body, err := get(t, srv, "GET", "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body != "data: before\n\n" {
		t.Errorf("got %d %q, want 200 and only the event before the refused one", resp.StatusCode, body)
	}
	for _, fn := range tb.cleanups {
		fn()
	}
	if len(tb.errs) != 1 || !strings.Contains(tb.errs[0], `cannot write id "1\ndata: injected"`) {
		t.Errorf("reported %q, want the refused id", tb.errs)
	}
}

// TestSteps checks what each step writes; Flush and Sleep write nothing of
// their own, and what they do is checked by TestFlushSends and
// TestSleepPauses.
func TestSteps(t *testing.T) {
	srv := ssetest.New(t, ssetest.Script{
		ssetest.Header("X-Test", "1"),
		ssetest.Send(ssetest.Event{Type: "t", ID: "1", Data: "a"}),
		ssetest.Data("b"),
		ssetest.Comment("ping"),
		ssetest.Flush(),
		ssetest.Retry(2 * time.Second),
		ssetest.Raw("data: raw\r\n\r\n"),
		ssetest.Sleep(time.Millisecond),
	})
	resp, body, err := get(t, srv, "GET", "")
	if err != nil {
		t.Fatal(err)
	}
	want := "id: 1\nevent: t\ndata: a\n\ndata: b\n\n:ping\nretry: 2000\n\ndata: raw\r\n\r\n"
	if body != want {
		t.Errorf("body %q, want %q", body, want)
	}
	for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Test": "1"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// Flush sends what was written before it: the client reads the event
// while the step after the Flush still holds the script. (That step is a
// Func, which does not flush, unlike Wait.)
func TestFlushSends(t *testing.T) {
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()
	srv := ssetest.New(t, ssetest.Script{
		ssetest.Data("a"),
		ssetest.Flush(),
		ssetest.Func("block", func(*ssetest.Conn) error { <-release; return nil }),
		ssetest.Data("b"),
	})
	type result struct {
		resp *http.Response
		read string
		err  error
	}
	first := make(chan result, 1)
	go func() {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			first <- result{err: err}
			return
		}
		buf := make([]byte, len("data: a\n\n"))
		n, err := io.ReadFull(resp.Body, buf)
		first <- result{resp, string(buf[:n]), err}
	}()
	var r result
	select {
	case r = <-first:
	case <-time.After(10 * time.Second):
		t.Fatal("the event before Flush did not reach the client while the next step held the script")
	}
	if r.err != nil || r.read != "data: a\n\n" {
		t.Fatalf("before the release: read %q, %v; want the flushed event", r.read, r.err)
	}
	defer r.resp.Body.Close()
	releaseOnce()
	rest, err := io.ReadAll(r.resp.Body)
	if err != nil || string(rest) != "data: b\n\n" {
		t.Errorf("after the release: read %q, %v; want the last event", rest, err)
	}
}

// Sleep flushes, then pauses the script for its duration: in a bubble,
// where time moves only when everything waits, the script's next step runs
// an hour after the one before, and after a timer of half an hour started
// with the script.
func TestSleepPauses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu    sync.Mutex
			order []string
		)
		mark := func(s string) {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, s)
		}
		w := &flushRecorder{}
		var start, end time.Time
		h := ssetest.NewHandler(ssetest.Script{
			ssetest.Data("a"),
			ssetest.Func("before", func(*ssetest.Conn) error { start = time.Now(); mark("before"); return nil }),
			ssetest.Sleep(time.Hour),
			ssetest.Func("after", func(*ssetest.Conn) error {
				end = time.Now()
				mark("after, flushed " + w.flushed.String())
				return nil
			}),
		})
		half := make(chan struct{})
		go func() {
			defer close(half)
			time.Sleep(30 * time.Minute)
			mark("half an hour")
		}()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		<-half
		if err := h.Err(); err != nil {
			t.Fatal(err)
		}
		want := []string{"before", "half an hour", "after, flushed data: a\n\n"}
		if diff := cmp.Diff(want, order); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		if d := end.Sub(start); d != time.Hour {
			t.Errorf("the script paused %v, want 1h", d)
		}
	})
}

// flushRecorder is an http.ResponseWriter that keeps apart what has been
// written and what has been flushed, as a client would see it.
type flushRecorder struct {
	header           http.Header
	pending, flushed bytes.Buffer
}

func (w *flushRecorder) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}
func (w *flushRecorder) WriteHeader(int)             {}
func (w *flushRecorder) Write(p []byte) (int, error) { return w.pending.Write(p) }
func (w *flushRecorder) Flush()                      { w.pending.WriteTo(&w.flushed) }

func TestScriptsPerConnectionAndRequests(t *testing.T) {
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Data("one")},
		ssetest.Script{ssetest.Header("Retry-After", "3"), ssetest.Respond(503, "busy")},
		ssetest.Script{ssetest.Status(201), ssetest.Header("Content-Type", "text/plain"), ssetest.Raw("three")},
	)
	for i, want := range []struct {
		status int
		body   string
	}{{200, "data: one\n\n"}, {503, "busy"}, {201, "three"}, {204, ""}, {204, ""}} {
		resp, body, err := get(t, srv, "POST", fmt.Sprintf("body %d", i+1), "Last-Event-ID", fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != want.status || body != want.body {
			t.Errorf("connection %d: %d %q, want %d %q", i+1, resp.StatusCode, body, want.status, want.body)
		}
		if i == 1 && resp.Header.Get("Retry-After") != "3" {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range reqs {
		if r.Conn != i+1 || r.Method != "POST" || string(r.Body) != fmt.Sprintf("body %d", i+1) ||
			r.LastEventID() != fmt.Sprint(i) || r.URL.Path != "/" || r.Proto != "HTTP/1.1" || r.Time.IsZero() {
			t.Errorf("request %d: %+v", i+1, r)
		}
	}
}

func TestAfter(t *testing.T) {
	srv := ssetest.New(t)
	srv.After = ssetest.Script{ssetest.Data("again")}
	for range 3 {
		if _, body, _ := get(t, srv, "GET", ""); body != "data: again\n\n" {
			t.Errorf("body %q", body)
		}
	}
}

func TestRequirements(t *testing.T) {
	srv := ssetest.NewServer(
		ssetest.Script{ssetest.RequireLastEventID(""), ssetest.RequireHeader("Accept", "text/event-stream"), ssetest.Data("ok")},
		ssetest.Script{ssetest.RequireLastEventID("5"), ssetest.Data("not sent")},
		ssetest.Script{ssetest.RequireHeader("X-Absent", ""), ssetest.Data("ok")},
	)
	defer srv.Close()
	if resp, body, _ := get(t, srv, "GET", "", "Accept", "text/event-stream"); resp.StatusCode != 200 || body != "data: ok\n\n" {
		t.Errorf("met requirements: %d %q", resp.StatusCode, body)
	}
	if srv.Err() != nil {
		t.Errorf("Err = %v", srv.Err())
	}
	resp, body, _ := get(t, srv, "GET", "", "Last-Event-ID", "4")
	if resp.StatusCode != http.StatusPreconditionFailed || !strings.Contains(body, `want Last-Event-ID "5", got ["4"]`) {
		t.Errorf("failed requirement: %d %q", resp.StatusCode, body)
	}
	get(t, srv, "GET", "", "X-Absent", "here")
	err := srv.Err()
	if err == nil || !strings.Contains(err.Error(), "connection 2") || !strings.Contains(err.Error(), "connection 3") {
		t.Errorf("Err = %v", err)
	}
}

// fakeTB records what New reports.
type fakeTB struct {
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func TestNewReportsFailures(t *testing.T) {
	tb := &fakeTB{}
	srv := ssetest.New(tb, ssetest.Script{ssetest.RequireLastEventID("1")})
	get(t, srv, "GET", "")
	for _, fn := range tb.cleanups {
		fn()
	}
	if len(tb.errs) != 1 || !strings.Contains(tb.errs[0], "RequireLastEventID") {
		t.Errorf("reported %q", tb.errs)
	}
}

func TestStepErrors(t *testing.T) {
	srv := ssetest.NewServer(
		ssetest.Script{ssetest.Data("x"), ssetest.Header("X", "late")},
		ssetest.Script{ssetest.Func("custom", func(c *ssetest.Conn) error { return errors.New("boom") })},
	)
	defer srv.Close()
	get(t, srv, "GET", "")
	get(t, srv, "GET", "")
	err := srv.Err()
	if err == nil || !strings.Contains(err.Error(), `Header("X", "late"): the response has started`) || !strings.Contains(err.Error(), "custom: boom") {
		t.Errorf("Err = %v", err)
	}
}

func TestDrop(t *testing.T) {
	srv := ssetest.New(t,
		ssetest.Script{ssetest.Data("partial"), ssetest.Drop()},
		ssetest.Script{ssetest.Drop()},
	)
	resp, body, err := get(t, srv, "GET", "")
	if resp == nil || !errors.Is(err, io.ErrUnexpectedEOF) || body != "data: partial\n\n" {
		t.Errorf("dropped stream: body %q, err %v", body, err)
	}
	if _, _, err := get(t, srv, "GET", ""); err == nil {
		t.Error("dropped before the response: no error")
	}
}

func TestHoldWaitAndClose(t *testing.T) {
	release := make(chan struct{})
	srv := ssetest.NewServer(
		ssetest.Script{ssetest.Data("held"), ssetest.Wait(release), ssetest.Data("released")},
		ssetest.Script{ssetest.Data("held"), ssetest.Hold(), ssetest.Data("never")},
	)
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("data: held\n\n"))
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	close(release)
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(rest) != "data: released\n\n" {
		t.Errorf("after Wait: %q", rest)
	}

	resp, err = srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	<-srv.Arrived(2)
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked on a held connection")
	}
	rest, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(rest), "never") {
		t.Errorf("script went on after Hold: %q", rest)
	}
}

func TestWaitRequests(t *testing.T) {
	srv := ssetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		if resp, err := srv.Client().Get(srv.URL); err == nil {
			resp.Body.Close()
		}
	}()
	reqs, err := srv.WaitRequests(ctx, 1)
	if err != nil || len(reqs) < 1 {
		t.Fatalf("WaitRequests: %v, %v", reqs, err)
	}
	short, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := srv.WaitRequests(short, 5); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitRequests with a done context: %v", err)
	}
}

func TestHTTP2(t *testing.T) {
	srv := ssetest.NewUnstartedServer(ssetest.Script{ssetest.Data("h2"), ssetest.Drop()})
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.Proto != "HTTP/2.0" || string(body) != "data: h2\n\n" || err == nil {
		t.Errorf("%s: %q, %v", resp.Proto, body, err)
	}
	if r := srv.Requests(); len(r) != 1 || r[0].Proto != "HTTP/2.0" {
		t.Errorf("requests %+v", r)
	}
}

func TestStepString(t *testing.T) {
	for _, tt := range []struct {
		step ssetest.Step
		want string
	}{
		{ssetest.Data("x"), `Data("x")`},
		{ssetest.Step{}, "Step{}"},
	} {
		if got := tt.step.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// A zero Step, as a Script made with make leaves, is a script error like a
// failed step: recorded, with where it is, and answered with 412; the
// steps before it were played.
func TestZeroStep(t *testing.T) {
	script := make(ssetest.Script, 1)
	script = append(script, ssetest.Data("never"))
	for _, tt := range []struct {
		name     string
		script   ssetest.Script
		wantBody string
		wantErr  string
	}{{
		name:     "made with make",
		script:   script,
		wantBody: "ssetest: Step{}: a zero Step",
		wantErr:  "ssetest: connection 1, step 1: Step{}: a zero Step",
	}, {
		name:     "after a header",
		script:   ssetest.Script{ssetest.Header("X", "1"), {}},
		wantBody: "ssetest: Step{}: a zero Step",
		wantErr:  "ssetest: connection 1, step 2: Step{}: a zero Step",
	}} {
		t.Run(tt.name, func(t *testing.T) {
			tb := &fakeTB{}
			srv := ssetest.New(tb, tt.script)
			resp, body, err := get(t, srv, "GET", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, fn := range tb.cleanups {
				fn()
			}
			if resp.StatusCode != http.StatusPreconditionFailed || !strings.HasPrefix(body, tt.wantBody) {
				t.Errorf("got %d %q, want 412 and %q", resp.StatusCode, body, tt.wantBody)
			}
			if len(tb.errs) != 1 || !strings.HasPrefix(tb.errs[0], tt.wantErr) {
				t.Errorf("reported %q, want %q", tb.errs, tt.wantErr)
			}
		})
	}
}

// Func with a nil function panics where the script is written, with a
// message that names the step, as http.HandleFunc does for a nil handler.
func TestFuncNil(t *testing.T) {
	defer func() {
		if r := recover(); r != `ssetest: Func("mine") with a nil function` {
			t.Errorf("recovered %v, want the panic of Func", r)
		}
	}()
	ssetest.Func("mine", nil)
}

// A Conn made by hand serves to test a function for Func; one without a
// ResponseWriter, the zero Conn, returns an error rather than panic.
func TestConnByHand(t *testing.T) {
	rec := httptest.NewRecorder()
	c := &ssetest.Conn{ResponseWriter: rec}
	if _, err := io.WriteString(c, "data: x\n\n"); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	got := []string{rec.Header().Get("Content-Type"), rec.Body.String()}
	if diff := cmp.Diff([]string{"text/event-stream", "data: x\n\n"}, got); diff != "" {
		t.Errorf("type, body (-want +got):\n%s", diff)
	}

	var zero ssetest.Conn
	_, werr := zero.Write([]byte("x"))
	ferr := zero.Flush()
	for _, err := range []error{werr, ferr} {
		if err == nil || !strings.Contains(err.Error(), "no ResponseWriter") {
			t.Errorf("zero Conn: %v, want an error that it has no ResponseWriter", err)
		}
	}
}

// The zero Handler answers 204 to all; the zero Server's Close does
// nothing, so that a deferred Close cannot panic over another failure.
func TestZeroValues(t *testing.T) {
	srv := httptest.NewServer(new(ssetest.Handler))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("zero Handler answered %d, want 204", resp.StatusCode)
	}
	new(ssetest.Server).Close()
}

// A client that leaves in the middle of a script is no failure of the
// server's: the script stops quietly.
func TestClientLeavesMidScript(t *testing.T) {
	var script ssetest.Script
	for range 5000 {
		script = append(script, ssetest.Data("x"), ssetest.Flush())
	}
	srv := ssetest.NewServer(script)
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close() // waits for the handler
	if err := srv.Err(); err != nil {
		t.Errorf("Err = %v, want nil: the client merely left", err)
	}
}

// Handler.Close alone ends a held script: the response ends cleanly, so a
// user's own server (not ssetest.Server, whose Close also cuts the
// connections) can shut down without hanging on a held stream.
func TestHandlerCloseEndsHold(t *testing.T) {
	h := ssetest.NewHandler(ssetest.Script{ssetest.Data("held"), ssetest.Hold(), ssetest.Data("never")})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, len("data: held\n\n"))
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	h.Close()
	type result struct {
		rest []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		rest, err := io.ReadAll(resp.Body)
		done <- result{rest, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || len(r.rest) != 0 {
			t.Errorf("after Handler.Close: read %q, %v; want a clean end of the response", r.rest, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Handler.Close did not end a held response")
	}
}
