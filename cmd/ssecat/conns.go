package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/utf8cut"
)

// This file holds what the live client and "ssecat read" share about the
// boundaries between connections: the line --raw writes where a new
// connection starts, its reading back, and the warning about an event a
// connection cut off.

// markPrefix starts the line that --raw writes before the bytes of every
// connection but the first. It is a comment, which any SSE parser skips;
// "ssecat read" starts a new connection there, as the live client did:
// it discards the event the last one cut off, and resumes from the
// Last-Event-ID the line names. The first connection is not marked, so
// that the raw output of one response is its bytes exactly (a BOM
// included, which only counts at the very start of a stream).
const markPrefix = ":--- ssecat: connection "

// connMark returns the line that marks the start of connection n, which
// was sent with Last-Event-ID id (none if id is "").
func connMark(n int, id string) string {
	s := markPrefix + strconv.Itoa(n)
	if id != "" {
		s += ", Last-Event-ID: " + id
	}
	return s + "\n"
}

// parseMark reads a mark line (without its line end): the connection
// number (0 if unreadable) and the Last-Event-ID.
func parseMark(line string) (n int, id string) {
	rest := strings.TrimPrefix(line, markPrefix)
	num, id, _ := strings.Cut(rest, ", Last-Event-ID: ")
	n, _ = strconv.Atoi(num)
	return n, id
}

// cutWarning says that what (a connection, the input) ended inside ev,
// an event with no blank line after it. The live client and "ssecat read"
// say it in the same words.
func cutWarning(what string, ev sse.Event) string {
	return fmt.Sprintf("%s ended inside an event (no blank line after it), which a client discards: %s data %q",
		what, ev.Type, utf8cut.Prefix(ev.Data, 80))
}

// A pendingEvent follows the bytes of a response to tell, at its end,
// whether it ended inside an event, which the client's decoder discards
// without a word: it keeps the bytes after the last blank line, up to
// limit.
type pendingEvent struct {
	buf       []byte
	limit     int
	overflow  bool // more than limit since the last blank line
	lineEmpty bool // no byte of the current line yet
	afterCR   bool // the last byte was a CR, which an LF may complete
	started   bool
}

func (p *pendingEvent) write(b []byte) {
	if !p.started {
		p.started, p.lineEmpty = true, true
	}
	for i, c := range b {
		switch {
		case c == '\n' && p.afterCR:
			// The LF of a CRLF: the CR ended the line already.
			p.afterCR = false
			if len(p.buf) > 0 {
				p.add(b[i : i+1])
			}
		case c == '\r' || c == '\n':
			if p.lineEmpty {
				// A blank line: what came before was dispatched.
				p.buf, p.overflow = p.buf[:0], false
			} else {
				p.add(b[i : i+1])
			}
			p.lineEmpty, p.afterCR = true, c == '\r'
		default:
			p.add(b[i : i+1])
			p.lineEmpty, p.afterCR = false, false
		}
	}
}

func (p *pendingEvent) add(b []byte) {
	if len(p.buf)+len(b) > p.limit {
		p.overflow = true
		return
	}
	p.buf = append(p.buf, b...)
}

// cut returns the event the end of the response cut off, if any: the one
// that a blank line after it would have dispatched.
func (p *pendingEvent) cut() (sse.Event, bool) {
	if len(p.buf) == 0 || p.overflow {
		return sse.Event{}, false
	}
	d := sse.NewDecoder(io.MultiReader(bytes.NewReader(p.buf), strings.NewReader("\n\n")))
	d.MaxEventSize = p.limit
	if !d.Next() {
		return sse.Event{}, false
	}
	return d.Event(), true
}

// A segmenter reads an input that --raw wrote: it returns io.EOF at each
// mark line, which it consumes, and at the end of the input; Mark then
// tells which, and Next goes on to the next connection.
type segmenter struct {
	r         *bufio.Reader
	lineStart bool
	marked    bool // the current segment ended at a mark
	markN     int
	markID    string
	eof       error
}

func newSegmenter(r io.Reader) *segmenter {
	return &segmenter{r: bufio.NewReaderSize(r, 64<<10), lineStart: true}
}

// Mark reports whether the segment read ended at a mark, and the
// connection number and Last-Event-ID that the mark names.
func (s *segmenter) Mark() (ok bool, n int, id string) { return s.marked, s.markN, s.markID }

// Next starts the segment after a mark.
func (s *segmenter) Next() { s.marked, s.markN, s.markID = false, 0, "" }

func (s *segmenter) Read(p []byte) (int, error) {
	if s.marked {
		return 0, io.EOF
	}
	if s.eof != nil {
		return 0, s.eof
	}
	if len(p) == 0 {
		return 0, nil
	}
	if s.lineStart {
		ok, err := s.atMark()
		if err != nil && s.r.Buffered() == 0 {
			s.eof = err
			return 0, err
		}
		if ok {
			line, err := s.r.ReadString('\n')
			s.markN, s.markID = parseMark(strings.TrimRight(line, "\r\n"))
			s.marked = true
			if err != nil {
				s.eof = err
			}
			return 0, io.EOF
		}
	}
	if _, err := s.r.Peek(1); err != nil {
		s.eof = err
		return 0, err
	}
	data, _ := s.r.Peek(min(s.r.Buffered(), len(p)))
	n := len(data)
	s.lineStart = false
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		// Stop after a line end, to look for a mark at the next line.
		n = i + 1
		s.lineStart = true
	}
	copy(p, data[:n])
	s.r.Discard(n)
	return n, nil
}

// atMark reports whether a mark starts at the read position, a line
// start. It waits for more input only while what it has could still be a
// mark, so that a line that is not one is passed on at once.
func (s *segmenter) atMark() (bool, error) {
	want := 1
	for {
		b, err := s.r.Peek(max(want, min(s.r.Buffered(), len(markPrefix))))
		if !strings.HasPrefix(markPrefix, string(b)) && !strings.HasPrefix(string(b), markPrefix) {
			return false, nil
		}
		if len(b) >= len(markPrefix) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		want = len(b) + 1
	}
}

// seeded returns r with the block "id: ID" and a blank line put first
// (after a BOM, which only counts at the start), so that a decoder starts
// from the last event ID id, as the client's does after a reconnect.
func seeded(r io.Reader, id string) io.Reader {
	const bom = "\xef\xbb\xbf"
	head := make([]byte, len(bom))
	n, err := io.ReadFull(r, head)
	seed := strings.NewReader("id: " + id + "\n\n")
	if n == len(bom) && string(head) == bom {
		return io.MultiReader(strings.NewReader(bom), seed, r)
	}
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return io.MultiReader(seed, bytes.NewReader(head[:n]), iotestErr{err})
	}
	return io.MultiReader(seed, bytes.NewReader(head[:n]), r)
}

// iotestErr is a reader that fails with err.
type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }
