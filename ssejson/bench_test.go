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

// BenchmarkDefaultCheckEvent measures the in-band error check on a
// typical chat chunk, which it must let pass (chunk), and on the rare
// OpenAI-style error chunk, which it decodes (error).
func BenchmarkDefaultCheckEvent(b *testing.B) {
	for _, bc := range []struct {
		name, typ, data string
		isErr           bool
	}{
		{"chunk", "message", `{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}]}`, false},
		{"error", "message", `{"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded","param":null}}`, true},
	} {
		b.Run("data="+bc.name, func(b *testing.B) {
			typ, data := []byte(bc.typ), []byte(bc.data)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := DefaultCheckEvent(typ, data); (err != nil) != bc.isErr {
					b.Fatal(err)
				}
			}
		})
	}
}
