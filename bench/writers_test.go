package bench

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ssekit/sse"
)

// TestWriters checks that every writer and server writes WriterEvents so
// that this package's Decoder reads them back, before they are timed.
func TestWriters(t *testing.T) {
	check := func(t *testing.T, stream string) {
		t.Helper()
		var got []sse.Event
		for ev, err := range sse.Events(strings.NewReader(stream)) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ev)
		}
		if diff := cmp.Diff(WriterEvents, got); diff != "" {
			t.Errorf("decoded (-want +got):\n%s\nfrom %q", diff, stream)
		}
	}
	for _, w := range Writers {
		t.Run("writer="+w.Name, func(t *testing.T) {
			sink := NewSink()
			sink.Keep = new(strings.Builder)
			write := w.Write(sink)
			for _, ev := range WriterEvents {
				if err := write(ev); err != nil {
					t.Fatal(err)
				}
			}
			check(t, sink.Keep.String())
		})
	}
	for _, s := range Servers {
		t.Run("server="+s.Name, func(t *testing.T) {
			sink := NewSink()
			sink.Keep = new(strings.Builder)
			publish, stop := s.Start(sink)
			for _, ev := range WriterEvents {
				publish(ev)
			}
			<-sink.AwaitFlushes(1 + len(WriterEvents))
			stop()
			check(t, sink.Keep.String())
		})
	}
}
