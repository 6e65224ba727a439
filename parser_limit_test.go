package sse

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// Tests of MaxEventSize: the limit's error and the default limit.

// repeatReader yields prefix, then fill bytes until n bytes in all.
type repeatReader struct {
	prefix []byte
	fill   byte
	n      int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n)]
	k := copy(p, r.prefix)
	r.prefix = r.prefix[k:]
	for i := k; i < len(p); i++ {
		p[i] = r.fill
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// A 1 GiB line with no line ending must fail at the default limit, having
// read and held no more than about the limit.
func TestHugeLineFailsAtDefaultLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 64 MiB")
	}
	for _, tc := range []struct {
		name      string
		prefix    string
		comments  bool
		maxAlloc  uint64 // bytes allocated in all
		wantCount int
	}{
		{name: "data", prefix: "data: ", maxAlloc: 2*DefaultMaxEventSize + 4<<20},
		{name: "event", prefix: "event: ", maxAlloc: 2*DefaultMaxEventSize + 4<<20},
		{name: "comment", prefix: ":", comments: true, maxAlloc: 2*DefaultMaxEventSize + 4<<20},
		{name: "ignored comment", prefix: ":", maxAlloc: 1 << 20},
		{name: "unknown field", prefix: "x", maxAlloc: 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &repeatReader{prefix: []byte(tc.prefix), fill: 'x', n: 1 << 30}
			d := NewDecoder(r)
			if tc.comments {
				d.OnComment = func([]byte) { t.Error("OnComment called") }
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			if d.Next() {
				t.Fatal("Next() = true")
			}
			runtime.ReadMemStats(&after)
			if !errors.Is(d.Err(), ErrEventTooLarge) {
				t.Fatalf("Err() = %v, want ErrEventTooLarge", d.Err())
			}
			read := 1<<30 - r.n
			if read > DefaultMaxEventSize+maxBufSize {
				t.Errorf("read %d bytes before failing, want about %d", read, DefaultMaxEventSize)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > tc.maxAlloc {
				t.Errorf("allocated %d bytes, want at most %d", alloc, tc.maxAlloc)
			}
			t.Logf("read %d MiB, allocated %d MiB", read>>20, (after.TotalAlloc-before.TotalAlloc)>>20)
		})
	}
}

// The limit bounds memory with a small MaxEventSize too: a long line costs
// no more than the limit and the read buffer.
func TestLimitBoundsMemory(t *testing.T) {
	const limit = 100 << 10
	for _, prefix := range []string{"data: ", "event: ", "id: ", "retry: ", ":"} {
		r := &repeatReader{prefix: []byte(prefix), fill: '1', n: 64 << 20}
		d := NewDecoder(r)
		d.MaxEventSize = limit
		d.OnComment = func([]byte) {}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if d.Next() {
			t.Fatal("Next() = true")
		}
		runtime.ReadMemStats(&after)
		if !errors.Is(d.Err(), ErrEventTooLarge) {
			t.Errorf("%q: Err() = %v, want ErrEventTooLarge", prefix, d.Err())
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*limit {
			t.Errorf("%q: allocated %d bytes for a %d-byte limit", prefix, alloc, limit)
		}
	}
}

func TestErrEventTooLargeIsWrapped(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: 0123456789\n\n"))
	d.MaxEventSize = 8
	if d.Next() {
		t.Fatal("Next() = true")
	}
	err := d.Err()
	if !errors.Is(err, ErrEventTooLarge) || err == ErrEventTooLarge {
		t.Fatalf("Err() = %v, want an error wrapping ErrEventTooLarge", err)
	}
	var got []error
	for _, err := range Events(io.MultiReader(strings.NewReader("data: a\n\n: "), &repeatReader{fill: 'x', n: DefaultMaxEventSize + 1})) {
		got = append(got, err)
	}
	if len(got) != 2 || got[0] != nil || !errors.Is(got[1], ErrEventTooLarge) {
		t.Fatalf("Events yielded errors %v, want [nil, ErrEventTooLarge]", got)
	}
}
