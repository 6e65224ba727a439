package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/ssekit/sse/internal/demo"
)

// demo runs "ssecat demo [output flags]".
func (a *app) demo(ctx context.Context, args []string) int {
	o, err := parseArgs(args, a.stdin, true)
	if err != nil {
		return a.usageFailure(err)
	}
	return a.runDemo(ctx, o)
}

// runDemo starts the demo server on a free loopback port and streams from
// it, showing the drop, the reconnect and the resumption.
func (a *app) runDemo(ctx context.Context, o *options) int {
	return a.runDemoWith(ctx, o, demo.New())
}

func (a *app) runDemoWith(ctx context.Context, o *options, h http.Handler) int {
	lg := a.newLogger(o.noColor, o.quiet)
	url, stop, err := serve("127.0.0.1:0", h)
	if err != nil {
		lg.fail("demo: cannot listen on loopback: %v", err)
		return exitFailed
	}
	defer stop()
	o.url = url + "chat"
	o.method = "GET"
	o.until = "done"
	o.untilNote = "(the end of the demo's reply)"
	o.maxRetries = 3
	o.timeout = 30 * time.Second
	if a.ready != nil {
		a.ready(o.url)
	}
	lg.info("demo: a simulated LLM reply, served at %s; the server drops the connection once, on purpose", o.url)
	// One logger, so one clock, for the demo's line and the stream's.
	return a.stream(ctx, o, lg)
}

// serve serves h on addr until stop is called, and returns its URL,
// ending with "/".
func serve(addr string, h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/", func() { srv.Close() }, nil
}

// newLogger returns the logger of a run that starts now.
func (a *app) newLogger(noColor, quiet bool) *logger {
	return &logger{w: a.stderr, color: useColor(a.stderr, noColor, a.getenv), quiet: quiet, start: a.now(), now: a.now}
}

// flagSetFor returns a quiet flag set that reports errors to the caller.
func flagSetFor(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}
