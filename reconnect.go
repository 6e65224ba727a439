package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// DefaultShouldRetry is the classification a Client uses unless its
// ShouldRetry is set. It retries network errors (timeouts included), a
// connection the server closed or reset (ErrServerClosed, a read error), an
// idle timeout, and responses 408, 429 and 5xx. It ends the stream on any
// other response (204, other 4xx, a 2xx that is not text/event-stream), on
// an event over MaxEventSize, on ErrClosed, ErrBodyNotReplayable and
// context.Canceled, and on errors marked with Permanent. Errors marked with
// Retryable are retried.
//
// A Stream asks only about errors that can be retried at all: it ends
// without asking after Close, when the request's context is done, and on
// an event over MaxEventSize.
func DefaultShouldRetry(err error) bool {
	var re *ResponseError
	var pe *permanentError
	var rt *retryableError
	switch {
	case err == nil:
		return false
	case errors.As(err, &pe):
		return false
	case errors.As(err, &rt):
		return true
	case errors.Is(err, ErrClosed), errors.Is(err, ErrEventTooLarge),
		errors.Is(err, ErrBodyNotReplayable), errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &re):
		switch {
		case re.Err != nil:
			return false
		case re.StatusCode == http.StatusRequestTimeout, re.StatusCode == http.StatusTooManyRequests:
			return true
		}
		return re.StatusCode >= 500
	}
	return true
}

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
// MaxRetries and MaxElapsedTime still apply. A CheckResponse returns it to
// ask for a reconnect (a 401 after which PrepareRequest refreshes a token,
// say); a PrepareRequest, to have its error retried. The result wraps err,
// and Retryable(nil) is nil.
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

// retryAfterHint returns the delay a refused response asked for.
func retryAfterHint(err error) time.Duration {
	var re *ResponseError
	if errors.As(err, &re) {
		return re.RetryAfter
	}
	return 0
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// backOff grows the delay between failed attempts exponentially from the
// reconnection time. Its jitter only ever adds, so a server's "retry" is
// always waited in full, as the spec asks.
type backOff struct {
	exp  backoff.ExponentialBackOff
	base time.Duration // the reconnection time exp was set up with
	rand func() float64
}

// jitterFraction is the largest share of a delay added as jitter.
const jitterFraction = 0.5

func (b *backOff) init() {
	b.rand = rand.Float64
}

// next returns the delay before the next attempt: at least min(base,
// limit), at most limit.
func (b *backOff) next(base, limit time.Duration) time.Duration {
	if b.base != base || b.exp.MaxInterval != limit {
		b.exp = backoff.ExponentialBackOff{
			InitialInterval:     base,
			RandomizationFactor: 0,
			Multiplier:          2,
			MaxInterval:         limit,
			MaxElapsedTime:      0,
			Stop:                backoff.Stop,
			Clock:               backoff.SystemClock,
		}
		b.exp.Reset()
		b.base = base
	}
	// With no randomization NextBackOff never returns less than base,
	// nor more than max(base, limit).
	d := min(b.exp.NextBackOff(), limit)
	j := time.Duration(b.rand() * jitterFraction * float64(d))
	if j > limit-d {
		return limit
	}
	return d + j
}

// reset starts the growth again, after a connection that delivered events.
func (b *backOff) reset() {
	if b.base != 0 {
		b.exp.Reset()
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A connection is one attempt's context and response body. With an idle
// timeout, an attempt that receives no bytes for that long is cut by
// cancelling its context, which unblocks the request or read in progress.
type connection struct {
	ctx    context.Context
	cancel context.CancelFunc
	body   io.ReadCloser
	idle   atomic.Bool
	timer  *time.Timer
	limit  time.Duration
}

func newConnection(parent context.Context, idle time.Duration) *connection {
	c := &connection{limit: idle}
	c.ctx, c.cancel = context.WithCancel(parent)
	return c
}

// arm starts the idle clock, just before the request is sent.
func (c *connection) arm() {
	if c.limit > 0 {
		c.timer = time.AfterFunc(c.limit, func() {
			c.idle.Store(true)
			c.cancel()
		})
	}
}

// pause stops the idle clock while no read is waiting.
func (c *connection) pause() {
	if c.timer != nil {
		c.timer.Stop()
	}
}

func (c *connection) idleError() error {
	return fmt.Errorf("%w: no bytes received for %v", ErrIdleTimeout, c.limit)
}

func (c *connection) Read(p []byte) (int, error) {
	if c.timer != nil {
		c.timer.Reset(c.limit) // the clock runs only while a read waits
	}
	n, err := c.body.Read(p)
	c.pause()
	return n, err
}

// stop releases the connection's timer and context.
func (c *connection) stop() {
	if c.timer != nil {
		c.timer.Stop()
	}
	c.cancel()
}
