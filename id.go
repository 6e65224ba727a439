package sse

// The last event ID: the spec's buffer, which id fields set, and the last
// event ID string it becomes at each blank line (see dispatch).

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// setID sets the last event ID buffer to value, all ASCII if ascii,
// unless value holds a NUL, which makes the spec ignore the field.
func (d *Decoder) setID(value []byte, ascii bool) {
	if d.copyID(value) {
		d.idDirty = true
		d.idASCII = ascii
	}
}

// shortID is the ID buffer's capacity from the first ID on, so that IDs
// of up to shortID bytes take copyID's word path.
const shortID = 16

// copyID copies value to the ID buffer and reports true, or, if value
// holds a NUL, reports false and leaves the buffer as it was: it may hold
// an earlier id field of the same event. IDs are short, mostly 4 to 16
// bytes: for those the NUL test and the copy each take two overlapping
// words, without a loop or a call.
func (d *Decoder) copyID(value []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	le := binary.LittleEndian
	// A word has a zero byte exactly when (w-lo)&^w&hi is not zero.
	switch n := len(value); {
	case n > shortID || n < 4 || cap(d.idBuf) < shortID:
		if bytes.IndexByte(value, 0) >= 0 {
			return false
		}
		if cap(d.idBuf) < shortID {
			d.idBuf = make([]byte, 0, max(shortID, n))
		}
		d.idBuf = append(d.idBuf[:0], value...)
	case n >= 8:
		w1, w2 := le.Uint64(value), le.Uint64(value[n-8:])
		if ((w1-lo)&^w1|(w2-lo)&^w2)&hi != 0 {
			return false
		}
		b := d.idBuf[:n]
		le.PutUint64(b, w1)
		le.PutUint64(b[n-8:], w2)
		d.idBuf = b
	default:
		w1, w2 := le.Uint32(value), le.Uint32(value[n-4:])
		if ((w1-lo&0xFFFFFFFF)&^w1|(w2-lo&0xFFFFFFFF)&^w2)&(hi&0xFFFFFFFF) != 0 {
			return false
		}
		b := d.idBuf[:n]
		le.PutUint32(b, w1)
		le.PutUint32(b[n-4:], w2)
		d.idBuf = b
	}
	return true
}

// prepareLastID readies the ID buffer to become the last event ID, for
// the trade of the two buffers that dispatch makes right after it: it
// replaces invalid UTF-8, and gives back memory that a long ID took. It
// reports whether the ID is within the limit, as delivered after invalid
// UTF-8 is replaced (an event must be too); if not, it sets the limit's
// error and changes nothing.
func (d *Decoder) prepareLastID() bool {
	id := d.idBuf
	if !d.idASCII && !validShort(id) && !utf8.Valid(id) {
		n := validUTF8Len(id)
		if n > d.maxSize() {
			d.tooLarge("id with invalid UTF-8 replaced")
			return false
		}
		id = d.repaired(id, n)
	}
	if cap(id) > keepCap && cap(id)-len(id) > len(id)/4 {
		// The ID stays until the server sets another: it must not hold
		// much more memory than its own length, which a buffer that grew
		// by doubling, or jumped to the limit, can.
		id = bytes.Clone(id)
	}
	d.idBuf = id
	if cap(d.lastID) > keepCap {
		// It held a long ID, and is about to become the ID buffer: not
		// worth keeping that much memory for the IDs to come.
		d.lastID = nil
	}
	return true
}

// seedLastEventID starts a new stream with the last event ID of the one
// before it, as browsers do on reconnect, so that events without an "id"
// keep carrying it.
func (d *Decoder) seedLastEventID(id string) {
	d.idBuf = append(d.idBuf[:0], id...)
	d.idASCII = false
	d.lastID = append(d.lastID[:0], id...)
	d.lastIDStr = id
	d.lastIDStale = false
}
