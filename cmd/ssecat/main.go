// Command ssecat shows a Server-Sent Events stream as it arrives,
// reconnecting as a browser's EventSource does, and says on stderr what
// the connection does: connecting, open, dropped and why, reconnecting
// after what delay with which Last-Event-ID, closed and why, and a summary.
//
// Usage:
//
//	ssecat [flags] URL
//	ssecat demo [output flags]
//	ssecat replay [--speed N] [--addr HOST:PORT] FILE
//
// "ssecat demo" streams a simulated LLM reply from a server it runs on a
// free loopback port, which drops the connection once on purpose, and
// shows the reconnect and the resumption. "ssecat -h" lists the flags.
//
// Events are shown as text (type, id, data), as JSON lines (--json: type,
// id, data, time, conn), as their data only (--data-only), or as the bytes
// received (--raw). --record FILE writes the responses with their receive
// times in a line-based text format, documented in package
// github.com/ssekit/sse/internal/record; "ssecat replay FILE" serves it.
//
// Exit status: 0 when the stream ended cleanly (a one-shot stream's end,
// a 204 from the server, --until, or --timeout or Ctrl-C once a stream
// opened), 1 when the server refused, the stream failed, or --timeout or
// Ctrl-C came before any stream opened, or a read or replay FILE cannot be
// read, 2 for bad usage.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
