//go:build unix

package bench

import "syscall"

// CPUTime returns the CPU time, user and system, that this process has
// used, in nanoseconds. Benchmarks report it besides wall time because a
// shared machine's load inflates wall time far more than CPU time.
func CPUTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
