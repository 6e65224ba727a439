//go:build !unix

package sse

// cpuTime returns 0 where the process's CPU time is not known; the
// benchmarks that need it skip.
func cpuTime() int64 { return 0 }
