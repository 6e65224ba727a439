package bench

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkDecode reads every corpus, in each of its read modes, with every
// peer. A peer that reads a corpus wrong, fails or is too slow is skipped
// there, with the reason; TestPeers tabulates those.
func BenchmarkDecode(b *testing.B) {
	for _, c := range Corpora {
		for _, m := range c.Reads {
			for i := range Peers {
				p := &Peers[i]
				name := fmt.Sprintf("corpus=%s/read=%s/peer=%s", c.Name, m.Name, p.Name)
				b.Run(name, func(b *testing.B) { benchPeer(b, c, m, p) })
			}
		}
	}
}

func benchPeer(b *testing.B, c *Corpus, m ReadMode, p *Peer) {
	if v := Check(c, m, p); v.Status != OK {
		b.Skipf("%s: %s", v.Status, v.Detail)
	}
	events := Reference(c).Events
	var v Visitor
	measure(b, c.Data(), m, events, "event", func(r io.Reader) error {
		v = Visitor{}
		return p.Run(r, &v)
	})
	if !p.Bound && v.Events != events {
		b.Fatalf("%d events, want %d", v.Events, events)
	}
}

// measure runs read over data, read in mode m, b.N times, and reports per
// item (an event, a chunk): wall time as ns/<unit>, process CPU time as
// cpu-ns/<unit>, and allocs/<unit> and B/<unit>.
func measure(b *testing.B, data []byte, m ReadMode, items int, unit string, read func(io.Reader) error) {
	r := NewReader(data, m)
	b.SetBytes(int64(len(data)))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := CPUTime()
	b.ResetTimer()
	for range b.N {
		r.Reset(data, m)
		if err := read(r); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu1 := CPUTime()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(items)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/"+unit)
	if cpu1 > cpu0 {
		b.ReportMetric(float64(cpu1-cpu0)/n, "cpu-ns/"+unit)
	}
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/"+unit)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/"+unit)
}

// TestCorpora checks that this package's parser finds the events each
// corpus was made with, in every read mode.
func TestCorpora(t *testing.T) {
	want := map[string]int{
		"chat":          bytes.Count(CorpusByName("chat").Data(), []byte("data: ")),
		"tiny":          bytes.Count(CorpusByName("tiny").Data(), []byte("data: ")),
		"line64k":       bytes.Count(CorpusByName("line64k").Data(), []byte("data: ")),
		"lines100":      bytes.Count(CorpusByName("lines100").Data(), []byte("event: batch")),
		"lines100-crlf": bytes.Count(CorpusByName("lines100-crlf").Data(), []byte("event: batch")),
		"lines100-cr":   bytes.Count(CorpusByName("lines100-cr").Data(), []byte("event: batch")),
		"keepalive":     bytes.Count(CorpusByName("keepalive").Data(), []byte("event: status")),
		"event32m":      1,
	}
	for _, c := range Corpora {
		if got := Reference(c).Events; got != want[c.Name] {
			t.Errorf("%s: reference found %d events, want %d", c.Name, got, want[c.Name])
		}
		for _, m := range c.Reads {
			for _, name := range []string{"ssekit-data", "ssekit-event"} {
				if v := Check(c, m, PeerByName(name)); v.Status != OK {
					t.Errorf("%s/%s/%s: %s: %s", c.Name, m.Name, name, v.Status, v.Detail)
				}
			}
		}
	}
}

// TestPeers checks every peer against this package's parser on every
// corpus and logs which get which corpus wrong. It does not fail on a
// peer's mistakes: they are findings, reported in the README.
func TestPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	var sb strings.Builder
	sb.WriteString("\n| corpus | reads | peer | events | verdict |\n|---|---|---|---|---|\n")
	for _, c := range Corpora {
		want := Reference(c).Events
		for _, m := range c.Reads {
			for i := range Peers {
				p := &Peers[i]
				if p.Bound {
					continue
				}
				v := Check(c, m, p)
				if v.Status == OK {
					continue
				}
				fmt.Fprintf(&sb, "| %s | %s | %s | %d of %d | %s: %s |\n", c.Name, m.Name, p.Name, v.Events, want, v.Status, strings.ReplaceAll(v.Detail, "|", `\|`))
			}
		}
	}
	t.Log(sb.String())
}
