package sse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/bits"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultMaxEventSize is the limit a Decoder applies when MaxEventSize is
// zero. It is large enough for LLM streams that carry images as base64
// (tens of MiB) while still bounding what a hostile server can make a
// client hold.
const DefaultMaxEventSize = 64 << 20

// ErrNoReader is the error of a Decoder that was given no reader: a zero
// Decoder before Reset.
var ErrNoReader = errors.New("sse: Decoder has no reader (use NewDecoder or Reset)")

const (
	// minBufSize is the read buffer a Decoder starts with: one page, enough
	// for the lines of most streams, small enough that thousands of idle
	// streams cost little.
	minBufSize = 4 << 10
	// maxBufSize bounds the read buffer. A line longer than half of it is
	// no longer kept whole in the buffer but streamed into the field it
	// belongs to, so a huge event is copied once and never rescanned.
	maxBufSize = 64 << 10
	// maxEmptyReads is how many (0, nil) reads in a row make
	// io.ErrNoProgress, as in bufio.
	maxEmptyReads = 100
	// fastBufSize is as far as the buffer grows for a reader that keeps
	// filling it (fullReadsToGrow reads in a row), to cut read calls.
	fastBufSize     = 32 << 10
	fullReadsToGrow = 4
	// bulkUTF8 is how many bytes must be buffered past a data value for
	// validInBuf to check them together with it.
	bulkUTF8 = 256
)

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
	// MaxEventSize bounds, in bytes, the length of one line and the data
	// and type of one event together. Past it Next fails with an error that wraps
	// ErrEventTooLarge, having held at most about MaxEventSize bytes plus
	// one read buffer. Zero means DefaultMaxEventSize. Sizes are of the
	// bytes as read, before invalid UTF-8 is replaced (which can make an
	// event up to three times longer); a line left unfinished at the end
	// of the stream counts too, though it is discarded.
	MaxEventSize int

	// OnComment, if set, is called with the text after the colon of each
	// comment line (servers send comments as keep-alives). The slice is
	// valid only during the call.
	OnComment func(comment []byte)

	// OnRetryField, if set, is called with each valid "retry" field the stream
	// sends, as soon as its line has been read.
	OnRetryField func(reconnectionTime time.Duration)

	r   io.Reader
	buf []byte
	// The bytes not yet parsed are buf[start:end].
	start, end int
	// Where the next CR and LF are, or how far it is known that there are
	// none, so that no byte is searched twice while a line waits for the
	// rest of itself.
	crAt, crScanned int
	lfAt, lfScanned int

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
	dataLines            int
	dataRef              bool
	dataStart, dataEnd   int
	data                 []byte
	eventType            []byte
	eventSize            int
	idBuf                []byte // the spec's last event ID buffer
	idDirty              bool   // idBuf changed since the last blank line
	evType, evData, evID []byte // the current event, as returned by Type, Data, ID
	evOK                 bool   // Next has just dispatched an event
	evDefaultType        bool
	messageType          [7]byte
	fixType, fixData     []byte // UTF-8 repaired copies

	lastID      []byte // the last event ID string, as bytes
	lastIDStr   string
	lastIDStale bool   // lastIDStr does not hold lastID yet
	typeStr     string // the last Type returned as a string, reused when it repeats

	retry    time.Duration
	retrySet bool

	// buf[utf8From:utf8To] is known to be valid UTF-8, both ends on
	// character boundaries; utf8Failed is the end of the buffer when
	// checking up to it last failed, so that it is not tried again until
	// more bytes have arrived. See validInBuf.
	utf8From, utf8To, utf8Failed int
}

// NewDecoder returns a Decoder that reads from r.
func NewDecoder(r io.Reader) *Decoder {
	d := &Decoder{}
	d.Reset(r)
	return d
}

// Reset discards the decoder's state, as a new stream starts with an empty
// last event ID buffer, and makes it read from r. It keeps the exported
// fields and the memory it had allocated.
func (d *Decoder) Reset(r io.Reader) {
	*d = Decoder{
		MaxEventSize: d.MaxEventSize,
		OnComment:    d.OnComment,
		OnRetryField: d.OnRetryField,
		r:            r,
		buf:          d.buf,
		contBuf:      d.contBuf[:0],
		data:         d.data[:0],
		eventType:    d.eventType[:0],
		idBuf:        d.idBuf[:0],
		fixType:      d.fixType[:0],
		fixData:      d.fixData[:0],
		lastID:       d.lastID[:0],
		crAt:         -1,
		lfAt:         -1,
	}
	copy(d.messageType[:], "message")
}

// Next advances to the next event, which Event (or Type, Data and ID) then
// returns. It returns false when the stream ends or fails; Err tells which.
// An unfinished event at the end of the stream is discarded, as the spec
// requires.
func (d *Decoder) Next() bool {
	d.evType, d.evData, d.evID, d.evOK = nil, nil, nil, false
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

// Event returns the current event. It allocates at most one string per
// event: the data, with the type and ID when they differ from the previous
// event's.
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
	// One allocation holds every string the event needs.
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

// parseBuffered parses the complete lines in the buffer and reports
// whether it dispatched an event. It stops early on an error, and when it
// needs more input.
func (d *Decoder) parseBuffered() bool {
	if !d.bomOK && !d.skipBOM() {
		return false
	}
	for d.start < d.end {
		if d.skipLF {
			d.skipLF = false
			if d.buf[d.start] == '\n' {
				d.start++
				continue
			}
		}
		var eol int
		if c := d.buf[d.start]; c == '\n' || c == '\r' {
			eol = d.start // a blank line: no need to search
		} else if d.lfAt < d.start && d.crAt < d.start && d.crScanned >= d.end {
			// No CR is left in the buffer, as in a stream that ends its
			// lines with LF: the line ends at the next LF.
			from := max(d.start, d.lfScanned)
			eol = bytes.IndexByte(d.buf[from:d.end], '\n')
			if eol >= 0 {
				eol += from
				d.lfScanned = eol + 1
			} else {
				d.lfScanned = d.end
			}
			d.lfAt = eol
		} else {
			eol = d.findEOL()
		}
		if d.cont != fieldNone {
			if eol < 0 {
				d.appendCont(d.buf[d.start:d.end])
				d.start = d.end
				return false
			}
			d.appendCont(d.buf[d.start:eol])
			if d.err != nil {
				// The line passed the limit: it must not reach its field
				// (a cut comment, or a cut retry value) half done.
				return false
			}
			d.consumeEOL(eol)
			d.endCont()
			continue
		}
		if eol < 0 {
			if d.end-d.start > d.maxSize() {
				d.tooLarge("line")
			}
			return false
		}
		lineStart := d.start
		d.consumeEOL(eol)
		if d.parseLine(lineStart, eol) {
			return true
		}
		if d.err != nil {
			return false
		}
	}
	return false
}

// skipBOM drops a UTF-8 byte order mark at the very start of the stream,
// waiting for more input while what has arrived could still be one.
func (d *Decoder) skipBOM() bool {
	const bom = "\xEF\xBB\xBF"
	have := d.buf[d.start:d.end]
	if len(have) < len(bom) && d.rerr == nil && bytes.HasPrefix([]byte(bom), have) {
		return false
	}
	if bytes.HasPrefix(have, []byte(bom)) {
		d.start += len(bom)
	}
	d.bomOK = true
	return true
}

// findEOL returns the index in buf of the CR or LF that ends the line at
// start, or -1 if the buffer holds no line ending.
func (d *Decoder) findEOL() int {
	if d.lfAt < d.start && d.crAt < d.start {
		// Neither is known: if few bytes are left to search, as after a
		// small read, look for both at once, which costs less than two
		// bytes.IndexByte calls.
		from := max(d.start, min(d.lfScanned, d.crScanned))
		to := d.end
		if to-from > shortScan {
			goto search
		}
		if i := indexCRLF(d.buf, from, to); i >= 0 {
			eol := from + i
			if d.buf[eol] == '\n' {
				d.lfAt, d.lfScanned = eol, eol+1
				d.crScanned = max(d.crScanned, eol+1)
			} else {
				d.crAt, d.crScanned = eol, eol+1
				d.lfScanned = max(d.lfScanned, eol+1)
			}
			return eol
		}
		d.lfAt, d.crAt = -1, -1
		d.lfScanned, d.crScanned = to, to
		return -1
	}
search:
	if d.lfAt < d.start {
		from := max(d.start, d.lfScanned)
		if i := bytes.IndexByte(d.buf[from:d.end], '\n'); i >= 0 {
			d.lfAt = from + i
			d.lfScanned = d.lfAt + 1
		} else {
			d.lfAt = -1
			d.lfScanned = d.end
		}
	}
	if d.crAt < d.start {
		// The search runs to the end of the buffer, not just to the LF: a
		// stream without CRs is then searched once per read, not once per
		// line. A CR found past the LF is kept for a later line.
		from := max(d.start, d.crScanned)
		if from < d.end {
			if i := bytes.IndexByte(d.buf[from:d.end], '\r'); i >= 0 {
				d.crAt = from + i
				d.crScanned = d.crAt + 1
			} else {
				d.crAt = -1
				d.crScanned = d.end
			}
		} else {
			d.crAt = -1
		}
	}
	switch {
	case d.crAt < d.start:
		return d.lfAt
	case d.lfAt < d.start:
		return d.crAt
	}
	return min(d.crAt, d.lfAt)
}

// shortScan is the most bytes findEOL searches for CR and LF together, in
// one loop, rather than for each with bytes.IndexByte.
const shortScan = 16

// indexCRLF returns the index in b[from:to], to-from <= shortScan, of
// the first CR or LF in it, relative to from, or -1. Where b has room past
// to it tests eight bytes at a time, ignoring those past to.
func indexCRLF(b []byte, from, to int) int {
	n := to - from
	if from+shortScan > len(b) {
		for i, c := range b[from:to] {
			if c <= '\r' && (c == '\n' || c == '\r') {
				return i
			}
		}
		return -1
	}
	w := b[from : from+shortScan : from+shortScan]
	m := crlfMask(binary.LittleEndian.Uint64(w))
	if n < 8 {
		m &= 1<<(8*n) - 1
	}
	if m != 0 {
		return bits.TrailingZeros64(m) / 8
	}
	if n <= 8 {
		return -1
	}
	m = crlfMask(binary.LittleEndian.Uint64(w[8:])) & (1<<(8*(n-8)) - 1)
	if m != 0 {
		return 8 + bits.TrailingZeros64(m)/8
	}
	return -1
}

// crlfMask returns w, eight bytes, with the high bit of each byte that is
// CR or LF set and every other bit clear.
func crlfMask(w uint64) uint64 {
	const lo7, hi = 0x7F7F7F7F7F7F7F7F, 0x8080808080808080
	x := w ^ 0x0A0A0A0A0A0A0A0A // zero where LF
	y := w ^ 0x0D0D0D0D0D0D0D0D // zero where CR
	// A byte's high bit is set where it is not zero, exactly.
	nx := (x&lo7 + lo7) | x
	ny := (y&lo7 + lo7) | y
	return ^(nx & ny) & hi
}

// consumeEOL moves start past the line ending at eol. A CR at the end of
// the buffer ends the line at once; an LF that arrives after it later is
// skipped then.
func (d *Decoder) consumeEOL(eol int) {
	d.start = eol + 1
	if d.buf[eol] == '\r' {
		if d.start < d.end {
			if d.buf[d.start] == '\n' {
				d.start++
			}
		} else {
			d.skipLF = true
		}
	}
}

// parseLine interprets the line buf[from:to] and reports whether it
// dispatched an event.
func (d *Decoder) parseLine(from, to int) bool {
	line := d.buf[from:to]
	if len(line) == 0 {
		return d.dispatch()
	}
	if len(line) > d.maxSize() {
		d.tooLarge("line")
		return false
	}
	if line[0] == ':' {
		if d.OnComment != nil {
			d.OnComment(line[1:])
		}
		return false
	}
	// Most lines are data lines: recognise them without looking for the
	// colon or comparing the name as a string.
	if len(line) >= 5 && line[4] == ':' && string(line[:4]) == "data" {
		value := line[5:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		d.addData(value, to)
		return false
	}
	name, value := line, line[len(line):]
	if colon := indexColon(line); colon >= 0 {
		name, value = line[:colon], line[colon+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "data":
		d.addData(value, to)
	case "event":
		d.setEventType(value)
	case "id":
		d.setID(value)
	case "retry":
		d.setRetry(value)
	}
	return false
}

// addData adds the value of a data line, which ends at to in the buffer,
// to the event.
func (d *Decoder) addData(value []byte, to int) {
	if d.dataLines == 0 {
		d.dataRef = true
		d.dataStart = to - len(value)
		d.dataEnd = to
		d.dataLines = 1
		d.addEventSize(len(value) + 1)
	} else {
		d.joinData(value)
	}
}

// joinData adds the value of a data line after the first to the event.
func (d *Decoder) joinData(value []byte) {
	d.materializeData()
	n := len(d.data)
	if cap(d.data)-n <= len(value) {
		d.data = append(d.data, make([]byte, 1+len(value))...)[:n]
	}
	d.data = d.data[:n+1+len(value)]
	d.data[n] = '\n'
	copy(d.data[n+1:], value)
	d.dataLines++
	d.addEventSize(len(value) + 1)
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
	d.addEventSize(len(value))
}

func (d *Decoder) setID(value []byte) {
	if len(value) <= shortValue {
		for _, c := range value {
			if c == 0 {
				return
			}
		}
	} else if bytes.IndexByte(value, 0) >= 0 {
		return
	}
	d.idBuf = append(d.idBuf[:0], value...)
	d.idDirty = true
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

// materializeData copies a data value held in the read buffer into d.data,
// before the buffer moves or a second data line joins it.
func (d *Decoder) materializeData() {
	if d.dataRef {
		d.data = append(d.data[:0], d.buf[d.dataStart:d.dataEnd]...)
		d.dataRef = false
	}
}

// dispatch ends the block at a blank line and reports whether it produced
// an event.
func (d *Decoder) dispatch() bool {
	if d.idDirty {
		d.lastID = appendValidUTF8(d.lastID[:0], d.idBuf)
		d.lastIDStale = true
		d.idDirty = false
	}
	lines := d.dataLines
	d.dataLines = 0
	d.eventSize = 0
	if lines == 0 {
		d.eventType = d.eventType[:0]
		return false
	}
	data := d.data
	var valid bool
	if d.dataRef {
		data = d.buf[d.dataStart:d.dataEnd]
		d.dataRef = false
		valid = d.validInBuf(d.dataStart, d.dataEnd) || utf8.Valid(data)
	} else {
		// Lines of text joined: mostly ASCII, often with a character
		// here and there that is not.
		valid = validUTF8(data)
	}
	d.data = d.data[:0]
	if !valid {
		d.fixData = appendValidUTF8(d.fixData[:0], data)
		data = d.fixData
	}
	d.evData = data[:len(data):len(data)]
	d.evDefaultType = len(d.eventType) == 0
	if d.evDefaultType {
		d.evType = d.messageType[:]
	} else {
		d.evType = d.eventType
		if !validShort(d.evType) && !utf8.Valid(d.evType) {
			d.fixType = appendValidUTF8(d.fixType[:0], d.evType)
			d.evType = d.fixType
		}
	}
	d.eventType = d.eventType[:0]
	d.evID = d.lastID[:len(d.lastID):len(d.lastID)]
	d.evOK = true
	return true
}

// validUTF8 is utf8.Valid, faster on text that is mostly ASCII with a
// multi-byte character here and there: after each such character
// utf8.Valid needs 24 ASCII bytes in a row to reach its fastest loop, and
// this one goes back to it at once.
func validUTF8(p []byte) bool {
	const hi = 0x8080808080808080
	le := binary.LittleEndian
	for {
		for len(p) >= 32 {
			q := p[:32]
			if (le.Uint64(q[0:8])|le.Uint64(q[8:16])|le.Uint64(q[16:24])|le.Uint64(q[24:32]))&hi != 0 {
				break
			}
			p = p[32:]
		}
		for len(p) >= 8 && le.Uint64(p[:8])&hi == 0 {
			p = p[8:]
		}
		if len(p) < 8 {
			return utf8.Valid(p)
		}
		// Skip to the first non-ASCII byte and check the characters from
		// there up to the next ASCII byte.
		p = p[bits.TrailingZeros64(le.Uint64(p[:8])&hi)/8:]
		for len(p) > 0 && p[0] >= utf8.RuneSelf {
			size := validRuneLen(p)
			if size == 0 {
				return false
			}
			p = p[size:]
		}
	}
}

// validRuneLen returns the length of the well-formed multi-byte UTF-8
// sequence at the start of p, or 0 if there is none.
func validRuneLen(p []byte) int {
	need, lo, hi := leadByte(p[0])
	if need == 0 || len(p) <= need || p[1] < lo || p[1] > hi {
		return 0
	}
	for _, c := range p[2 : need+1] {
		if c&0xC0 != 0x80 { // continuation bytes are 10xxxxxx
			return 0
		}
	}
	return need + 1
}

// leadByte returns, for c, the first byte of a multi-byte UTF-8 sequence,
// how many continuation bytes follow it and the range the first of them
// must fall in (the others are 0x80 to 0xBF), which excludes overlong
// forms, surrogates and code points past U+10FFFF. need is 0 when c cannot
// start a sequence.
func leadByte(c byte) (need int, lo, hi byte) {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return 1, 0x80, 0xBF
	case c == 0xE0:
		return 2, 0xA0, 0xBF
	case c == 0xED:
		return 2, 0x80, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		return 2, 0x80, 0xBF
	case c == 0xF0:
		return 3, 0x90, 0xBF
	case c == 0xF4:
		return 3, 0x80, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		return 3, 0x80, 0xBF
	}
	return 0, 0, 0
}

// validInBuf reports whether buf[from:to], a data value held in the
// buffer, is known to be valid UTF-8. utf8.Valid is much faster per byte
// on a long slice than on a short one, so rather than check each value on
// its own it checks, once, from the value to the end of what is buffered,
// and remembers the result for the values that follow. Both ends of a
// value are character boundaries (an ASCII ':' or ' ' is before it and a
// CR or LF after it), so a value inside a valid span is valid. If it
// reports false the caller checks the value alone.
func (d *Decoder) validInBuf(from, to int) bool {
	if from >= d.utf8From && to <= d.utf8To {
		return true
	}
	if d.utf8Failed == d.end || d.end-to < bulkUTF8 {
		// Little is buffered past the value, as with small reads: checking
		// the value alone costs no more.
		return false
	}
	// End the span after its last ASCII byte, so that a character that
	// the last read cut in two does not make it fail.
	cut := d.end
	for i := d.end - 1; i >= to && i >= d.end-utf8.UTFMax; i-- {
		if d.buf[i] < utf8.RuneSelf {
			cut = i + 1
			break
		}
	}
	if !utf8.Valid(d.buf[from:cut]) {
		d.utf8Failed = d.end
		return false
	}
	d.utf8From, d.utf8To = from, cut
	return true
}

// fill reads more input into the buffer, first making room for it.
func (d *Decoder) fill() {
	if d.r == nil {
		// A zero Decoder: fail as a read would, rather than panic.
		d.rerr = ErrNoReader
		return
	}
	if d.buf == nil {
		d.buf = make([]byte, minBufSize)
	}
	if pending := d.end - d.start; pending >= len(d.buf)/2 && d.cont == fieldNone {
		if len(d.buf) < maxBufSize {
			d.grow()
		} else {
			d.materializeData()
			// The line is too long to keep whole: stream it from here on.
			d.beginCont(d.buf[d.start:d.end])
			d.start = d.end
		}
	}
	if d.fullReads >= fullReadsToGrow && len(d.buf) < fastBufSize && d.cont == fieldNone {
		// The reader fills all the room it is given, as a fast connection
		// does: fewer, larger reads (fewer system calls) pay for a larger
		// buffer. A slow or idle stream keeps the small one.
		d.grow()
		d.fullReads = 0
	}
	// Move the unparsed bytes to the front only when that is free or the
	// space after them runs short, so that small reads do not copy a
	// partial line over and over. A data value still held in the buffer
	// is copied out before the bytes under it move.
	if d.start > 0 && (d.start == d.end || len(d.buf)-d.end < len(d.buf)/2) {
		d.materializeData()
		d.shift(d.buf)
	}
	for {
		room := len(d.buf) - d.end
		n, err := d.r.Read(d.buf[d.end:])
		if n < 0 || n > room {
			d.err = errors.New("sse: reader returned an invalid count")
			return
		}
		if n == room {
			d.fullReads++
		} else {
			d.fullReads = 0
		}
		d.end += n
		if err != nil {
			d.rerr = err
			return
		}
		if n > 0 {
			d.empty = 0
			return
		}
		if d.empty++; d.empty >= maxEmptyReads {
			d.rerr = io.ErrNoProgress
			return
		}
	}
}

// grow doubles the read buffer, keeping the unparsed bytes.
func (d *Decoder) grow() {
	d.materializeData()
	buf := make([]byte, 2*len(d.buf))
	d.shift(buf)
	d.buf = buf
}

// endInput handles the unfinished line left when the input ends. The spec
// discards it, but it still counts toward MaxEventSize: had the input come
// in other reads, a long line would already have been streamed into its
// field and failed there. Streaming what is left of it now (it is never
// used) makes whether the stream fails independent of how it was read.
func (d *Decoder) endInput() {
	if d.cont == fieldNone && d.start < d.end {
		d.beginCont(d.buf[d.start:d.end])
		d.start = d.end
	}
}

// shift moves the unparsed bytes to the start of dst, keeping the line
// ending positions in step.
func (d *Decoder) shift(dst []byte) {
	n := copy(dst, d.buf[d.start:d.end])
	s := d.start
	d.start, d.end = 0, n
	d.utf8From, d.utf8To, d.utf8Failed = 0, 0, -1
	d.crAt -= s
	d.crScanned -= s
	d.lfAt -= s
	d.lfScanned -= s
	if d.crScanned < 0 {
		d.crScanned = 0
	}
	if d.lfScanned < 0 {
		d.lfScanned = 0
	}
}

// beginCont starts streaming a line whose beginning, partial, is longer
// than any field name, so its field is already known.
func (d *Decoder) beginCont(partial []byte) {
	d.lineLen = 0
	d.contSpace = false
	d.contBuf = d.contBuf[:0]
	var value []byte
	switch colon := bytes.IndexByte(partial, ':'); {
	case colon == 0:
		d.cont = fieldComment
		value = partial[1:]
	case colon < 0:
		// A name longer than any known field: the whole line is ignored.
		d.cont = fieldIgnored
	default:
		value = partial[colon+1:]
		if len(value) == 0 {
			d.contSpace = true
		} else if value[0] == ' ' {
			value = value[1:]
		}
		switch string(partial[:colon]) {
		case "data":
			d.cont = fieldData
			d.materializeData()
			if d.dataLines > 0 {
				d.data = append(d.data, '\n')
			}
			d.dataLines++
			d.addEventSize(1)
		case "event":
			d.cont = fieldEvent
			d.eventSize -= len(d.eventType)
			d.eventType = d.eventType[:0]
		case "id":
			d.cont = fieldID
		case "retry":
			d.cont = fieldRetry
		default:
			d.cont = fieldIgnored
		}
	}
	d.lineLen = len(partial) - len(value)
	d.appendCont(value)
}

// appendCont takes the next piece of a streamed line.
func (d *Decoder) appendCont(p []byte) {
	if d.err != nil {
		return
	}
	if d.contSpace && len(p) > 0 {
		d.contSpace = false
		if p[0] == ' ' {
			p = p[1:]
			d.lineLen++
		}
	}
	d.lineLen += len(p)
	if d.lineLen > d.maxSize() {
		d.tooLarge("line")
		return
	}
	switch d.cont {
	case fieldData:
		if d.addEventSize(len(p)); d.err == nil {
			d.data = appendCapped(d.data, p, d.maxSize())
		}
	case fieldEvent:
		if d.addEventSize(len(p)); d.err == nil {
			d.eventType = appendCapped(d.eventType, p, d.maxSize())
		}
	case fieldID, fieldRetry:
		d.contBuf = appendCapped(d.contBuf, p, d.maxSize())
	case fieldComment:
		if d.OnComment != nil {
			d.contBuf = appendCapped(d.contBuf, p, d.maxSize())
		}
	}
}

// appendCapped appends p to dst for a streamed line. It doubles the
// capacity rather than letting append grow a large slice by a quarter at a
// time, and does not grow past limit unless it must, so that a line that
// ends up over the limit has cost at most about twice the limit in all.
func appendCapped(dst, p []byte, limit int) []byte {
	if need := len(dst) + len(p); need > cap(dst) {
		c := max(2*cap(dst), need, minBufSize)
		c = 1 << bits.Len(uint(c-1)) // powers of two reach the limit in one step
		c = min(c, max(limit, need))
		grown := make([]byte, len(dst), c)
		copy(grown, dst)
		dst = grown
	}
	return append(dst, p...)
}

// endCont finishes a streamed line at its line ending.
func (d *Decoder) endCont() {
	switch d.cont {
	case fieldID:
		d.setID(d.contBuf)
	case fieldRetry:
		d.setRetry(d.contBuf)
	case fieldComment:
		if d.OnComment != nil {
			d.OnComment(d.contBuf)
		}
	}
	d.cont = fieldNone
	d.contSpace = false
	d.contBuf = d.contBuf[:0]
}

// shortValue is how long a value (an event type, an ID) may be for a
// loop over its bytes to cost less than a call that handles any length.
const shortValue = 32

// validShort reports whether b is short and ASCII, which is valid UTF-8.
// Event types and IDs usually are, and utf8.Valid costs more for them.
func validShort(b []byte) bool {
	if len(b) > shortValue {
		return false
	}
	var or byte
	for _, c := range b {
		or |= c
	}
	return or < utf8.RuneSelf
}

// appendValidUTF8 appends src to dst with each invalid sequence replaced
// by U+FFFD, one per maximal invalid subpart, as the WHATWG UTF-8 decoder
// does (utf8 and strings.ToValidUTF8 count invalid bytes differently).
func appendValidUTF8(dst, src []byte) []byte {
	if validShort(src) {
		return append(dst, src...)
	}
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r != utf8.RuneError || size > 1 {
			dst = append(dst, src[i:i+size]...)
			i += size
			continue
		}
		dst = append(dst, "\uFFFD"...)
		i += invalidPrefixLen(src[i:])
	}
	return dst
}

// invalidPrefixLen returns the length of the maximal subpart of an
// ill-formed UTF-8 sequence at the start of b: the bytes the WHATWG decoder
// consumes before it emits one U+FFFD.
func invalidPrefixLen(b []byte) int {
	need, lo, hi := leadByte(b[0])
	if need == 0 {
		return 1
	}
	n := 1
	for ; need > 0 && n < len(b); n, need = n+1, need-1 {
		if b[n] < lo || b[n] > hi {
			return n
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}

// seedLastEventID starts a new stream with the last event ID of the one
// before it, as browsers do on reconnect, so that events without an "id"
// keep carrying it.
func (d *Decoder) seedLastEventID(id string) {
	d.idBuf = append(d.idBuf[:0], id...)
	d.lastID = append(d.lastID[:0], id...)
	d.lastIDStr = id
	d.lastIDStale = false
}
