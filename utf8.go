package sse

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// validUTF8Generic is utf8.Valid, faster on text that is mostly ASCII
// with a multi-byte character here and there: after each such character
// utf8.Valid needs 24 ASCII bytes in a row to reach its fastest loop, and
// this one goes back to it at once. It is the portable validUTF8, and the
// one on amd64 for short slices and CPUs without AVX2.
func validUTF8Generic(p []byte) bool {
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
			// A short tail, as at the end of a line: a call to utf8.Valid
			// costs more than checking it here.
			for len(p) > 0 {
				if p[0] < utf8.RuneSelf {
					p = p[1:]
					continue
				}
				size := validRuneLen(p)
				if size == 0 {
					return false
				}
				p = p[size:]
			}
			return true
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
		// The length is taken before U+FFFD is written: in place (see
		// toValidUTF8InPlace) the replacement may overwrite it.
		n := invalidPrefixLen(src[i:])
		dst = append(dst, "\uFFFD"...)
		i += n
	}
	return dst
}

// validUTF8Len returns the length of appendValidUTF8(nil, src), without
// building it, so that a repaired copy can be checked against the limit
// and made in one allocation.
func validUTF8Len(src []byte) int {
	n := len(src)
	for i := 0; i < len(src); {
		if src[i] < utf8.RuneSelf {
			i++
			continue
		}
		if r, size := utf8.DecodeRune(src[i:]); r != utf8.RuneError || size > 1 {
			i += size
			continue
		}
		k := invalidPrefixLen(src[i:])
		n += len("\uFFFD") - k
		i += k
	}
	return n
}

// toValidUTF8InPlace returns appendValidUTF8(nil, b) built in b's memory,
// given cap(b) >= n and n == validUTF8Len(b). Each U+FFFD is at least as
// long as the bytes it replaces, so b is moved to the end of b[:n] and
// repaired from there to the front: what is written never overtakes what
// is still to be read.
func toValidUTF8InPlace(b []byte, n int) []byte {
	buf := b[:n]
	src := buf[n-len(b):]
	copy(src, b)
	return appendValidUTF8(buf[:0], src)
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

// repair replaces the invalid UTF-8 of the event's data (d.data, or the
// value in the read buffer) and type with U+FFFD, and returns the data.
// The limit bounds the event as delivered, so it first works out how long
// the replacements make the event, size bytes as read, and fails with the
// limit's error, having allocated nothing, if that is past the limit.
// Otherwise it repairs in the memory the bytes are in when that has room,
// and else in a buffer made once, of the final size.
func (d *Decoder) repair(data []byte, dataValid, typeValid bool, size int) ([]byte, bool) {
	dataLen, typeLen := len(data), len(d.eventType)
	if !dataValid {
		dataLen = validUTF8Len(data)
	}
	if !typeValid {
		typeLen = validUTF8Len(d.eventType)
	}
	if size+dataLen-len(data)+typeLen-len(d.eventType) > d.maxSize() {
		d.tooLarge("event with invalid UTF-8 replaced")
		return nil, false
	}
	if !typeValid {
		d.eventType = d.repaired(d.eventType, typeLen)
	}
	switch {
	case dataValid:
	case d.dataRef:
		dst := d.data[:0]
		if cap(dst) < dataLen {
			d.noteCap(dataLen)
			dst = make([]byte, 0, dataLen)
		}
		d.data = appendValidUTF8(dst, data)
		data = d.data
	default:
		d.data = d.repaired(d.data, dataLen)
		data = d.data
	}
	return data, true
}

// repaired returns b with its invalid UTF-8 replaced, n bytes long (see
// validUTF8Len): in b's memory when it has room, else in a buffer of n
// bytes.
func (d *Decoder) repaired(b []byte, n int) []byte {
	if cap(b) >= n {
		return toValidUTF8InPlace(b, n)
	}
	d.noteCap(n)
	return appendValidUTF8(make([]byte, 0, n), b)
}
