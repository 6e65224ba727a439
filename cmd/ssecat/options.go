package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/utf8cut"
)

// Exit codes.
const (
	exitOK     = 0 // the stream ended cleanly, or Ctrl-C once one opened
	exitFailed = 1 // the server refused, or the stream failed
	exitUsage  = 2 // bad flags or arguments
)

const usageText = `ssecat shows a Server-Sent Events stream as it arrives, reconnecting as a
browser does; what the connection does is told on stderr.

Usage:
  ssecat [flags] URL
  ssecat demo [output flags]          watch a built-in demo stream (no network)
  ssecat replay [--speed N] [--addr HOST:PORT] FILE
                                      serve a --record file on a local URL
  ssecat read [output flags] [--until TYPE] [--until-data DATA]
              [--max-event-size SIZE] [FILE | -]
                                      the events of a saved or piped stream

Examples:
  ssecat demo
  ssecat https://example.com/events
  ssecat --json --no-reconnect -H "Authorization: Bearer $KEY" \
      -d @request.json --until-data '[DONE]' https://api.example.com/v1/chat |
      jq -r .data
  ssecat --record bug.sse https://example.com/events
  ssecat replay --speed 4 bug.sse
  curl -sN https://example.com/events | ssecat read --json

Request:
  -X METHOD              method (default GET, or POST with -d)
  -d DATA | @FILE | @-   request body; a request with a body is sent once
                         (as with --no-reconnect) unless --reconnect. Also
                         --data and --data-binary: a FILE is sent as it is
                         (curl's -d strips its newlines; ssecat's does not)
  --data-raw DATA        request body, "@" not special; several bodies are
                         joined with "&", as curl does
  -H 'Name: value'       request header (repeatable)
  --last-event-id ID     resume after event ID
  -k                     skip TLS certificate verification (insecure)
Connection:
  --no-reconnect         one-shot: the end of the response ends the stream; a
                         failed attempt is retried only with --max-retries
  --reconnect            reconnect even with -d, sending the body again (each
                         time is said on stderr, even with -q)
  --max-retries N        give up after N failed attempts in a row (0: never)
  --retry-delay D        first reconnect delay, until the server sets one (3s)
  --idle-timeout D       reconnect when nothing arrives for D (e.g. 30s)
  --timeout D            stop after D in all
  --until TYPE           stop after the first event of TYPE
  --until-data DATA      stop after the first event whose data is DATA, as
                         LLM streams end: --until-data '[DONE]'
  --accept-any-type      read a 200 response as a stream whatever its
                         Content-Type (a misconfigured server)
  --max-event-size SIZE  the longest line or event read (default 64MiB)
Output:
  --json                 one JSON object per event: type, id, data, time, conn
  --raw                  the stream's bytes exactly as received; each reconnect
                         is marked by a line ":--- ssecat: connection N, ..."
                         (a comment), where ssecat read starts anew
  --data-only            only each event's data
  --comments             also show comments (keep-alives)
  --filter TYPE          show only events of TYPE (repeatable)
  --record FILE          also write the responses, timed, to FILE (see replay);
                         it keeps no credentials: no request header but
                         Last-Event-ID, secret-looking query and fragment
                         values REDACTED, no redirect bodies
  --no-color             no colour (also NO_COLOR=1; only terminals get colour)
  -q                     quiet: only errors, a body sent again, and the
                         summary on stderr
  -v                     also show the headers sent and received, credentials
                         masked (Authorization, cookies, *-Token, *-Key, ...)
Control characters a server sends (escape sequences, BEL; not tab or newline)
are shown escaped, as \x1b (C1 as \u009b), except by --raw and --json.

"ssecat read" parses its input as a client would (stdin without FILE, or
with -), and says so when the input ends inside an event that a client
would discard; the live client warns of a connection that does, in the
same words. It reads --raw output connection by connection, as the live
client did, and a --record FILE as the responses it recorded.

Exit status: 0 clean end (or Ctrl-C or --timeout once a stream opened),
1 refused or failed (or Ctrl-C or --timeout before any stream opened; or
a read or replay FILE that cannot be read), 2 bad usage.
`

// options are the parsed command line.
type options struct {
	url         string
	method      string
	data        []byte
	hasData     bool
	headers     http.Header
	host        string
	lastEventID string
	insecure    bool

	noReconnect bool
	reconnect   bool // reconnect even with a body, sending it again
	// oneShot sends the request once (Client.Do); bodyOnce says it is
	// because the request has a body, which is not sent twice unasked.
	oneShot, bodyOnce bool
	maxRetries        int
	idleTimeout       time.Duration
	retryDelay        time.Duration
	timeout           time.Duration
	until             string
	untilNote         string // why until is set, if not by --until
	untilData         string
	hasUntilData      bool
	maxEventSize      int
	acceptAnyType     bool

	json, raw, dataOnly bool
	comments            bool
	filter              []string
	record              string
	noColor             bool
	quiet               bool
	verbose             bool
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// usageError is a mistake on the command line: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// errHelp asks for the usage text.
var errHelp = flag.ErrHelp

// outputFlags adds the output flags to fs.
func (o *options) outputFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, "")
	fs.BoolVar(&o.raw, "raw", false, "")
	fs.BoolVar(&o.dataOnly, "data-only", false, "")
	fs.BoolVar(&o.comments, "comments", false, "")
	fs.Var((*multiFlag)(&o.filter), "filter", "")
	fs.StringVar(&o.record, "record", "", "")
	fs.BoolVar(&o.noColor, "no-color", false, "")
	fs.BoolVar(&o.quiet, "q", false, "")
	fs.BoolVar(&o.quiet, "quiet", false, "")
	fs.BoolVar(&o.verbose, "v", false, "")
	fs.BoolVar(&o.verbose, "verbose", false, "")
}

// parseArgs parses the flags and positional arguments of the stream
// command (demo selects the demo's flag set). stdin feeds "-d @-".
func parseArgs(args []string, stdin io.Reader, demo bool) (*options, error) {
	o := &options{headers: http.Header{}}
	fs := flagSetFor("ssecat")
	o.outputFlags(fs)
	var headers multiFlag
	// The bodies given, in order, as curl takes them: each -d, --data or
	// --data-binary may be @FILE or @-, a --data-raw never is.
	type part struct {
		v   string
		raw bool
	}
	var data []part
	if !demo {
		fs.StringVar(&o.method, "X", "", "")
		fs.StringVar(&o.method, "request", "", "")
		for _, name := range []string{"d", "data", "data-binary"} {
			fs.Func(name, "", func(v string) error { data = append(data, part{v, false}); return nil })
		}
		fs.Func("data-raw", "", func(v string) error { data = append(data, part{v, true}); return nil })
		fs.Var(&headers, "H", "")
		fs.Var(&headers, "header", "")
		fs.StringVar(&o.lastEventID, "last-event-id", "", "")
		fs.BoolVar(&o.insecure, "k", false, "")
		fs.BoolVar(&o.insecure, "insecure", false, "")
		fs.BoolVar(&o.noReconnect, "no-reconnect", false, "")
		fs.BoolVar(&o.reconnect, "reconnect", false, "")
		fs.IntVar(&o.maxRetries, "max-retries", 0, "")
		fs.DurationVar(&o.idleTimeout, "idle-timeout", 0, "")
		fs.DurationVar(&o.retryDelay, "retry-delay", 0, "")
		fs.DurationVar(&o.timeout, "timeout", 0, "")
		fs.StringVar(&o.until, "until", "", "")
		o.untilDataFlag(fs)
		o.maxEventSizeFlag(fs)
		fs.BoolVar(&o.acceptAnyType, "accept-any-type", false, "")
	}
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "="); strings.HasPrefix(arg, "-") && name == "demo" {
			// The demo is a subcommand, with output flags only: a
			// --demo flag would have to ignore the stream flags.
			return nil, usagef("there is no %s flag: run 'ssecat demo [output flags]'", arg)
		}
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	if err := o.checkOutput(); err != nil {
		return nil, err
	}
	if demo {
		if len(pos) > 0 {
			return nil, usagef("demo takes no URL (got %q)", pos[0])
		}
		return o, nil
	}
	switch {
	case len(pos) == 0:
		return nil, usagef("missing URL (try: ssecat demo)")
	case len(pos) > 1:
		return nil, usagef("one URL only, got %d: %s", len(pos), strings.Join(pos, " "))
	}
	if o.url, err = checkURL(pos[0]); err != nil {
		return nil, err
	}
	if o.maxRetries < 0 {
		return nil, usagef("--max-retries must be 0 or more")
	}
	if o.timeout < 0 || o.idleTimeout < 0 || o.retryDelay < 0 {
		return nil, usagef("--timeout, --idle-timeout and --retry-delay must be positive")
	}
	for _, h := range headers {
		name, value, err := parseHeader(h)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(name, "Host") {
			o.host = value
			continue
		}
		o.headers.Add(name, value)
	}
	if len(data) > 0 {
		o.hasData = true
		var bodies [][]byte
		for _, p := range data {
			b := []byte(p.v)
			if !p.raw {
				if b, err = readData(p.v, stdin); err != nil {
					return nil, err
				}
			}
			bodies = append(bodies, b)
		}
		// Several are joined with "&", as curl joins form fields.
		o.data = bytes.Join(bodies, []byte("&"))
		if o.headers.Get("Content-Type") == "" && json.Valid(o.data) {
			o.headers.Set("Content-Type", "application/json")
		}
	}
	switch {
	case o.reconnect && o.noReconnect:
		return nil, usagef("--reconnect and --no-reconnect contradict each other")
	case o.noReconnect:
		o.oneShot = true
	case o.hasData && !o.reconnect:
		// A request with a body is an LLM completion, an MCP call, an
		// order: sending it again may cost money or act twice, so it is
		// sent once, as curl does, unless the user asks.
		o.oneShot, o.bodyOnce = true, true
	}
	if o.method == "" {
		o.method = http.MethodGet
		if o.hasData {
			o.method = http.MethodPost
		}
	}
	if strings.ContainsAny(o.method, " \t\r\n:/") {
		return nil, usagef("-X %q is not an HTTP method", o.method)
	}
	return o, nil
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, as users type them; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usagef("%s", spelled(err.Error(), args))
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag argument, or just after
		// "--": then everything left is positional.
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// maxEventSizeFlag adds --max-event-size to fs.
func (o *options) maxEventSizeFlag(fs *flag.FlagSet) {
	fs.Func("max-event-size", "", func(v string) error {
		n, err := parseSize(v)
		if err != nil {
			return err
		}
		o.maxEventSize = n
		return nil
	})
}

// parseSize reads a size in bytes: a number with an optional unit, K, M or
// G (powers of 1024; KB, KiB and so on alike, in any case).
func parseSize(v string) (int, error) {
	num := strings.TrimRight(v, "KMGBkmgbiI")
	unit := strings.ToUpper(strings.TrimSpace(v[len(num):]))
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n <= 0 {
		return 0, errors.New("want a size such as 1048576, 512K or 64MiB")
	}
	shift := 0
	switch strings.TrimSuffix(strings.TrimSuffix(unit, "B"), "I") {
	case "":
	case "K":
		shift = 10
	case "M":
		shift = 20
	case "G":
		shift = 30
	default:
		return 0, errors.New("want a size such as 1048576, 512K or 64MiB")
	}
	if n > (1<<62)>>shift {
		return 0, errors.New("size too large")
	}
	return n << shift, nil
}

// untilDataFlag adds --until-data to fs.
func (o *options) untilDataFlag(fs *flag.FlagSet) {
	fs.Func("until-data", "", func(v string) error { o.untilData, o.hasUntilData = v, true; return nil })
}

// shows reports whether ev is shown, as --filter says.
func (o *options) shows(ev sse.Event) bool {
	return len(o.filter) == 0 || slices.Contains(o.filter, ev.Type)
}

// stopsAt says why the run stops after ev (--until, --until-data), or ""
// if it goes on.
func (o *options) stopsAt(ev sse.Event) string {
	switch {
	case o.until != "" && ev.Type == o.until:
		return fmt.Sprintf("got the %q event %s", o.until, o.untilWhy())
	case o.hasUntilData && ev.Data == o.untilData:
		return fmt.Sprintf("got the data %q (--until-data)", utf8cut.Prefix(o.untilData, 80))
	}
	return ""
}

// eventCount says how many events a run read, and with --filter how many
// of them it showed and how many it filtered out.
func (o *options) eventCount(read, shown int64) string {
	if len(o.filter) == 0 {
		return plural(read, "event")
	}
	return fmt.Sprintf("%s shown, %d filtered out (--filter)", plural(shown, "event"), read-shown)
}

// untilWhy says why the run stops at the until event: the flag the user
// typed, or what set it instead.
func (o *options) untilWhy() string {
	if o.untilNote != "" {
		return o.untilNote
	}
	return "(--until)"
}

// spelled rewrites a message of package flag, which names a flag with one
// dash whatever the user typed, to name it as the user did: "--bogus".
func spelled(msg string, args []string) string {
	for _, arg := range args {
		if !strings.HasPrefix(arg, "--") || arg == "--" {
			continue
		}
		name, _, _ := strings.Cut(arg[2:], "=")
		for _, ref := range []string{" -" + name + ":", " -" + name} {
			if i := strings.Index(msg, ref); i >= 0 && (ref[len(ref)-1] == ':' || i+len(ref) == len(msg)) {
				return msg[:i] + " --" + msg[i+2:]
			}
		}
	}
	return msg
}

func (o *options) checkOutput() error {
	n := 0
	var names []string
	for _, f := range []struct {
		on   bool
		name string
	}{{o.json, "--json"}, {o.raw, "--raw"}, {o.dataOnly, "--data-only"}} {
		if f.on {
			n++
			names = append(names, f.name)
		}
	}
	if o.quiet && o.verbose {
		return usagef("-q and -v contradict each other")
	}
	if n > 1 {
		return usagef("choose one output format: %s", strings.Join(names, " or "))
	}
	if o.raw && len(o.filter) > 0 {
		return usagef("--filter does not apply to --raw, which shows the bytes as received")
	}
	if o.raw && o.comments {
		return usagef("--comments is implied by --raw, which shows the bytes as received")
	}
	return nil
}

// checkURL accepts an http or https URL with a host.
func checkURL(raw string) (string, error) {
	if !strings.Contains(raw, "://") {
		if raw == "" || strings.HasPrefix(raw, "/") {
			return "", usagef("URL %q needs a scheme and a host, like http://localhost:8080%s", raw, raw)
		}
		return "", usagef("URL %q needs a scheme: did you mean http://%s ?", raw, raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", usagef("bad URL %q: %v", raw, errors.Unwrap(err))
	}
	if u.Scheme == "" || (u.Host == "" && u.Opaque != "") {
		// "localhost:8080/x" parses with the scheme "localhost".
		return "", usagef("URL %q needs a scheme: did you mean http://%s ?", raw, raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		if u.Host == "" {
			return "", usagef("URL %q needs a scheme: did you mean http://%s ?", raw, raw)
		}
		return "", usagef("URL %q: scheme must be http or https, not %q", raw, u.Scheme)
	}
	if u.Host == "" {
		return "", usagef("URL %q has no host", raw)
	}
	return u.String(), nil
}

// parseHeader splits "Name: value".
func parseHeader(h string) (name, value string, err error) {
	name, value, ok := strings.Cut(h, ":")
	if !ok {
		return "", "", usagef("-H %q: want 'Name: value'", h)
	}
	name = strings.TrimSpace(name)
	if name == "" || !isToken(name) {
		return "", "", usagef("-H %q: %q is not a valid header name", h, name)
	}
	value = strings.TrimSpace(value)
	if strings.ContainsAny(value, "\r\n\x00") {
		return "", "", usagef("-H %q: the value may not contain line breaks", h)
	}
	return name, value, nil
}

func isToken(s string) bool {
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// readData resolves -d: literal DATA, @FILE or @- for stdin.
func readData(v string, stdin io.Reader) ([]byte, error) {
	if !strings.HasPrefix(v, "@") {
		return []byte(v), nil
	}
	name := v[1:]
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, usagef("-d @-: reading stdin: %v", err)
		}
		return b, nil
	}
	if name == "" {
		return nil, usagef("-d @: missing file name (use @FILE, or @- for stdin)")
	}
	b, err := os.ReadFile(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usagef("-d @%s: cannot read %s: %v", name, name, err)
	}
	return b, nil
}
