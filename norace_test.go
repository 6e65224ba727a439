//go:build !race

package sse

// raceEnabled is true in a build with the race detector; see race_test.go.
const raceEnabled = false
