package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/httpx"
	"github.com/ssekit/sse/internal/record"
)

// read runs "ssecat read [output flags] [FILE | -]": the events of a
// stream saved to a file or piped in (curl -N URL | ssecat read), parsed
// as a client would parse them, so a capture can be checked against the
// spec without a server.
func (a *app) read(ctx context.Context, args []string) int {
	o := &options{}
	flags := flagSetFor("ssecat read")
	o.outputFlags(flags)
	flags.StringVar(&o.until, "until", "", "")
	o.untilDataFlag(flags)
	o.maxEventSizeFlag(flags)
	pos, err := parseInterspersed(flags, args)
	if err == nil {
		err = o.checkOutput()
	}
	switch {
	case err != nil:
	case o.raw:
		err = usagef("read: --raw would print the input unchanged; use cat")
	case o.record != "":
		err = usagef("read: --record records a connection; there is none here")
	case o.verbose:
		err = usagef("read: -v shows HTTP headers; there are none here")
	case len(pos) > 1:
		err = usagef("read takes one FILE (or - for stdin), got %d", len(pos))
	}
	if err != nil {
		return a.usageFailure(err)
	}

	log := a.newLogger(o.noColor, o.quiet)
	out := newPrinter(a.stdout, o, useColor(a.stdout, o.noColor, a.getenv))

	in, name := a.stdin, "stdin"
	if len(pos) == 1 && pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err == nil {
			var st os.FileInfo
			if st, err = f.Stat(); err == nil && st.IsDir() {
				err = errors.New("is a directory")
			}
			if err != nil {
				f.Close()
			}
		}
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			// Not a mistake of the command line: the file is missing
			// or unreadable, as cat would say.
			fmt.Fprintf(a.stderr, "ssecat: read: cannot read %s: %v\n", pos[0], err)
			return exitFailed
		}
		defer f.Close()
		in, name = f, pos[0]
		// A file, unlike a pipe, can be looked at before it is read.
		br := bufio.NewReader(f)
		in = br
		if head, _ := br.Peek(len(record.Header) + 1); strings.TrimRight(string(head), "\r\n") == record.Header {
			stream, n, err := recordedStream(br)
			if err != nil {
				fmt.Fprintf(a.stderr, "ssecat: read: %s: %v\n", name, err)
				return exitFailed
			}
			log.info("%s is an ssecat recording: reading the events of its %s (ssecat replay %[1]s serves it)", name, plural(int64(n), "stream response"))
			in = stream
		}
	} else if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			log.info("reading a stream typed on the terminal; Ctrl-D ends it")
		}
	}
	counted := &countingReader{r: in}
	// The input is read on a goroutine of its own, so that Ctrl-C ends the
	// run at once even while a pipe or terminal sends nothing: a blocked
	// Read cannot be cancelled, but the pipe the decoder reads can be
	// closed. The goroutine ends with the input, or with the process.
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, counted)
		pw.CloseWithError(err)
	}()
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(context.Cause(ctx)) })
	defer stop()
	// The input is read connection by connection: --raw marks where
	// each one after the first starts. A blank line after a connection's
	// bytes completes an event they left unfinished, which the spec
	// discards: the decoder is read only once every complete event before
	// it has been returned, so an event that comes after the added line is
	// that one, and can be named.
	var cut *sse.Event // the event the end of the input cut off
	seg := newSegmenter(pr)
	var writeErr error
	var events int64
	var d *sse.Decoder
	until := ""
	var shown int64
	conn := 1
	var src io.Reader = seg
	for {
		tail := &endMark{rest: "\n\n"}
		var discarded *sse.Event
		d = sse.NewDecoder(io.MultiReader(src, tail))
		d.MaxEventSize = o.maxEventSize
		d.OnComment = func(text []byte) {
			// A comment completed only by the added blank line was cut
			// off too: a client never sees it.
			if writeErr == nil && !tail.reached {
				writeErr = out.comment(string(text), conn, a.now())
			}
		}
		for writeErr == nil && d.Next() {
			ev := d.Event()
			if tail.reached {
				discarded = &ev
				break
			}
			events++
			if o.shows(ev) {
				shown++
				writeErr = out.event(ev, conn, a.now())
			}
			if until = o.stopsAt(ev); until != "" {
				break
			}
		}
		marked, n, id := seg.Mark()
		if writeErr != nil || until != "" || d.Err() != nil || !marked {
			if discarded != nil && d.Err() == nil && writeErr == nil && until == "" {
				cut = discarded
			}
			break
		}
		if discarded != nil {
			log.warn("%s", cutWarning(fmt.Sprintf("connection %d", conn), *discarded))
		}
		seg.Next()
		if n > 0 {
			conn = n
		} else {
			conn++
		}
		src = seg
		if id != "" {
			src = seeded(seg, id)
		}
	}

	code := exitOK
	switch err := d.Err(); {
	case writeErr != nil:
		log.fail("writing output: %v", writeErr)
		code = exitFailed
	case until != "":
		log.info("closed: %s", until)
	case context.Cause(ctx) == errInterrupted:
		log.info("closed: interrupted")
	case errors.Is(err, sse.ErrEventTooLarge):
		log.fail("failed: %s: %s", name, tooLarge(err))
		code = exitFailed
	case err != nil:
		log.fail("failed reading %s: %v", name, err)
		code = exitFailed
	default:
		log.info("closed: end of %s", name)
		if cut != nil {
			log.warn("%s", cutWarning("the input", *cut))
		}
	}
	log.done("%s, %s, %s", o.eventCount(events, shown), byteSize(counted.n.Load()), a.now().Sub(log.start).Round(time.Millisecond))
	return code
}

// endMark reads rest once, and records that it was read.
type endMark struct {
	rest    string
	reached bool
}

func (m *endMark) Read(p []byte) (int, error) {
	m.reached = true
	if m.rest == "" {
		return 0, io.EOF
	}
	n := copy(p, m.rest)
	m.rest = m.rest[n:]
	return n, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// recordedStream returns the events' bytes of a recording, as --raw would
// have written them: the body of each response the client read as a
// stream (200, text/event-stream), every one after the first marked with
// its Last-Event-ID; and how many there are.
func recordedStream(r io.Reader) (io.Reader, int, error) {
	entries, err := record.Read(r)
	if err != nil {
		return nil, 0, err
	}
	var b strings.Builder
	n := 0
	for _, c := range record.Conns(entries) {
		if c.Status != http.StatusOK || !httpx.IsEventStream(c.Header.Get("Content-Type")) {
			continue
		}
		if n++; n > 1 {
			if s := b.String(); s != "" && s[len(s)-1] != '\n' && s[len(s)-1] != '\r' {
				b.WriteByte('\n')
			}
			b.WriteString(connMark(c.N, c.LastEventID))
		}
		for _, chunk := range c.Chunks {
			b.WriteString(chunk.Text)
		}
	}
	return strings.NewReader(b.String()), n, nil
}
