// Package httpx holds the HTTP rules that the sse package, ssejson and
// ssecat share, so that each is written once: what counts as an event
// stream, and how much of a refused body an error keeps.
package httpx

import (
	"io"
	"mime"
	"time"
)

// IsEventStream reports whether a Content-Type header value is
// text/event-stream, parameters and case ignored.
func IsEventStream(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "text/event-stream"
}

// MaxErrorBody is how much of a refused response's body an error keeps.
const MaxErrorBody = 4 << 10

// ReadErrorBody reads the start of body, at most MaxErrorBody bytes, for
// at most timeout: a refused body may be a stream that sends little or
// nothing, so the read is cut by closing body, and what arrived by then
// is returned.
func ReadErrorBody(body io.ReadCloser, timeout time.Duration) []byte {
	t := time.AfterFunc(timeout, func() { body.Close() })
	defer t.Stop()
	b, _ := io.ReadAll(io.LimitReader(body, MaxErrorBody))
	return b
}
