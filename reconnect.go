package sse

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// DefaultShouldRetry is the classification a Client uses unless its
// ShouldRetry is set. It retries network errors, a connection the server
// closed or reset, an idle timeout, and responses 408, 429 and 5xx. It ends
// the stream on any other response (204, the server's "stop", other 4xx, a
// 2xx that is not text/event-stream), on an event over MaxEventSize (it
// would only be sent again), on a PrepareRequest error, and when the
// request's context is done.
func DefaultShouldRetry(err error) bool {
	var re *ResponseError
	var pe *permanentError
	switch {
	case err == nil:
		return false
	case errors.As(err, &pe):
		return false
	case errors.Is(err, ErrClosed), errors.Is(err, ErrEventTooLarge),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
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

// permanentError marks an error of the client's own making that no retry
// can mend.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

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
	exp  *backoff.ExponentialBackOff
	base time.Duration // the reconnection time exp was set up with
	rand func() float64
}

// jitterFraction is the largest share of a delay added as jitter.
const jitterFraction = 0.5

func newBackOff() *backOff {
	return &backOff{rand: rand.Float64}
}

// next returns the delay before the next attempt.
func (b *backOff) next(base, limit time.Duration) time.Duration {
	if b.exp == nil || b.base != base || b.exp.MaxInterval != limit {
		b.exp = backoff.NewExponentialBackOff()
		b.exp.InitialInterval = base
		b.exp.RandomizationFactor = 0
		b.exp.Multiplier = 2
		b.exp.MaxInterval = limit
		b.exp.MaxElapsedTime = 0
		b.exp.Reset()
		b.base = base
	}
	// NextBackOff never returns less than base, nor more than limit, so
	// the result is at least min(base, limit).
	d := b.exp.NextBackOff()
	return min(d+time.Duration(b.rand()*jitterFraction*float64(d)), limit)
}

// reset starts the growth again, after a connection that delivered events.
func (b *backOff) reset() {
	if b.exp != nil {
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
// timeout, a body that yields no bytes for that long is cut by cancelling
// the context, which unblocks the read in progress.
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
	if idle > 0 {
		c.timer = time.AfterFunc(idle, func() {
			c.idle.Store(true)
			c.cancel()
		})
	}
	return c
}

func (c *connection) Read(p []byte) (int, error) {
	n, err := c.body.Read(p)
	if n > 0 && c.timer != nil {
		c.timer.Reset(c.limit)
	}
	if err != nil && c.idle.Load() {
		err = ErrIdleTimeout
	}
	return n, err
}

// stop releases the connection's timer and context.
func (c *connection) stop() {
	if c.timer != nil {
		c.timer.Stop()
	}
	c.cancel()
}
