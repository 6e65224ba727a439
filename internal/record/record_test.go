package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestWriteRead(t *testing.T) {
	var buf bytes.Buffer
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := NewWriter(&buf, "http://example.com/x", func() time.Time { tick = tick.Add(1000 * time.Microsecond); return tick })
	h := http.Header{}
	h.Set("Content-Type", "text/event-stream")
	h.Set("Retry-After", "3")
	h.Set("X-Other", "not kept")
	req, _ := http.NewRequest("GET", "http://example.com/x", nil)
	req.Header.Set("Last-Event-ID", "9")
	w.Request(1, req)
	w.Response(1, &http.Response{StatusCode: 200, Header: h})
	body := "data: \xff\r\n\"quoted\" \\ \x00\n\n"
	w.Body(1, []byte(body))
	w.End(1, "unexpected EOF")
	w.Error(2, errors.New("dial tcp: connection refused"))
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	wantTail := `0.001 request 1 "GET http://example.com/x"
0.002 sent 1 "Last-Event-ID: 9"
0.003 response 1 200
0.004 header 1 "Content-Type: text/event-stream"
0.005 header 1 "Retry-After: 3"
0.006 body 1 "data: \xff\r\n\"quoted\" \\ \x00\n\n"
0.007 end 1 "unexpected EOF"
0.008 error 2 "dial tcp: connection refused"
`
	// The header's start time comes from the same clock as the records.
	wantHead := Header + "\n# url: http://example.com/x\n# started: 2026-01-01T00:00:00.001Z\n"
	if !strings.HasPrefix(text, wantHead) || !strings.HasSuffix(text, wantTail) {
		t.Errorf("recording:\n%s\nwant it to end:\n%s", text, wantTail)
	}
	entries, err := Read(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	conns := Conns(entries)
	if len(conns) != 2 {
		t.Fatalf("%d conns", len(conns))
	}
	c := conns[0]
	if c.Status != 200 || c.Header.Get("Retry-After") != "3" || c.Header.Get("X-Other") != "" || len(c.Chunks) != 1 || c.Chunks[0].Text != body || c.End != "unexpected EOF" {
		t.Errorf("conn 1: %+v", c)
	}
	if c.LastEventID != "9" || c.Request != "GET http://example.com/x" {
		t.Errorf("conn 1 request %q, Last-Event-ID %q", c.Request, c.LastEventID)
	}
	if c.Chunks[0].At != 6*time.Millisecond {
		t.Errorf("chunk at %v", c.Chunks[0].At)
	}
	if conns[1].Status != 0 || conns[1].Error != "dial tcp: connection refused" {
		t.Errorf("conn 2: %+v", conns[1])
	}
}

func TestReadErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "empty file",
		"data: x\n":                     "line 1: not an ssecat recording",
		Header + "\n1 body 1\n":         "line 2: want SECONDS KIND CONN ARGS",
		Header + "\nx body 1 \"a\"\n":   `line 2: bad time "x"`,
		Header + "\n1 body 0 \"a\"\n":   `line 2: bad connection number "0"`,
		Header + "\n1 blob 1 \"a\"\n":   `line 2: unknown kind "blob"`,
		Header + "\n1 response 1 OK\n":  `line 2: bad status "OK"`,
		Header + "\n1 header 1 \"x\"\n": `line 2: header "x" has no colon`,
	} {
		_, err := Read(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestPlayer(t *testing.T) {
	rec := Header + `
# a comment

0.000 response 1 200
0.000 header 1 "Content-Type: text/event-stream"
0.010 body 1 "data: one\n\n"
0.020 end 1 "EOF"
0.500 error 2 "connection refused"
1.000 response 3 503
1.000 header 3 "Retry-After: 1"
1.000 body 3 "busy"
1.000 end 3 "EOF"
`
	entries, err := Read(strings.NewReader(rec))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&Player{Conns: Conns(entries)})
	defer srv.Close()
	get := func() (int, string, error) {
		resp, err := http.Get(srv.URL)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type") + resp.Header.Get("Retry-After") + " " + string(b), err
	}
	for round := 0; round < 2; round++ {
		if code, got, err := get(); code != 200 || got != "text/event-stream data: one\n\n" || err != nil {
			t.Errorf("round %d conn 1: %d %q %v", round, code, got, err)
		}
		if code, got, _ := get(); code != 502 || !strings.HasSuffix(got, " ssecat replay: this request failed when recorded: connection refused\n") {
			t.Errorf("round %d conn 2: %d %q", round, code, got)
		}
		if code, got, _ := get(); code != 503 || got != "1 busy" {
			t.Errorf("round %d conn 3: %d %q", round, code, got)
		}
		if code, _, _ := get(); code != 204 {
			t.Errorf("round %d end: %d", round, code)
		}
	}
}

func TestPlayerPick(t *testing.T) {
	conns := []*Conn{
		{N: 1, Request: "GET /", Status: 503},
		{N: 2, Request: "GET /", Status: 200},
		{N: 3, Request: "GET /", Status: 200, LastEventID: "9"},
	}
	p := &Player{Conns: conns}
	steps := []struct {
		lid  string
		want int // index served; 3 is the 204
	}{
		{"", 0}, {"", 1}, {"9", 2}, {"28", 3}, // a whole replay
		{"", 0}, {"", 1}, // a client that leaves during conn 2...
		{"", 0},           // ...and a new one starts over
		{"", 1}, {"9", 2}, // that leaves during conn 3
		{"", 0}, // a new client after the end starts over
		{"", 1}, {"9", 2}, {"28", 3},
		{"9", 2}, // resuming mid-recording
	}
	for i, s := range steps {
		got := p.take(s.lid)
		if got != s.want {
			t.Errorf("step %d (Last-Event-ID %q): served %d, want %d", i, s.lid, got, s.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"http://user:secret@host/x?api_key=sk-123", "http://host/x?api_key=REDACTED"},
		{"http://user@host/x", "http://host/x"},
		{"https://h/p?a=1&Access_Token=t&b=2&X-Amz-Signature=s&apikey=k&sig=z&password=p&AUTH=q&mysecret=m", "https://h/p?a=1&Access_Token=REDACTED&b=2&X-Amz-Signature=REDACTED&apikey=REDACTED&sig=REDACTED&password=REDACTED&AUTH=REDACTED&mysecret=REDACTED"},
		{"http://h/p?q=hello%20world&flag", "http://h/p?q=hello%20world&flag"},
		{"/events?token=abc&x=1", "/events?token=REDACTED&x=1"},
		{"http://h/p", "http://h/p"},
		// The names of issue 12, whole or within a name.
		{"https://h/cb?code=c1&jwt=j1&pass=p1&passphrase=p2&id_token=t1&client_secret=s1&sid=s2&state=ok",
			"https://h/cb?code=REDACTED&jwt=REDACTED&pass=REDACTED&passphrase=REDACTED&id_token=REDACTED&client_secret=REDACTED&sid=REDACTED&state=ok"},
		{"https://h/p?postcode=12345&encode=utf8", "https://h/p?postcode=12345&encode=utf8"},
		// A fragment's parameters, as an OAuth implicit grant sends them.
		{"https://h/cb#access_token=t1&token_type=bearer&expires_in=3600", "https://h/cb#access_token=REDACTED&token_type=REDACTED&expires_in=3600"},
		{"https://h/doc#section-2", "https://h/doc#section-2"},
		{"/cb?x=1#code=c1", "/cb?x=1#code=REDACTED"},
		{"http://h/p#", "http://h/p#"},
		// Not a URL: no query, fragment or user information is kept.
		{"http://u:pw@h/%zz?token=t#code=c", "http://h/%zz"},
	} {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMaskHeader(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"Authorization", "Bearer sk-123", "Bearer REDACTED"},
		{"authorization", "Basic dXNlcjpwdw==", "Basic REDACTED"},
		{"Authorization", "sk-live-123", "REDACTED"},
		{"Proxy-Authorization", "Digest a=b", "Digest REDACTED"},
		{"X-Auth-Token", "t0k3n", "REDACTED"},
		{"X-Api-Key", "k", "REDACTED"},
		{"Api-Key", "k", "REDACTED"},
		{"X-Csrf-Token", "c", "REDACTED"},
		{"Mcp-Session-Id", "s-1", "REDACTED"},
		{"X-Amz-Security-Token", "t", "REDACTED"},
		{"Cookie", "sid=s1; theme=dark", "sid=REDACTED; theme=REDACTED"},
		{"Set-Cookie", "session=s1; Path=/; HttpOnly", "session=REDACTED; Path=/; HttpOnly"},
		{"Set-Cookie", "a=b", "a=REDACTED"},
		{"Referer", "https://h/p?token=t&x=1", "https://h/p?token=REDACTED&x=1"},
		{"Location", "https://u:pw@h/cb#access_token=t", "https://h/cb#access_token=REDACTED"},
		{"Content-Location", "/x?key=k", "/x?key=REDACTED"},
		// What a user debugging a 401 needs, and what is no credential.
		{"WWW-Authenticate", `Bearer error="invalid_token"`, `Bearer error="invalid_token"`},
		{"Content-Type", "text/event-stream", "text/event-stream"},
		{"Keep-Alive", "timeout=5", "timeout=5"},
	} {
		if got := MaskHeader(c.name, c.in); got != c.want {
			t.Errorf("MaskHeader(%q, %q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestWriterRedacts(t *testing.T) {
	const raw = "http://user:secret@example.test/x?api_key=sk-123&model=m"
	var b strings.Builder
	w := NewWriter(&b, raw, nil)
	req, err := http.NewRequest("GET", raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Request(1, req)
	w.Response(1, &http.Response{StatusCode: 307, Header: http.Header{"Location": {"http://example.test/y?token=t"}}})
	w.Body(1, []byte(`<a href="http://example.test/y?token=t">Temporary Redirect</a>.`))
	w.End(1, EndEOF)
	w.Error(2, fmt.Errorf("Get %q: refused", raw))
	w.Error(3, &url.Error{Op: "Get", URL: "http://other.test/z?jwt=j&code=c#access_token=a", Err: errors.New("refused")})
	got := b.String()
	for _, secret := range []string{"user", "secret", "sk-123", "token=t", "jwt=j", "code=c", "access_token=a", "Temporary Redirect"} {
		if strings.Contains(got, secret) {
			t.Errorf("recording keeps %q:\n%s", secret, got)
		}
	}
	for _, want := range []string{
		"# url: http://example.test/x?api_key=REDACTED&model=m\n",
		`request 1 "GET http://example.test/x?api_key=REDACTED&model=m"`,
		`header 1 "Location: http://example.test/y?token=REDACTED"`,
		`end 1 "EOF"`,
		`error 3 "Get \"http://other.test/z?jwt=REDACTED&code=REDACTED#access_token=REDACTED\": refused"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("recording lacks %q:\n%s", want, got)
		}
	}
}

func TestPlayerRedirectStaysLocal(t *testing.T) {
	rec := Header + `
0.000 request 1 "GET http://orig.test:8080/a"
0.000 response 1 307
0.000 header 1 "Location: http://orig.test:8080/b?x=1"
0.000 end 1 "EOF"
0.001 request 2 "GET http://orig.test:8080/b?x=1"
0.001 response 2 200
0.001 header 2 "Content-Type: text/event-stream"
0.001 body 2 "data: moved\n\n"
0.001 end 2 "EOF"
0.002 request 3 "GET http://orig.test:8080/c"
0.002 response 3 302
0.002 header 3 "Location: http://elsewhere.test/c"
0.002 end 3 "EOF"
`
	entries, err := Read(strings.NewReader(rec))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&Player{Conns: Conns(entries)})
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/a")
	if err != nil {
		t.Fatalf("the replayed redirect left the replay server: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "data: moved\n\n" || resp.Request.URL.Host != strings.TrimPrefix(srv.URL, "http://") || resp.Request.URL.RequestURI() != "/b?x=1" {
		t.Errorf("got %d %q from %s", resp.StatusCode, b, resp.Request.URL)
	}
	// A redirect to another server is replayed as it was.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(srv.URL + "/c")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "http://elsewhere.test/c" {
		t.Errorf("Location %q", loc)
	}
}

func TestPlayerEndsOnTime(t *testing.T) {
	rec := Header + `
0.000 response 1 200
0.000 header 1 "Content-Type: text/event-stream"
0.000 body 1 "data: one\n\n"
3.000 end 1 "EOF"
0.000 response 2 200
0.000 header 2 "Content-Type: text/event-stream"
0.000 body 2 "data: two\n\n"
1.000 end 2 "closed by client"
`
	entries, err := Read(strings.NewReader(rec))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&Player{Conns: Conns(entries), Speed: 10})
	defer srv.Close()

	// The server ended the first body 3s in: at 10x, 300ms.
	start := time.Now()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if took := time.Since(start); string(b) != "data: one\n\n" || err != nil || took < 280*time.Millisecond {
		t.Errorf("body 1: %q %v after %s, want its end after 300ms", b, err, took)
	}

	// The recording client closed the second: it stays open until this
	// client leaves.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "data: two\n\n" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("body 2: %q %v, want it open until the client left", b, err)
	}
}
