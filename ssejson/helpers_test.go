package ssejson

import (
	"runtime"
	"testing"
	"time"
)

// checkLeaks fails the test if, once it and the cleanups registered after
// checkLeaks have run, more goroutines are running than at the start: a
// stream that ends, or is closed, must leave no connection reading and no
// timer waiting behind it. Call it first, so that its check runs after the
// other cleanups (a test server's Close among them). Tests that call it
// must not run in parallel, which would change the count.
func checkLeaks(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		// Connections wind down on their own goroutines after the test's
		// last read; give them time, but not forever.
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d before, %d after:\n%s", before, runtime.NumGoroutine(), buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
