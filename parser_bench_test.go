package sse

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// allocStream is a stream of small and chat-sized events, with ids and
// types, that a reused Decoder must read without allocating.
func allocStream() []byte {
	var b bytes.Buffer
	for i := range 2000 {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "data: {\"choices\":[{\"delta\":{\"content\":\"token %d\"}}]}\n\n", i)
		case 1:
			fmt.Fprintf(&b, "id: %d\nevent: tick\ndata: %d\n\n", i, i)
		default:
			fmt.Fprintf(&b, ": keep-alive\n\ndata: line one\r\ndata: line two\r\n\r\n")
		}
	}
	return b.Bytes()
}

// BenchmarkDecoderReuse reads a stream with one Decoder, Reset between
// passes, as a server that reads many streams would.
func BenchmarkDecoderReuse(b *testing.B) {
	stream := allocStream()
	for _, path := range []string{"Data", "Event"} {
		b.Run(path, func(b *testing.B) {
			r := bytes.NewReader(stream)
			d := NewDecoder(r)
			events := 0
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			for b.Loop() {
				r.Reset(stream)
				d.Reset(r)
				for d.Next() {
					if path == "Event" {
						_ = d.Event()
					} else {
						_ = d.Data()
					}
					events++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}

func BenchmarkDecoder(b *testing.B) {
	streams := map[string]string{
		"small":    "event: delta\nid: 12\ndata: {\"text\":\"hello\"}\n\n",
		"multi":    "data: line one\r\ndata: line two\r\ndata: line three\r\n\r\n",
		"4KiB":     "data: " + strings.Repeat("x", 4<<10) + "\n\n",
		"100KiB":   "data: " + strings.Repeat("x", 100<<10) + "\n\n",
		"comments": ": keep-alive\n\n: keep-alive\n\nid: 1\n\ndata: x\n\n",
	}
	for name, s := range streams {
		block := []byte(s)
		for _, path := range []string{"Data", "Event"} {
			b.Run(name+"/"+path, func(b *testing.B) {
				d := NewDecoder(&cycleReader{data: block})
				d.OnComment = func([]byte) {}
				b.SetBytes(int64(len(block)))
				b.ReportAllocs()
				for b.Loop() {
					if !d.Next() {
						b.Fatal(d.Err())
					}
					if path == "Data" {
						_ = d.Data()
					} else {
						_ = d.Event()
					}
				}
			})
		}
	}
}
