//go:build !unix

package bench

// CPUTime returns 0 where the process's CPU time is not known.
func CPUTime() int64 { return 0 }
