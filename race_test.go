//go:build race

package sse

// raceEnabled is true in a build with the race detector, which makes the
// 64 MiB memory shapes take minutes: they run in the build without it.
const raceEnabled = true
