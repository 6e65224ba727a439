// This file holds the typed layer's tests (about 1,000 lines): one test
// per behaviour of Stream[T], Do and DefaultCheckEvent, sharing fixtures;
// it is next in line to be split by those three.

package ssejson

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/fakellm"
)

// chunk is a cut-down OpenAI chat.completion.chunk.
type chunk struct {
	Choices []choice `json:"choices"`
	Usage   *usage   `json:"usage"`
}

type choice struct {
	Delta        delta  `json:"delta"`
	FinishReason string `json:"finish_reason"`
}

type delta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

type usage struct {
	CompletionTokens int `json:"completion_tokens"`
}

// anthropicEvent is a cut-down union of Anthropic Messages events.
type anthropicEvent struct {
	Type  string `json:"type"`
	Delta struct {
		Text       string `json:"text,omitempty"`
		StopReason string `json:"stop_reason,omitempty"`
	} `json:"delta"`
}

// text concatenates the content of chunks, and notes usage.
func text(chunks []chunk) string {
	var b strings.Builder
	for _, c := range chunks {
		for _, ch := range c.Choices {
			b.WriteString(ch.Delta.Content)
		}
		if c.Usage != nil {
			b.WriteString("|usage")
		}
	}
	return b.String()
}

func tok(s string) chunk { return chunk{Choices: []choice{{Delta: delta{Content: s}}}} }

func tokData(s string) string {
	b, _ := json.Marshal(tok(s))
	return "data: " + string(b) + "\n\n"
}

// readAllJSON drains j, returning the values and the final error.
func readAll[T any](j *Stream[T]) ([]T, error) {
	var got []T
	for j.Next() {
		got = append(got, j.Current())
	}
	return got, j.Err()
}

// errOpts compares errors by their fields, ignoring encoding/json's
// error, which has unexported fields.
var errOpts = cmp.Options{
	cmpopts.IgnoreFields(DecodeError{}, "Err"),
	// Other errors (sentinels) are compared with errors.Is.
	cmp.FilterValues(func(a, b error) bool { return !ours(a) && !ours(b) },
		cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) })),
}

func ours(err error) bool {
	switch err.(type) {
	case *DecodeError, *EventError:
		return true
	}
	return false
}

func TestStreamDecoder(t *testing.T) {
	errorChunk := `{"error":{"message":"Provider returned error","code":502,"metadata":{"provider":"x"}}}`
	tests := []struct {
		name    string
		in      string
		setup   func(j *Stream[chunk])
		want    []chunk
		wantErr error
	}{{
		name: "chunks and done",
		in:   tokData("a") + tokData("b") + "data: [DONE]\n\n",
		want: []chunk{tok("a"), tok("b")},
	}, {
		name: "keep-alive comments between chunks",
		in:   ": OPENROUTER PROCESSING\n\n" + tokData("a") + ":\n\n: ping\n" + tokData("b") + ": x\n\ndata: [DONE]\n\n",
		want: []chunk{tok("a"), tok("b")},
	}, {
		name: "nothing after the sentinel is read",
		in:   tokData("a") + "data: [DONE]\n\n" + "data: not json\n\n",
		want: []chunk{tok("a")},
	}, {
		name: "sentinel with spaces",
		in:   tokData("a") + "data:  [DONE] \n\n",
		want: []chunk{tok("a")},
	}, {
		name: "end of input without sentinel is clean",
		in:   tokData("a") + tokData("b"),
		want: []chunk{tok("a"), tok("b")},
	}, {
		name: "unfinished last event is dropped",
		in:   tokData("a") + `data: {"choices":[`,
		want: []chunk{tok("a")},
	}, {
		name: "CRLF line endings",
		in:   strings.ReplaceAll(tokData("a")+": hi\n\n"+tokData("b")+"data: [DONE]\n\n", "\n", "\r\n"),
		want: []chunk{tok("a"), tok("b")},
	}, {
		name: "lone CR line endings",
		in:   strings.ReplaceAll(tokData("a")+tokData("b")+"data: [DONE]\n\n", "\n", "\r"),
		want: []chunk{tok("a"), tok("b")},
	}, {
		name: "multi-line data is one JSON value",
		in:   "data: {\"choices\":\ndata: [{\"delta\":{\"content\":\"é\"}}]}\n\n",
		want: []chunk{tok("é")},
	}, {
		name: "empty data is skipped",
		in:   "data:\n\ndata: \ndata:\n\n" + tokData("a"),
		want: []chunk{tok("a")},
	}, {
		name: "unknown event type passes through",
		in:   "event: brand_new_thing\ndata: {\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"extra\":1}\n\n" + tokData("a"),
		want: []chunk{tok("x"), tok("a")},
	}, {
		name:  "skipped types are not decoded",
		in:    "event: ping\ndata: not json\n\n" + tokData("a") + "event: ping\ndata: {}\n\n",
		setup: func(j *Stream[chunk]) { j.Skip = SkipTypes("ping") },
		want:  []chunk{tok("a")},
	}, {
		name:  "custom sentinel",
		in:    tokData("a") + "data: [DONE]\n\nevent: end\ndata: [END]\n\n" + tokData("b"),
		setup: func(j *Stream[chunk]) { j.Done = "[END]"; j.Skip = func(typ []byte) bool { return false } },
		want:  []chunk{tok("a")},
		wantErr: &DecodeError{
			Event: sse.Event{Type: "message", Data: "[DONE]"},
		},
	}, {
		name:  "sentinel off",
		in:    tokData("a") + "data: [DONE]\n\n",
		setup: func(j *Stream[chunk]) { j.Done = "" },
		want:  []chunk{tok("a")},
		wantErr: &DecodeError{
			Event: sse.Event{Type: "message", Data: "[DONE]"},
		},
	}, {
		name: "non-JSON data names the event",
		in:   "id: 7\n" + tokData("a") + "event: delta\ndata: hello there\n\n" + tokData("b"),
		want: []chunk{tok("a")},
		wantErr: &DecodeError{
			Event: sse.Event{Type: "delta", Data: "hello there", ID: "7"},
		},
	}, {
		name: "wrong JSON type",
		in:   "data: [1,2]\n\n",
		wantErr: &DecodeError{
			Event: sse.Event{Type: "message", Data: "[1,2]"},
		},
	}, {
		name: "event error mid-stream",
		in: tokData("a") + tokData("b") + "id: 9\nevent: error\n" +
			`data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}` + "\n\n" + tokData("c"),
		want: []chunk{tok("a"), tok("b")},
		wantErr: &EventError{
			Event:   sse.Event{Type: "error", ID: "9", Data: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
			Kind:    "overloaded_error",
			Message: "Overloaded",
		},
	}, {
		name: "error event even when skipped",
		in:   tokData("a") + "event: error\ndata: {\"error\":\"boom\"}\n\n",
		setup: func(j *Stream[chunk]) {
			j.Skip = func(typ []byte) bool { return string(typ) != "message" }
		},
		want:    []chunk{tok("a")},
		wantErr: &EventError{Event: sse.Event{Type: "error", Data: `{"error":"boom"}`}, Message: "boom"},
	}, {
		name: "error payload mid-stream",
		in:   tokData("a") + "data: " + errorChunk + "\n\n" + "data: [DONE]\n\n",
		want: []chunk{tok("a")},
		wantErr: &EventError{
			Event:   sse.Event{Type: "message", Data: errorChunk},
			Code:    "502",
			Message: "Provider returned error",
		},
	}, {
		name: "null error is no error",
		in:   `data: {"error":null,"choices":[{"delta":{"content":"a"}}]}` + "\n\n",
		want: []chunk{tok("a")},
	}, {
		name: "nested error member is no error",
		in:   `data: {"choices":[{"delta":{"content":"a","error":{"message":"x"}}}]}` + "\n\n" + tokData(`"error"`),
		want: []chunk{tok("a"), tok(`"error"`)},
	}, {
		name:  "CheckEvent off decodes error events",
		in:    "event: error\ndata: {\"choices\":[]}\n\n",
		setup: func(j *Stream[chunk]) { j.CheckEvent = nil },
		want:  []chunk{{Choices: []choice{}}},
	}, {
		name: "custom CheckEvent",
		in:   tokData("a") + tokData("stop here") + tokData("b"),
		setup: func(j *Stream[chunk]) {
			j.CheckEvent = func(typ, data []byte) error {
				if strings.Contains(string(data), "stop here") {
					return io.ErrUnexpectedEOF
				}
				return DefaultCheckEvent(typ, data)
			}
		},
		want:    []chunk{tok("a")},
		wantErr: io.ErrUnexpectedEOF,
	}, {
		name: "values do not leak into the next",
		in: `data: {"choices":[{"delta":{"role":"assistant","content":"a"}}],"usage":{"completion_tokens":1}}` + "\n\n" +
			`data: {"choices":[{"delta":{"content":"b"}}]}` + "\n\n",
		want: []chunk{
			{Choices: []choice{{Delta: delta{Role: "assistant", Content: "a"}}}, Usage: &usage{CompletionTokens: 1}},
			tok("b"),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte per read: every split of lines, fields and UTF-8
			// sequences is met.
			for _, oneByte := range []bool{false, true} {
				var r io.Reader = strings.NewReader(tt.in)
				if oneByte {
					r = &oneByteReader{r}
				}
				j := New[chunk](sse.NewDecoder(r))
				if tt.setup != nil {
					tt.setup(j)
				}
				got, err := readAll(j)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("oneByte=%v: values (-want +got):\n%s", oneByte, diff)
				}
				if diff := cmp.Diff(tt.wantErr, err, errOpts); diff != "" {
					t.Errorf("oneByte=%v: error (-want +got):\n%s", oneByte, diff)
				}
				if j.Next() {
					t.Errorf("Next after the end returned true")
				}
				if diff := cmp.Diff(chunk{}, j.Current()); diff != "" {
					t.Errorf("Current after the end is not zero:\n%s", diff)
				}
			}
		})
	}
}

type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestDefaultCheckEvent(t *testing.T) {
	tests := []struct {
		typ, data string
		want      error
	}{
		{"message", `{"choices":[]}`, nil},
		{"message", `not json at all "error"`, nil},
		{"message", `[{"error":1}]`, nil},
		{"message", `{"error":null}`, nil},
		{"message", `{"error":false}`, nil},
		// Servers that always send the member write it empty.
		{"message", `{"text":"hi","error":""}`, nil},
		{"message", `{"text":"hi","error":{}}`, nil},
		{"message", `{"text":"hi","error":[]}`, nil},
		{"message", `{"text":"hi","error":0}`, nil},
		// OpenAI's Responses API: the error event's payload is the error.
		{"error", `{"type":"error","code":"server_error","message":"The server had an error","param":null}`,
			&EventError{Event: sse.Event{Type: "error", Data: `{"type":"error","code":"server_error","message":"The server had an error","param":null}`},
				Kind: "error", Code: "server_error", Message: "The server had an error"}},
		{"message", `{"choices":[{"delta":{"content":"\"error\""}}]}`, nil},
		{"ping", `{"type":"ping"}`, nil},
		{"content_block_delta", `{"type":"content_block_delta","delta":{"text":"{\"error\": 1}"}}`, nil},
		{"message", `{"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded","param":null}}`,
			&EventError{Event: sse.Event{Type: "message", Data: `{"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded","param":null}}`},
				Kind: "requests", Code: "rate_limit_exceeded", Message: "Rate limit"}},
		{"message", ` {"error": {"code": 429, "message": "slow down"}} `,
			&EventError{Event: sse.Event{Type: "message", Data: ` {"error": {"code": 429, "message": "slow down"}} `},
				Code: "429", Message: "slow down"}},
		{"message", `{"error":"plain"}`,
			&EventError{Event: sse.Event{Type: "message", Data: `{"error":"plain"}`}, Message: "plain"}},
		{"error", `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`,
			&EventError{Event: sse.Event{Type: "error", Data: `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`},
				Kind: "api_error", Message: "Internal server error"}},
		{"error", `something broke`,
			&EventError{Event: sse.Event{Type: "error", Data: `something broke`}}},
		{"error", ``, &EventError{Event: sse.Event{Type: "error"}}},
	}
	for _, tt := range tests {
		got := DefaultCheckEvent([]byte(tt.typ), []byte(tt.data))
		if diff := cmp.Diff(tt.want, got, errOpts); diff != "" {
			t.Errorf("DefaultCheckEvent(%q, %q) (-want +got):\n%s", tt.typ, tt.data, diff)
		}
	}
}

func TestEventErrorMessage(t *testing.T) {
	tests := []struct {
		err  *EventError
		want string
	}{
		{&EventError{Kind: "overloaded_error", Message: "Overloaded"}, "ssejson: error event: overloaded_error: Overloaded"},
		{&EventError{Code: "502", Message: "Provider returned error"}, "ssejson: error event: 502: Provider returned error"},
		{&EventError{Event: sse.Event{Data: "something broke"}}, "ssejson: error event: something broke"},
		{&EventError{}, "ssejson: error event"},
		{&EventError{Event: sse.Event{Data: strings.Repeat("é", 150)}}, "ssejson: error event: " + strings.Repeat("é", 100) + "…"},
		// Text from the server cannot move a terminal's cursor or forge a
		// log line.
		{&EventError{Kind: "a\x1b[2J", Code: "1\r\n2", Message: "line\nINFO forged\u009b"},
			`ssejson: error event: a\x1b[2J: 1\r\n2: line\nINFO forged\u009b`},
		{&EventError{Event: sse.Event{Data: "\x07bell \xff"}}, `ssejson: error event: \abell \xff`},
		{&EventError{Message: strings.Repeat("m", 400)}, "ssejson: error event: " + strings.Repeat("m", 300) + "…"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	// The fields keep the bytes as received.
	e := &EventError{Message: "line\nx"}
	_ = e.Error()
	if e.Message != "line\nx" {
		t.Errorf("Error changed Message to %q", e.Message)
	}
}

func TestDecodeError(t *testing.T) {
	long := strings.Repeat("ü", 1000) // 2000 bytes
	in := "id: abc\nevent: content_block_delta\ndata: " + long + "\n\n"
	j := New[anthropicEvent](sse.NewDecoder(strings.NewReader(in)))
	if j.Next() {
		t.Fatal("Next returned true")
	}
	var de *DecodeError
	if !errors.As(j.Err(), &de) {
		t.Fatalf("Err() = %v, want a *DecodeError", j.Err())
	}
	// The error carries the whole event, as an EventError does; only its
	// message is short.
	if diff := cmp.Diff(sse.Event{Type: "content_block_delta", Data: long, ID: "abc"}, de.Event); diff != "" {
		t.Errorf("DecodeError.Event (-want +got):\n%s", diff)
	}
	var se *json.SyntaxError
	if !errors.As(j.Err(), &se) {
		t.Errorf("errors.As(*json.SyntaxError) failed on %v", j.Err())
	}
	msg := j.Err().Error()
	for _, want := range []string{`"content_block_delta"`, `"abc"`, "invalid character", strings.Repeat("ü", 50) + "…"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, does not contain %q", msg, want)
		}
	}
}

func TestDecodeErrorMessage(t *testing.T) {
	tests := []struct {
		err  *DecodeError
		want string
	}{{
		&DecodeError{Event: sse.Event{Type: "delta", Data: "oops", ID: "7"}, Err: errors.New("bad")},
		`ssejson: decoding "delta" event (id "7"): bad; data: oops`,
	}, {
		// The message shows only the start of long data.
		&DecodeError{Event: sse.Event{Type: "message", Data: strings.Repeat("a", 5000)}, Err: errors.New("bad")},
		`ssejson: decoding "message" event: bad; data: ` + strings.Repeat("a", 100) + "…",
	}, {
		// Server bytes in the type, the ID, the data, and a decoder's
		// message that quotes its input, are escaped.
		&DecodeError{
			Event: sse.Event{Type: "t\x1b]0;x\x07", Data: "a\nERROR forged\x1b[31m", ID: "i\x00d"},
			Err:   errors.New("syntax error near \"\x1b[2J\""),
		},
		`ssejson: decoding "t\x1b]0;x\a" event (id "i\x00d"): syntax error near "\x1b[2J"; data: a\nERROR forged\x1b[31m`,
	}}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() =\n%q, want\n%q", got, tt.want)
		}
	}
}

// closeRecorder is a Source that is also an io.Closer.
type closeRecorder struct {
	*sse.Decoder
	closed atomic.Int32
}

func (c *closeRecorder) Close() error {
	c.closed.Add(1)
	return nil
}

func TestStreamClosesSource(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"sentinel", tokData("a") + "data: [DONE]\n\n" + tokData("b")},
		{"end of input", tokData("a")},
		{"decode error", tokData("a") + "data: nope\n\n"},
		{"error event", tokData("a") + "event: error\ndata: {}\n\n"},
	}
	for _, tt := range tests {
		src := &closeRecorder{Decoder: sse.NewDecoder(strings.NewReader(tt.in))}
		j := New[chunk](src)
		if !j.Next() {
			t.Fatalf("%s: first Next failed: %v", tt.name, j.Err())
		}
		if n := src.closed.Load(); n != 0 {
			t.Errorf("%s: source closed %d times while reading", tt.name, n)
		}
		for j.Next() {
		}
		if n := src.closed.Load(); n != 1 {
			t.Errorf("%s: source closed %d times when the stream ended, want 1", tt.name, n)
		}
		j.Close()
		if n := src.closed.Load(); n != 1 {
			t.Errorf("%s: source closed %d times after Close, want still 1", tt.name, n)
		}
	}
}

func TestStreamAll(t *testing.T) {
	in := tokData("a") + tokData("b") + "data: {\n\n"
	var got []chunk
	var errs []error
	for c, err := range New[chunk](sse.NewDecoder(strings.NewReader(in))).All() {
		got = append(got, c)
		errs = append(errs, err)
	}
	if diff := cmp.Diff([]chunk{tok("a"), tok("b"), {}}, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	var de *DecodeError
	if len(errs) != 3 || errs[0] != nil || errs[1] != nil || !errors.As(errs[2], &de) {
		t.Errorf("errors = %v, want nil, nil, *DecodeError", errs)
	}

	// Breaking out stops reading; the stream stays usable.
	j := New[chunk](sse.NewDecoder(strings.NewReader(tokData("a") + tokData("b") + "data: [DONE]\n\n")))
	for c := range j.All() {
		if diff := cmp.Diff(tok("a"), c); diff != "" {
			t.Errorf("first value (-want +got):\n%s", diff)
		}
		break
	}
	rest, err := readAll(j)
	if diff := cmp.Diff([]chunk{tok("b")}, rest); diff != "" || err != nil {
		t.Errorf("after break: values (-want +got):\n%s\nerr = %v", diff, err)
	}
}

func TestStreamRawAccessors(t *testing.T) {
	j := New[anthropicEvent](sse.NewDecoder(strings.NewReader("id: 1\nevent: message_start\ndata: {\"type\":\"message_start\"}\n\n")))
	if !j.Next() {
		t.Fatal(j.Err())
	}
	got := []string{string(j.Type()), string(j.ID()), string(j.Data()), j.Current().Type}
	want := []string{"message_start", "1", `{"type":"message_start"}`, "message_start"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// newServer starts a loopback server for the test.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, ctx context.Context, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

func TestDoOpenAI(t *testing.T) {
	checkLeaks(t)
	for _, crlf := range []bool{false, true} {
		var requests atomic.Int32
		var gotBody, gotMethod, gotAccept string
		srv := newServer(t, &fakellm.Stream{
			Writes: fakellm.OpenAI("m", "Hé", "llo", " wörld", " 🌍"),
			CRLF:   crlf,
			Request: func(r *http.Request, body []byte) {
				requests.Add(1)
				gotMethod, gotBody, gotAccept = r.Method, string(body), r.Header.Get("Accept")
			},
		})
		j, err := Do[chunk](nil, post(t, context.Background(), srv.URL, `{"stream":true}`))
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(j)
		if err != nil {
			t.Errorf("crlf=%v: Err() = %v", crlf, err)
		}
		if s := text(got); s != "Héllo wörld 🌍|usage" {
			t.Errorf("crlf=%v: text = %q", crlf, s)
		}
		if gotMethod != "POST" || gotBody != `{"stream":true}` || gotAccept != "text/event-stream" {
			t.Errorf("server got %s %q, Accept %q", gotMethod, gotBody, gotAccept)
		}
		if n := requests.Load(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	}
}

func TestDoAnthropic(t *testing.T) {
	checkLeaks(t)
	writes := fakellm.Anthropic("m", "Grüß", " dich")
	srv := newServer(t, &fakellm.Stream{Writes: writes})
	j, err := Do[anthropicEvent](nil, post(t, context.Background(), srv.URL, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	j.Skip = SkipTypes("ping")
	var types []string
	var b strings.Builder
	for m, err := range j.All() {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, m.Type)
		b.WriteString(m.Delta.Text)
	}
	want := []string{"message_start", "content_block_start", "content_block_delta", "content_block_delta",
		"content_block_stop", "message_delta", "message_stop"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
	}
	if b.String() != "Grüß dich" {
		t.Errorf("text = %q", b.String())
	}
}

func TestDoErrorEventMidStream(t *testing.T) {
	checkLeaks(t)
	writes := fakellm.Anthropic("m", "one", "two", "three")
	writes = append(writes[:5], fakellm.AnthropicError("overloaded_error", "Overloaded"))
	hold := make(chan struct{})
	defer close(hold)
	srv := newServer(t, &fakellm.Stream{Writes: writes, Hold: hold})
	j, err := Do[anthropicEvent](nil, post(t, context.Background(), srv.URL, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	j.Skip = SkipTypes("ping")
	var texts []string
	for j.Next() {
		texts = append(texts, j.Current().Delta.Text)
	}
	if diff := cmp.Diff([]string{"", "", "one", "two"}, texts); diff != "" {
		t.Errorf("texts (-want +got):\n%s", diff)
	}
	var ee *EventError
	if !errors.As(j.Err(), &ee) || ee.Kind != "overloaded_error" || ee.Message != "Overloaded" ||
		!strings.Contains(ee.Event.Data, `"overloaded_error"`) {
		t.Errorf("Err() = %#v, want the overloaded *EventError", j.Err())
	}
}

func TestDoRefused(t *testing.T) {
	checkLeaks(t)
	const body401 = `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`
	tests := []struct {
		status     int
		body       string
		retryAfter time.Duration
	}{
		{http.StatusUnauthorized, body401, 0},
		{http.StatusTooManyRequests, `{"error":{"message":"Rate limit reached"}}`, 7 * time.Second},
		{http.StatusInternalServerError, `{"error":{"message":"boom"}}`, 0},
		{529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, 0},
	}
	for _, tt := range tests {
		var requests atomic.Int32
		refuse := fakellm.Error(tt.status, tt.body)
		srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			refuse.ServeHTTP(w, r)
		}))
		j, err := Do[chunk](nil, post(t, context.Background(), srv.URL, `{}`))
		if j != nil {
			t.Errorf("%d: Do returned a stream", tt.status)
		}
		var re *sse.ResponseError
		if !errors.As(err, &re) {
			t.Fatalf("%d: Do error = %v, want a *sse.ResponseError", tt.status, err)
		}
		got := struct {
			Status      int
			Body        string
			ContentType string
			RetryAfter  time.Duration
		}{re.StatusCode, string(re.Body), re.Header.Get("Content-Type"), re.RetryAfter}
		want := got
		want.Status, want.Body, want.ContentType, want.RetryAfter = tt.status, tt.body, "application/json", tt.retryAfter
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%d: ResponseError (-want +got):\n%s", tt.status, diff)
		}
		if n := requests.Load(); n != 1 {
			t.Errorf("%d: %d requests, want 1 (one-shot streams are not retried)", tt.status, n)
		}
	}
}

func TestDoBadRequest(t *testing.T) {
	checkLeaks(t)
	if _, err := Do[chunk](nil, nil); err == nil {
		t.Error("Do(nil) succeeded")
	}
	// A server that cannot be reached.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if _, err := Do[chunk](nil, post(t, context.Background(), url, `{}`)); err == nil {
		t.Error("Do to a closed server succeeded")
	}
}

func TestDoKeepsClientSettings(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, &fakellm.Stream{Writes: []string{": hello\n\n", tokData("a")}})
	var streams []*sse.Stream
	var states []sse.ReadyState
	var comments []string
	var attempts []int
	c := &sse.Client{
		OnStateChange: func(s *sse.Stream, st sse.ReadyState) {
			streams = append(streams, s)
			states = append(states, st)
		},
		OnComment: func(s *sse.Stream, b []byte) {
			streams = append(streams, s)
			comments = append(comments, string(b))
		},
		PrepareRequest: func(r *http.Request, a sse.Attempt) (*http.Request, error) {
			attempts = append(attempts, a.N)
			return r, nil
		},
	}
	j, err := Do[chunk](c, post(t, context.Background(), srv.URL, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(j)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if diff := cmp.Diff([]sse.ReadyState{sse.StateOpen, sse.StateClosed}, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{" hello"}, comments); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1}, attempts); diff != "" {
		t.Errorf("PrepareRequest attempts (-want +got):\n%s", diff)
	}
	// The observers are told about the stream that Do read, whose source
	// is the one Stream.
	for _, s := range streams {
		if s != j.src {
			t.Errorf("an observer was given %p, not the stream's source %p", s, j.src)
		}
	}
}

// stallServer flushes writes and then stalls until the client goes away,
// which it reports on gone, or the test ends. Ending the stall when the
// test ends, before the server's Close (which waits for its handlers),
// makes a client that never hangs up a leak that checkLeaks reports rather
// than a test that hangs.
func stallServer(t *testing.T, writes ...string) (srv *httptest.Server, gone <-chan struct{}) {
	t.Helper()
	ch := make(chan struct{})
	testEnded := make(chan struct{})
	var once atomic.Bool
	srv = newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		rc.Flush()
		for _, s := range writes {
			io.WriteString(w, s)
			rc.Flush()
		}
		select {
		case <-r.Context().Done():
			if !once.Swap(true) {
				close(ch)
			}
		case <-testEnded:
		}
	}))
	t.Cleanup(func() { close(testEnded) })
	return srv, ch
}

const patience = 10 * time.Second

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(patience):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestStreamSentinelClosesConnection(t *testing.T) {
	checkLeaks(t)
	srv, gone := stallServer(t, tokData("a"), "data: [DONE]\n\n")
	j, err := Do[chunk](nil, post(t, context.Background(), srv.URL, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(j)
	if diff := cmp.Diff([]chunk{tok("a")}, got); diff != "" || err != nil {
		t.Errorf("values (-want +got):\n%s\nerr = %v", diff, err)
	}
	// The server never ends the response: the client must hang up.
	wait(t, gone, "the client to close the connection after [DONE]")
}

func TestStreamSentinelClosesBody(t *testing.T) {
	checkLeaks(t)
	// Over a Decoder on a body the caller already has.
	srv, gone := stallServer(t, tokData("a"), "data: [DONE]\n\n")
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	j := New[chunk](struct {
		*sse.Decoder
		io.Closer
	}{sse.NewDecoder(resp.Body), resp.Body})
	got, err := readAll(j)
	if len(got) != 1 || err != nil {
		t.Errorf("got %v, %v", got, err)
	}
	wait(t, gone, "the body to be closed after [DONE]")
}

func TestStreamFirstChunkBeforeStall(t *testing.T) {
	checkLeaks(t)
	srv, gone := stallServer(t, ": keep-alive\n\n", tokData("first"))
	j, err := Do[chunk](nil, post(t, context.Background(), srv.URL, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		ok bool
		c  chunk
	}
	first := make(chan result, 1)
	ended := make(chan struct{})
	go func() {
		ok := j.Next()
		first <- result{ok, j.Current()}
		for j.Next() {
		}
		close(ended)
	}()
	select {
	case r := <-first:
		if !r.ok || text([]chunk{r.c}) != "first" {
			t.Errorf("first Next = %v, %+v (err %v)", r.ok, r.c, j.Err())
		}
	case <-time.After(patience):
		t.Fatal("the first chunk was not delivered while the server stalled")
	}
	j.Close()
	wait(t, ended, "Close to unblock Next")
	if !errors.Is(j.Err(), sse.ErrClosed) {
		t.Errorf("Err() after Close = %v, want sse.ErrClosed", j.Err())
	}
	wait(t, gone, "the connection to close")
}

func TestStreamCloseUnblocksNext(t *testing.T) {
	checkLeaks(t)
	t.Run("stream", func(t *testing.T) {
		srv, gone := stallServer(t)
		j, err := Do[chunk](nil, post(t, context.Background(), srv.URL, `{}`))
		if err != nil {
			t.Fatal(err)
		}
		testCloseUnblocks(t, j)
		wait(t, gone, "the connection to close")
	})
	t.Run("decoder", func(t *testing.T) {
		pr, pw := io.Pipe()
		defer pw.Close()
		j := New[chunk](struct {
			*sse.Decoder
			io.Closer
		}{sse.NewDecoder(pr), pr})
		testCloseUnblocks(t, j)
	})
	t.Run("before Next", func(t *testing.T) {
		j := New[chunk](sse.NewDecoder(strings.NewReader(tokData("a"))))
		j.Close()
		j.Close()
		if j.Next() || !errors.Is(j.Err(), sse.ErrClosed) {
			t.Errorf("Next after Close: Err() = %v, want sse.ErrClosed", j.Err())
		}
	})
}

func testCloseUnblocks(t *testing.T, j *Stream[chunk]) {
	t.Helper()
	done := make(chan bool, 1)
	go func() { done <- j.Next() }()
	// Close while Next is (very likely) blocked; either way it must end.
	time.Sleep(10 * time.Millisecond)
	if err := j.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	select {
	case ok := <-done:
		if ok {
			t.Error("Next returned true")
		}
	case <-time.After(patience):
		t.Fatal("Close did not unblock Next")
	}
	if !errors.Is(j.Err(), sse.ErrClosed) {
		t.Errorf("Err() = %v, want sse.ErrClosed", j.Err())
	}
}

func TestStreamContextCancel(t *testing.T) {
	checkLeaks(t)
	srv, gone := stallServer(t, tokData("a"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j, err := Do[chunk](nil, post(t, ctx, srv.URL, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	if !j.Next() {
		t.Fatal(j.Err())
	}
	done := make(chan bool, 1)
	go func() { done <- j.Next() }()
	cancel()
	select {
	case ok := <-done:
		if ok {
			t.Error("Next returned true")
		}
	case <-time.After(patience):
		t.Fatal("cancelling the context did not unblock Next")
	}
	if !errors.Is(j.Err(), context.Canceled) {
		t.Errorf("Err() = %v, want context.Canceled", j.Err())
	}
	wait(t, gone, "the connection to close")
}

func TestDoContextCancelledBeforeHeaders(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	defer close(release)
	arrived := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	req := post(t, ctx, srv.URL, `{}`)
	errc := make(chan error, 1)
	go func() {
		_, err := Do[chunk](nil, req)
		errc <- err
	}()
	<-arrived // the request is out, its headers not yet answered
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Do error = %v, want context.Canceled", err)
		}
	case <-time.After(patience):
		t.Fatal("Do did not return after cancel")
	}
}

func TestStreamOverStream(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, &fakellm.Stream{Writes: fakellm.OpenAI("m", "a", "b")})
	s, err := (&sse.Client{}).Do(post(t, context.Background(), srv.URL, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	j := New[chunk](s)
	got, err := readAll(j)
	if s := text(got); s != "ab|usage" || err != nil {
		t.Errorf("text = %q, err = %v", s, err)
	}
	if st := s.State(); st != sse.StateClosed {
		t.Errorf("stream state after [DONE] = %v, want closed", st)
	}
}

func TestZeroStream(t *testing.T) {
	var j Stream[chunk]
	if err := j.Err(); err != nil {
		t.Errorf("Err() before Next = %v, want nil", err)
	}
	if j.Next() {
		t.Fatal("Next on a zero Stream returned true")
	}
	if err := j.Err(); err == nil || !strings.Contains(err.Error(), "New or Do") {
		t.Errorf("Err() = %v, want one that says how to make a Stream", err)
	}
	if j.Next() {
		t.Error("second Next returned true")
	}
	got := []any{j.Type(), j.Data(), j.ID(), j.Current()}
	if diff := cmp.Diff([]any{[]byte(nil), []byte(nil), []byte(nil), chunk{}}, got); diff != "" {
		t.Errorf("Type, Data, ID, Current (-want +got):\n%s", diff)
	}
	for _, err := range j.All() {
		if err == nil {
			t.Error("All yielded no error")
		}
	}
	if err := j.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}

	// Closed before its first Next, a zero Stream still says what is
	// wrong with it, as a zero sse.Stream does.
	var k Stream[chunk]
	k.Close()
	if k.Next() || k.Err() == nil || !strings.Contains(k.Err().Error(), "New or Do") {
		t.Errorf("Next after Close: Err() = %v, want the zero Stream's error", k.Err())
	}
}
