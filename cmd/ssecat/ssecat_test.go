// This file holds ssecat's end-to-end tests (about 1,500 lines), one per
// behaviour a user sees, sharing the run/server fixtures; it is next in
// line to be split by subcommand.

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/demo"
	"github.com/ssekit/sse/internal/record"
)

// fixedNow is the clock of the tests: every message is at 0.000s.
var fixedNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func newTestApp(stdin string) (*app, *bytes.Buffer, *syncBuffer) {
	stdout := &bytes.Buffer{}
	stderr := &syncBuffer{}
	return &app{
		stdin:  strings.NewReader(stdin),
		stdout: stdout,
		stderr: stderr,
		now:    func() time.Time { return fixedNow },
		getenv: func(string) string { return "" },
	}, stdout, stderr
}

// syncBuffer is a bytes.Buffer safe for the logger's callbacks.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ssecat runs the command with args and returns its exit code, stdout and
// stderr.
func ssecat(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	a, stdout, stderr := newTestApp("")
	code := a.main(context.Background(), args)
	return code, stdout.String(), stderr.String()
}

// delays hides the jittered reconnect delays.
var delays = regexp.MustCompile(`in \d+ms`)

func normalize(s, url string) string {
	return delays.ReplaceAllString(strings.ReplaceAll(s, url, "URL"), "in Nms")
}

// diff fails t with both texts when they differ.
func diff(t *testing.T, what, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s differs from line %d:\n got: %q\nwant: %q\n--- got:\n%s\n--- want:\n%s", what, i+1, g, w, got, want)
			return
		}
	}
}

// The stream of the format tests: comments, a multi-line event, an empty
// one, an event without an ID after one with, and an ID change.
const testStream = ": hello\n\nevent: greet\nid: 1\ndata: hi\n\ndata: line one\ndata: line two\n\nid: 7\ndata:\n\nevent: greet\ndata: {\"a\":1}\n\n"

func streamServer(t *testing.T, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOutputFormats(t *testing.T) {
	srv := streamServer(t, testStream)
	tests := []struct {
		name string // "url first: ..." puts the flags after the URL
		args []string
		want string
	}{
		{"text", nil, `greet  id=1  hi
message  id=1  line one
               line two
message  id=7  (empty data)
greet    id=7  {"a":1}
`},
		{"comments", []string{"--comments"}, `: hello
greet  id=1  hi
message  id=1  line one
               line two
message  id=7  (empty data)
greet    id=7  {"a":1}
`},
		{"json", []string{"--json"}, `{"type":"greet","id":"1","data":"hi","time":"2026-11-21T12:00:00.000000Z","conn":1}
{"type":"message","id":"1","data":"line one\nline two","time":"2026-11-21T12:00:00.000000Z","conn":1}
{"type":"message","id":"7","data":"","time":"2026-11-21T12:00:00.000000Z","conn":1}
{"type":"greet","id":"7","data":"{\"a\":1}","time":"2026-11-21T12:00:00.000000Z","conn":1}
`},
		{"json comments", []string{"--json", "--comments", "--filter", "nothing"}, `{"comment":" hello","time":"2026-11-21T12:00:00.000000Z","conn":1}
`},
		{"data-only", []string{"--data-only"}, "hi\nline one\nline two\n\n{\"a\":1}\n"},
		{"filter", []string{"--filter", "greet", "--data-only"}, "hi\n{\"a\":1}\n"},
		{"url first: filter twice", []string{"--filter=greet", "--filter", "message", "--json", "-q"}, `{"type":"greet","id":"1","data":"hi","time":"2026-11-21T12:00:00.000000Z","conn":1}
{"type":"message","id":"1","data":"line one\nline two","time":"2026-11-21T12:00:00.000000Z","conn":1}
{"type":"message","id":"7","data":"","time":"2026-11-21T12:00:00.000000Z","conn":1}
{"type":"greet","id":"7","data":"{\"a\":1}","time":"2026-11-21T12:00:00.000000Z","conn":1}
`},
		{"raw", []string{"--raw"}, testStream},
		{"until", []string{"--until", "message", "--data-only"}, "hi\nline one\nline two\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--no-reconnect"}, tt.args...)
			if strings.HasPrefix(tt.name, "url first") {
				args = append([]string{srv.URL}, args...)
			} else {
				args = append(args, srv.URL)
			}
			code, stdout, stderr := ssecat(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			diff(t, "stdout", stdout, tt.want)
		})
	}
}

func TestStderrOneShot(t *testing.T) {
	srv := streamServer(t, testStream)
	code, _, stderr := ssecat(t, "--no-reconnect", srv.URL)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	want := fmt.Sprintf(`* 0.000s connecting to URL
* 0.000s open: 200 OK
* 0.000s closed: the server ended the stream
* 0.000s 4 events, %d B, 0 reconnects, 0s
`, len(testStream))
	diff(t, "stderr", normalize(stderr, srv.URL), want)
}

func TestQuiet(t *testing.T) {
	srv := streamServer(t, testStream)
	_, _, stderr := ssecat(t, "-q", "--no-reconnect", srv.URL)
	diff(t, "stderr", stderr, fmt.Sprintf("* 0.000s 4 events, %d B, 0 reconnects, 0s\n", len(testStream)))
}

func TestRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "{\n  \"error\": {\"message\": \"invalid API key\"}\n}\n")
	}))
	defer srv.Close()
	code, stdout, stderr := ssecat(t, srv.URL)
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	if stdout != "" {
		t.Errorf("stdout: %q", stdout)
	}
	want := `* 0.000s connecting to URL
* 0.000s refused: 401 Unauthorized: { "error": {"message": "invalid API key"} }
* 0.000s 0 events, 0 B, 0 reconnects, 0s
`
	diff(t, "stderr", normalize(stderr, srv.URL), want)
}

func TestWrongContentType(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html>login</html>")
	}))
	defer srv.Close()
	code, _, stderr := ssecat(t, srv.URL)
	if code != exitFailed || !strings.Contains(stderr, "refused: 200 OK but Content-Type is text/html; charset=utf-8, not text/event-stream (--accept-any-type reads it anyway): <html>login</html>\n") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// --accept-any-type reads a 200 of another type as a stream, and says so;
// other statuses are refused as ever.
func TestAcceptAnyType(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "data: a\n\n")
	}))
	defer srv.Close()
	code, stdout, stderr := ssecat(t, "--accept-any-type", "--no-reconnect", "--data-only", srv.URL)
	if code != exitOK || stdout != "a\n" || !strings.Contains(stderr, "open: 200 OK, but Content-Type is application/json, not text/event-stream: read as a stream anyway (--accept-any-type)\n") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	code, _, stderr = ssecat(t, "--accept-any-type", "--no-reconnect", srv.URL+"/gone")
	if code != exitFailed || !strings.Contains(stderr, "refused: 410 Gone") {
		t.Errorf("410: exit %d, stderr:\n%s", code, stderr)
	}
}

func TestNoContentEndsCleanly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	code, _, stderr := ssecat(t, srv.URL)
	if code != exitOK || !strings.Contains(stderr, "closed: the server answered 204 No Content: the stream is over") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// closedURL returns the URL of a port nothing listens on.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/events"
	ln.Close()
	return url
}

func TestConnectionRefused(t *testing.T) {
	url := closedURL(t)
	code, _, stderr := ssecat(t, "--max-retries", "1", "--retry-delay", "1ms", url)
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/events")
	want := fmt.Sprintf(`* 0.000s connecting to URL
* 0.000s failed: connection refused (is a server running at %s?); reconnecting in Nms
* 0.000s connecting to URL (attempt 2)
* 0.000s failed: gave up after 2 failed attempts in a row (--max-retries 1): connection refused (is a server running at %[1]s?)
* 0.000s 0 events, 0 B, 1 reconnect, 0s
`, host)
	diff(t, "stderr", normalize(stderr, url), want)
}

func TestOneShotRefusedConnection(t *testing.T) {
	code, _, stderr := ssecat(t, "--no-reconnect", closedURL(t))
	if code != exitFailed || !strings.Contains(stderr, "failed: connection refused") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

func fastDemo() *demo.Server {
	return &demo.Server{DropAfter: 9, Retry: time.Millisecond}
}

// runDemo runs the demo against s with args and returns exit code, stdout
// and stderr.
func runDemo(t *testing.T, s *demo.Server, args ...string) (int, string, string, string) {
	t.Helper()
	a, stdout, stderr := newTestApp("")
	o, err := parseArgs(args, a.stdin, true)
	if err != nil {
		t.Fatal(err)
	}
	var url string
	a.ready = func(u string) { url = u }
	code := a.runDemoWith(context.Background(), o, s)
	return code, stdout.String(), stderr.String(), url
}

func TestDemo(t *testing.T) {
	code, stdout, stderr, url := runDemo(t, fastDemo(), "--data-only", "--filter", "delta")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	// Every token once, in order, across the drop.
	var text strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var d struct{ Text string }
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		text.WriteString(d.Text)
	}
	if text.String() != demo.Reply {
		t.Errorf("reply:\n got %q\nwant %q", text.String(), demo.Reply)
	}
	n := len(demo.Tokens())
	want := fmt.Sprintf(`* 0.000s demo: a simulated LLM reply, served at URL; the server drops the connection once, on purpose
* 0.000s connecting to URL
* 0.000s open: 200 OK
* 0.000s dropped after 10 events: the connection broke off mid-stream; reconnecting in Nms
* 0.000s connecting to URL (attempt 2, Last-Event-ID: 9)
* 0.000s open: 200 OK
* 0.000s closed: got the "done" event (the end of the demo's reply)
* 0.000s %d events shown, 2 filtered out (--filter), `, n)
	got := normalize(stderr, url)
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, ", 1 reconnect, 0s\n") {
		t.Errorf("stderr:\n%s\nwant it to start:\n%s", got, want)
	}
}

func TestDemoJSONConnections(t *testing.T) {
	code, stdout, stderr, _ := runDemo(t, fastDemo(), "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	evs := decodeJSON(t, stdout)
	if len(evs) != len(demo.Tokens())+2 {
		t.Fatalf("%d events", len(evs))
	}
	for i, ev := range evs {
		wantConn := 1
		if i > 9 {
			wantConn = 2
		}
		if ev.Conn != wantConn {
			t.Errorf("event %d (%s %s): conn %d, want %d", i, ev.Type, ev.ID, ev.Conn, wantConn)
		}
	}
}

func decodeJSON(t *testing.T, s string) []jsonEvent {
	t.Helper()
	var evs []jsonEvent
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var ev jsonEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestRecordReplay(t *testing.T) {
	file := filepath.Join(t.TempDir(), "demo.sse")
	code, stdout, stderr, _ := runDemo(t, fastDemo(), "--json", "--record", file)
	if code != exitOK {
		t.Fatalf("demo: exit %d, stderr:\n%s", code, stderr)
	}
	recorded := decodeJSON(t, stdout)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), record.Header+"\n") || !strings.Contains(string(b), ` end 1 "unexpected EOF"`) {
		t.Errorf("recording:\n%s", b)
	}

	// Replay it as the command does, all at once, and read it back.
	a, out, errOut := newTestApp("")
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	a.ready = func(u string) { urls <- u }
	done := make(chan int)
	go func() { done <- a.replay(ctx, []string{"--speed", "0", file}) }()
	var url string
	select {
	case url = <-urls:
	case code := <-done:
		t.Fatalf("replay: exit %d, stderr:\n%s", code, errOut.String())
	}
	// The demo's client may close the last response itself (--until), and
	// the replay then keeps it open: stop as the recording client did.
	code, stdout, stderr = ssecat(t, "--json", "--retry-delay", "1ms", "--until", "done", url)
	cancel()
	if rc := <-done; rc != exitOK {
		t.Errorf("replay: exit %d", rc)
	}
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "dropped after 10 events") || !strings.Contains(stderr, `got the "done" event`) {
		t.Errorf("stderr:\n%s", stderr)
	}
	replayed := decodeJSON(t, stdout)
	if len(replayed) != len(recorded) {
		t.Fatalf("replayed %d events, recorded %d", len(replayed), len(recorded))
	}
	for i := range recorded {
		r, p := recorded[i], replayed[i]
		if r.Type != p.Type || r.ID != p.ID || r.Data != p.Data || r.Conn != p.Conn {
			t.Errorf("event %d: replayed %+v, recorded %+v", i, p, r)
		}
	}
	if out.String() != url+"\n" {
		t.Errorf("replay stdout %q, want the URL", out.String())
	}
}

func TestRawRecordingIsExact(t *testing.T) {
	// Bytes a parser must keep exact: CR and CRLF line ends, invalid
	// UTF-8, a BOM.
	body := "\xef\xbb\xbfdata: a\r\rdata: \xff\xfe\r\n\r\n: c\n\n"
	srv := streamServer(t, body)
	file := filepath.Join(t.TempDir(), "raw.sse")
	code, stdout, stderr := ssecat(t, "--raw", "--no-reconnect", "--record", file, srv.URL)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if stdout != body {
		t.Errorf("raw: %q, want %q", stdout, body)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := record.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, c := range record.Conns(entries) {
		for _, ch := range c.Chunks {
			got.WriteString(ch.Text)
		}
		if c.Status != 200 || c.Header.Get("Content-Type") != "text/event-stream" || c.End != record.EndEOF {
			t.Errorf("conn %+v", c)
		}
	}
	if got.String() != body {
		t.Errorf("recorded %q, want %q", got.String(), body)
	}
}

func TestRequestBodyResent(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s %s auth=%s id=%s", r.Method, r.Header.Get("Content-Type"), b, r.Header.Get("Authorization"), r.Header.Get("Last-Event-ID")))
		n := len(seen)
		mu.Unlock()
		if n > 2 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "retry: 1\nid: %d\ndata: x\n\n", n)
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "req.json")
	os.WriteFile(file, []byte(`{"prompt":"hi"}`), 0o644)
	code, _, stderr := ssecat(t, "--reconnect", "-d", "@"+file, "-H", "Authorization: Bearer k", "--last-event-id", "0", srv.URL)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := []string{
		`POST application/json {"prompt":"hi"} auth=Bearer k id=0`,
		`POST application/json {"prompt":"hi"} auth=Bearer k id=1`,
		`POST application/json {"prompt":"hi"} auth=Bearer k id=2`,
	}
	diff(t, "requests", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	if !strings.Contains(normalize(stderr, srv.URL), "connecting to URL (POST, attempt 2, Last-Event-ID: 1)") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestDataFromStdin(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = r.Method + " " + string(b)
		w.Header().Set("Content-Type", "text/event-stream")
	}))
	defer srv.Close()
	a, _, stderr := newTestApp("from stdin")
	if code := a.main(context.Background(), []string{"-X", "PUT", "-d", "@-", "--no-reconnect", srv.URL}); code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if got != "PUT from stdin" {
		t.Errorf("server got %q", got)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "ssecat: missing URL (try: ssecat demo)"},
		{[]string{"example.com/events"}, `ssecat: URL "example.com/events" needs a scheme: did you mean http://example.com/events ?`},
		{[]string{"localhost:8080/events"}, `ssecat: URL "localhost:8080/events" needs a scheme: did you mean http://localhost:8080/events ?`},
		{[]string{"127.0.0.1:8080/events"}, `ssecat: URL "127.0.0.1:8080/events" needs a scheme: did you mean http://127.0.0.1:8080/events ?`},
		{[]string{"/events"}, `ssecat: URL "/events" needs a scheme and a host, like http://localhost:8080/events`},
		{[]string{"ftp://example.com/x"}, `ssecat: URL "ftp://example.com/x": scheme must be http or https, not "ftp"`},
		{[]string{"http://"}, `ssecat: URL "http://" has no host`},
		{[]string{"-d", "@/no/such/file", "http://x"}, "ssecat: -d @/no/such/file: cannot read /no/such/file: no such file or directory"},
		{[]string{"-H", "Authorization Bearer x", "http://x"}, `ssecat: -H "Authorization Bearer x": want 'Name: value'`},
		{[]string{"-H", "Bad Name: x", "http://x"}, `ssecat: -H "Bad Name: x": "Bad Name" is not a valid header name`},
		{[]string{"--json", "--raw", "http://x"}, "ssecat: choose one output format: --json or --raw"},
		{[]string{"-q", "-v", "http://x"}, "ssecat: -q and -v contradict each other"},
		{[]string{"--raw", "--filter", "a", "http://x"}, "ssecat: --filter does not apply to --raw, which shows the bytes as received"},
		{[]string{"--bogus", "http://x"}, "ssecat: flag provided but not defined: --bogus"},
		{[]string{"-bogus", "http://x"}, "ssecat: flag provided but not defined: -bogus"},
		{[]string{"--bogus=1", "http://x"}, "ssecat: flag provided but not defined: --bogus"},
		{[]string{"--timeout", "soon", "http://x"}, `ssecat: invalid value "soon" for flag --timeout: parse error`},
		{[]string{"http://x", "--timeout"}, `ssecat: flag needs an argument: --timeout`},
		{[]string{"-q", "--quiet=maybe", "http://x"}, `ssecat: invalid boolean value "maybe" for --quiet: parse error`},
		{[]string{"http://a", "http://b"}, "ssecat: one URL only, got 2: http://a http://b"},
		{[]string{"demo", "http://x"}, `ssecat: demo takes no URL (got "http://x")`},
		{[]string{"--demo", "--max-retries", "9"}, "ssecat: there is no --demo flag: run 'ssecat demo [output flags]'"},
		{[]string{"--json", "-demo"}, "ssecat: there is no -demo flag: run 'ssecat demo [output flags]'"},
		{[]string{"demo", "--max-retries", "9"}, "ssecat: flag provided but not defined: --max-retries"},
		{[]string{"--record", "/no/such/dir/x.sse", "http://x"}, "ssecat: --record: open /no/such/dir/x.sse: no such file or directory"},
		{[]string{"replay"}, "ssecat: replay: missing FILE (a recording made with --record)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := ssecat(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			first, _, _ := strings.Cut(stderr, "\n")
			if first != tt.want {
				t.Errorf("stderr:\n got %s\nwant %s", first, tt.want)
			}
		})
	}
}

func TestReplayBadFile(t *testing.T) {
	dir := t.TempDir()
	notRec := filepath.Join(dir, "x.txt")
	os.WriteFile(notRec, []byte("hello\n"), 0o644)
	bad := filepath.Join(dir, "bad.sse")
	os.WriteFile(bad, []byte(record.Header+"\n0.1 body 1 unquoted\n"), 0o644)
	for file, want := range map[string]string{
		filepath.Join(dir, "missing.sse"): "cannot read " + filepath.Join(dir, "missing.sse") + ": no such file or directory",
		notRec:                            `line 1: not an ssecat recording`,
		bad:                               `line 2: body: want a quoted string, got unquoted`,
	} {
		code, _, stderr := ssecat(t, "replay", file)
		if code != exitFailed || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", file, code, stderr, want)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"demo", "-h"}} {
		code, stdout, stderr := ssecat(t, args...)
		if code != exitOK || !strings.Contains(stdout, "Usage:\n  ssecat [flags] URL") || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	code, stdout, _ := ssecat(t, "replay", "-h")
	if code != exitOK || !strings.HasPrefix(stdout, "Usage: ssecat replay") {
		t.Errorf("replay -h: exit %d, stdout %q", code, stdout)
	}
}

// silentServer opens a stream and sends nothing until the client leaves.
func silentServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestInterrupt(t *testing.T) {
	srv := silentServer(t)
	a, stdout, stderr := newTestApp("")
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int)
	go func() { done <- a.main(ctx, []string{"--data-only", srv.URL}) }()
	// Ctrl-C once the first event is out.
	for !strings.Contains(stderr.String(), "open: 200 OK") {
		time.Sleep(time.Millisecond)
	}
	cancel(errInterrupted)
	if code := <-done; code != exitOK {
		t.Errorf("exit %d", code)
	}
	if !strings.HasSuffix(stderr.String(), "* 0.000s closed: interrupted\n* 0.000s 1 event, 13 B, 0 reconnects, 0s\n") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if stdout.String() != "first\n" {
		t.Errorf("stdout %q", stdout)
	}
}

func TestTimeout(t *testing.T) {
	srv := silentServer(t)
	code, _, stderr := ssecat(t, "--timeout", "300ms", srv.URL)
	if code != exitOK || !strings.Contains(stderr, "closed: --timeout 300ms reached") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestIdleTimeout(t *testing.T) {
	// Each response sends one event, then nothing: the idle timeout cuts
	// it, and the event of the resumed response ends the run.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		typ := "first"
		if r.Header.Get("Last-Event-ID") != "" {
			typ = "resumed"
		}
		fmt.Fprintf(w, "event: %s\nid: 1\ndata: x\n\n", typ)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	code, _, stderr := ssecat(t, "--idle-timeout", "50ms", "--retry-delay", "1ms", "--until", "resumed", "--timeout", "10s", srv.URL)
	if code != exitOK {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "dropped after 1 event: nothing received for 50ms (--idle-timeout); reconnecting in") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestVerbose(t *testing.T) {
	srv := streamServer(t, "data: x\n\n")
	code, _, stderr := ssecat(t, "-v", "--no-reconnect", "-H", "Authorization: Bearer sk-secret-key", "-H", "Host: example.test", srv.URL+"/path?q=1")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"> GET /path?q=1 HTTP/1.1\n",
		"> Host: example.test\n",
		"> Accept: text/event-stream\n",
		"> Authorization: Bearer REDACTED\n",
		"> User-Agent: ssecat\n",
		"< HTTP/1.1 200 OK\n",
		"< Content-Type: text/event-stream\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "secret") {
		t.Errorf("stderr shows the secret:\n%s", stderr)
	}
}

func TestRecordRedactsURL(t *testing.T) {
	srv := streamServer(t, "data: x\n\n")
	file := filepath.Join(t.TempDir(), "rec.sse")
	url := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/x?api_key=sk-123&model=m"
	code, _, stderr := ssecat(t, "-v", "--no-reconnect", "--record", file, url)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "sk-123", "user:"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("recording keeps %q:\n%s", secret, b)
		}
		if strings.Contains(stderr, secret) {
			t.Errorf("stderr shows %q:\n%s", secret, stderr)
		}
	}
	if !strings.Contains(string(b), "/x?api_key=REDACTED&model=m") {
		t.Errorf("recording:\n%s", b)
	}
}

func TestRefusedNamesRedirectTarget(t *testing.T) {
	closed := closedURL(t)
	srv := httptest.NewServer(http.RedirectHandler(closed, http.StatusTemporaryRedirect))
	defer srv.Close()
	code, _, stderr := ssecat(t, "--no-reconnect", srv.URL)
	closedHost := strings.TrimSuffix(strings.TrimPrefix(closed, "http://"), "/events")
	if code != exitFailed || !strings.Contains(stderr, "is a server running at "+closedHost+"?") {
		t.Errorf("exit %d, want the refusing address %s named; stderr:\n%s", code, closedHost, stderr)
	}
}

func TestControlCharactersShownEscaped(t *testing.T) {
	body := "event: x\x1b[2Jy\ndata: a\x07b\x1b]0;title\x07\tc\ndata: \u0085d\x7f\n\n: ke\x1bep\n\n"
	srv := streamServer(t, body)
	for _, c := range []struct {
		flag, want string
		comments   bool // --raw shows the comments anyway, and refuses --comments
	}{
		{"--no-color", "x\\x1b[2Jy  a\\x07b\\x1b]0;title\\x07\tc\n           \\u0085d\\x7f\n: ke\\x1bep\n", true},
		{"--data-only", "a\\x07b\\x1b]0;title\\x07\tc\n\\u0085d\\x7f\n: ke\\x1bep\n", true},
		{"--raw", body, false},
	} {
		args := []string{"--no-reconnect", c.flag, srv.URL}
		if c.comments {
			args = append([]string{"--comments"}, args...)
		}
		code, stdout, stderr := ssecat(t, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d, stderr:\n%s", c.flag, code, stderr)
		}
		diff(t, c.flag, stdout, c.want)
	}
	code, stdout, _ := ssecat(t, "--no-reconnect", "--json", srv.URL)
	if evs := decodeJSON(t, stdout); code != exitOK || len(evs) != 1 || evs[0].Type != "x\x1b[2Jy" || evs[0].Data != "a\x07b\x1b]0;title\x07\tc\n\u0085d\x7f" {
		t.Errorf("--json: exit %d, %q", code, stdout)
	}
}

func TestRefusalBodyShownEscaped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no\x1b]0;pwned\x07 way", http.StatusForbidden)
	}))
	defer srv.Close()
	_, _, stderr := ssecat(t, "--no-reconnect", srv.URL)
	if strings.ContainsAny(stderr, "\x1b\x07") || !strings.Contains(stderr, `no\x1b]0;pwned\x07 way`) {
		t.Errorf("stderr %q", stderr)
	}
}

func TestInterruptNeverConnected(t *testing.T) {
	url := closedURL(t)
	a, _, stderr := newTestApp("")
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int)
	go func() { done <- a.main(ctx, []string{"--retry-delay", "1ms", url}) }()
	for strings.Count(stderr.String(), "reconnecting in") < 3 {
		time.Sleep(time.Millisecond)
	}
	cancel(errInterrupted)
	if code := <-done; code != exitFailed {
		t.Errorf("exit %d, want %d: no stream ever opened", code, exitFailed)
	}
	out := stderr.String()
	if n := strings.Count(out, "(never connected yet; --max-retries N gives up)"); n != 1 {
		t.Errorf("the hint is shown %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "failed: interrupted before any stream opened\n") {
		t.Errorf("stderr:\n%s", out)
	}
}

func TestInterruptedWaitIsNoReconnect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: x\n\n")
	}))
	defer srv.Close()
	a, _, stderr := newTestApp("")
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int)
	go func() { done <- a.main(ctx, []string{"--retry-delay", "1h", srv.URL}) }()
	for !strings.Contains(stderr.String(), "reconnecting in") {
		time.Sleep(time.Millisecond)
	}
	cancel(errInterrupted)
	<-done
	if !strings.HasSuffix(stderr.String(), "1 event, 9 B, 0 reconnects, 0s\n") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestHelpNamesReplayAddr(t *testing.T) {
	_, stdout, _ := ssecat(t, "-h")
	if !strings.Contains(stdout, "ssecat replay [--speed N] [--addr HOST:PORT] FILE") {
		t.Errorf("ssecat -h lacks replay's --addr:\n%s", stdout)
	}
}

func TestRefusalBodyCutAtRuneBoundary(t *testing.T) {
	body := "x" + strings.Repeat("é", 200) // 'é' at odd offsets: byte 300 is inside one
	got := describeResponse(&sse.ResponseError{Status: "500 Internal Server Error", Body: []byte(body)})
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "é…") {
		t.Errorf("cut inside a character: %q", got[len(got)-8:])
	}
}

func TestSecondSignal(t *testing.T) {
	for _, c := range []struct {
		name     string
		sigs     []os.Signal
		wantKill bool
	}{
		{"SIGTERM twice", []os.Signal{syscall.SIGTERM, syscall.SIGTERM}, false},
		{"SIGTERM then Ctrl-C", []os.Signal{syscall.SIGTERM, os.Interrupt}, true},
		{"Ctrl-C twice", []os.Signal{os.Interrupt, os.Interrupt}, true},
		{"Ctrl-C then SIGTERM", []os.Signal{os.Interrupt, syscall.SIGTERM}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			sig := make(chan os.Signal, 2)
			killed := make(chan bool, 1)
			done := make(chan struct{})
			go func() {
				watchSignals(ctx, sig, cancel, func() { killed <- true })
				close(done)
			}()
			for _, s := range c.sigs {
				sig <- s
			}
			close(sig)
			<-done
			if context.Cause(ctx) != errInterrupted {
				t.Errorf("cause %v", context.Cause(ctx))
			}
			if got := len(killed) == 1; got != c.wantKill {
				t.Errorf("killed %v, want %v", got, c.wantKill)
			}
		})
	}
}

// "ssecat read" prints a saved or piped stream exactly as the client path
// prints the same stream from a server, in every output format.
func TestReadMatchesStream(t *testing.T) {
	srv := streamServer(t, testStream)
	file := filepath.Join(t.TempDir(), "capture.sse")
	if err := os.WriteFile(file, []byte(testStream), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, flags := range [][]string{
		nil,
		{"--comments"},
		{"--json"},
		{"--json", "--comments"},
		{"--data-only"},
		{"--filter", "greet"},
		{"--until", "message", "--data-only"},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			_, want, _ := ssecat(t, append(append([]string{"--no-reconnect"}, flags...), srv.URL)...)
			for _, input := range []string{"stdin", "-", "FILE"} {
				a, stdout, stderr := newTestApp(testStream)
				args := append([]string{"read"}, flags...)
				switch input {
				case "-":
					args = append(args, "-")
				case "FILE":
					args = append(args, file)
				}
				if code := a.main(context.Background(), args); code != exitOK {
					t.Fatalf("read from %s: exit %d, stderr:\n%s", input, code, stderr)
				}
				diff(t, "stdout of read from "+input, stdout.String(), want)
			}
		})
	}
}

func TestReadStderr(t *testing.T) {
	tests := []struct {
		name, input, stdout, want string
	}{
		{"clean end", "data: a\n\n", "a\n", "* 0.000s closed: end of stdin\n* 0.000s 1 event, 9 B, 0s\n"},
		{"unfinished event", "data: a\n\nevent: t\ndata: cut", "a\n", "* 0.000s closed: end of stdin\n" +
			"* 0.000s the input ended inside an event (no blank line after it), which a client discards: t data \"cut\"\n" +
			"* 0.000s 1 event, 27 B, 0s\n"},
		// A CR ends its line at once, but the blank line is still missing.
		{"unfinished event ending in CR", "data: a\r", "", "* 0.000s closed: end of stdin\n" +
			"* 0.000s the input ended inside an event (no blank line after it), which a client discards: message data \"a\"\n" +
			"* 0.000s 0 events, 8 B, 0s\n"},
		// LF then a lone CR: the CR is the blank line, so nothing is cut.
		{"blank line as a lone CR", "data: a\n\r", "a\n", "* 0.000s closed: end of stdin\n* 0.000s 1 event, 9 B, 0s\n"},
		// Fields without data make no event, so none is lost.
		{"trailing id only", "data: a\n\nid: 9", "a\n", "* 0.000s closed: end of stdin\n* 0.000s 1 event, 14 B, 0s\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, stdout, stderr := newTestApp(tt.input)
			if code := a.main(context.Background(), []string{"read", "--data-only"}); code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			diff(t, "stdout", stdout.String(), tt.stdout)
			diff(t, "stderr", stderr.String(), tt.want)
		})
	}
}

func TestReadFailures(t *testing.T) {
	a, stdout, stderr := newTestApp("")
	a.stdin = io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(errors.New("disk on fire")))
	if code := a.main(context.Background(), []string{"read", "--data-only"}); code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	if stdout.String() != "a\n" {
		t.Errorf("stdout %q: want the event before the error", stdout)
	}
	if !strings.Contains(stderr.String(), "failed reading stdin: disk on fire") {
		t.Errorf("stderr:\n%s", stderr)
	}

	dir := t.TempDir()
	for args, want := range map[string]string{
		"read --raw":              "ssecat: read: --raw would print the input unchanged; use cat",
		"read --record x.sse":     "ssecat: read: --record records a connection; there is none here",
		"read a b":                "ssecat: read takes one FILE (or - for stdin), got 2",
		"read -v":                 "ssecat: read: -v shows HTTP headers; there are none here",
		"read --json --data-only": "ssecat: choose one output format: --json or --data-only",
		"read --no-reconnect":     "ssecat: flag provided but not defined: --no-reconnect",
	} {
		code, stdout, stderr := ssecat(t, strings.Fields(args)...)
		if first, _, _ := strings.Cut(stderr, "\n"); code != exitUsage || stdout != "" || first != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and %q", args, code, stdout, first, exitUsage, want)
		}
	}
	// A file that cannot be read is a failure, not a usage mistake.
	for args, want := range map[string]string{
		"read /no/such/file": "ssecat: read: cannot read /no/such/file: no such file or directory\n",
		"read " + dir:        "ssecat: read: cannot read " + dir + ": is a directory\n",
	} {
		code, stdout, stderr := ssecat(t, strings.Fields(args)...)
		if code != exitFailed || stdout != "" || stderr != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and %q", args, code, stdout, stderr, exitFailed, want)
		}
	}
}

// A comment line the input cuts off is not shown: a client never sees an
// unfinished line.
func TestReadUnfinishedComment(t *testing.T) {
	a, stdout, stderr := newTestApp(": whole\ndata: a\n\n: cut")
	if code := a.main(context.Background(), []string{"read", "--comments"}); code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	diff(t, "stdout", stdout.String(), ": whole\nmessage  a\n")
}

// Ctrl-C ends "ssecat read" at once, with its summary, even while the
// input sends nothing.
func TestReadInterrupt(t *testing.T) {
	a, _, stderr := newTestApp("")
	stdout := &syncBuffer{}
	a.stdout = stdout
	in, feed := io.Pipe()
	defer feed.Close()
	a.stdin = in
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() { done <- a.main(ctx, []string{"read", "--data-only"}) }()
	io.WriteString(feed, "data: a\n\n")
	for stdout.String() == "" { // the event is out: the input is now idle
		time.Sleep(time.Millisecond)
	}
	cancel(errInterrupted)
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d, want %d", code, exitOK)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("read did not end on Ctrl-C while its input was idle")
	}
	diff(t, "stdout", stdout.String(), "a\n")
	diff(t, "stderr", stderr.String(), "* 0.000s closed: interrupted\n* 0.000s 1 event, 9 B, 0s\n")
}

// -v shows each request as it went out: a redirect's own request line
// and Host, and the protocol of the connection, HTTP/2 included.
func TestVerboseShowsRequestsAsSent(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/from", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/to?x=1", http.StatusFound)
	})
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: x\n\n")
	})
	h1 := httptest.NewServer(mux)
	defer h1.Close()
	h2 := httptest.NewUnstartedServer(mux)
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()
	for _, tt := range []struct {
		name  string
		srv   *httptest.Server
		proto string
	}{
		{"HTTP/1.1", h1, "HTTP/1.1"},
		{"HTTP/2", h2, "HTTP/2.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			host := strings.TrimPrefix(strings.TrimPrefix(tt.srv.URL, "http://"), "https://")
			code, _, stderr := ssecat(t, "-v", "-k", "--no-reconnect", tt.srv.URL+"/from")
			if code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			var got []string
			for _, line := range strings.Split(stderr, "\n") {
				if _, rest, ok := strings.Cut(line, "s > "); ok && (strings.HasPrefix(rest, "GET") || strings.HasPrefix(rest, "Host:")) {
					got = append(got, "> "+rest)
				}
				if _, rest, ok := strings.Cut(line, "s < "); ok && strings.HasPrefix(rest, "HTTP") {
					got = append(got, "< "+rest)
				}
			}
			want := []string{
				"> GET /from " + tt.proto, "> Host: " + host, "< " + tt.proto + " 302 Found",
				"> GET /to?x=1 " + tt.proto, "> Host: " + host, "< " + tt.proto + " 200 OK",
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("-v request and status lines (-want +got):\n%s\nstderr:\n%s", d, stderr)
			}
		})
	}
}

// A request with a body is sent once unless --reconnect asks, and every
// time it is sent again is said on stderr, even with -q.
func TestBodySentOnce(t *testing.T) {
	var mu sync.Mutex
	var got []string
	mux := http.NewServeMux()
	mux.HandleFunc("/chat", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+string(b))
		n := len(got)
		mu.Unlock()
		if n > 2 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "retry: 1\nid: %d\ndata: x\n\n", n)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // a drop, which a GET would reconnect after
	})
	mux.Handle("/moved", http.RedirectHandler("/chat", http.StatusTemporaryRedirect))
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+string(b))
		mu.Unlock()
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	const again = "sending the request body (2 B) again"
	tests := []struct {
		name     string
		args     []string
		code     int
		requests []string
		notices  int // lines saying the body is sent again
		stderr   string
	}{
		{"once by default", []string{"-d", "hi", "/chat"}, exitFailed,
			[]string{"POST /chat hi"}, 0, "(a request with a body is sent once; --reconnect sends it again)"},
		{"--reconnect", []string{"--reconnect", "--retry-delay", "1ms", "-d", "hi", "/chat"}, exitOK,
			[]string{"POST /chat hi", "POST /chat hi", "POST /chat hi"}, 2, again + ", as --reconnect asks"},
		{"--reconnect -q", []string{"-q", "--reconnect", "--retry-delay", "1ms", "-d", "hi", "/chat"}, exitOK,
			[]string{"POST /chat hi", "POST /chat hi", "POST /chat hi"}, 2, again + ", as --reconnect asks"},
		{"a 307 redirect", []string{"-q", "-d", "hi", "/moved"}, exitFailed,
			[]string{"POST /chat hi"}, 1, again + ", to POST " + srv.URL + "/chat (a 307 redirect keeps it)"},
		{"--max-retries", []string{"-q", "--max-retries", "1", "--retry-delay", "1ms", "-d", "hi", "/busy"}, exitFailed,
			[]string{"POST /busy hi", "POST /busy hi"}, 1, again + ", as --max-retries asks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			args := append(tt.args[:len(tt.args)-1:len(tt.args)-1], srv.URL+tt.args[len(tt.args)-1])
			code, _, stderr := ssecat(t, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			mu.Lock()
			defer mu.Unlock()
			if d := cmp.Diff(tt.requests, got); d != "" {
				t.Errorf("requests (-want +got):\n%s", d)
			}
			if n := strings.Count(stderr, again); n != tt.notices || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr says %d times that the body is sent again, want %d, and should hold %q:\n%s", n, tt.notices, tt.stderr, stderr)
			}
		})
	}
}

// --no-reconnect --max-retries N retries a failed attempt, and never
// says it reconnects: an open stream is not reconnected.
func TestOneShotRetries(t *testing.T) {
	url := closedURL(t)
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/events")
	code, _, stderr := ssecat(t, "--no-reconnect", "--max-retries", "1", "--retry-delay", "1ms", url)
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	want := fmt.Sprintf(`* 0.000s connecting to URL
* 0.000s failed: connection refused (is a server running at %s?); retrying in Nms (--max-retries 1; an open stream is not reconnected)
* 0.000s connecting to URL (attempt 2)
* 0.000s failed: gave up after 2 failed attempts in a row (--max-retries 1): connection refused (is a server running at %[1]s?)
* 0.000s 0 events, 0 B, 1 reconnect, 0s
`, host)
	diff(t, "stderr", normalize(stderr, url), want)
}

// cutServer answers by Last-Event-ID: the first connection ends inside an
// event, the second starts with a BOM and an event without an ID, the
// third is 204.
func cutServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		switch r.Header.Get("Last-Event-ID") {
		case "":
			io.WriteString(w, "retry: 1\nid: 3\ndata: a\n\nevent: t\ndata: half an ev")
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		case "3":
			io.WriteString(w, "\xef\xbb\xbfdata: b\n\nid: 4\ndata: c\n\n")
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// --raw marks where each connection starts, so that "ssecat read" of raw
// output shows exactly the live events, and warns where the live client
// warned.
func TestRawReadBack(t *testing.T) {
	srv := cutServer(t)
	code, live, liveErr := ssecat(t, "--json", srv.URL)
	if code != exitOK {
		t.Fatalf("--json: exit %d, stderr:\n%s", code, liveErr)
	}
	code, raw, rawErr := ssecat(t, "--raw", srv.URL)
	if code != exitOK {
		t.Fatalf("--raw: exit %d, stderr:\n%s", code, rawErr)
	}
	wantRaw := "retry: 1\nid: 3\ndata: a\n\nevent: t\ndata: half an ev\n" +
		":--- ssecat: connection 2, Last-Event-ID: 3\n" +
		"\xef\xbb\xbfdata: b\n\nid: 4\ndata: c\n\n"
	diff(t, "--raw", raw, wantRaw)

	a, readOut, readErr := newTestApp(raw)
	if code := a.main(context.Background(), []string{"read", "--json"}); code != exitOK {
		t.Fatalf("read: exit %d, stderr:\n%s", code, readErr)
	}
	strip := func(evs []jsonEvent) []jsonEvent {
		for i := range evs {
			evs[i].Time = ""
		}
		return evs
	}
	want := []jsonEvent{
		{Type: "message", ID: "3", Data: "a", Conn: 1},
		{Type: "message", ID: "3", Data: "b", Conn: 2},
		{Type: "message", ID: "4", Data: "c", Conn: 2},
	}
	if d := cmp.Diff(want, strip(decodeJSON(t, live))); d != "" {
		t.Errorf("live events (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, strip(decodeJSON(t, readOut.String()))); d != "" {
		t.Errorf("events read back from --raw (-want +got):\n%s", d)
	}
	const warning = `connection 1 ended inside an event (no blank line after it), which a client discards: t data "half an ev"`
	for name, stderr := range map[string]string{"live": liveErr, "--raw": rawErr, "read": readErr.String()} {
		if strings.Count(stderr, warning) != 1 {
			t.Errorf("%s stderr should warn once %q:\n%s", name, warning, stderr)
		}
	}
}

// The segmenter finds a mark only at a line start, whatever the reads,
// and passes a line that is not a mark on at once.
func TestSegmenter(t *testing.T) {
	in := "data: a\r\n:--- ssecat: no\n" + ":--- ssecat: connection 2\n" + "x:--- ssecat: connection 9\n" +
		"\r:--- ssecat: connection 3, Last-Event-ID: a, b\r\n" + "end"
	for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
		seg := newSegmenter(r)
		var got []string
		for {
			b, err := io.ReadAll(seg)
			if err != nil {
				t.Fatal(err)
			}
			ok, n, id := seg.Mark()
			got = append(got, fmt.Sprintf("%q %v %d %q", b, ok, n, id))
			if !ok {
				break
			}
			seg.Next()
		}
		want := []string{
			`"data: a\r\n:--- ssecat: no\n" true 2 ""`,
			`"x:--- ssecat: connection 9\n\r" true 3 "a, b"`,
			`"end" false 0 ""`,
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("segments (-want +got):\n%s", d)
		}
	}
	// A line that is not a mark is passed on before more input arrives.
	pr, pw := io.Pipe()
	defer pw.Close()
	go io.WriteString(pw, ":-x\n")
	seg := newSegmenter(pr)
	p := make([]byte, 10)
	if n, err := seg.Read(p); err != nil || string(p[:n]) != ":-x\n" {
		t.Errorf("Read = %q, %v", p[:n], err)
	}
}

// pendingEvent names the event a response's end cuts off, as a client's
// decoder would have read it, however the bytes are split.
func TestPendingEvent(t *testing.T) {
	for _, tt := range []struct {
		in, want string // want "" for no event cut off
	}{
		{"data: a\n\n", ""},
		{"data: a\n\ndata: b", "message b"},
		{"data: a\r\n\r\nevent: t\r\ndata: b\r\n", "t b"},
		{"data: a\r\n\r\n", ""},
		{"data: a\r\r", ""},
		{"data: a\n\nid: 1\n", ""},
		{": comment\n", ""},
		{"\xef\xbb\xbfdata: x", "message x"},
		{"data: a\n\n\ndata: b\ndata: c", "message b\nc"},
	} {
		for _, size := range []int{1, 2, len(tt.in)} {
			p := &pendingEvent{limit: 1 << 10}
			for in := tt.in; in != ""; {
				n := min(size, len(in))
				p.write([]byte(in[:n]))
				in = in[n:]
			}
			got := ""
			if ev, ok := p.cut(); ok {
				got = ev.Type + " " + ev.Data
			}
			if got != tt.want {
				t.Errorf("%q in writes of %d: cut %q, want %q", tt.in, size, got, tt.want)
			}
		}
	}
}

// A response the server ends cleanly is not called a drop; a drop is.
func TestCleanEndIsNoDrop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		switch r.Header.Get("Last-Event-ID") {
		case "":
			io.WriteString(w, "retry: 1\nid: 1\ndata: a\n\n") // and a clean end
		case "1":
			io.WriteString(w, "id: 2\ndata: b\n\n")
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	code, _, stderr := ssecat(t, "-d", "x", "--reconnect", srv.URL)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := `* 0.000s connecting to URL (POST)
* 0.000s open: 200 OK
* 0.000s the server ended the response after 1 event; reconnecting in Nms
* 0.000s connecting to URL (POST, attempt 2, Last-Event-ID: 1)
* 0.000s sending the request body (1 B) again, as --reconnect asks
* 0.000s open: 200 OK
* 0.000s dropped after 1 event: the connection broke off mid-stream; reconnecting in Nms
* 0.000s connecting to URL (POST, attempt 3, Last-Event-ID: 2)
* 0.000s sending the request body (1 B) again, as --reconnect asks
* 0.000s closed: the server answered 204 No Content: the stream is over
`
	got := normalize(stderr, srv.URL)
	got = got[:strings.LastIndex(strings.TrimSuffix(got, "\n"), "\n")+1] // the summary
	diff(t, "stderr", got, want)
}

// Neither a recording nor -v keeps a credential: not in URLs (query,
// fragment, user information), not in a redirect's body, not in headers
// sent or received.
func TestNoCredentials(t *testing.T) {
	secrets := []string{"zzT1", "zzT2", "zzT3", "zzT4", "zzT5", "zzC1", "zzA1", "zzS1", "zzJ1", "zzP1", "hunter2"}
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		to := "/next?code=zzC1&jwt=zzJ1&pass=zzP1#access_token=zzA1"
		w.Header().Set("Location", to)
		w.Header().Set("Set-Cookie", "session=zzS1; Path=/; HttpOnly")
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusFound)
		fmt.Fprintf(w, "<a href=%q>Found</a>. token=zzT1\n", to)
	})
	mux.HandleFunc("/next", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Auth-Token", "zzT2")
		io.WriteString(w, "data: x\n\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "rec.sse")
	url := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/start?token=zzT1"
	code, _, stderr := ssecat(t, "-v", "--no-reconnect", "--record", file,
		"-H", "X-Auth-Token: zzT3", "-H", "Referer: http://r.test/?token=zzT4", "-H", "Cookie: sid=zzT5", url)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	rec, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range secrets {
		if strings.Contains(string(rec), secret) {
			t.Errorf("the recording keeps %q:\n%s", secret, rec)
		}
		if strings.Contains(stderr, secret) {
			t.Errorf("-v shows %q:\n%s", secret, stderr)
		}
	}
	for _, want := range []string{
		"> X-Auth-Token: REDACTED\n", "> Referer: http://r.test/?token=REDACTED\n", "> Cookie: sid=REDACTED\n",
		"< Set-Cookie: session=REDACTED; Path=/; HttpOnly\n", "< X-Auth-Token: REDACTED\n",
		"< Location: /next?code=REDACTED&jwt=REDACTED&pass=REDACTED#access_token=REDACTED\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("-v lacks %q:\n%s", want, stderr)
		}
	}
}

// The demo's lines are timed by one clock, so their times never go back.
func TestDemoOneClock(t *testing.T) {
	a, _, stderr := newTestApp("")
	var mu sync.Mutex
	tick := fixedNow
	a.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		tick = tick.Add(time.Millisecond)
		return tick
	}
	o, err := parseArgs([]string{"-q", "--data-only"}, a.stdin, true)
	if err != nil {
		t.Fatal(err)
	}
	o.quiet = false
	// Starting the server takes a while, as it does for real.
	a.ready = func(string) {
		mu.Lock()
		defer mu.Unlock()
		tick = tick.Add(time.Second)
	}
	if code := a.runDemoWith(context.Background(), o, fastDemo()); code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	last := -1.0
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var secs float64
		if _, err := fmt.Sscanf(line, "* %fs", &secs); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if secs < last {
			t.Errorf("time goes back to %.3fs at %q:\n%s", secs, line, stderr)
		}
		last = secs
	}
}

// The summary counts the events shown, and says how many --filter hid;
// --until-data stops at an event's data, as LLM streams end. Live and
// read say the same.
func TestFilterCountAndUntilData(t *testing.T) {
	const stream = "event: a\ndata: 1\n\nevent: b\ndata: 2\n\nevent: a\ndata: [DONE]\n\nevent: a\ndata: after\n\n"
	srv := streamServer(t, stream)
	tests := []struct {
		args          []string
		stdout, close string
		summary       string
	}{
		{[]string{"--filter", "b"}, "2\n", "closed: the server ended the stream", "1 event shown, 3 filtered out (--filter)"},
		{[]string{"--filter", "zzz"}, "", "closed: the server ended the stream", "0 events shown, 4 filtered out (--filter)"},
		{[]string{"--until-data", "[DONE]"}, "1\n2\n[DONE]\n", `closed: got the data "[DONE]" (--until-data)`, "3 events"},
		{[]string{"--until-data", "[DONE]", "--filter", "a"}, "1\n[DONE]\n", `closed: got the data "[DONE]" (--until-data)`, "2 events shown, 1 filtered out (--filter)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"--data-only", "--no-reconnect"}, tt.args...)
			code, stdout, stderr := ssecat(t, append(args, srv.URL)...)
			a, readOut, readErr := newTestApp(stream)
			readCode := a.main(context.Background(), append([]string{"read", "--data-only"}, tt.args...))
			for _, r := range []struct {
				name           string
				code           int
				stdout, stderr string
			}{{"live", code, stdout, stderr}, {"read", readCode, readOut.String(), readErr.String()}} {
				if r.code != exitOK {
					t.Errorf("%s: exit %d", r.name, r.code)
				}
				diff(t, r.name+" stdout", r.stdout, tt.stdout)
				if r.name == "live" && !strings.Contains(r.stderr, "* 0.000s "+tt.close+"\n") {
					t.Errorf("%s stderr lacks %q:\n%s", r.name, tt.close, r.stderr)
				}
				if !strings.Contains(r.stderr, "* 0.000s "+tt.summary+", ") {
					t.Errorf("%s stderr lacks %q:\n%s", r.name, tt.summary, r.stderr)
				}
			}
		})
	}
}

// --max-event-size sets the limit, and an event over it says how to
// raise it, live and in read.
func TestMaxEventSize(t *testing.T) {
	stream := "data: " + strings.Repeat("x", 2000) + "\n\ndata: " + strings.Repeat("y", 5000) + "\n\n"
	srv := streamServer(t, stream)
	const tooLarge = "sse: event too large: line exceeds 4096 bytes (--max-event-size raises the limit)"
	for _, args := range [][]string{{"--no-reconnect", "--max-event-size", "4K", srv.URL}, {"read", "--max-event-size", "4KiB"}} {
		a, stdout, stderr := newTestApp(stream)
		if code := a.main(context.Background(), append(args, "--data-only")); code != exitFailed {
			t.Errorf("%v: exit %d, want %d", args, code, exitFailed)
		}
		if !strings.Contains(stderr.String(), strings.TrimPrefix(tooLarge, "sse: ")) || stdout.String() != strings.Repeat("x", 2000)+"\n" {
			t.Errorf("%v: stdout %d bytes, stderr:\n%s", args, stdout.Len(), stderr)
		}
	}
	for in, want := range map[string]int{"100": 100, "4k": 4096, "4KB": 4096, "64MiB": 64 << 20, "1G": 1 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "4X", "MiB", "1.5M"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) succeeds", in)
		}
	}
}

// The body flags as curl spells them: --data-binary is -d (a FILE sent as
// it is), --data-raw takes "@" literally, several are joined with "&".
func TestDataFlags(t *testing.T) {
	var mu sync.Mutex
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = r.Method + " " + string(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "body")
	os.WriteFile(file, []byte("line 1\nline 2\n"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--data-binary", "@" + file}, "POST line 1\nline 2\n"},
		{[]string{"-d", "@" + file}, "POST line 1\nline 2\n"},
		{[]string{"--data-raw", "@" + file}, "POST @" + file},
		{[]string{"-d", "a=1", "--data-raw", "b=@2", "--data", "c=3"}, "POST a=1&b=@2&c=3"},
	} {
		args := append(append([]string{"-q"}, tt.args...), srv.URL)
		if code, _, stderr := ssecat(t, args...); code != exitOK {
			t.Errorf("%v: exit %d, stderr:\n%s", tt.args, code, stderr)
		}
		mu.Lock()
		if got != tt.want {
			t.Errorf("%v: server got %q, want %q", tt.args, got, tt.want)
		}
		mu.Unlock()
	}
}

// "ssecat read" of a --record file reads the events the client read, and
// names replay.
func TestReadRecording(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cut.sse")
	srv := cutServer(t)
	code, live, stderr := ssecat(t, "--json", "--record", file, srv.URL)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	code, read, stderr := ssecat(t, "read", "--json", file)
	if code != exitOK {
		t.Fatalf("read: exit %d, stderr:\n%s", code, stderr)
	}
	if d := cmp.Diff(decodeJSON(t, live), decodeJSON(t, read)); d != "" {
		t.Errorf("events read from the recording (-live +read):\n%s", d)
	}
	for _, want := range []string{
		"is an ssecat recording: reading the events of its 2 stream responses (ssecat replay " + file + " serves it)",
		`connection 1 ended inside an event (no blank line after it), which a client discards: t data "half an ev"`,
		"3 events, ",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// A URL without a scheme gets the "did you mean" hint once: ssecat's, not
// the library's as well.
func TestSchemeHintOnce(t *testing.T) {
	code, _, stderr := ssecat(t, "localhost:8080/events")
	if code != exitUsage || strings.Count(stderr, "did you mean") != 1 {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
