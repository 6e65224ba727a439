package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultMaxEventSize is the limit a Decoder applies when MaxEventSize is
// zero. It is large enough for LLM streams that carry images as base64
// (tens of MiB) while still bounding what a hostile server can make a
// client hold.
const DefaultMaxEventSize = 64 << 20

// errNoReader is the error of a Decoder that was given no reader: a zero
// Decoder before Reset. It is a programmer's error, not one of the stream,
// so it is not exported for callers to test for: its message says what to
// do.
var errNoReader = errors.New("sse: Decoder has no reader (use NewDecoder or Reset)")

// errBadReadCount is the error of an io.Reader that returned a count
// outside 0 to len(p) from Read, as bufio's errNegativeRead: a broken
// reader, not something a caller can handle.
var errBadReadCount = errors.New("sse: reader returned an invalid count from Read")

// An Event is one dispatched server-sent event.
type Event struct {
	// Type is the event type: the value of the last "event" field of the
	// block, or "message" when there was none or it was empty.
	Type string
	// Data is the values of the block's "data" fields joined by "\n".
	Data string
	// ID is the last event ID when the event was dispatched. As the spec
	// says, it persists across events until the server sets it again, so
	// an event without an "id" field carries the previous event's ID.
	ID string
}

// fieldKind says which field a line that does not fit the buffer belongs
// to, so the rest of it can be streamed to the right place.
type fieldKind uint8

const (
	fieldNone fieldKind = iota
	fieldData
	fieldEvent
	fieldID
	fieldRetry
	fieldComment
	fieldIgnored
)

// A Decoder reads events from a text/event-stream.
//
// Successive calls to Next step through the events of the stream; Event, or
// Type, Data and ID without copying, return the current one. Next returns
// false at the end of the stream or on an error, which Err reports. A
// Decoder reads no further than it must: an event is returned as soon as
// the blank line that ends it has been read.
//
// The exported fields may be set after NewDecoder and before the first call
// to Next.
type Decoder struct {
	// MaxEventSize bounds, in bytes, the length of one line, the data
	// and type of one event together and the last event ID, each as read
	// and as delivered (invalid UTF-8 replaced with U+FFFD, which can make
	// a value up to three times longer). Past it Next fails with an error
	// that wraps ErrEventTooLarge. A line left unfinished at the end of
	// the stream counts too, though it is discarded. Zero means
	// DefaultMaxEventSize.
	//
	// The limit bounds memory too, whatever the stream: while reading one
	// event or line, or failing at the limit, a Decoder keeps at most about
	// 1.25 times MaxEventSize alive and allocates at most about twice it;
	// after a large event, or the limit's error, it gives that memory back
	// and keeps only its ordinary buffers (tens of KiB). These bounds are
	// measured with one large field; an event whose type and data are
	// both large can hold up to twice as much.
	MaxEventSize int

	// OnComment, if set, is called with the text after the colon of each
	// comment line (servers send comments as keep-alives). The slice is
	// valid only during the call.
	OnComment func(comment []byte)

	// OnRetryField, if set, is called with each valid "retry" field the
	// stream sends, as soon as its line has been read. (A Client's
	// OnReconnect is another thing: it is called before a reconnection.)
	OnRetryField func(reconnectionTime time.Duration)

	r   io.Reader
	buf []byte
	// The bytes not yet parsed are buf[start:end].
	start, end int
	// buf[start:scanned], when scanned > start, is known to hold no line
	// ending, and scannedASCII says whether it is all ASCII, so that no
	// byte is searched twice while a line waits for the rest of itself.
	// fill leaves scanned at the line end it found, which parseBuffered
	// tests for before it searches on.
	scanned      int
	scannedASCII bool

	err   error // ends Next at once
	rerr  error // from r, reported once the buffered bytes are parsed
	empty int   // consecutive empty reads
	// fullReads counts reads in a row that filled all the room offered.
	fullReads int
	bomOK     bool // the start of the stream has been checked for a BOM
	skipLF    bool // a CR ended the last line; an LF right after it is part of that line ending

	// A line too long for the buffer is streamed: cont is the field it
	// belongs to, contSpace says its value's leading space may still be to
	// come, lineLen counts its bytes.
	cont      fieldKind
	contSpace bool
	lineLen   int
	contBuf   []byte // value of a streamed event, id, retry or comment line

	// The event being built. A block with a single data line that fits the
	// buffer keeps its value where it was read (dataRef), to spare a copy.
	// dataASCII says that every data line so far was ASCII, as the line
	// scan found, so the data need no UTF-8 check; a streamed line is
	// never known to be. It means nothing while dataLines is 0: the first
	// data line of a block sets it.
	dataLines            int
	dataASCII            bool
	dataRef              bool
	dataStart, dataEnd   int
	data                 []byte
	eventType            []byte
	eventSize            int
	idBuf                []byte // the spec's last event ID buffer
	idDirty              bool   // idBuf changed since the last blank line
	idASCII              bool   // idBuf is all ASCII, as the line scan found
	evType, evData, evID []byte // the current event, as returned by Type, Data, ID
	evOK                 bool   // Next has just dispatched an event
	evDefaultType        bool
	messageType          [7]byte
	// shrinkDue says a buffer may have grown past what a Decoder keeps
	// between events (see shrink).
	shrinkDue bool

	lastID      []byte // the last event ID string, as bytes
	lastIDStr   string
	lastIDStale bool   // lastIDStr does not hold lastID yet
	typeStr     string // the last Type returned as a string, reused when it repeats

	retry    time.Duration
	retrySet bool
}

// NewDecoder returns a Decoder that reads from r.
func NewDecoder(r io.Reader) *Decoder {
	d := &Decoder{}
	d.Reset(r)
	return d
}

// Reset discards the decoder's state, as a new stream starts with an empty
// last event ID buffer, and makes it read from r. It keeps the exported
// fields and its ordinary buffers, so that reading a new stream allocates
// nothing, but not the memory a large event or line took.
func (d *Decoder) Reset(r io.Reader) {
	*d = Decoder{
		MaxEventSize: d.MaxEventSize,
		OnComment:    d.OnComment,
		OnRetryField: d.OnRetryField,
		r:            r,
		buf:          d.buf,
		contBuf:      kept(d.contBuf, keepCap),
		data:         kept(d.data, keepDataCap),
		eventType:    kept(d.eventType, keepCap),
		idBuf:        kept(d.idBuf, keepCap),
		lastID:       kept(d.lastID, keepCap),
	}
	copy(d.messageType[:], "message")
}

// Next advances to the next event, which Event (or Type, Data and ID) then
// returns. It returns false when the stream ends or fails; Err tells which.
// An unfinished event at the end of the stream is discarded, as the spec
// requires.
func (d *Decoder) Next() bool {
	d.evType, d.evData, d.evID, d.evOK = nil, nil, nil, false
	if d.shrinkDue {
		d.shrink()
	}
	for d.err == nil {
		if d.parseBuffered() {
			return true
		}
		if d.err != nil {
			break
		}
		if d.rerr != nil {
			d.endInput()
			if d.err == nil {
				d.err = d.rerr
			}
			break
		}
		d.fill()
	}
	// Nothing read so far is needed any more: give back what a large event
	// or line took, as the limit's error often follows one.
	d.shrink()
	return false
}

// Err returns the first error that stopped Next, or nil if the stream
// ended with io.EOF. Errors from the underlying reader are returned as they
// came, after every complete event before them.
func (d *Decoder) Err() error {
	if d.err == io.EOF {
		return nil
	}
	return d.err
}

// Event returns the current event. It allocates the data, and the type and
// ID only when they differ from the previous event's; short ones share one
// allocation, so a stream of small events costs one per event.
func (d *Decoder) Event() Event {
	if !d.evOK {
		return Event{}
	}
	var typ string
	newType := false
	switch {
	case d.evDefaultType:
		typ = "message"
	case string(d.evType) == d.typeStr:
		typ = d.typeStr
	default:
		newType = true
	}
	newID := d.lastIDStale
	size := len(d.evData)
	if newType {
		size += len(d.evType)
	}
	if newID {
		size += len(d.lastID)
	}
	if size == 0 {
		if newID {
			d.lastIDStr, d.lastIDStale = "", false
		}
		return Event{Type: typ, ID: d.lastIDStr}
	}
	if size > packedSize {
		// The type and ID are cached, and callers keep them: each must
		// hold only its own bytes, not the data of the event that
		// introduced it.
		if newType {
			typ = string(d.evType)
			d.typeStr = typ
		}
		if newID {
			d.lastIDStr = string(d.lastID)
			d.lastIDStale = false
		}
		return Event{Type: typ, Data: string(d.evData), ID: d.lastIDStr}
	}
	// Short strings share one allocation: a kept type or ID then holds a
	// few bytes more than its own, no more than the allocator's rounding
	// of a small object costs anyway.
	var b strings.Builder
	b.Grow(size)
	b.Write(d.evData)
	if newType {
		b.Write(d.evType)
	}
	if newID {
		b.Write(d.lastID)
	}
	s := b.String()
	data := s[:len(d.evData)]
	rest := s[len(d.evData):]
	if newType {
		typ = rest[:len(d.evType)]
		rest = rest[len(d.evType):]
		d.typeStr = typ
	}
	if newID {
		d.lastIDStr = rest
		d.lastIDStale = false
	}
	return Event{Type: typ, Data: data, ID: d.lastIDStr}
}

// packedSize is the most bytes of data, type and ID that Event puts in one
// allocation.
const packedSize = 32

// Type returns the current event's type without copying. The slice is
// valid until the next call to Next and must not be modified.
func (d *Decoder) Type() []byte { return d.evType }

// Data returns the current event's data without copying. The slice is
// valid until the next call to Next and must not be modified.
func (d *Decoder) Data() []byte { return d.evData }

// ID returns the current event's ID (the last event ID when it was
// dispatched) without copying. The slice is valid until the next call to
// Next and must not be modified.
func (d *Decoder) ID() []byte { return d.evID }

// LastEventID returns the last event ID the stream has set. Like the
// spec's last event ID string, it changes at each blank line, including
// those that end a block with no data.
func (d *Decoder) LastEventID() string {
	if d.lastIDStale {
		d.lastIDStr = string(d.lastID)
		d.lastIDStale = false
	}
	return d.lastIDStr
}

// Retry returns the reconnection time of the last valid "retry" field the
// stream sent, and whether it sent one.
func (d *Decoder) Retry() (time.Duration, bool) { return d.retry, d.retrySet }

// All returns an iterator over the remaining events. If the stream fails,
// the last pair yielded carries the error.
func (d *Decoder) All() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for d.Next() {
			if !yield(d.Event(), nil) {
				return
			}
		}
		if err := d.Err(); err != nil {
			yield(Event{}, err)
		}
	}
}

// Events returns an iterator over the events read from r with a Decoder's
// defaults. If the stream fails, the last pair yielded carries the error.
func Events(r io.Reader) iter.Seq2[Event, error] {
	return NewDecoder(r).All()
}

func (d *Decoder) maxSize() int {
	if d.MaxEventSize > 0 {
		return d.MaxEventSize
	}
	return DefaultMaxEventSize
}

func (d *Decoder) tooLarge(what string) {
	d.err = fmt.Errorf("%w: %s exceeds %d bytes", ErrEventTooLarge, what, d.maxSize())
}

// parseLine interprets a line that is not blank, which ends at to in the
// buffer and is all ASCII if ascii. parseBuffered recognises the common
// data and id lines itself.
func (d *Decoder) parseLine(line []byte, to int, ascii bool) {
	if len(line) > d.maxSize() {
		d.tooLarge("line")
		return
	}
	if line[0] == ':' {
		if d.OnComment != nil {
			d.OnComment(line[1:])
		}
		return
	}
	name, value := line, line[len(line):]
	if colon := indexColon(line); colon >= 0 {
		name, value = line[:colon], trimLeadingSpace(line[colon+1:])
	}
	switch string(name) {
	case "data":
		d.addData(value, to, ascii)
	case "event":
		d.setEventType(value)
	case "id":
		d.setID(value, ascii)
	case "retry":
		d.setRetry(value)
	}
}

// trimLeadingSpace drops the one space that may follow a field's colon.
func trimLeadingSpace(value []byte) []byte {
	if len(value) > 0 && value[0] == ' ' {
		return value[1:]
	}
	return value
}

// addData adds the value of a data line, which ends at to in the buffer
// and is all ASCII if ascii, to the event. It is on the path of every
// line of a multi-line event, so the join is written here rather than in a
// function of its own.
func (d *Decoder) addData(value []byte, to int, ascii bool) {
	if d.dataLines == 0 {
		d.noteData(to-len(value), to, ascii)
		d.addEventSize(len(value) + 1)
		return
	}
	// Past the limit the value is not copied: the data must not grow
	// beyond what the limit allows.
	if d.addEventSize(len(value) + 1); d.err != nil {
		return
	}
	d.dataASCII = d.dataASCII && ascii
	d.materializeData()
	n := len(d.data)
	if cap(d.data)-n <= len(value) {
		d.data = d.room(d.data, 1+len(value))
	}
	d.data = d.data[:n+1+len(value)]
	d.data[n] = '\n'
	copy(d.data[n+1:], value)
	d.dataLines++
}

// noteData makes d.buf[from:to], all ASCII if ascii, the first data line
// of the event, kept where it was read until the event is dispatched or a
// second line joins it.
func (d *Decoder) noteData(from, to int, ascii bool) {
	d.dataASCII, d.dataRef, d.dataLines = ascii, true, 1
	d.dataStart, d.dataEnd = from, to
}

// indexColon is bytes.IndexByte(line, ':'), faster for the short field
// names that come first in a line.
func indexColon(line []byte) int {
	const near = 8
	for i, c := range line[:min(len(line), near)] {
		if c == ':' {
			return i
		}
	}
	if len(line) > near {
		if i := bytes.IndexByte(line[near:], ':'); i >= 0 {
			return near + i
		}
	}
	return -1
}

func (d *Decoder) addEventSize(n int) {
	d.eventSize += n
	if d.eventSize > d.maxSize() {
		d.tooLarge("event")
	}
}

func (d *Decoder) setEventType(value []byte) {
	d.eventSize -= len(d.eventType)
	d.eventType = append(d.eventType[:0], value...)
	d.noteCap(len(value))
	d.addEventSize(len(value))
}

// maxRetryMillis is the largest reconnection time a time.Duration holds.
const maxRetryMillis = int64(1<<63-1) / int64(time.Millisecond)

func (d *Decoder) setRetry(value []byte) {
	if len(value) == 0 {
		return
	}
	var ms int64
	for _, c := range value {
		if c < '0' || c > '9' {
			return
		}
		ms = ms*10 + int64(c-'0')
		if ms > maxRetryMillis {
			// Too large to represent: ignored rather than wrapped.
			return
		}
	}
	d.retry = time.Duration(ms) * time.Millisecond
	d.retrySet = true
	if d.OnRetryField != nil {
		d.OnRetryField(d.retry)
	}
}

// dispatch ends the block at a blank line and reports whether it produced
// an event.
func (d *Decoder) dispatch() bool {
	if d.idDirty {
		// The last event ID buffer becomes the last event ID. The two
		// buffers trade places rather than copy: the next id field
		// overwrites the buffer's value, so it is not needed again. An ID
		// known to be ASCII, in buffers of an ordinary size, needs nothing
		// but the trade.
		if (!d.idASCII || max(cap(d.idBuf), cap(d.lastID)) > keepCap) && !d.prepareLastID() {
			return false
		}
		d.lastID, d.idBuf = d.idBuf, d.lastID[:0]
		d.lastIDStale, d.idDirty, d.idASCII = true, false, false
	}
	lines := d.dataLines
	d.dataLines = 0
	size := d.eventSize
	d.eventSize = 0
	if lines == 0 {
		d.eventType = d.eventType[:0]
		return false
	}
	data := d.data
	if d.dataRef {
		data = d.buf[d.dataStart:d.dataEnd]
	}
	// Text that is not all ASCII is checked in one pass over the joined
	// lines: measured, that costs less than a check of each line that is
	// not, as most lines of a multi-line event are short.
	valid := d.dataASCII || validUTF8(data)
	typeValid := len(d.eventType) == 0 || validShort(d.eventType) || utf8.Valid(d.eventType)
	if !valid || !typeValid {
		var ok bool
		if data, ok = d.repair(data, valid, typeValid, size); !ok {
			return false
		}
	}
	d.dataRef = false
	d.data = d.data[:0]
	d.evData = data[:len(data):len(data)]
	d.evDefaultType = len(d.eventType) == 0
	if d.evDefaultType {
		d.evType = d.messageType[:]
	} else {
		d.evType = d.eventType
	}
	d.eventType = d.eventType[:0]
	d.evID = d.lastID[:len(d.lastID):len(d.lastID)]
	d.evOK = true
	return true
}
