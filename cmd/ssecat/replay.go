package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/ssekit/sse/internal/record"
)

const replayUsage = `Usage: ssecat replay [--speed N] [--addr HOST:PORT] FILE

Serves a recording made with --record on a local URL, printed on stdout:
the Nth request gets the Nth recorded response, at the recorded pace;
after the last, 204 No Content (an SSE client stops), then it starts over.

  --speed N          N times the recorded pace; 0 sends everything at once (default 1)
  --addr HOST:PORT   where to listen (default 127.0.0.1:0, a free port)
  -q                 do not log the requests served

Example:
  ssecat replay bug.sse &       # prints http://127.0.0.1:PORT/
  ssecat http://127.0.0.1:PORT/
`

// replay runs "ssecat replay FILE": it serves until Ctrl-C.
func (a *app) replay(ctx context.Context, args []string) int {
	fset := flagSetFor("replay")
	speed := fset.Float64("speed", 1, "")
	addr := fset.String("addr", "127.0.0.1:0", "")
	quiet := fset.Bool("q", false, "")
	fset.BoolVar(quiet, "quiet", false, "")
	noColor := fset.Bool("no-color", false, "")
	pos, err := parseInterspersed(fset, args)
	if errors.Is(err, errHelp) {
		io.WriteString(a.stdout, replayUsage)
		return exitOK
	}
	if err == nil {
		switch {
		case len(pos) == 0:
			err = usagef("replay: missing FILE (a recording made with --record)")
		case len(pos) > 1:
			err = usagef("replay: one FILE only")
		case *speed < 0:
			err = usagef("replay: --speed must be 0 (no waiting) or more")
		}
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "ssecat: %v\nRun 'ssecat replay -h' for usage.\n", err)
		return exitUsage
	}
	name := pos[0]
	f, err := os.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		fmt.Fprintf(a.stderr, "ssecat: replay: cannot read %s: %v\n", name, err)
		return exitFailed
	}
	entries, err := record.Read(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(a.stderr, "ssecat: replay: %s: %v\n", name, err)
		return exitFailed
	}
	conns := record.Conns(entries)
	lg := a.newLogger(*noColor, *quiet)
	p := &record.Player{Conns: conns, Speed: *speed, Log: func(msg string) { lg.info("%s", msg) }}
	url, stop, err := serve(*addr, p)
	if err != nil {
		lg.fail("replay: %v", err)
		return exitFailed
	}
	defer stop()
	pace := "at the recorded pace"
	switch {
	case *speed == 0:
		pace = "all at once"
	case *speed != 1:
		pace = fmt.Sprintf("at %gx the recorded pace", *speed)
	}
	lg.info("replaying %s (%s) %s; Ctrl-C to stop", name, plural(int64(len(conns)), "response"), pace)
	fmt.Fprintln(a.stdout, url)
	if a.ready != nil {
		a.ready(url)
	}
	<-ctx.Done()
	lg.info("stopped")
	return exitOK
}
