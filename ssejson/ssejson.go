package sse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/ssekit/sse/internal/utf8cut"
)

// A Source is a stream of events read with Next and then Type, Data and ID,
// which return slices valid until the next call to Next. *Decoder and
// *Stream are Sources.
type Source interface {
	Next() bool
	Type() []byte
	Data() []byte
	ID() []byte
	Err() error
}

// DefaultDone is the data of the event that ends an OpenAI-compatible
// stream, and the Done that NewJSON sets.
const DefaultDone = "[DONE]"

// A JSON reads a stream of events whose data are JSON values, such as the
// chunks of an LLM's chat completion stream, decoding each into a T with
// encoding/json.
//
// Successive calls to Next step through the values; Current returns the
// one just decoded. Next returns false when the stream ends, at the Done
// sentinel, or on an error, which Err reports: the Source's error, a
// *DecodeError, or the error CheckEvent made of an in-band error event
// (by default an *EventError). Whenever the stream ends, the Source is
// closed if it is an io.Closer.
//
// Events whose data are empty or only white space decode to nothing and
// are skipped, as are the events Skip selects. Comments are never events.
// Event types a T does not know are decoded like any other: they never end
// the stream by their type alone.
//
// The exported fields may be set after NewJSON or DoJSON and before the
// first call to Next. A JSON is read on one goroutine; Close may be called
// from any, provided the Source's Close may be called while its Next runs
// (true of a *Stream and of an HTTP response body).
type JSON[T any] struct {
	// Done is the data of the event that ends the stream cleanly, compared
	// after trimming white space: Next returns false, Err returns nil, and
	// the Source is closed at once rather than read to its end. NewJSON
	// sets it to DefaultDone ("[DONE]"); "" turns it off.
	Done string

	// CheckEvent, if set, is called with each event's type and data before
	// Skip and decoding. A non-nil error ends the stream with that error;
	// it is how an API's in-band error events become Go errors. NewJSON
	// sets it to DefaultCheckEvent. The slices are valid only during the
	// call.
	CheckEvent func(eventType, data []byte) error

	// Skip, if set, reports whether events of a type are to be dropped
	// without decoding, such as "ping". SkipTypes makes one from a list.
	// The slice is valid only during the call.
	Skip func(eventType []byte) bool

	src       Source
	cur       T
	err       error
	done      bool
	closed    atomic.Bool
	closeOnce sync.Once
}

// NewJSON returns a JSON that reads the events of src, with Done set to
// DefaultDone and CheckEvent to DefaultCheckEvent.
//
// src is commonly a *Stream from Client.Connect, or a *Decoder over a
// response body that has already been received. To have the body closed
// as soon as the stream ends, pass a Source that is also an io.Closer:
//
//	sse.NewJSON[Chunk](struct {
//		*sse.Decoder
//		io.Closer
//	}{sse.NewDecoder(resp.Body), resp.Body})
func NewJSON[T any](src Source) *JSON[T] {
	return &JSON[T]{
		Done:       DefaultDone,
		CheckEvent: DefaultCheckEvent,
		src:        src,
	}
}

// DoJSON sends req as a one-shot stream, such as a POST to an LLM's chat
// completion endpoint, and returns a JSON over its events once the server
// has accepted it. It uses a copy of c (DefaultClient if c is nil) with
// OneShot set: the request and its body are sent once (unless c's
// MaxRetries allows retries before the stream opens), and the end of the
// response ends the stream without error.
//
// Like http.Client.Do, DoJSON returns when the response headers have
// arrived. A response the client does not accept (by default, anything but
// a 2xx text/event-stream) is returned as a *ResponseError holding the
// status, the header and the start of the body, such as the JSON error
// that APIs send with a 401 or 429. Cancelling req's context, or calling
// Close, ends the stream and its connection.
func DoJSON[T any](req *http.Request, c *Client) (*JSON[T], error) {
	if c == nil {
		c = DefaultClient
	}
	oneShot := *c
	oneShot.OneShot = true
	s, err := oneShot.Connect(req)
	if err != nil {
		return nil, err
	}
	if err := s.Open(); err != nil {
		s.Close()
		return nil, err
	}
	return NewJSON[T](s), nil
}

// Next decodes the next JSON value of the stream, which Current then
// returns. It returns false when the stream has ended; Err tells why.
func (j *JSON[T]) Next() bool {
	if j.done {
		return false
	}
	var zero T
	j.cur = zero
	for !j.closed.Load() && j.src.Next() {
		typ, data := j.src.Type(), j.src.Data()
		trimmed := bytes.TrimSpace(data)
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
		if err := json.Unmarshal(data, &j.cur); err != nil {
			j.cur = zero
			j.end(newDecodeError(typ, data, j.src.ID(), err))
			return false
		}
		return true
	}
	err := j.src.Err()
	if j.closed.Load() {
		err = ErrClosed
	}
	j.end(err)
	return false
}

// end finishes the stream with err (nil for a clean end) and closes the
// source.
func (j *JSON[T]) end(err error) {
	j.err = err
	j.done = true
	j.closeSource()
}

func (j *JSON[T]) closeSource() {
	j.closeOnce.Do(func() {
		if c, ok := j.src.(io.Closer); ok {
			c.Close()
		}
	})
}

// Current returns the value that the last call to Next decoded, or the
// zero T once the stream has ended.
func (j *JSON[T]) Current() T { return j.cur }

// Type returns the type of the current event without copying; see
// Decoder.Type.
func (j *JSON[T]) Type() []byte { return j.src.Type() }

// Data returns the undecoded data of the current event without copying;
// see Decoder.Data.
func (j *JSON[T]) Data() []byte { return j.src.Data() }

// ID returns the ID of the current event without copying; see Decoder.ID.
func (j *JSON[T]) ID() []byte { return j.src.ID() }

// Err returns the error that ended the stream, or nil if it ended cleanly:
// at the Done sentinel, or at the end of a one-shot stream or of a
// Decoder's input. After Close it returns ErrClosed.
func (j *JSON[T]) Err() error {
	if !j.done && j.closed.Load() {
		return ErrClosed
	}
	return j.err
}

// Close ends the stream and, if the Source is an io.Closer, closes it. It
// may be called from any goroutine, also while Next is blocked, which then
// returns false with Err reporting ErrClosed (unless the stream had ended
// already). Close is idempotent and returns nil.
func (j *JSON[T]) Close() error {
	if j.closed.Swap(true) {
		return nil
	}
	j.closeSource()
	return nil
}

// All returns an iterator over the stream's values. If the stream fails,
// the last pair yielded carries the error. Breaking out of the loop leaves
// the stream open: Close it.
func (j *JSON[T]) All() iter.Seq2[T, error] {
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

// maxSnippet bounds the data a DecodeError keeps.
const maxSnippet = 1 << 10

// A DecodeError is an event whose data could not be decoded.
type DecodeError struct {
	// Event is the event: its type, its ID, and the start of its data, at
	// most 1 KiB.
	Event Event
	// Size is the length of the event's whole data in bytes.
	Size int
	// Err is the error from encoding/json.
	Err error
}

func newDecodeError(typ, data, id []byte, err error) *DecodeError {
	return &DecodeError{
		Event: Event{Type: string(typ), Data: string(utf8cut.Prefix(data, maxSnippet)), ID: string(id)},
		Size:  len(data),
		Err:   err,
	}
}

func (e *DecodeError) Error() string {
	snippet := utf8cut.Prefix(e.Event.Data, 100)
	if len(snippet) < e.Size {
		snippet += "…"
	}
	id := ""
	if e.Event.ID != "" {
		id = fmt.Sprintf(" (id %q)", e.Event.ID)
	}
	return fmt.Sprintf("sse: decoding %q event%s: %v: data %q", e.Event.Type, id, e.Err, snippet)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// snippet returns s for an error message: at most 200 bytes of it, cut on
// a character boundary and marked with "…" when cut.
func snippet(s string) string {
	const limit = 200
	if len(s) <= limit {
		return s
	}
	return utf8cut.Prefix(s, limit) + "…"
}

// An EventError is an error that the server sent in the stream, such as
// Anthropic's "event: error" or the {"error": {...}} chunk of an
// OpenAI-compatible API.
type EventError struct {
	// Event is the event that carried the error, with all its data: the
	// payload, to decode further if need be.
	Event Event
	// Kind, Code and Message are the "type", "code" and "message" members
	// of the payload's "error" object, when it has them, such as
	// "overloaded_error" and "Overloaded". A numeric code is given in
	// decimal. If "error" is a string, it is the Message.
	Kind    string
	Code    string
	Message string
}

func (e *EventError) Error() string {
	msg := "sse: error event"
	for _, s := range []string{e.Kind, e.Code} {
		if s != "" {
			msg += ": " + s
		}
	}
	switch {
	case e.Message != "":
		msg += ": " + e.Message
	case e.Event.Data != "":
		msg += ": " + snippet(e.Event.Data)
	}
	return msg
}

var errorKey = []byte(`"error"`)

// isEmptyJSON reports whether a JSON value is absent or says nothing.
func isEmptyJSON(raw []byte) bool {
	switch string(raw) {
	case "", "null", "false", "0", `""`, "{}", "[]":
		return true
	}
	return false
}

// DefaultCheckEvent is the CheckEvent that NewJSON sets. It returns an
// *EventError for an event of type "error" (Anthropic's in-band errors,
// and the flat {"type":"error","code":…,"message":…} of OpenAI's Responses
// API), and for an event whose data is a JSON object with an "error"
// member that says something (as OpenAI-compatible APIs send when a stream
// fails midway, with status 200 long gone): an "error" that is null,
// false, 0, "", {} or [] is no error, as servers that always send the
// member write it. Other events are nil. It costs one scan of the data
// unless the data contains the string "error" in quotes.
func DefaultCheckEvent(eventType, data []byte) error {
	isErrorType := string(eventType) == "error"
	if !isErrorType {
		t := bytes.TrimSpace(data)
		if len(t) == 0 || t[0] != '{' || !bytes.Contains(t, errorKey) {
			return nil
		}
	}
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
	e := &EventError{Event: Event{Type: string(eventType), Data: string(data)}}
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
