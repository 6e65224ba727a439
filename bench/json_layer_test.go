package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/ssejson"
)

// BenchmarkJSONLayer measures what ssejson.Stream itself costs per event:
// the Done and in-band error checks, the skipping of empty data, and the
// calls between it and its Source, without the JSON decoding (its
// Unmarshal does nothing). Each round reads the chat corpus twice with
// one sse.Decoder, once bare (Next and Data) and once through a Stream
// over it, in alternating order, so that the two see the same load on a
// shared machine. It reports, per event of the corpus:
//
//   - decoder-ns/event, decoder-cpu-ns/event: the bare Decoder;
//   - stream-ns/event, stream-cpu-ns/event: the Stream over it;
//   - layer-ns/event, layer-cpu-ns/event: their difference, the layer's
//     own cost.
//
// ns/op is the time of both reads of a round.
func BenchmarkJSONLayer(b *testing.B) {
	c := CorpusByName("chat")
	data := c.Data()
	events := Reference(c).Events // the last is [DONE]
	nop := func([]byte, any) error { return nil }
	for _, m := range c.Reads {
		b.Run("read="+m.Name, func(b *testing.B) {
			r := NewReader(data, m)
			dec := sse.NewDecoder(r)
			bare := func() error {
				r.Reset(data, m)
				dec.Reset(r)
				n, size := 0, 0
				for dec.Next() {
					size += len(dec.Data())
					n++
				}
				if err := dec.Err(); err != nil {
					return err
				}
				if n != events || size == 0 {
					return fmt.Errorf("decoder: %d events, want %d", n, events)
				}
				return nil
			}
			layer := func() error {
				r.Reset(data, m)
				dec.Reset(r)
				s := ssejson.New[chatChunk](dec)
				s.Unmarshal = nop
				n := 0
				for s.Next() {
					n++
				}
				if err := s.Err(); err != nil {
					return err
				}
				if n != events-1 {
					return fmt.Errorf("stream: %d values, want %d", n, events-1)
				}
				return nil
			}
			// Warm up the decoder's buffers, so that neither read pays
			// for them.
			if err := bare(); err != nil {
				b.Fatal(err)
			}
			var wall, cpu [2]int64 // [0] bare, [1] through the Stream
			run := func(i int, f func() error) {
				t0, c0 := time.Now(), CPUTime()
				if err := f(); err != nil {
					b.Fatal(err)
				}
				cpu[i] += CPUTime() - c0
				wall[i] += int64(time.Since(t0))
			}
			b.ResetTimer()
			for i := range b.N {
				if i%2 == 0 {
					run(0, bare)
					run(1, layer)
				} else {
					run(1, layer)
					run(0, bare)
				}
			}
			b.StopTimer()
			n := float64(b.N) * float64(events)
			b.ReportMetric(float64(wall[0])/n, "decoder-ns/event")
			b.ReportMetric(float64(wall[1])/n, "stream-ns/event")
			b.ReportMetric(float64(wall[1]-wall[0])/n, "layer-ns/event")
			if cpu[0] > 0 && cpu[1] > 0 {
				b.ReportMetric(float64(cpu[0])/n, "decoder-cpu-ns/event")
				b.ReportMetric(float64(cpu[1])/n, "stream-cpu-ns/event")
				b.ReportMetric(float64(cpu[1]-cpu[0])/n, "layer-cpu-ns/event")
			}
		})
	}
}
