package bench

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	ldes "github.com/launchdarkly/eventsource"
	"github.com/openai/openai-go/v3/packages/ssestream"
	r3sse "github.com/r3labs/sse/v2"
	"github.com/ssekit/sse"
	tmsse "github.com/tmaxmax/go-sse"
	"gopkg.in/cenkalti/backoff.v1"
)

// MaxEventSize is the limit every peer that has one is given, so that none
// fails a corpus only because of a default limit.
const MaxEventSize = 64 << 20

// A Visitor receives the events a peer decodes. Every peer counts its
// events and their data bytes; when Record is set it also keeps them, for
// the correctness check.
type Visitor struct {
	Events    int
	DataBytes int
	Record    bool
	Got       []Ev
}

// An Ev is one decoded event, normalized for comparison: Type "message"
// when the stream gave none, Data without a trailing newline convention.
type Ev struct {
	Type, Data, ID string
	// HasID says whether the peer reports the last event ID.
	HasID bool
}

func (v *Visitor) rec(e Ev) {
	if e.Type == "" {
		e.Type = "message"
	}
	v.Got = append(v.Got, e)
}

// A Peer is one way of reading a stream.
type Peer struct {
	Name string
	// Bound marks a lower bound on the cost of reading, not a parser: it
	// finds no events and is not checked.
	Bound bool
	Run   func(r io.Reader, v *Visitor) error
}

// Peers are the benchmarked parsers and bounds, this package's parser first.
var Peers = []Peer{
	{Name: "ssekit-data", Run: runSSEKitData},
	{Name: "ssekit-event", Run: runSSEKitEvent},
	{Name: "tmaxmax-go-sse", Run: runGoSSE},
	{Name: "launchdarkly", Run: runLaunchDarkly},
	{Name: "r3labs", Run: runR3labs},
	{Name: "openai-go", Run: runOpenAI},
	{Name: "bufio-scanner", Run: runScanner},
	{Name: "bound-iocopy", Bound: true, Run: runCopy},
	{Name: "bound-indexbyte", Bound: true, Run: runIndexByte},
}

// PeerByName returns the named peer, or nil.
func PeerByName(name string) *Peer {
	for i := range Peers {
		if Peers[i].Name == name {
			return &Peers[i]
		}
	}
	return nil
}

// runSSEKitData reads with the zero-copy Data/Type/ID views.
func runSSEKitData(r io.Reader, v *Visitor) error {
	d := sse.NewDecoder(r)
	d.MaxEventSize = MaxEventSize
	for d.Next() {
		data := d.Data()
		v.Events++
		v.DataBytes += len(data)
		if v.Record {
			v.rec(Ev{Type: string(d.Type()), Data: string(data), ID: string(d.ID()), HasID: true})
		}
	}
	return d.Err()
}

// runSSEKitEvent reads with Event, which returns strings.
func runSSEKitEvent(r io.Reader, v *Visitor) error {
	d := sse.NewDecoder(r)
	d.MaxEventSize = MaxEventSize
	for d.Next() {
		e := d.Event()
		v.Events++
		v.DataBytes += len(e.Data)
		if v.Record {
			v.rec(Ev{Type: e.Type, Data: e.Data, ID: e.ID, HasID: true})
		}
	}
	return d.Err()
}

// runGoSSE uses github.com/tmaxmax/go-sse's Read, its API for reading a
// stream without its reconnecting client.
func runGoSSE(r io.Reader, v *Visitor) error {
	for e, err := range tmsse.Read(r, &tmsse.ReadConfig{MaxEventSize: MaxEventSize}) {
		if err != nil {
			return err
		}
		v.Events++
		v.DataBytes += len(e.Data)
		if v.Record {
			v.rec(Ev{Type: e.Type, Data: e.Data, ID: e.LastEventID, HasID: true})
		}
	}
	return nil
}

// runLaunchDarkly uses github.com/launchdarkly/eventsource's Decoder.
func runLaunchDarkly(r io.Reader, v *Visitor) error {
	d := ldes.NewDecoder(r)
	for {
		e, err := d.Decode()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		data := e.Data()
		v.Events++
		v.DataBytes += len(data)
		if v.Record {
			ev := Ev{Type: e.Event(), Data: data}
			if l, ok := e.(ldes.EventWithLastID); ok {
				ev.ID, ev.HasID = l.LastEventID(), true
			}
			v.rec(ev)
		}
	}
}

// bodyTransport answers every request with a 200 text/event-stream
// response whose body is the stream under test, so HTTP clients read it
// without a network.
type bodyTransport struct{ body io.Reader }

func (t bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return streamResponse(req, t.body), nil
}

func streamResponse(req *http.Request, body io.Reader) *http.Response {
	return &http.Response{
		StatusCode: http.StatusOK,
		Status:     "200 OK",
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       io.NopCloser(body),
		Request:    req,
	}
}

// runR3labs uses github.com/r3labs/sse/v2's Client, whose EventStreamReader
// splits the stream into events that the client then parses. The client is
// given the stream through its http.Client and told not to reconnect.
func runR3labs(r io.Reader, v *Visitor) error {
	c := r3sse.NewClient("http://stream.test/events", r3sse.ClientMaxBufferSize(MaxEventSize))
	c.Connection = &http.Client{Transport: bodyTransport{r}}
	c.ReconnectStrategy = &backoff.StopBackOff{}
	return c.SubscribeRaw(func(e *r3sse.Event) {
		v.Events++
		v.DataBytes += len(e.Data)
		if v.Record {
			v.rec(Ev{Type: string(e.Event), Data: string(e.Data), ID: string(e.ID), HasID: true})
		}
	})
}

// runOpenAI uses the decoder of github.com/openai/openai-go's ssestream
// package, over an *http.Response as the SDK does. Its data keeps a
// trailing newline, which the comparison drops.
func runOpenAI(r io.Reader, v *Visitor) error {
	d := ssestream.NewDecoder(streamResponse(nil, r))
	for d.Next() {
		e := d.Event()
		v.Events++
		v.DataBytes += len(e.Data)
		if v.Record {
			v.rec(Ev{Type: e.Type, Data: strings.TrimSuffix(string(e.Data), "\n")})
		}
	}
	return d.Err()
}

// runScanner is the loop most hand-written clients use: bufio.Scanner
// lines, "data:" and "event:" prefixes, dispatch at a blank line.
func runScanner(r io.Reader, v *Visitor) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), MaxEventSize)
	var data []byte
	var typ string
	lines := 0
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if lines > 0 {
				v.Events++
				v.DataBytes += len(data)
				if v.Record {
					v.rec(Ev{Type: typ, Data: string(data)})
				}
			}
			data, typ, lines = data[:0], "", 0
		case bytes.HasPrefix(line, []byte("data:")):
			line = bytes.TrimPrefix(line[5:], []byte(" "))
			if lines > 0 {
				data = append(data, '\n')
			}
			data = append(data, line...)
			lines++
		case bytes.HasPrefix(line, []byte("event:")):
			typ = string(bytes.TrimPrefix(line[6:], []byte(" ")))
		}
	}
	return sc.Err()
}

// runCopy is the cost of reading the stream and doing nothing with it.
func runCopy(r io.Reader, v *Visitor) error {
	n, err := io.Copy(io.Discard, r)
	v.DataBytes += int(n)
	return err
}

// runIndexByte reads the stream into a 4 KiB buffer and finds each CR and
// LF with bytes.IndexByte: the least work a parser must do.
func runIndexByte(r io.Reader, v *Visitor) error {
	buf := make([]byte, 4<<10)
	for {
		n, err := r.Read(buf)
		p := buf[:n]
		for _, c := range []byte{'\n', '\r'} {
			for q := p; ; {
				i := bytes.IndexByte(q, c)
				if i < 0 {
					break
				}
				v.DataBytes++
				q = q[i+1:]
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
