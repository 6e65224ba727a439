package sse

import (
	"bytes"
	"io"
	"math/bits"
)

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
)

// parseBuffered parses the complete lines in the buffer and reports
// whether it dispatched an event. It stops early on an error, and when it
// needs more input.
//
// Every line of every event goes through its loop, which therefore
// recognises the common data and id lines and the blank line itself, and
// keeps the line's start in a local rather than in d.start, which each
// line would store and load again. d.start is brought up to date at each
// return and before each call that reads it or may run a callback.
func (d *Decoder) parseBuffered() bool {
	if (!d.bomOK || d.skipLF || d.cont != fieldNone) && !d.parseLeftover() {
		return false
	}
	buf, start := d.buf[:d.end], d.start
	limit := d.maxSize()
	for start < len(buf) {
		lineStart := start
		eol, ascii := start, true
		if c := buf[start]; c != '\n' && c != '\r' {
			if d.scanned > start {
				if eol, ascii = d.lineEnd(start); eol < 0 {
					break
				}
			} else {
				i, a := indexEOL(buf[start:])
				eol, ascii = start+i, a
				if eol == len(buf) {
					d.scanned, d.scannedASCII = eol, ascii
					break
				}
			}
		}
		var cut bool
		if start, cut = afterEOL(buf, eol); cut {
			d.skipLF = true
		}
		if eol == lineStart {
			// A blank line, one per event.
			if d.dispatch() {
				d.start = start
				return true
			}
			if d.err != nil {
				break
			}
			continue
		}
		// Most lines are data lines, and streams that resume send an id
		// line per event: both are recognised here, without the colon
		// search, the name's comparison as a string, or parseLine's call.
		// A line past the limit goes to parseLine, which fails it.
		line := buf[lineStart:eol]
		switch {
		case len(line) >= 5 && line[4] == ':' && string(line[:4]) == "data" && len(line) <= limit:
			value := trimLeadingSpace(line[5:])
			if d.dataLines != 0 {
				d.addData(value, eol, ascii)
				break
			}
			// addData's first line, which most events have alone, here
			// to spare the call (and addEventSize, with the loop's limit).
			d.noteData(eol-len(value), eol, ascii)
			if d.eventSize += len(value) + 1; d.eventSize > limit {
				d.tooLarge("event")
			}
		case len(line) >= 3 && line[2] == ':' && line[0] == 'i' && line[1] == 'd' && len(line) <= limit:
			d.setID(trimLeadingSpace(line[3:]), ascii)
			continue // setID sets no error
		default:
			// parseLine may call OnComment, which must find the decoder
			// as it is, and which may do anything with it.
			d.start = start
			d.parseLine(line, eol, ascii)
			buf, start = d.buf[:d.end], d.start
		}
		if d.err != nil {
			break
		}
	}
	if start == len(buf) || d.err != nil {
		d.start = start
		return false
	}
	// The line at start goes on past the buffer.
	d.start = start
	if len(buf)-start > limit {
		d.tooLarge("line")
	}
	return false
}

// parseLeftover deals with what only the start of the stream, or an
// earlier call, can leave at d.start: a BOM to check for, the LF of a CRLF
// cut after the CR, a line streamed into its field. It reports whether
// the lines after it can be parsed.
func (d *Decoder) parseLeftover() bool {
	if !d.bomOK && !d.skipBOM() {
		return false
	}
	if d.skipLF && d.start < d.end {
		d.skipLF = false
		if d.buf[d.start] == '\n' {
			d.start++
		}
	}
	return d.cont == fieldNone || d.parseCont()
}

// parseCont goes on with a line streamed into its field and reports
// whether the lines after it can be parsed: false while the line goes on
// past the buffer, and if it failed the limit.
func (d *Decoder) parseCont() bool {
	if d.start == d.end {
		return false
	}
	eol := d.start
	if c := d.buf[d.start]; c != '\n' && c != '\r' {
		eol, _ = d.lineEnd(d.start)
	}
	if eol < 0 {
		d.appendCont(d.buf[d.start:d.end])
		d.start = d.end
		return false
	}
	d.appendCont(d.buf[d.start:eol])
	if d.err != nil {
		// The line passed the limit: it must not reach its field (a cut
		// comment, or a cut retry value) half done.
		return false
	}
	d.consumeEOL(eol)
	d.endCont()
	return true
}

// lineEnd returns where the line at start, which is not blank, ends in
// the buffer, and whether it is all ASCII; -1 if it goes on past the
// buffer, which it notes as scanned.
func (d *Decoder) lineEnd(start int) (int, bool) {
	// The bytes up to d.scanned, if past start, are known to hold no line
	// ending: search on from there.
	from, ascii := start, true
	if d.scanned > from {
		from, ascii = d.scanned, d.scannedASCII
		if from < d.end && (d.buf[from] == '\n' || d.buf[from] == '\r') {
			return from, ascii // the line end, found by fill or read with an error
		}
	}
	i, a := indexEOL(d.buf[from:d.end])
	if eol := from + i; eol < d.end {
		return eol, ascii && a
	}
	d.scanned, d.scannedASCII = d.end, ascii && a
	return -1, false
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

// consumeEOL moves start past the line ending at eol.
func (d *Decoder) consumeEOL(eol int) {
	var cut bool
	if d.start, cut = afterEOL(d.buf[:d.end], eol); cut {
		d.skipLF = true
	}
}

// afterEOL returns where the line after the line ending at buf[eol]
// starts, and whether that ending is a CR that ends buf: the line ends at
// once, and an LF that arrives after it later must be skipped then.
func afterEOL(buf []byte, eol int) (next int, cut bool) {
	next = eol + 1
	if buf[eol] == '\r' {
		if next == len(buf) {
			return next, true
		}
		if buf[next] == '\n' {
			next++
		}
	}
	return next, false
}

// fill reads more input into the buffer, first making room for it. While
// what it reads ends no line, parseBuffered could do nothing with it but
// note it scanned, so fill notes that itself and reads on: in tiny reads,
// a few bytes each, a return to parse after every one cost about as much
// as the read.
func (d *Decoder) fill() {
	if d.r == nil {
		// A zero Decoder: fail as a read would, rather than panic.
		d.rerr = errNoReader
		return
	}
	if d.buf == nil {
		d.buf = make([]byte, minBufSize)
	}
	if d.start == d.end || d.end >= len(d.buf)>>1 || d.fullReads >= fullReadsToGrow {
		d.makeRoom() // it has nothing to do otherwise
		if d.err != nil {
			// A line streamed into its field took the event past the
			// limit: fail now, not after another read.
			return
		}
	}
	// Reading on needs the line in the buffer, if any, scanned to its end
	// (as parseBuffered leaves it), and neither the stream's start (a BOM
	// may be cut), nor a CR that ended the buffer (parseBuffered must
	// settle whether the next byte is its LF before makeRoom may stream
	// the line after it, or the LF that ends that line would be taken for
	// the CR's), nor a streamed line, whose bytes parseBuffered must take
	// as they come to keep the buffer small.
	readOn := d.bomOK && !d.skipLF && d.cont == fieldNone
	if d.start == d.end {
		d.scanned, d.scannedASCII = d.end, true
	} else if d.scanned != d.end {
		readOn = false
	}
	limit := d.maxSize()
	for {
		room := len(d.buf) - d.end
		n, err := d.r.Read(d.buf[d.end:])
		if uint(n) > uint(room) {
			d.err = errBadReadCount
			return
		}
		if n == room {
			d.fullReads++
		} else {
			d.fullReads = 0
		}
		from := d.end
		d.end += n
		if err != nil {
			d.rerr = err
			return
		}
		if n == 0 {
			if d.empty++; d.empty >= maxEmptyReads {
				d.rerr = io.ErrNoProgress
				return
			}
			continue
		}
		d.empty = 0
		if !readOn {
			return
		}
		i, ascii := indexEOL(d.buf[from:d.end])
		// The line ends at from+i, or goes on past the bytes read: either
		// way the bytes before from+i end no line.
		d.scanned, d.scannedASCII = from+i, d.scannedASCII && ascii
		if i < n || d.end-d.start > limit {
			// A line past the limit fails in parseBuffered at once, not
			// after more reads: the server may send nothing more. (A line
			// within it that takes its event past it fails at its end, or
			// once streamed.)
			return
		}
		if d.end >= len(d.buf)>>1 {
			// Below half the buffer, makeRoom has nothing to do: a full
			// read, which may make it grow the buffer, leaves end at
			// len(d.buf).
			d.makeRoom()
			if d.err != nil {
				return
			}
			readOn = d.cont == fieldNone
		}
	}
}

// makeRoom makes room in the buffer for the next read: it grows the
// buffer, or streams a line too long for it into its field, and moves the
// unparsed bytes to the front when that is due.
func (d *Decoder) makeRoom() {
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

// shift moves the unparsed bytes to the start of dst, keeping d.scanned
// in step.
func (d *Decoder) shift(dst []byte) {
	n := copy(dst, d.buf[d.start:d.end])
	s := d.start
	d.start, d.end = 0, n
	d.scanned = max(d.scanned-s, 0)
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
			d.dataASCII = false
			d.materializeData()
			if d.dataLines > 0 {
				d.data = append(d.room(d.data, 1), '\n')
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
			d.data = append(d.room(d.data, len(p)), p...)
		}
	case fieldEvent:
		if d.addEventSize(len(p)); d.err == nil {
			d.eventType = append(d.room(d.eventType, len(p)), p...)
		}
	case fieldID, fieldRetry:
		d.contBuf = append(d.room(d.contBuf, len(p)), p...)
	case fieldComment:
		if d.OnComment != nil {
			d.contBuf = append(d.room(d.contBuf, len(p)), p...)
		}
	}
}

// room returns b, or a copy of it, with room for n more bytes, for a value
// that may grow up to the limit: a long line, or data joined from many
// lines. It doubles the capacity rather than letting append grow a large
// slice by a quarter at a time, which would allocate about five times the
// final size in all. Doubling all the way to the limit would still
// allocate twice the limit (the limit, half of it, a quarter...) and the
// read buffers on top, so past half the limit it goes to the limit at
// once: a value that ends up over the limit has allocated about one and a
// half times the limit.
func (d *Decoder) room(b []byte, n int) []byte {
	need := len(b) + n
	if need <= cap(b) {
		return b
	}
	limit := d.maxSize()
	c := max(2*cap(b), need, minBufSize)
	c = 1 << bits.Len(uint(c-1)) // powers of two reach a power-of-two limit exactly
	if c >= limit/2 {
		c = limit
	}
	c = max(c, need)
	d.noteCap(c)
	grown := make([]byte, len(b), c)
	copy(grown, b)
	return grown
}

// endCont finishes a streamed line at its line ending.
func (d *Decoder) endCont() {
	switch d.cont {
	case fieldID:
		// The value becomes the ID buffer, rather than a copy of it, so
		// that a long ID is held once.
		if bytes.IndexByte(d.contBuf, 0) < 0 {
			d.idBuf, d.contBuf = d.contBuf, d.idBuf
			d.idDirty = true
			d.idASCII = false
		}
	case fieldRetry:
		d.setRetry(d.contBuf)
	case fieldComment:
		if d.OnComment != nil {
			d.OnComment(d.contBuf)
		}
	}
	d.cont = fieldNone
	d.contSpace = false
	// A long line's buffer is dropped at once, rather than carry its
	// capacity into the ID buffer the next long id line trades it for.
	d.contBuf = kept(d.contBuf, keepCap)
}

const (
	// keepDataCap is the most memory a Decoder keeps for joined data
	// between events: as much as a streamed line of twice the read buffer
	// takes, so that such lines, common in LLM streams, cost no allocation
	// once the buffer has grown, while a large event's memory is given
	// back when the next one starts.
	keepDataCap = 128 << 10
	// keepCap is the same for each of the other buffers, whose values
	// (an event type, an ID) are short unless a server is hostile.
	keepCap = 4 << 10
)

// kept returns b emptied if its capacity is at most max, and nil if not.
func kept(b []byte, max int) []byte {
	if cap(b) > max {
		return nil
	}
	return b[:0]
}

// shrink drops the buffers that a large event or line has grown past what
// a Decoder keeps between events. It is called when none of them holds
// anything still needed: at the start of Next, when the previous event's
// views have expired, and when Next fails. The last event ID is state, not
// a buffer, and is kept.
func (d *Decoder) shrink() {
	d.shrinkDue = false
	d.data = kept(d.data, keepDataCap)
	d.eventType = kept(d.eventType, keepCap)
	d.contBuf = kept(d.contBuf, keepCap)
	d.idBuf = kept(d.idBuf, keepCap)
}

// noteCap notes that a buffer of n bytes was made, which shrink may have
// to drop.
func (d *Decoder) noteCap(n int) {
	if n > keepCap {
		d.shrinkDue = true
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
