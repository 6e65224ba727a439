package sse

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
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

// TestBenchAllocsPerEvent checks the allocation promises the benchmarks
// report: none per event on the Data path once a Decoder is warm, at most
// one per event on the Event path.
func TestBenchAllocsPerEvent(t *testing.T) {
	stream := allocStream()
	r := bytes.NewReader(stream)
	d := NewDecoder(r)
	events := 0
	readAll := func(useEvent bool) {
		r.Reset(stream)
		d.Reset(r)
		events = 0
		for d.Next() {
			if useEvent {
				_ = d.Event()
			} else {
				_ = d.Data()
			}
			events++
		}
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
	}
	readAll(false) // warm the buffers
	if a := testing.AllocsPerRun(5, func() { readAll(false) }); a != 0 {
		t.Errorf("Data path: %v allocations per stream of %d events, want 0", a, events)
	}
	if a := testing.AllocsPerRun(5, func() { readAll(true) }); a > float64(events) {
		t.Errorf("Event path: %v allocations per stream of %d events, want at most one per event", a, events)
	}
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

// TestValidUTF8 checks that validUTF8, which the parser uses for joined
// data lines, agrees with utf8.Valid.
func TestValidUTF8(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	pieces := []string{"a", " ", "é", "東", "𝄞", "\uFFFD", "\xff", "\x80", "\xc0\xaf", "\xe2\x82",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf0\x9d\x84"}
	for range 200000 {
		var b []byte
		for range rng.IntN(40) {
			if rng.IntN(3) == 0 {
				b = append(b, pieces[rng.IntN(len(pieces))]...)
			} else {
				b = append(b, strings.Repeat("x", rng.IntN(40))...)
			}
		}
		if got, want := validUTF8(b), utf8.Valid(b); got != want {
			t.Fatalf("validUTF8(%q) = %v, want %v", b, got, want)
		}
	}
}

// A reader that fills all the room it is given (a fast connection) earns a
// larger buffer, and fewer read calls; one that returns little at a time
// (an idle or slow stream) keeps the small one.
func TestBufferGrowsOnlyForFastReaders(t *testing.T) {
	in := strings.Repeat("data: "+strings.Repeat("x", 90)+"\n\n", 5000)
	fast := NewDecoder(strings.NewReader(in))
	for fast.Next() {
	}
	if len(fast.buf) != fastBufSize {
		t.Errorf("fast reader: buffer %d bytes, want %d", len(fast.buf), fastBufSize)
	}
	slow := NewDecoder(iotest.HalfReader(&chunkReader{s: in, n: 100}))
	for slow.Next() {
	}
	if len(slow.buf) != minBufSize {
		t.Errorf("slow reader: buffer %d bytes, want %d", len(slow.buf), minBufSize)
	}
}

// chunkReader returns at most n bytes of s per Read.
type chunkReader struct {
	s string
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.s)
	r.s = r.s[n:]
	return n, nil
}
