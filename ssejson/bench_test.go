package ssejson

import (
	"strings"
	"testing"

	"github.com/ssekit/sse"
)

func BenchmarkStream(b *testing.B) {
	var sb strings.Builder
	const n = 1000
	for i := range n {
		sb.WriteString(`data: {"id":"chatcmpl-x","object":"chat.completion.chunk","created":1763700000,"model":"gpt-fake",` +
			`"choices":[{"index":0,"delta":{"content":"tok` + string(rune('a'+i%26)) + `"},"finish_reason":null}]}` + "\n\n")
	}
	sb.WriteString("data: [DONE]\n\n")
	in := sb.String()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	r := strings.NewReader(in)
	dec := sse.NewDecoder(r)
	for b.Loop() {
		r.Reset(in)
		dec.Reset(r)
		j := New[chunk](dec)
		count := 0
		for j.Next() {
			count++
		}
		if count != n || j.Err() != nil {
			b.Fatal(count, j.Err())
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "chunks/s")
}
