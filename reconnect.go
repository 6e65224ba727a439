package sse

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// This file holds the reconnect loop and everything it decides: which
// errors are retried, how long to wait, when to give up.

// connect makes attempts until one gives a stream to read, or the stream
// ends.
func (s *Stream) connect() bool {
	for {
		err := s.attemptOnce(s.prevErr)
		if err == nil {
			return true
		}
		if !s.retryAfter(err) {
			return false
		}
	}
}

// retryAfter decides whether err is retried; if so it waits the delay
// before the next attempt and reports true, else it ends the stream.
func (s *Stream) retryAfter(err error) bool {
	if s.ctx.Err() != nil {
		err = s.ctxError()
	}
	if s.delivered {
		// The connection that just ended delivered events: start over.
		s.delivered = false
		s.failures = 0
		s.bo.reset()
	}
	// Whatever ended the attempt, a connection read to its end included,
	// is the next Attempt's Err.
	s.prevErr = err
	if err == ErrReconnect {
		s.drainWake()
		return true
	}
	if !s.retryable(err) {
		s.finish(err)
		return false
	}
	now := s.now()
	if s.failures == 0 {
		s.failingAt = now
	}
	s.failures++
	gaveUp := &GaveUpError{Attempts: s.failures, Elapsed: now.Sub(s.failingAt), Err: err}
	if s.c.MaxRetries > 0 && s.failures > s.c.MaxRetries {
		s.finish(gaveUp)
		return false
	}
	limit := s.maxDelay()
	delay, ok := s.bo.next(s.reconnectionTime(), limit)
	if !ok {
		s.finish(gaveUp)
		return false
	}
	// The server's word is the least delay, the Client's cap the most.
	delay = max(delay, s.retry, retryAfterHint(err))
	delay = min(delay, limit)
	if s.c.MaxElapsedTime > 0 && gaveUp.Elapsed+delay > s.c.MaxElapsedTime {
		s.finish(gaveUp)
		return false
	}
	s.setState(StateConnecting)
	if s.c.OnReconnect != nil {
		s.c.OnReconnect(s, ReconnectInfo{N: s.attempt + 1, Delay: delay, Err: err})
	}
	if s.sleep(s.ctx, s.wake, delay) != nil || s.ctx.Err() != nil {
		s.finish(s.ctxError())
		return false
	}
	return true
}

func (s *Stream) drainWake() {
	select {
	case <-s.wake:
	default:
	}
}

// retryable is the whole classification of a failed attempt: what can
// never be retried, the marks, then ShouldRetry.
func (s *Stream) retryable(err error) bool {
	var pe *permanentError
	var re *retryableError
	switch {
	case s.oneShot, s.ctx.Err() != nil, errors.Is(err, ErrClosed), errors.Is(err, ErrEventTooLarge),
		errors.Is(err, ErrBodyNotReplayable), errors.As(err, &pe):
		return false
	case errors.As(err, &re):
		return true
	case s.c.ShouldRetry != nil:
		return s.c.ShouldRetry(err)
	}
	return DefaultShouldRetry(err)
}

// DefaultShouldRetry is the classification a Client uses unless its
// ShouldRetry is set. It retries network errors (timeouts included), a
// connection the server ended or reset ([ErrResponseEnded], a read
// error), an idle timeout, and responses 408, 429 and 5xx. It ends the
// stream on any other response (204, other 4xx, another 2xx, a 200 that is
// not text/event-stream), on a certificate that does not verify (which no
// retry can mend), and on context.Canceled.
//
// A refused response that is retried, by this function or any other
// means (ShouldRetry, [Retryable]), is waited for at least as long as its
// Retry-After header asks, in seconds or as an HTTP date: a 429 or a 503
// as much as a 401 that CheckResponse marks Retryable. However long it
// asks for (2^32 seconds or more, even past what a time.Duration holds),
// the wait is then MaxReconnectionTime: a huge value is never taken for
// none.
//
// Any other error, such as an unmarked error from a CheckResponse, is
// retried: mark it with [Permanent] to end the stream instead.
//
// A stream never asks ShouldRetry about the errors that end it whatever
// is said: after Close, when the request's context is done, an event over
// MaxEventSize, a body that cannot be sent again, and errors marked with
// [Permanent]; errors marked with [Retryable] are retried without asking.
// A stream from [Client.Do] asks about nothing: it never reconnects.
func DefaultShouldRetry(err error) bool {
	var re *ResponseError
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority),
		errors.As(err, &hostname), errors.As(err, &invalid):
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

// retryAfterHint returns the delay a refused response asked for.
func retryAfterHint(err error) time.Duration {
	var re *ResponseError
	if errors.As(err, &re) {
		return re.RetryAfter
	}
	return 0
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date. A delay too long to represent is the longest there is, so that it
// is capped like any long delay rather than taken for none.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || secs > uint64(math.MaxInt64/time.Second) {
			return math.MaxInt64
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func (s *Stream) setRetry(d time.Duration) {
	s.retry = max(d, minServerRetry)
}

// minServerRetry is the least reconnection time a server's "retry" can
// set: a "retry: 0" (reconnect at once) from a server that then keeps
// failing must not become a tight loop.
const minServerRetry = 100 * time.Millisecond

func (s *Stream) reconnectionTime() time.Duration {
	switch {
	case s.retry > 0:
		return s.retry
	case s.c.ReconnectionTime > 0:
		return s.c.ReconnectionTime
	}
	return DefaultReconnectionTime
}

func (s *Stream) maxDelay() time.Duration {
	if s.c.MaxReconnectionTime > 0 {
		return s.c.MaxReconnectionTime
	}
	return DefaultMaxReconnectionTime
}

// backOff is a stream's backoff policy: the Client's, or by default
// exponential growth from the reconnection time, whose jitter only ever
// adds, so that a server's "retry" is always waited in full, as the spec
// asks.
type backOff struct {
	custom BackOff

	exp  backoff.ExponentialBackOff
	base time.Duration // the reconnection time exp was set up with
	rand func() float64
}

// jitterFraction is the largest share of a delay added as jitter.
const jitterFraction = 0.5

func (b *backOff) init(newBackOff func() BackOff) {
	b.rand = rand.Float64
	if newBackOff != nil {
		b.custom = newBackOff()
	}
}

// next returns the delay before the next attempt, and false if the policy
// says to stop. The default delay is at least min(base, limit), at most
// limit.
func (b *backOff) next(base, limit time.Duration) (time.Duration, bool) {
	if b.custom != nil {
		d := b.custom.NextBackOff()
		return d, d >= 0
	}
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
		return limit, true
	}
	return d + j, true
}

// reset starts the growth again, after a connection that delivered events.
func (b *backOff) reset() {
	switch {
	case b.custom != nil:
		b.custom.Reset()
	case b.base != 0:
		b.exp.Reset()
	}
}

// sleepContext waits for d, or until ctx is done or wake receives (a
// Reconnect, which returns nil: the wait is over).
func sleepContext(ctx context.Context, wake <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// A connection is one attempt's context and response body. With an idle
// timeout, an attempt that receives no bytes for that long is cut by
// cancelling its context, which unblocks the request or read in progress.
type connection struct {
	ctx    context.Context
	cancel context.CancelFunc
	idle   atomic.Bool
	timer  *time.Timer
	limit  time.Duration

	mu   sync.Mutex
	body io.ReadCloser
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

// setBody makes body the one Read reads and closeBody closes.
func (c *connection) setBody(body io.ReadCloser) {
	c.mu.Lock()
	c.body = body
	c.mu.Unlock()
}

// Read reads the body. It is where the stream checks its context: once
// per read, not once per event, so that a transport that does not watch
// the context still ends the stream.
func (c *connection) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if c.timer != nil {
		c.timer.Reset(c.limit) // the clock runs only while a read waits
	}
	n, err := c.body.Read(p)
	c.pause()
	return n, err
}

// interrupt cuts the attempt from another goroutine: its request, its
// read, its body. Close and Reconnect use it.
func (c *connection) interrupt() {
	c.cancel()
	c.closeBody()
}

// closeBody closes the body, which unblocks a read on transports that do
// not watch the context.
func (c *connection) closeBody() {
	c.mu.Lock()
	body := c.body
	c.mu.Unlock()
	if body != nil {
		body.Close()
	}
}

// stop releases the connection's timer, context and body; it is called on
// the goroutine that reads the stream.
func (c *connection) stop() {
	if c.timer != nil {
		c.timer.Stop()
	}
	c.interrupt()
}
