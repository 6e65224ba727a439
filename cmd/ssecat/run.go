package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/internal/httpx"
	"github.com/ssekit/sse/internal/record"
	"github.com/ssekit/sse/internal/utf8cut"
)

var (
	// errInterrupted is the cause of the context Ctrl-C cancels.
	errInterrupted = errors.New("interrupted")
	// errTimeout is the cause of the context --timeout ends.
	errTimeout = errors.New("--timeout reached")
)

// run is ssecat: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go watchSignals(ctx, sig, cancel, func() { os.Exit(130) })
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now, getenv: os.Getenv}
	return a.main(ctx, args)
}

// watchSignals ends ctx with errInterrupted at the first signal on sig, so
// that the run ends cleanly with its summary. A second SIGINT (Ctrl-C
// again) calls kill at once; a repeated SIGTERM does not, since timeout(1)
// and service managers send it to the process and its group alike.
func watchSignals(ctx context.Context, sig <-chan os.Signal, cancel context.CancelCauseFunc, kill func()) {
	select {
	case <-sig:
		cancel(errInterrupted)
	case <-ctx.Done():
		return
	}
	for s := range sig {
		if s == os.Interrupt {
			kill()
			return
		}
	}
}

// An app is one run of ssecat, with its surroundings.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
	getenv         func(string) string
	// transport, if set, replaces the default HTTP transport (tests).
	transport http.RoundTripper
	// ready, if set, is told the URL of the demo or replay server (tests).
	ready func(url string)
}

func (a *app) main(ctx context.Context, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "demo":
			return a.demo(ctx, args[1:])
		case "replay":
			return a.replay(ctx, args[1:])
		case "read":
			return a.read(ctx, args[1:])
		case "help":
			io.WriteString(a.stdout, usageText)
			return exitOK
		}
	}
	o, err := parseArgs(args, a.stdin, false)
	if err != nil {
		return a.usageFailure(err)
	}
	return a.stream(ctx, o, a.newLogger(o.noColor, o.quiet))
}

// usageFailure reports a command-line error: exit 2, or 0 for -h.
func (a *app) usageFailure(err error) int {
	if errors.Is(err, errHelp) {
		io.WriteString(a.stdout, usageText)
		return exitOK
	}
	fmt.Fprintf(a.stderr, "ssecat: %v\nRun 'ssecat -h' for usage.\n", err)
	return exitUsage
}

// stats are counted over a run.
type stats struct {
	events     atomic.Int64
	reconnects atomic.Int64
	attempt    atomic.Int64 // the attempt being read
	opened     atomic.Bool  // a response was ever accepted
	open       atomic.Bool  // a response is being read
	connEvents atomic.Int64 // events of the response being read
	hinted     atomic.Bool  // the never-connected hint was shown
}

// stream connects to o.url and prints its events until it ends, telling
// log, whose clock started with the run.
func (a *app) stream(ctx context.Context, o *options, log *logger) int {
	start := log.start
	out := newPrinter(a.stdout, o, useColor(a.stdout, o.noColor, a.getenv))

	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.timeout, errTimeout)
		defer cancel()
	}

	t := &tap{base: a.transport}
	if t.base == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if o.insecure {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		}
		t.base = tr
	}
	if o.raw {
		t.raw = a.stdout
	}
	if o.verbose {
		t.verbose = log.info
	}
	if o.record != "" {
		f, err := os.Create(o.record)
		if err != nil {
			return a.usageFailure(usagef("--record: %v", err))
		}
		defer func() {
			if err := f.Close(); err != nil {
				log.fail("--record %s: %v", o.record, err)
			}
		}()
		t.rec = record.NewWriter(f, o.url, a.now)
	}

	var body io.Reader
	if o.hasData {
		body = bytes.NewReader(o.data)
	}
	req, err := http.NewRequestWithContext(ctx, o.method, o.url, body)
	if err != nil {
		return a.usageFailure(usagef("%v", err))
	}
	for name, values := range o.headers {
		req.Header[name] = values
	}
	if o.host != "" {
		req.Host = o.host
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "ssecat")
	}

	if o.lastEventID != "" {
		req.Header.Set("Last-Event-ID", o.lastEventID)
	}

	var st stats
	shown := record.RedactURL(o.url) // the URL as logged: no credentials
	t.connecting = func(attempt int, req *http.Request) {
		st.attempt.Store(int64(attempt))
		if attempt > 1 {
			// Counted when sent: a wait cut short is no reconnect.
			st.reconnects.Add(1)
		}
		// One shape for every attempt: the URL, then what is not the
		// default, in parentheses.
		var notes []string
		if req.Method != http.MethodGet {
			notes = append(notes, req.Method)
		}
		if attempt > 1 {
			notes = append(notes, fmt.Sprintf("attempt %d", attempt))
		}
		if id := req.Header.Get("Last-Event-ID"); id != "" {
			notes = append(notes, "Last-Event-ID: "+id)
		}
		msg := "connecting to " + shown
		if len(notes) > 0 {
			msg += " (" + strings.Join(notes, ", ") + ")"
		}
		log.info("%s", msg)
		if attempt > 1 && o.hasData {
			// Said even with -q: the server may act on the body again.
			why := "--reconnect"
			if o.oneShot {
				why = "--max-retries"
			}
			log.notice("sending the request body (%s) again, as %s asks", byteSize(int64(len(o.data))), why)
		}
	}
	t.eventLimit = cmp.Or(o.maxEventSize, sse.DefaultMaxEventSize)
	t.cut = func(conn int, ev sse.Event) {
		log.warn("%s", cutWarning(fmt.Sprintf("connection %d", conn), ev))
	}
	t.redirected = func(req *http.Request) {
		if req.Body != nil && req.Body != http.NoBody {
			log.notice("sending the request body (%s) again, to %s %s (a %d redirect keeps it)",
				byteSize(int64(len(o.data))), req.Method, record.RedactURL(req.URL.String()), req.Response.StatusCode)
		}
	}
	c := &sse.Client{
		HTTPClient:       &http.Client{Transport: t},
		MaxRetries:       o.maxRetries,
		MaxEventSize:     o.maxEventSize,
		ReconnectionTime: o.retryDelay,
		IdleTimeout:      o.idleTimeout,
		OnStateChange: func(s *sse.Stream, state sse.ReadyState) {
			if state != sse.StateOpen {
				return
			}
			resp := s.Response()
			t.accept(resp)
			st.opened.Store(true)
			st.open.Store(true)
			st.connEvents.Store(0)
			if ct := resp.Header.Get("Content-Type"); !httpx.IsEventStream(ct) {
				log.warn("open: %s, but Content-Type is %s, not text/event-stream: read as a stream anyway (--accept-any-type)", resp.Status, cmp.Or(ct, "none"))
				return
			}
			log.good("open: %s", resp.Status)
		},
		OnReconnect: func(s *sse.Stream, ri sse.ReconnectInfo) {
			what := "failed: " + describe(ri.Err, o)
			if st.open.Swap(false) {
				n := plural(st.connEvents.Load(), "event")
				what = "dropped after " + n + ": " + describe(ri.Err, o)
				if errors.Is(ri.Err, sse.ErrResponseEnded) {
					// Not a drop: the server ended the response
					// cleanly, and EventSource reconnects anyway.
					what = "the server ended the response after " + n
				}
			}
			hint := ""
			if !st.opened.Load() && o.maxRetries == 0 && !st.hinted.Swap(true) {
				hint = " (never connected yet; --max-retries N gives up)"
			}
			log.warn("%s; reconnecting in %s%s", what, ri.Delay.Round(time.Millisecond), hint)
		},
		OnComment: func(s *sse.Stream, text []byte) {
			if err := out.comment(string(text), int(st.attempt.Load()), a.now()); err != nil {
				log.fail("writing output: %v", err)
			}
		},
	}
	if o.acceptAnyType {
		c.CheckResponse = func(resp *http.Response) error {
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			return sse.DefaultCheckResponse(resp)
		}
	}
	var s *sse.Stream
	if o.oneShot {
		// One request, as curl sends it: the end of its response, or its
		// failure, ends the run.
		s, err = a.doRetrying(ctx, c, req, o, log)
	} else {
		s, err = c.NewStream(req)
		if err != nil {
			return a.usageFailure(usagef("%v", err))
		}
	}
	if s != nil {
		defer s.Close()
	}

	until := ""
	var writeErr error
	var showed int64
	for s != nil && s.Next() {
		st.events.Add(1)
		st.connEvents.Add(1)
		ev := s.Event()
		if o.shows(ev) {
			showed++
			if writeErr = out.event(ev, int(st.attempt.Load()), a.now()); writeErr != nil {
				break
			}
		}
		if until = o.stopsAt(ev); until != "" {
			break
		}
	}
	if s != nil {
		s.Close()
		err = s.Err()
	}
	code := exitOK
	var re *sse.ResponseError
	switch {
	case writeErr != nil:
		log.fail("writing output: %v", writeErr)
		code = exitFailed
	case until != "":
		log.info("closed: %s", until)
	case err == nil:
		log.info("closed: the server ended the stream")
	case context.Cause(ctx) == errInterrupted:
		if st.opened.Load() {
			log.info("closed: interrupted")
		} else {
			log.fail("failed: interrupted before any stream opened")
			code = exitFailed
		}
	case context.Cause(ctx) == errTimeout:
		if st.opened.Load() {
			log.info("closed: --timeout %s reached", o.timeout)
		} else {
			log.fail("failed: no stream within --timeout %s", o.timeout)
			code = exitFailed
		}
	case errors.As(err, &re) && re.StatusCode == http.StatusNoContent:
		log.info("closed: the server answered 204 No Content: the stream is over")
	default:
		what := "failed"
		if errors.As(err, &re) && !errors.Is(err, sse.ErrGaveUp) {
			what = "refused"
		}
		hint := ""
		if o.bodyOnce && re == nil {
			hint = " (a request with a body is sent once; --reconnect sends it again)"
		}
		log.fail("%s: %s%s", what, describe(err, o), hint)
		code = exitFailed
	}
	if t.rec != nil {
		if err := t.rec.Err(); err != nil {
			log.fail("--record %s: %v", o.record, err)
			code = exitFailed
		}
	}
	log.done("%s, %s, %s, %s", o.eventCount(st.events.Load(), showed), byteSize(t.bytes.Load()),
		plural(st.reconnects.Load(), "reconnect"), a.now().Sub(start).Round(time.Millisecond))
	return code
}

// doRetrying sends req once with c.Do, and again after a failure that a
// reconnect could mend, at most o.maxRetries times in a row (the
// --no-reconnect form of --max-retries): a one-shot stream is never
// reconnected once open, but a refused or failed attempt may be retried.
func (a *app) doRetrying(ctx context.Context, c *sse.Client, req *http.Request, o *options, log *logger) (*sse.Stream, error) {
	for failures := 0; ; failures++ {
		attempt := req
		if failures > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			attempt = req.Clone(ctx)
			attempt.Body = body
		}
		s, err := c.Do(attempt)
		if err == nil || o.maxRetries == 0 || ctx.Err() != nil || !sse.DefaultShouldRetry(err) {
			return s, err
		}
		if failures == o.maxRetries {
			return nil, &sse.GaveUpError{Attempts: failures + 1, Err: err}
		}
		delay := o.retryDelay
		if delay == 0 {
			delay = sse.DefaultReconnectionTime
		}
		var re *sse.ResponseError
		if errors.As(err, &re) {
			delay = max(delay, re.RetryAfter)
		}
		delay = min(delay, sse.DefaultMaxReconnectionTime)
		log.warn("failed: %s; retrying in %s (--max-retries %d; an open stream is not reconnected)", describe(err, o), delay.Round(time.Millisecond), o.maxRetries)
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, err
		}
	}
}

// describe says in few words why an attempt or a stream failed.
func describe(err error, o *options) string {
	var gaveUp *sse.GaveUpError
	var re *sse.ResponseError
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &gaveUp):
		return fmt.Sprintf("gave up after %s in a row (--max-retries %d): %s", plural(int64(gaveUp.Attempts), "failed attempt"), o.maxRetries, describe(gaveUp.Err, o))
	case errors.As(err, &re):
		return describeResponse(re)
	case errors.Is(err, sse.ErrIdleTimeout):
		return fmt.Sprintf("nothing received for %s (--idle-timeout)", o.idleTimeout)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection broke off mid-stream"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is a server running at " + refusedAddr(err, o) + "?)"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot resolve host %q", dnsErr.Name)
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return fmt.Sprintf("TLS certificate not trusted: %v (-k skips verification, insecurely)", errors.Unwrap(err))
	case errors.Is(err, sse.ErrEventTooLarge):
		return tooLarge(err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out: " + err.Error()
	}
	if errors.Is(err, sse.ErrResponseEnded) {
		return "the server ended the response"
	}
	return strings.TrimPrefix(err.Error(), "sse: ")
}

// tooLarge says that an event was over the limit, and how to raise it.
func tooLarge(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, sse.ErrEventTooLarge.Error()); i >= 0 {
		msg = msg[i:] // what the stream was doing is said elsewhere
	}
	return strings.TrimPrefix(msg, "sse: ") + " (--max-event-size raises the limit)"
}

// refusedAddr names the address that refused err's connection: the
// dialled address, else the host of the URL requested (which, after a
// redirect, is not o.url's), else o.url's host.
func refusedAddr(err error, o *options) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Addr != nil {
		return oe.Addr.String()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return hostOf(ue.URL)
	}
	return hostOf(o.url)
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return raw
}

// describeResponse shows a refused response: status, what was wrong, and
// the start of its body (APIs explain themselves there).
func describeResponse(re *sse.ResponseError) string {
	var b strings.Builder
	b.WriteString(re.Status)
	if re.Err != nil {
		ct := re.Header.Get("Content-Type")
		if ct == "" {
			ct = "none"
		}
		fmt.Fprintf(&b, " but Content-Type is %s, not text/event-stream (--accept-any-type reads it anyway)", ct)
	}
	if re.RetryAfter > 0 {
		fmt.Fprintf(&b, " (Retry-After %s)", re.RetryAfter)
	}
	body := strings.Join(strings.Fields(string(re.Body)), " ")
	if len(body) > 300 {
		body = utf8cut.Prefix(body, 300) + "…"
	}
	if body != "" {
		b.WriteString(": " + body)
	}
	return b.String()
}
