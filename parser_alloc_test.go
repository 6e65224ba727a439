package sse

import (
	"bytes"
	"testing"
	"time"
)

// Tests that the decoder allocates nothing per event.

// cycleReader repeats a stream forever.
type cycleReader struct {
	data []byte
	off  int
}

func (r *cycleReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.data[r.off:])
		n += k
		r.off = (r.off + k) % len(r.data)
	}
	return n, nil
}

func TestAllocations(t *testing.T) {
	streams := map[string]string{
		"plain":              "data: hello\n\n",
		"multi-line":         "data: a\ndata: b\n\n",
		"changing ids":       "id: 1\ndata: a\n\nid: 2\ndata: b\n\n",
		"changing types":     "event: x\nid: 1\ndata: a\n\nevent: y\nid: 2\ndata: b\n\n",
		"same type":          "event: tick\ndata: a\n\n",
		"comments and retry": ": ping\nretry: 10\ndata: a\n\n",
		"invalid UTF-8":      "event: \xFFx\nid: \xFE\ndata: \xE2\x82\n\nevent: y\xFF\ndata: b\xC0\n\n",
		"CRLF":               "data: a\r\ndata: b\r\n\r\n",
		"empty data":         "data\n\n",
	}
	for name, s := range streams {
		t.Run(name, func(t *testing.T) {
			d := NewDecoder(&cycleReader{data: []byte(s)})
			d.OnComment = func([]byte) {}
			d.OnRetryField = func(time.Duration) {}
			for range 100 { // warm up buffers
				d.Next()
				d.Event()
			}
			if n := testing.AllocsPerRun(1000, func() {
				if !d.Next() {
					t.Fatal(d.Err())
				}
				d.Event()
			}); n > 1 {
				t.Errorf("Next+Event: %v allocations per event, want at most 1", n)
			}
			if n := testing.AllocsPerRun(1000, func() {
				if !d.Next() {
					t.Fatal(d.Err())
				}
				_, _, _ = d.Type(), d.Data(), d.ID()
			}); n != 0 {
				t.Errorf("Next+Data: %v allocations per event, want 0", n)
			}
		})
	}
}

// A reused Decoder allocates nothing for a new stream once its buffers
// have grown.
func TestResetDoesNotAllocate(t *testing.T) {
	stream := []byte("id: 1\nevent: e\ndata: a\ndata: b\n\n: c\nretry: 1\ndata: " + long70k + "\n\n")
	br := bytes.NewReader(stream)
	d := NewDecoder(br)
	d.OnComment = func([]byte) {}
	run := func() {
		br.Reset(stream)
		d.Reset(br)
		n := 0
		for d.Next() {
			_ = d.Data()
			n++
		}
		if n != 2 || d.Err() != nil {
			t.Fatalf("%d events, Err %v", n, d.Err())
		}
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Errorf("%v allocations per reused stream, want 0", n)
	}
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
