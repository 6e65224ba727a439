package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkWrite times each writer (kind=encode) and each writer behind its
// library's handler (kind=server) on WriterEvents, per event: ns/event
// (wall), cpu-ns/event (process CPU, every goroutine), allocs/event and
// B/event.
//
// The peers run in turn, round after round (SSE_BENCH_ROUNDS, 1 by
// default; -count would run each peer's rounds back to back instead), so
// that they share the same moments of a shared machine's load. Compare
// with benchstat -col /peer -ignore round.
func BenchmarkWrite(b *testing.B) {
	rounds, _ := strconv.Atoi(os.Getenv("SSE_BENCH_ROUNDS"))
	for r := range max(rounds, 1) {
		for _, w := range Writers {
			b.Run(fmt.Sprintf("kind=encode/round=%d/peer=%s", r+1, w.Name), func(b *testing.B) {
				write := w.Write(NewSink())
				measureWrites(b, func() {
					for _, ev := range WriterEvents {
						if err := write(ev); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
		for _, s := range Servers {
			b.Run(fmt.Sprintf("kind=server/round=%d/peer=%s", r+1, s.Name), func(b *testing.B) {
				sink := NewSink()
				publish, stop := s.Start(sink)
				defer stop()
				rounds := 0
				measureWrites(b, func() {
					for _, ev := range WriterEvents {
						publish(ev)
					}
					rounds++
					<-sink.AwaitFlushes(1 + rounds*len(WriterEvents))
				})
			})
		}
	}
}

func measureWrites(b *testing.B, round func()) {
	round() // warm up: buffers, goroutines
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := CPUTime()
	b.ResetTimer()
	for range b.N {
		round()
	}
	b.StopTimer()
	cpu1 := CPUTime()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(len(WriterEvents))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/event")
	if cpu1 > cpu0 {
		b.ReportMetric(float64(cpu1-cpu0)/n, "cpu-ns/event")
	}
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/event")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/event")
}
