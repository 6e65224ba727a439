// Package httpx holds the HTTP rules that the sse package, ssejson and
// ssecat share, so that each is written once: what counts as an event
// stream, how much of a refused body an error keeps, and how the error of
// a refused response is made.
package httpx

import (
	"io"
	"mime"
	"net/http"
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

// ErrorBodyTimeout bounds the wait for the start of a refused body, which
// may be a stream that sends little or nothing. Tests shorten it.
var ErrorBodyTimeout = time.Second

// ReadErrorBody reads the start of body, at most MaxErrorBody bytes, for
// at most ErrorBodyTimeout: a refused body may be a stream that sends
// little or nothing, so the read is cut by closing body, and what arrived
// by then is returned.
func ReadErrorBody(body io.ReadCloser) []byte {
	t := time.AfterFunc(ErrorBodyTimeout, func() { body.Close() })
	defer t.Stop()
	b, _ := io.ReadAll(io.LimitReader(body, MaxErrorBody))
	return b
}

// NewResponseError returns the *sse.ResponseError of a refused response,
// wrapping err: its status, header, Retry-After, and, if readBody, the
// start of its body. Package sse sets it to its own constructor, so that
// every refused response, whether sse or ssejson refuses it, is described
// by that one rule: httpx cannot name sse's type, and sse's API need not
// grow a constructor only ssejson wants. Every importer of ssejson imports
// sse, whose initialization sets it first.
var NewResponseError func(resp *http.Response, err error, readBody bool) error
