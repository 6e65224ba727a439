package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ssekit/sse"
)

// ANSI colours.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
)

// useColor reports whether w is a terminal and the user has not turned
// colour off.
func useColor(w io.Writer, noColor bool, getenv func(string) string) bool {
	if noColor || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func paint(on bool, code, s string) string {
	if !on || s == "" {
		return s
	}
	return code + s + ansiReset
}

// A printer writes events to stdout in one of the formats.
type printer struct {
	w        io.Writer
	format   string // "text", "json", "raw" or "data"
	color    bool
	comments bool
	enc      *json.Encoder
	typeW    int // the widest event type so far, to align the text format
}

func newPrinter(w io.Writer, o *options, color bool) *printer {
	p := &printer{w: w, format: "text", color: color, comments: o.comments}
	switch {
	case o.json:
		p.format = "json"
		p.enc = json.NewEncoder(w)
		p.enc.SetEscapeHTML(false)
	case o.raw:
		p.format = "raw"
	case o.dataOnly:
		p.format = "data"
	}
	return p
}

// jsonEvent is the --json form of an event.
type jsonEvent struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data string `json:"data"`
	Time string `json:"time"`
	Conn int    `json:"conn"`
}

// jsonComment is the --json form of a comment, with --comments.
type jsonComment struct {
	Comment string `json:"comment"`
	Time    string `json:"time"`
	Conn    int    `json:"conn"`
}

func jsonTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

// event prints one event, received at t on connection conn.
func (p *printer) event(ev sse.Event, conn int, t time.Time) error {
	switch p.format {
	case "raw":
		return nil // the bytes were written as they were read
	case "json":
		return p.enc.Encode(jsonEvent{Type: ev.Type, ID: ev.ID, Data: ev.Data, Time: jsonTime(t), Conn: conn})
	case "data":
		_, err := io.WriteString(p.w, visible(ev.Data)+"\n")
		return err
	}
	ev.Type, ev.ID = visible(ev.Type), visible(ev.ID)
	var b strings.Builder
	if n := len(ev.Type); n > p.typeW && n <= 20 {
		p.typeW = n
	}
	typ := ev.Type
	if pad := p.typeW - len(typ); pad > 0 {
		typ += strings.Repeat(" ", pad)
	}
	head := typ
	b.WriteString(paint(p.color, ansiCyan, ev.Type) + typ[len(ev.Type):])
	if ev.ID != "" {
		b.WriteString("  ")
		b.WriteString(paint(p.color, ansiDim, "id="+ev.ID))
		head += "  id=" + ev.ID
	}
	b.WriteString("  ")
	indent := strings.Repeat(" ", len(head)+2)
	if ev.Data == "" {
		b.WriteString(paint(p.color, ansiDim, "(empty data)"))
	}
	for i, line := range strings.Split(ev.Data, "\n") {
		if i > 0 {
			b.WriteString("\n" + indent)
		}
		b.WriteString(visible(line))
	}
	b.WriteString("\n")
	_, err := io.WriteString(p.w, b.String())
	return err
}

// comment prints a comment line's text, with --comments.
func (p *printer) comment(text string, conn int, t time.Time) error {
	if !p.comments {
		return nil
	}
	switch p.format {
	case "raw":
		return nil
	case "json":
		return p.enc.Encode(jsonComment{Comment: text, Time: jsonTime(t), Conn: conn})
	}
	_, err := io.WriteString(p.w, paint(p.color, ansiDim, ":"+visible(text))+"\n")
	return err
}

// visible returns s with the characters a terminal would act on instead
// of showing written as escapes: C0 controls other than tab and newline,
// and DEL, as \x1b; C1 controls (U+0080 to U+009F) as \u009b; bytes that
// are not UTF-8 as \xff. The text formats and stderr show what a server
// sent this way, so that it cannot clear the screen, retitle the window or
// ring the bell; --raw and --json are left as they are.
func visible(s string) string {
	if strings.IndexFunc(s, needsEscape) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r < 0x20 || r == 0x7f:
			if r == '\t' || r == '\n' {
				b.WriteRune(r)
			} else {
				fmt.Fprintf(&b, "\\x%02x", r)
			}
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether visible writes r, or an invalid byte
// (utf8.RuneError), as an escape.
func needsEscape(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f) || r == utf8.RuneError
}

// A logger tells on stderr what the connection does.
type logger struct {
	mu    sync.Mutex
	w     io.Writer
	color bool
	quiet bool
	start time.Time
	now   func() time.Time
}

func (l *logger) line(always bool, code, format string, args ...any) {
	if l.quiet && !always {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	elapsed := l.now().Sub(l.start).Seconds()
	stamp := paint(l.color, ansiDim, fmt.Sprintf("* %.3fs", elapsed))
	fmt.Fprintf(l.w, "%s %s\n", stamp, paint(l.color, code, visible(fmt.Sprintf(format, args...))))
}

func (l *logger) info(format string, args ...any) { l.line(false, "", format, args...) }
func (l *logger) good(format string, args ...any) { l.line(false, ansiGreen, format, args...) }
func (l *logger) warn(format string, args ...any) { l.line(false, ansiYellow, format, args...) }
func (l *logger) notice(format string, args ...any) {
	l.line(true, ansiYellow, format, args...)
}
func (l *logger) fail(format string, args ...any) { l.line(true, ansiRed+ansiBold, format, args...) }
func (l *logger) done(format string, args ...any) { l.line(true, ansiBold, format, args...) }

// plural returns "1 event", "2 events".
func plural(n int64, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// byteSize returns n in B, kB or MB.
func byteSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
