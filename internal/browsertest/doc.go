// Package browsertest holds a test that runs a real browser's EventSource
// against a stream written by sse.Writer. It has no code of its own: it is
// a package so that the browser test runs on its own, in parallel with
// the other packages' tests, and the root package's tests stay fast.
package browsertest
