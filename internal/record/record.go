// Package record writes, reads and replays ssecat recordings: the HTTP
// responses of an event stream, with their bytes exactly as received and
// the time each arrived.
//
// # Format
//
// A recording is UTF-8 text, one record per line. Lines starting with "#"
// are comments (the header says what was recorded and when); blank lines
// are ignored. Every other line is
//
//	SECONDS KIND CONN [ARGS]
//
// SECONDS is the time since the recording started, with millisecond
// precision; CONN numbers the HTTP requests from 1; strings are quoted as
// in Go (strconv.Quote), so any byte can be written and read back exactly.
// The kinds are:
//
//	request CONN "METHOD URL"   a request was sent
//	sent CONN "Last-Event-ID: ID"  the Last-Event-ID it carried, if any
//	response CONN STATUS        a response arrived with this status code
//	header CONN "Name: value"   one of its headers (Content-Type, Retry-After, Location)
//	body CONN "bytes"           bytes of its body, exactly as they were read
//	end CONN "reason"           its body ended: "EOF", or why it broke off
//	error CONN "message"        the request failed without a response
//
// No other request header is kept, URLs are written without their user
// information and with the values of query and fragment parameters that
// look secret replaced by REDACTED (see RedactURL), a failed request's
// message has its URL redacted likewise, and the body of a redirect is not
// kept (it often repeats the Location, token and all), so credentials stay
// out of recordings.
// Replayed, a failed request is answered 502 Bad Gateway.
//
// For example:
//
//	# ssecat recording v1
//	# url: http://127.0.0.1:8080/events
//	0.000 request 1 "GET http://127.0.0.1:8080/events"
//	0.004 response 1 200
//	0.004 header 1 "Content-Type: text/event-stream"
//	0.005 body 1 "retry: 500\nid: 1\ndata: hello\n\n"
//	1.210 end 1 "unexpected EOF"
//	1.712 request 2 "GET http://127.0.0.1:8080/events"
//	1.712 sent 2 "Last-Event-ID: 1"
//	1.714 response 2 200
package record

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header is the first line of every recording.
const Header = "# ssecat recording v1"

// EndEOF is the reason of a body that ended normally.
const EndEOF = "EOF"

// EndClosedByClient is the end reason of a body the recording client
// closed; the replay keeps such a response open until its client leaves.
const EndClosedByClient = "closed by client"

// Headers lists the response headers a recording keeps: those that change
// what a client does.
var Headers = []string{"Content-Type", "Retry-After", "Location"}

// Kinds of records.
const (
	KindRequest  = "request"
	KindSent     = "sent"
	KindResponse = "response"
	KindHeader   = "header"
	KindBody     = "body"
	KindEnd      = "end"
	KindError    = "error"
)

// An Entry is one record.
type Entry struct {
	At     time.Duration // since the start of the recording
	Kind   string
	Conn   int
	Status int    // of a response
	Text   string // header line, body bytes, end reason or error message
}

// A Writer writes a recording. Its methods are safe for concurrent use.
type Writer struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	now   func() time.Time
	err   error
	// url is the URL recorded, as given, and redacted its redacted form:
	// error messages may quote it.
	url, redacted string
	// redirects are the conns whose response is a redirect: their bodies
	// are not kept.
	redirects map[int]bool
}

// NewWriter writes the header, with url (redacted) and the start time, to
// w and returns a Writer of records timed from now. The clock now (nil
// means time.Now) times both the header and every record, so the two
// agree.
func NewWriter(w io.Writer, url string, now func() time.Time) *Writer {
	if now == nil {
		now = time.Now
	}
	rw := &Writer{w: w, now: now, url: url, redacted: RedactURL(url)}
	rw.start = rw.now()
	_, rw.err = fmt.Fprintf(w, "%s\n# url: %s\n# started: %s\n", Header, rw.redacted, rw.start.UTC().Format(time.RFC3339Nano))
	return rw
}

// Err returns the first error writing the recording.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer) write(conn int, kind, args string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	ms := w.now().Sub(w.start).Milliseconds()
	_, w.err = fmt.Fprintf(w.w, "%d.%03d %s %d %s\n", ms/1000, ms%1000, kind, conn, args)
}

// Request records a request, its URL redacted, and its Last-Event-ID.
func (w *Writer) Request(conn int, req *http.Request) {
	w.write(conn, KindRequest, strconv.Quote(req.Method+" "+RedactURL(req.URL.String())))
	if id := req.Header.Get("Last-Event-ID"); id != "" {
		w.write(conn, KindSent, strconv.Quote("Last-Event-ID: "+id))
	}
}

// Response records a response's status and the headers in Headers, a
// Location redacted as a request's URL is.
func (w *Writer) Response(conn int, resp *http.Response) {
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "" {
		w.mu.Lock()
		if w.redirects == nil {
			w.redirects = map[int]bool{}
		}
		w.redirects[conn] = true
		w.mu.Unlock()
	}
	w.write(conn, KindResponse, strconv.Itoa(resp.StatusCode))
	for _, name := range Headers {
		for _, v := range resp.Header.Values(name) {
			if name == "Location" {
				v = RedactURL(v)
			}
			w.write(conn, KindHeader, strconv.Quote(name+": "+v))
		}
	}
}

// Body records bytes of conn's body, unless conn is a redirect, whose
// body is for browsers that do not follow it, and names its target.
func (w *Writer) Body(conn int, p []byte) {
	w.mu.Lock()
	redirect := w.redirects[conn]
	w.mu.Unlock()
	if len(p) > 0 && !redirect {
		w.write(conn, KindBody, strconv.Quote(string(p)))
	}
}

// End records the end of conn's body: EndEOF or a reason.
func (w *Writer) End(conn int, reason string) {
	w.write(conn, KindEnd, strconv.Quote(reason))
}

// Error records a request that failed without a response.
func (w *Writer) Error(conn int, err error) {
	msg := err.Error()
	if w.url != "" && w.url != w.redacted {
		msg = strings.ReplaceAll(msg, w.url, w.redacted)
	}
	// A request that followed a redirect failed with the URL it was sent
	// to, which may carry a token of its own.
	var ue *url.Error
	if errors.As(err, &ue) {
		if red := RedactURL(ue.URL); red != ue.URL {
			msg = strings.ReplaceAll(msg, ue.URL, red)
			q, redq := strconv.Quote(ue.URL), strconv.Quote(red)
			msg = strings.ReplaceAll(msg, q[1:len(q)-1], redq[1:len(redq)-1])
		}
	}
	w.write(conn, KindError, strconv.Quote(msg))
}

// Read parses a recording.
func Read(r io.Reader) ([]Entry, error) {
	var entries []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 && text != Header {
			return nil, fmt.Errorf("line 1: not an ssecat recording (want %q)", Header)
		}
		if text == "" || text[0] == '#' {
			continue
		}
		e, err := parseLine(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if line == 0 {
		return nil, fmt.Errorf("empty file: not an ssecat recording")
	}
	return entries, nil
}

func parseLine(text string) (Entry, error) {
	f := strings.SplitN(text, " ", 4)
	if len(f) < 4 {
		return Entry{}, fmt.Errorf("want SECONDS KIND CONN ARGS, got %q", text)
	}
	secs, err := strconv.ParseFloat(f[0], 64)
	if err != nil || secs < 0 {
		return Entry{}, fmt.Errorf("bad time %q", f[0])
	}
	conn, err := strconv.Atoi(f[2])
	if err != nil || conn < 1 {
		return Entry{}, fmt.Errorf("bad connection number %q", f[2])
	}
	e := Entry{At: time.Duration(secs * float64(time.Second)), Kind: f[1], Conn: conn}
	switch e.Kind {
	case KindResponse:
		e.Status, err = strconv.Atoi(f[3])
		if err != nil || e.Status < 100 || e.Status > 999 {
			return Entry{}, fmt.Errorf("bad status %q", f[3])
		}
	case KindRequest, KindSent, KindHeader, KindBody, KindEnd, KindError:
		e.Text, err = strconv.Unquote(f[3])
		if err != nil {
			return Entry{}, fmt.Errorf("%s: want a quoted string, got %s", e.Kind, f[3])
		}
		if (e.Kind == KindHeader || e.Kind == KindSent) && !strings.Contains(e.Text, ":") {
			return Entry{}, fmt.Errorf("header %q has no colon", e.Text)
		}
	default:
		return Entry{}, fmt.Errorf("unknown kind %q", e.Kind)
	}
	return e, nil
}

// A Conn is the recording of one request.
type Conn struct {
	N     int
	Start time.Duration // when its response (or error) arrived
	// Request is "METHOD URL", empty if not recorded; LastEventID is the
	// Last-Event-ID it was sent with.
	Request     string
	LastEventID string
	Status      int // zero if the request failed
	Header      http.Header
	Chunks      []Entry       // its body records
	End         string        // how its body ended; empty if the recording stops first
	EndAt       time.Duration // when its body ended
	Error       string        // why the request failed
}

// Conns groups entries by request, in order of their numbers.
func Conns(entries []Entry) []*Conn {
	var conns []*Conn
	byN := map[int]*Conn{}
	for _, e := range entries {
		c := byN[e.Conn]
		if c == nil {
			c = &Conn{N: e.Conn, Start: e.At, Header: http.Header{}}
			byN[e.Conn] = c
			conns = append(conns, c)
		}
		switch e.Kind {
		case KindRequest:
			c.Request = e.Text
		case KindSent:
			name, value, _ := strings.Cut(e.Text, ":")
			if strings.EqualFold(strings.TrimSpace(name), "Last-Event-ID") {
				c.LastEventID = strings.TrimSpace(value)
			}
		case KindResponse:
			c.Status = e.Status
			c.Start = e.At
		case KindHeader:
			name, value, _ := strings.Cut(e.Text, ":")
			c.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		case KindBody:
			c.Chunks = append(c.Chunks, e)
		case KindEnd:
			c.End = e.Text
			c.EndAt = e.At
		case KindError:
			c.Error = e.Text
		}
	}
	return conns
}
