package sse

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ssekit/sse/internal/utf8cut"
	"github.com/ssekit/sse/internal/wire"
)

// The errors of the package. Each sentinel is matched with [errors.Is];
// the typed errors ([*ResponseError], [*GaveUpError], [*FieldError]) with
// [errors.As].
var (
	// ErrEventTooLarge is wrapped by the error of a Decoder or Stream that
	// met a line, or an event, over its MaxEventSize. A Stream ends on it:
	// the server would only send the event again.
	ErrEventTooLarge = errors.New("sse: event too large")

	// ErrClosed is the error of a Stream after [Stream.Close] ended it.
	ErrClosed = errors.New("sse: stream closed")

	// ErrIdleTimeout is wrapped by the error of a connection that received
	// no bytes for the Client's IdleTimeout. It is retried by default.
	ErrIdleTimeout = errors.New("sse: idle timeout")

	// ErrContentType is wrapped by the [ResponseError] of a 200 response
	// whose content type is not text/event-stream.
	ErrContentType = errors.New("sse: response is not text/event-stream")

	// ErrNoContent is wrapped by the [ResponseError] of a 204 No Content
	// response, the server's way to tell a client to stop reconnecting. It
	// ends the stream; test for it with errors.Is to treat it as a normal
	// end.
	ErrNoContent = errors.New("sse: server answered 204 No Content (stop reconnecting)")

	// ErrBodyNotReplayable is the error of a request whose body would have
	// to be sent again but cannot be: it has no GetBody.
	ErrBodyNotReplayable = errors.New("sse: request body cannot be sent again: set the request's GetBody, or use Client.Do for a one-shot stream")

	// ErrResponseEnded is the error of a connection of a reconnecting
	// stream that the server ended cleanly. It is retried by default. A
	// one-shot stream ([Client.Do]) ends without error instead.
	ErrResponseEnded = errors.New("sse: server ended the response")

	// ErrReconnect is the [Attempt.Err] that [Client.PrepareRequest] is
	// given for the attempt that [Stream.Reconnect] asked for, so that it
	// can tell a requested reconnect (to renew a token, say) from a drop.
	// No OnReconnect call precedes such an attempt: there is no wait.
	ErrReconnect = errors.New("sse: reconnect asked for")

	// ErrGaveUp is matched by every [*GaveUpError].
	ErrGaveUp = errors.New("sse: gave up reconnecting")
)

// A GaveUpError ends a stream whose Client's MaxRetries, MaxElapsedTime or
// BackOff said to stop reconnecting. It matches [ErrGaveUp] and unwraps to
// the error of the last attempt.
type GaveUpError struct {
	// Attempts is the number of failed attempts in a row, the last
	// included.
	Attempts int
	// Elapsed is the time from the first of those failures to the last.
	Elapsed time.Duration
	// Err is why the last attempt failed.
	Err error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("sse: gave up reconnecting after %d failed attempts in %v: %v",
		e.Attempts, e.Elapsed.Round(time.Millisecond), e.Err)
}

// Is reports whether target is [ErrGaveUp].
func (e *GaveUpError) Is(target error) bool { return target == ErrGaveUp }

func (e *GaveUpError) Unwrap() error { return e.Err }

// A ResponseError is a response that a stream did not accept: with
// [DefaultCheckResponse], any status but 200, or a 200 that is not
// text/event-stream.
type ResponseError struct {
	StatusCode int         // e.g. 401
	Status     string      // e.g. "401 Unauthorized"
	Header     http.Header // the response's header

	// Body is the start of the response body, at most 4 KiB, such as the
	// JSON error an API sends with a 4xx: what arrived within a second.
	Body []byte
	// RetryAfter is the delay the server asked for with Retry-After, in
	// seconds or as an HTTP date, or zero. A delay too large to represent
	// is the largest time.Duration. A stream that retries the response
	// waits at least that long, at most MaxReconnectionTime.
	RetryAfter time.Duration
	// Err is ErrContentType for a 200 of the wrong type, ErrNoContent for
	// a 204, else nil.
	Err error
}

// Error describes the response. Text that came from the server (the
// status line, the body) is shortened and its control characters are
// escaped, so that the message is safe to log; the fields keep the bytes
// as received.
func (e *ResponseError) Error() string {
	var b strings.Builder
	status := e.Status
	if status == "" {
		status = fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	b.WriteString("sse: server answered ")
	b.WriteString(utf8cut.Excerpt(status, 200))
	switch {
	case e.Err == ErrContentType:
		fmt.Fprintf(&b, " with content type %q (want text/event-stream)", e.Header.Get("Content-Type"))
	case e.Err == ErrNoContent:
		b.WriteString(" (stop reconnecting)")
	case e.Err != nil:
		fmt.Fprintf(&b, " (%v)", e.Err)
	case e.StatusCode >= 200 && e.StatusCode < 300:
		b.WriteString(" (want 200 OK)")
	}
	if body := strings.TrimSpace(string(e.Body)); body != "" {
		b.WriteString(": ")
		b.WriteString(utf8cut.Excerpt(body, 200))
	}
	return b.String()
}

func (e *ResponseError) Unwrap() error { return e.Err }

// A FieldError is the error of a [Writer] that refuses a value: written as
// given, it would end its line early, inject another field, or be read
// back as something else. Nothing was written for the call.
type FieldError struct {
	// Field is the field refused: "event", "id", "data", "comment" or
	// "retry".
	Field string
	// Value is the value as given; for "retry", the duration formatted by
	// time.Duration's String.
	Value string
	// Offset is the index in Value of the first byte that cannot be
	// written: a line break, a NUL in an id, or the start of invalid
	// UTF-8. It is -1 for a negative retry.
	Offset int
}

func (e *FieldError) Error() string { return (*wire.FieldError)(e).Error() }

// Permanent marks err as final: a stream that meets it ends, whatever
// ShouldRetry says. A CheckResponse or PrepareRequest returns it to end
// the stream. The result wraps err, and Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// Retryable marks err as worth a reconnect, whatever ShouldRetry says;
// MaxRetries, MaxElapsedTime and the BackOff still apply. A CheckResponse
// returns it to ask for a reconnect (a 401 after which PrepareRequest
// refreshes a token, say); a PrepareRequest, to have its error retried.
// The result wraps err, and Retryable(nil) is nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &retryableError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }
