package sse

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// The memory a Decoder uses is measured, not inferred from its code: the
// heap after a forced GC (what it keeps alive) and TotalAlloc (what it
// allocated on the way), while it reads streams made to cost it as much as
// they can.

// memSampler measures the heap live after a forced GC, relative to the
// heap before the decoder existed.
type memSampler struct {
	base, m runtime.MemStats
	peak    int64 // largest live heap sampled
	every   int64 // bytes read between samples
	unread  int64 // bytes read since the last sample
	samples int
}

func newMemSampler(every int64) *memSampler {
	s := &memSampler{every: every}
	runtime.GC()
	runtime.ReadMemStats(&s.base)
	return s
}

// live returns the heap live now, and records it in peak.
func (s *memSampler) live() int64 {
	runtime.GC()
	runtime.ReadMemStats(&s.m)
	n := int64(s.m.HeapAlloc) - int64(s.base.HeapAlloc)
	s.peak = max(s.peak, n)
	s.samples++
	return n
}

// allocated returns the bytes allocated since the sampler was made.
func (s *memSampler) allocated() int64 {
	runtime.ReadMemStats(&s.m)
	return int64(s.m.TotalAlloc - s.base.TotalAlloc)
}

// A seg is a pattern repeated up to n bytes (forever if n < 0).
type seg struct {
	pat string
	n   int64
	off int
}

// shapeReader produces a stream without holding it, from its segments in
// turn, and has a memSampler sample the heap every few reads. It fills all
// the room it is given, as a fast connection does.
type shapeReader struct {
	segs []seg
	s    *memSampler
}

func (r *shapeReader) Read(p []byte) (int, error) {
	if r.s != nil && r.s.unread >= r.s.every {
		r.s.unread = 0
		r.s.live()
	}
	n := 0
	for n < len(p) && len(r.segs) > 0 {
		sg := &r.segs[0]
		if sg.n == 0 {
			r.segs = r.segs[1:]
			continue
		}
		chunk := sg.pat[sg.off:]
		if sg.n > 0 && int64(len(chunk)) > sg.n {
			chunk = chunk[:sg.n]
		}
		k := copy(p[n:], chunk)
		n += k
		sg.off = (sg.off + k) % len(sg.pat)
		if sg.n > 0 {
			sg.n -= int64(k)
		}
	}
	if r.s != nil {
		r.s.unread += int64(n)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Patterns of hostile streams, each a few KiB so the reader copies little
// at a time.
var (
	fillX       = strings.Repeat("x", 4<<10)
	fillInvalid = strings.Repeat("\xFF", 4<<10)
	// 64-byte data lines, 57 bytes of value each.
	lines64        = strings.Repeat("data: "+strings.Repeat("x", 57)+"\n", 64)
	invalidLines64 = strings.Repeat("data: "+strings.Repeat("\xFF", 57)+"\n", 64)
	ordinary       = "id: 7\nevent: tick\ndata: {\"n\":1}\n\n"
	ordinaryNoID   = "data: {\"n\":1}\n\n"
)

// A memShape is a stream made to cost a decoder memory with a limit of
// MaxEventSize bytes: either one event of wantData bytes after it, or the
// limit's error.
type memShape struct {
	name     string
	segs     func(limit int64) []seg
	wantData func(limit int64) int // length of the one event's data; nil: the limit's error
	// longLines is how many lines of the stream are as long as the limit,
	// each of which may allocate twice the limit; 0 means 1.
	longLines int64
}

// memShapes are the shapes of issue 12: one huge line (in each field that
// keeps its value), many data lines without a blank line, and invalid
// UTF-8, both past the limit and just under it.
var memShapes = []memShape{
	{name: "data line without end", segs: func(l int64) []seg {
		return []seg{{pat: "data: ", n: 6}, {pat: fillX, n: 2 * l}}
	}},
	{name: "event line without end", segs: func(l int64) []seg {
		return []seg{{pat: "event: ", n: 7}, {pat: fillX, n: 2 * l}}
	}},
	{name: "id line without end", segs: func(l int64) []seg {
		return []seg{{pat: "id: ", n: 4}, {pat: fillX, n: 2 * l}}
	}},
	{name: "comment line without end", segs: func(l int64) []seg {
		return []seg{{pat: ":", n: 1}, {pat: fillX, n: 2 * l}}
	}},
	{name: "data lines without blank line", segs: func(l int64) []seg {
		return []seg{{pat: lines64, n: 2 * l}}
	}},
	{name: "invalid UTF-8 line just under the limit", segs: func(l int64) []seg {
		return []seg{{pat: "data: ", n: 6}, {pat: fillInvalid, n: l - 64}, {pat: "\n\n", n: 2}}
	}},
	{name: "invalid UTF-8 lines just under the limit", segs: func(l int64) []seg {
		return []seg{{pat: invalidLines64, n: (l/64 - 1) * 64}, {pat: "\n", n: 1}}
	}},
	{name: "data line just under the limit", segs: func(l int64) []seg {
		return []seg{{pat: "data: ", n: 6}, {pat: fillX, n: l - 64}, {pat: "\n\n", n: 2}}
	}, wantData: func(l int64) int { return int(l - 64) }},
	{name: "data lines just under the limit", segs: func(l int64) []seg {
		return []seg{{pat: lines64, n: (l/64 - 1) * 64}, {pat: "\n", n: 1}}
	}, wantData: func(l int64) int { return int(l/64-1)*58 - 1 }},
	{name: "event line just under the limit", segs: func(l int64) []seg {
		return []seg{{pat: "event: ", n: 7}, {pat: fillX, n: l - 64}, {pat: "\ndata: x\n\n", n: 10}}
	}, wantData: func(int64) int { return 1 }},
	{name: "id line just under the limit", segs: func(l int64) []seg {
		return []seg{{pat: "id: ", n: 4}, {pat: fillX, n: l - 64}, {pat: "\ndata: x\n\n", n: 10}}
	}, wantData: func(int64) int { return 1 }},
	{name: "comment line just under the limit", segs: func(l int64) []seg {
		return []seg{{pat: ":", n: 1}, {pat: fillX, n: l - 64}, {pat: "\n", n: 1}}
	}, wantData: func(int64) int { return len(`{"n":1}`) }},
	// A long comment's buffer is not held while the event after it grows.
	{name: "comment line then data line, each just under the limit", segs: func(l int64) []seg {
		return []seg{{pat: ":", n: 1}, {pat: fillX, n: l - 64}, {pat: "\ndata: ", n: 7}, {pat: fillX, n: l - 64}, {pat: "\n\n", n: 2}}
	}, wantData: func(l int64) int { return int(l - 64) }, longLines: 2},
	{name: "invalid UTF-8 event line just under the limit", segs: func(l int64) []seg {
		return []seg{{pat: "event: ", n: 7}, {pat: fillInvalid, n: l - 64}, {pat: "\ndata: x\n\n", n: 10}}
	}},
	{name: "invalid UTF-8 id line just under the limit", segs: func(l int64) []seg {
		return []seg{{pat: "id: ", n: 4}, {pat: fillInvalid, n: l - 64}, {pat: "\ndata: x\n\n", n: 10}}
	}},
	{name: "invalid UTF-8 line that fits once repaired", segs: func(l int64) []seg {
		return []seg{{pat: "data: ", n: 6}, {pat: fillInvalid, n: l/3 - 64}, {pat: "\n\n", n: 2}}
	}, wantData: func(l int64) int { return int(l/3-64) * len("\uFFFD") }},
}

// memLimits are the MaxEventSizes the shapes are read with. Short runs
// stand in 8 MiB for the default, which takes seconds with -race.
func memLimits() []int64 {
	// The bounds scale with the limit, and the tests are single-goroutine:
	// the race detector adds nothing to them but time (minutes at 64 MiB).
	// CI runs the full sizes in its run without -race.
	if testing.Short() || raceEnabled {
		return []int64{1 << 20, 8 << 20}
	}
	return []int64{1 << 20, DefaultMaxEventSize}
}

const (
	// keptAfterLarge is the most a decoder may keep once a large event or
	// the limit's error is behind it: its ordinary buffers.
	keptAfterLarge = 256 << 10
	// peakSlack is the live heap allowed past 1.25 times the limit: a read
	// buffer, and what the sampler measures that is not the decoder's.
	peakSlack = 64 << 10
)

// TestMemoryBound reads each shape with each limit and checks the bounds
// of issue 12: the heap live while reading stays within 1.25 times the
// limit plus 64 KiB; reading the one event or line allocates at most twice
// the limit; the limit bounds the event as delivered, after invalid UTF-8
// is replaced; and afterwards, or after Reset, the decoder keeps only its
// ordinary buffers and reads ordinary events without allocating.
func TestMemoryBound(t *testing.T) {
	for _, limit := range memLimits() {
		for _, sh := range memShapes {
			t.Run(fmt.Sprintf("%dMiB/%s", limit>>20, sh.name), func(t *testing.T) {
				s := newMemSampler(max(limit/32, 64<<10))
				r := &shapeReader{segs: append(sh.segs(limit), seg{pat: ordinary, n: -1}), s: s}
				d := NewDecoder(r)
				d.MaxEventSize = int(limit)
				d.OnComment = func([]byte) {}
				ok := d.Next()
				if ok {
					s.live() // at the event
				}
				alloc := s.allocated()
				switch {
				case sh.wantData == nil && (ok || !errors.Is(d.Err(), ErrEventTooLarge)):
					t.Errorf("Next() = %v, Err() = %v; want false, ErrEventTooLarge", ok, d.Err())
				case sh.wantData != nil && !ok:
					t.Errorf("Next() = false, Err() = %v; want an event", d.Err())
				case sh.wantData != nil:
					if got, want := len(d.Data()), sh.wantData(limit); got != want || !utf8.Valid(d.Data()) {
						t.Errorf("data of %d bytes (valid UTF-8: %v), want %d", got, utf8.Valid(d.Data()), want)
					}
				}
				if len(d.Data())+len(d.Type()) > int(limit) {
					t.Errorf("event of %d bytes delivered under a limit of %d", len(d.Data())+len(d.Type()), limit)
				}
				if max := limit + limit/4 + peakSlack; s.peak > max {
					t.Errorf("live heap reached %.2f times the limit (%d bytes in %d samples), want at most %d",
						float64(s.peak)/float64(limit), s.peak, s.samples, max)
				}
				if lines := max(sh.longLines, 1); alloc > 2*limit*lines {
					t.Errorf("allocated %.2f times the limit (%d bytes) for %d long lines, want at most twice per line",
						float64(alloc)/float64(limit), alloc, lines)
				}
				peak := s.peak

				// The decoder gives back what the large event or line took:
				// at the next event, or at once after the limit's error.
				if ok && (!d.Next() || string(d.Data()) != `{"n":1}`) {
					t.Fatalf("after the large event: Next %v, Data %q, Err %v", ok, d.Data(), d.Err())
				}
				after := s.live()
				if after > keptAfterLarge {
					t.Errorf("after it the decoder keeps %d bytes, want at most %d", after, keptAfterLarge)
				}
				if ok {
					checkNoAllocs(t, d)
				}
				d.Reset(&shapeReader{segs: []seg{{pat: ordinary, n: -1}}})
				if n := s.live(); n > keptAfterLarge {
					t.Errorf("after Reset the decoder keeps %d bytes, want at most %d", n, keptAfterLarge)
				}
				checkNoAllocs(t, d)
				runtime.KeepAlive(d)
				t.Logf("limit %d MiB: peak live %.2fx limit, allocated %.2fx limit, kept after %d KiB",
					limit>>20, float64(peak)/float64(limit), float64(alloc)/float64(limit), after>>10)
			})
		}
	}
}

// checkNoAllocs checks that d, reading an endless stream of ordinary
// events, allocates nothing per event.
func checkNoAllocs(t *testing.T, d *Decoder) {
	t.Helper()
	next := func() {
		if !d.Next() {
			t.Fatalf("Next() = false, Err() = %v", d.Err())
		}
		_, _, _ = d.Type(), d.Data(), d.ID()
	}
	for range 10 {
		next()
	}
	if n := testing.AllocsPerRun(100, next); n != 0 {
		t.Errorf("%v allocations per ordinary event, want 0", n)
	}
}

// Reset gives back the memory a large event took, though the event is
// still the current one and Next was not called again: a Stream resets its
// decoder to reconnect.
func TestResetDropsLargeBuffers(t *testing.T) {
	const size = 1 << 20
	s := newMemSampler(size)
	d := NewDecoder(&shapeReader{segs: []seg{
		{pat: ": ", n: 2}, {pat: fillX, n: size}, // a long comment
		{pat: "\nevent: ", n: 8}, {pat: fillX, n: size},
		{pat: "\nid: ", n: 5}, {pat: fillInvalid, n: size / 4},
		{pat: "\ndata: ", n: 7}, {pat: fillInvalid, n: size / 4},
		{pat: "\ndata: ", n: 7}, {pat: fillX, n: size},
		{pat: "\n\n", n: 2},
	}})
	d.OnComment = func([]byte) {}
	if !d.Next() {
		t.Fatalf("Next() = false, Err() = %v", d.Err())
	}
	if n := s.live(); n < 3*size {
		t.Fatalf("the large event holds %d bytes: the stream is not what the test means", n)
	}
	d.Reset(&shapeReader{segs: []seg{{pat: ordinary, n: -1}}})
	if n := s.live(); n > keptAfterLarge {
		t.Errorf("after Reset the decoder keeps %d bytes, want at most %d", n, keptAfterLarge)
	}
	checkNoAllocs(t, d)
	runtime.KeepAlive(d)
}

// The last event ID lasts until the server sends another, so a long one
// must hold about its own length, not the capacity a buffer grew to while
// its line was read (which jumps to the limit past half of it).
func TestLongIDHoldsItsLength(t *testing.T) {
	const limit = 1 << 20
	const idLen = limit / 3
	s := newMemSampler(limit)
	d := NewDecoder(&shapeReader{segs: []seg{
		{pat: "id: ", n: 4}, {pat: fillX, n: idLen}, {pat: "\ndata: x\n\n", n: 10},
		{pat: ordinaryNoID, n: -1},
	}})
	d.MaxEventSize = limit
	for range 2 {
		if !d.Next() {
			t.Fatalf("Next() = false, Err() = %v", d.Err())
		}
	}
	if len(d.ID()) != idLen {
		t.Fatalf("ID of %d bytes, want %d", len(d.ID()), idLen)
	}
	if n, max := s.live(), int64(idLen+idLen/4+peakSlack); n > max {
		t.Errorf("a %d-byte ID keeps %d bytes alive, want at most %d", idLen, n, max)
	}
	runtime.KeepAlive(d)
}

// A kept Type or ID holds only its own bytes, not the data of the event
// that introduced it: eleven 1-byte IDs and types of 3 MiB events held 33
// MiB when Event put all three strings in one allocation.
func TestKeptTypeAndIDHoldOnlyTheirBytes(t *testing.T) {
	const events, size = 11, 3 << 20
	var segs []seg
	for i := range events {
		c := string(rune('a' + i))
		head := "event: " + c + "\nid: " + c + "\ndata: "
		segs = append(segs, seg{pat: head, n: int64(len(head))}, seg{pat: fillX, n: size}, seg{pat: "\n\n", n: 2})
	}
	s := newMemSampler(size)
	d := NewDecoder(&shapeReader{segs: segs})
	var kept []string
	for d.Next() {
		e := d.Event()
		if len(e.Data) != size {
			t.Fatalf("data of %d bytes, want %d", len(e.Data), size)
		}
		kept = append(kept, e.Type, e.ID)
	}
	if d.Err() != nil || len(kept) != 2*events {
		t.Fatalf("%d events, Err() = %v", len(kept)/2, d.Err())
	}
	d = nil
	if n := s.live(); n > 64<<10 {
		t.Errorf("%d kept 1-byte types and IDs hold %d bytes, want at most %d", len(kept), n, 64<<10)
	}
	runtime.KeepAlive(kept)
}
