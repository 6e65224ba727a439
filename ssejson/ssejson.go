// This file is a little over 600 lines: Stream[T] and the vendor
// conventions it applies (DefaultCheckEvent, EventError) are read together.

// Package ssejson decodes event streams whose data are JSON values, such
// as the chunks of an LLM's chat completion, into Go values.
//
// A [Stream] reads the events of a [Source], an [*sse.Stream] or an
// [*sse.Decoder], and decodes the data of each into a T. [Do] sends a
// request once with an [sse.Client], as [sse.Client.Do] does, and returns a
// Stream when the response headers have arrived:
//
//	type Chunk struct {
//		Choices []struct {
//			Delta struct {
//				Content string `json:"content"`
//			} `json:"delta"`
//		} `json:"choices"`
//	}
//
//	chunks, err := ssejson.Do[Chunk](nil, req) // req: the POST, its JSON body and API key
//	if err != nil {
//		return err // a 401 or 429 is an *sse.ResponseError with the JSON error body
//	}
//	defer chunks.Close()
//	log.Print(chunks.Response().Header.Get("X-Request-Id"))
//	for chunk, err := range chunks.All() {
//		if err != nil {
//			return err
//		}
//		for _, c := range chunk.Choices {
//			fmt.Print(c.Delta.Content) // each token as soon as its event arrives
//		}
//	}
//
// The package knows what LLM APIs send besides their values, so that a
// loop like the one above needs no special cases:
//
//   - OpenAI-compatible APIs end a stream with "data: [DONE]". Next then
//     returns false, Err returns nil, and the connection is closed at once
//     ([DefaultDone], [Stream.Done]).
//   - Keep-alive comments never become events, and events with empty data
//     are skipped. Anthropic's "ping" events are dropped with
//     [SkipTypes]("ping").
//   - An error the server sends in the stream, once the 200 status is long
//     gone, ends it with an [*EventError]: Anthropic's "event: error", the
//     {"error": {...}} chunk of OpenAI-compatible APIs, and the flat error
//     event of OpenAI's Responses API ([DefaultCheckEvent]).
//   - Data that is not JSON, or not a T, ends the stream with a
//     [*DecodeError] naming the event.
//   - A response that is not text/event-stream, which a Client's
//     CheckResponse may accept, ends the stream with an [*sse.ResponseError]
//     that wraps [sse.ErrContentType], rather than decoding to nothing.
//   - Event types a T does not know are decoded like any other, so a new
//     kind of event from a vendor does not break a program.
//
// The JSON decoding is nearly all the cost of a stream. [Stream.Unmarshal]
// takes any decoder with the signature of [encoding/json.Unmarshal]; see
// its doc for the one-line use of faster ones.
package ssejson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/httpx"
	"github.com/ssekit/sse/internal/simd"
	"github.com/ssekit/sse/internal/utf8cut"
)

// A Source is a stream of events read with Next and then Type, Data and
// ID, which return slices valid until the next call to Next. [*sse.Stream]
// and [*sse.Decoder] are Sources.
//
// A Source may have two more methods, which a Stream then uses. If it has
// Response() *http.Response, as an *sse.Stream does, [Stream.Response]
// returns what it returns, and each new response is checked to be
// text/event-stream, the first before the Source reads it, later ones (of
// a reconnecting *sse.Stream) when they deliver an event or end. If it is
// an [io.Closer], it is closed when the Stream ends and by [Stream.Close].
type Source interface {
	Next() bool
	Type() []byte
	Data() []byte
	ID() []byte
	Err() error
}

// responder is the method of a Source that has HTTP responses.
type responder interface {
	Response() *http.Response
}

// DefaultDone is the data of the event that ends an OpenAI-compatible
// stream, and the Done that New sets.
const DefaultDone = "[DONE]"

// errZeroStream is the error of a Stream that New did not make.
var errZeroStream = errors.New("ssejson: zero Stream (make one with New or Do)")

// A Stream reads a stream of events whose data are JSON values, decoding
// each into a T.
//
// Successive calls to [Stream.Next] step through the values;
// [Stream.Current] returns the one just decoded. Next returns false when
// the stream ends, at the Done sentinel, or on an error, which
// [Stream.Err] reports: the Source's error, a [*DecodeError], the error
// CheckEvent made of an in-band error event (by default an [*EventError]),
// or an [*sse.ResponseError] for a response that is not an event stream.
// Whenever the stream ends, the Source is closed if it is an io.Closer.
//
// Events whose data are empty or only white space decode to nothing and
// are skipped, as are the events Skip selects. Comments are never events.
// Event types a T does not know are decoded like any other: they never end
// the stream by their type alone.
//
// The exported fields may be set after New or Do and before the first call
// to Next. A Stream is read on one goroutine; Close and Response may be
// called from any, provided the Source's Close and Response may be called
// while its Next runs (true of an *sse.Stream, and of a response body's
// Close).
//
// The zero Stream has no Source: its Next returns false with an error that
// says so, and its Close returns nil. Make Streams with [New] or [Do].
type Stream[T any] struct {
	// Done is the data of the event that ends the stream cleanly, compared
	// after trimming white space: Next returns false, Err returns nil, and
	// the Source is closed at once rather than read to its end. New sets
	// it to DefaultDone ("[DONE]"); "" turns it off.
	Done string

	// CheckEvent, if set, is called with each event's type and data before
	// Skip and decoding. A non-nil error ends the stream with that error;
	// it is how an API's in-band error events become Go errors. New sets
	// it to DefaultCheckEvent; nil turns the check off. The slices are
	// valid only during the call.
	CheckEvent func(eventType, data []byte) error

	// Skip, if set, reports whether events of a type are to be dropped
	// without decoding, such as "ping". SkipTypes makes one from a list.
	// The slice is valid only during the call.
	Skip func(eventType []byte) bool

	// Unmarshal decodes an event's data into the T that v points to; nil
	// means encoding/json's Unmarshal. The T is the zero value at each
	// call, so that nothing of one value leaks into the next. The data are
	// valid only during the call: what the T keeps must be copied, not
	// sliced from them (each decoder below copies, as encoding/json does;
	// options that skip the copy, such as segmentio's ZeroCopy, are not
	// safe here).
	//
	// Faster decoders plug in with one line:
	//
	//	chunks.Unmarshal = sonic.Config{CaseSensitive: true}.Froze().Unmarshal
	//	chunks.Unmarshal = sonic.Unmarshal   // github.com/bytedance/sonic
	//	chunks.Unmarshal = gojson.Unmarshal  // github.com/goccy/go-json
	//	chunks.Unmarshal = segjson.Unmarshal // github.com/segmentio/encoding/json
	//	chunks.Unmarshal = func(data []byte, v any) error { return jsonv2.Unmarshal(data, v) } // encoding/json/v2
	//
	// (encoding/json/v2 needs GOEXPERIMENT=jsonv2 in Go 1.25 and 1.26, and
	// its Unmarshal takes options, hence the function literal.)
	// encoding/json and sonic.Unmarshal retry each key that no field has
	// with a case-insensitive match, which costs sonic 12 to 21 % of its
	// time on a chat chunk; CaseSensitive matches keys exactly, as
	// encoding/json/v2 does by default and as providers send them. The
	// in-band error check, [DefaultCheckEvent], decodes with encoding/json
	// only the rare events that may be errors.
	Unmarshal func(data []byte, v any) error

	src       Source
	resp      responder      // src, if it has responses
	checked   *http.Response // the last response whose type was checked
	cur       T
	err       error
	done      bool
	closed    atomic.Bool
	closeOnce sync.Once
}

// New returns a Stream that reads the events of src, with Done set to
// DefaultDone and CheckEvent to DefaultCheckEvent.
//
// src is commonly an *sse.Stream from [sse.Client.Do] or
// [sse.Client.NewStream], or an *sse.Decoder over a response body that has
// already been received. To have such a body closed as soon as the stream
// ends, pass a Source that is also an io.Closer:
//
//	ssejson.New[Chunk](struct {
//		*sse.Decoder
//		io.Closer
//	}{sse.NewDecoder(resp.Body), resp.Body})
func New[T any](src Source) *Stream[T] {
	s := &Stream[T]{
		Done:       DefaultDone,
		CheckEvent: DefaultCheckEvent,
		src:        src,
	}
	s.resp, _ = src.(responder)
	return s
}

// Do sends req once with c, as [sse.Client.Do] does, and returns a Stream
// of its events once the response headers have arrived; a nil c means
// [sse.DefaultClient]. It suits a POST to an LLM's chat completion
// endpoint: the request and its body are sent once, the stream never
// reconnects, and the end of the response ends it without error.
//
// A response the Client does not accept (by default, anything but a 200
// text/event-stream) is returned as an [*sse.ResponseError] holding the
// status, the header and the start of the body, such as the JSON error
// that APIs send with a 401 or 429. So is a response that c's
// CheckResponse accepts but that is not text/event-stream, which would
// decode to nothing: a CheckResponse that knows a server sends event
// streams under another type says so by setting the response's
// Content-Type to text/event-stream.
//
// Like http.Client.Do, Do waits for the headers as long as req's context
// allows (and c's IdleTimeout, if set): give the context a deadline to
// bound the wait. Cancelling req's context, or calling Close, ends the
// stream and its connection. [Stream.Response] gives the response's
// status and headers.
func Do[T any](c *sse.Client, req *http.Request) (*Stream[T], error) {
	if c == nil {
		c = sse.DefaultClient
	}
	s, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	j := New[T](s)
	// The body is still unread: a response of the wrong type can be
	// refused here, with the start of its body, as a refused status is.
	if !j.checkResponse(true) {
		return nil, j.err
	}
	return j, nil
}

// Next decodes the next JSON value of the stream, which Current then
// returns. It returns false when the stream has ended; Err tells why.
func (j *Stream[T]) Next() bool {
	if j.done {
		return false
	}
	var zero T
	j.cur = zero
	if j.src == nil {
		j.end(errZeroStream)
		return false
	}
	if j.resp != nil && !j.checkResponse(true) {
		return false
	}
	for !j.closed.Load() && j.src.Next() {
		// A reconnecting Source may have read a new response.
		if j.resp != nil && !j.checkResponse(false) {
			return false
		}
		typ, data := j.src.Type(), j.src.Data()
		trimmed := data
		if n := len(data); n == 0 || !notSpace(data[0]) || !notSpace(data[n-1]) {
			trimmed = bytes.TrimSpace(data)
		}
		if j.Done != "" && string(trimmed) == j.Done {
			j.end(nil)
			return false
		}
		if j.CheckEvent != nil {
			if err := j.CheckEvent(typ, data); err != nil {
				var ee *EventError
				if errors.As(err, &ee) && ee.Event.ID == "" {
					ee.Event.ID = string(j.src.ID())
				}
				j.end(err)
				return false
			}
		}
		if len(trimmed) == 0 || j.Skip != nil && j.Skip(typ) {
			continue
		}
		unmarshal := j.Unmarshal
		if unmarshal == nil {
			unmarshal = json.Unmarshal
		}
		if err := unmarshal(data, &j.cur); err != nil {
			j.cur = zero
			j.end(newDecodeError(typ, data, j.src.ID(), err))
			return false
		}
		return true
	}
	err := j.src.Err()
	switch {
	case j.closed.Load():
		err = sse.ErrClosed
	case err == nil && j.resp != nil && !j.checkResponse(false):
		// A response of another type that ended without an event: the
		// silent loss that checking prevents.
		return false
	}
	j.end(err)
	return false
}

// notSpace reports whether bytes.TrimSpace keeps c at either end of a
// slice: all its white space is ASCII up to ' ' or made of bytes from
// 0x80 up. Next trims the data of most events, which start and end with
// such bytes, without calling TrimSpace.
func notSpace(c byte) bool { return ' ' < c && c < 0x80 }

// checkResponse ends the stream, and reports false, if the Source has a
// response not checked yet that is not text/event-stream. unread says
// that the Source has not read the response's body yet, so its start can
// be kept for the error.
func (j *Stream[T]) checkResponse(unread bool) bool {
	resp := j.resp.Response()
	if resp == nil || resp == j.checked {
		return true
	}
	j.checked = resp
	if httpx.IsEventStream(resp.Header.Get("Content-Type")) {
		return true
	}
	j.end(contentTypeError(resp, unread))
	return false
}

// contentTypeError returns the error of a response that is not an event
// stream: an *sse.ResponseError made as sse.DefaultCheckResponse makes
// its own (Retry-After included), with the start of the body if readBody.
// The Source is closed right after anyway.
func contentTypeError(resp *http.Response, readBody bool) error {
	return httpx.NewResponseError(resp, sse.ErrContentType, readBody)
}

// end finishes the stream with err (nil for a clean end) and closes the
// source.
func (j *Stream[T]) end(err error) {
	j.err = err
	j.done = true
	j.closeSource()
}

func (j *Stream[T]) closeSource() {
	j.closeOnce.Do(func() {
		if c, ok := j.src.(io.Closer); ok {
			c.Close()
		}
	})
}

// Current returns the value that the last call to Next decoded, or the
// zero T once the stream has ended.
func (j *Stream[T]) Current() T { return j.cur }

// Type returns the type of the current event without copying; see
// [sse.Decoder.Type].
func (j *Stream[T]) Type() []byte {
	if j.src == nil {
		return nil
	}
	return j.src.Type()
}

// Data returns the undecoded data of the current event without copying;
// see [sse.Decoder.Data].
func (j *Stream[T]) Data() []byte {
	if j.src == nil {
		return nil
	}
	return j.src.Data()
}

// ID returns the ID of the current event without copying; see
// [sse.Decoder.ID].
func (j *Stream[T]) ID() []byte {
	if j.src == nil {
		return nil
	}
	return j.src.ID()
}

// Response returns the Source's response, for its status and headers:
// request ids, rate limits, a session id such as Mcp-Session-Id. For a
// Stream from Do it is the response of the request; for one over an
// *sse.Stream, the response being read or the last one read (see
// [sse.Stream.Response]). It is nil for a Source without responses, such
// as an *sse.Decoder. The body belongs to the stream.
func (j *Stream[T]) Response() *http.Response {
	if j.resp == nil {
		return nil
	}
	return j.resp.Response()
}

// Err returns the error that ended the stream, or nil if it ended cleanly:
// at the Done sentinel, or at the end of a one-shot stream or of a
// Decoder's input. After Close it returns [sse.ErrClosed].
func (j *Stream[T]) Err() error {
	if !j.done && j.closed.Load() {
		return sse.ErrClosed
	}
	return j.err
}

// Close ends the stream and, if the Source is an io.Closer, closes it. It
// may be called from any goroutine, also while Next is blocked, which then
// returns false with Err reporting sse.ErrClosed (unless the stream had
// ended already). Close is idempotent and returns nil.
func (j *Stream[T]) Close() error {
	if j.closed.Swap(true) {
		return nil
	}
	j.closeSource()
	return nil
}

// All returns an iterator over the stream's values. If the stream fails,
// the last pair yielded carries the error. Breaking out of the loop leaves
// the stream open: Close it.
func (j *Stream[T]) All() iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for j.Next() {
			if !yield(j.cur, nil) {
				return
			}
		}
		if err := j.Err(); err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

// SkipTypes returns a Skip function that drops the events of the given
// types.
func SkipTypes(types ...string) func(eventType []byte) bool {
	return func(eventType []byte) bool {
		for _, t := range types {
			if string(eventType) == t {
				return true
			}
		}
		return false
	}
}

// A DecodeError is an event whose data could not be decoded.
type DecodeError struct {
	// Event is the event as received, with all its data, as in an
	// [EventError]: to decode it another way, or to log it whole. Only
	// the Error message shortens it.
	Event sse.Event
	// Err is the error from the Unmarshal function.
	Err error
}

func newDecodeError(typ, data, id []byte, err error) *DecodeError {
	return &DecodeError{
		Event: sse.Event{Type: string(typ), Data: string(data), ID: string(id)},
		Err:   err,
	}
}

// Error names the event and shows the start of its data. Text from the
// server (the type, the ID, the data, and the decoder's message, which
// may quote the data) is shortened and its control characters are
// escaped, so that the message is safe to log; the fields keep the bytes
// as received.
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString(`ssejson: decoding "`)
	b.WriteString(utf8cut.Excerpt(e.Event.Type, 100))
	b.WriteString(`" event`)
	if e.Event.ID != "" {
		b.WriteString(` (id "`)
		b.WriteString(utf8cut.Excerpt(e.Event.ID, 100))
		b.WriteString(`")`)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(utf8cut.Excerpt(e.Err.Error(), 300))
	}
	b.WriteString("; data: ")
	b.WriteString(utf8cut.Excerpt(e.Event.Data, 100))
	return b.String()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// An EventError is an error that the server sent in the stream, such as
// Anthropic's "event: error" or the {"error": {...}} chunk of an
// OpenAI-compatible API.
type EventError struct {
	// Event is the event that carried the error, with all its data: the
	// payload, to decode further if need be.
	Event sse.Event
	// Kind, Code and Message are the "type", "code" and "message" members
	// of the payload's "error" object, when it has them, such as
	// "overloaded_error" and "Overloaded". A numeric code is given in
	// decimal. If "error" is a string, it is the Message.
	Kind    string
	Code    string
	Message string
}

// Error gives the kind, code and message, or else the start of the data.
// Text from the server is shortened and its control characters are
// escaped, so that the message is safe to log; the fields keep it as
// received.
func (e *EventError) Error() string {
	var b strings.Builder
	b.WriteString("ssejson: error event")
	for _, s := range []string{e.Kind, e.Code} {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(utf8cut.Excerpt(s, 100))
		}
	}
	switch {
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(utf8cut.Excerpt(e.Message, 300))
	case e.Event.Data != "":
		b.WriteString(": ")
		b.WriteString(utf8cut.Excerpt(e.Event.Data, 200))
	}
	return b.String()
}

// errorKey is the key of the "error" member, as DefaultCheckEvent looks
// for it.
const errorKey = `"error"`

// isEmptyJSON reports whether a JSON value is absent or says nothing.
func isEmptyJSON(raw []byte) bool {
	switch string(raw) {
	case "", "null", "false", "0", `""`, "{}", "[]":
		return true
	}
	return false
}

// DefaultCheckEvent is the CheckEvent that New sets. It returns an
// [*EventError] for an event of type "error" (Anthropic's in-band errors,
// and the flat {"type":"error","code":…,"message":…} of OpenAI's Responses
// API), and for an event whose data is a JSON object with an "error"
// member that says something (as OpenAI-compatible APIs send when a
// stream fails midway, with status 200 long gone): an "error" that is
// null, false, 0, "", {} or [] is no error, as servers that always send
// the member write it. Other events are nil. It costs one scan of the data
// unless the data contains the string "error" in quotes; only then does it
// decode them, with encoding/json.
func DefaultCheckEvent(eventType, data []byte) error {
	if string(eventType) == "error" {
		return eventError(eventType, data, true)
	}
	// The test of the doc, bytes.Contains(bytes.TrimSpace(data),
	// []byte(errorKey)) for data that trimmed starts with '{', made
	// cheaper. The white space trimmed cannot be part of the key, so
	// data may be searched whole.
	if len(data) == 0 || data[0] != '{' && !startsObject(data) || !containsErrorKey(data) {
		return nil
	}
	return eventError(eventType, data, false)
}

// startsObject reports whether data trimmed of white space starts with
// '{'.
func startsObject(data []byte) bool {
	t := bytes.TrimSpace(data)
	return len(t) > 0 && t[0] == '{'
}

// containsErrorKey reports whether data contains errorKey, `"error"`, as
// bytes.Contains does. The JSON of ordinary events is full of the key's
// quotes and e's, which bytes.Contains steps through one by one; the pair
// "rr" in the key is rare in it, so containsErrorKey looks for that pair,
// 32 positions at a time with AVX2 (simd.IndexPair), and compares the
// whole key only around one.
func containsErrorKey(data []byte) bool {
	// The key's "rr" is at q = p+2 for a key at p, and the key ends at
	// q+5: search for the pair where it can be.
	const before, after = 2, len(errorKey) - 2
	const pair = len("rr")
	if len(data) < len(errorKey) {
		return false
	}
	s := data[before : len(data)-after+pair]
	for off := before; ; {
		i := simd.IndexPair(s, 'r', 'r')
		if i < 0 {
			return false
		}
		if q := off + i; string(data[q-before:q+after]) == errorKey {
			return true
		}
		// "rrr" has a second pair one byte on.
		s = s[i+1:]
		off += i + 1
	}
}

// eventError is DefaultCheckEvent past its cheap test: the decoding of an
// event of type "error" (isErrorType) or of data that may have an "error"
// member.
func eventError(eventType, data []byte, isErrorType bool) error {
	var payload struct {
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(data, &payload); err != nil && !isErrorType {
		return nil
	}
	raw := bytes.TrimSpace(payload.Error)
	if isEmptyJSON(raw) {
		if !isErrorType {
			return nil
		}
		// An error event whose payload is itself the error.
		raw = bytes.TrimSpace(data)
	}
	e := &EventError{Event: sse.Event{Type: string(eventType), Data: string(data)}}
	var obj struct {
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	switch {
	case len(raw) > 0 && raw[0] == '"':
		json.Unmarshal(raw, &e.Message)
	case json.Unmarshal(raw, &obj) == nil:
		e.Kind, e.Message = obj.Type, obj.Message
		var s string
		if json.Unmarshal(obj.Code, &s) == nil {
			e.Code = s
		} else if n, err := strconv.ParseFloat(string(obj.Code), 64); err == nil {
			e.Code = strconv.FormatFloat(n, 'f', -1, 64)
		}
	}
	return e
}
