// Package bench compares github.com/ssekit/sse with other Go
// text/event-stream parsers, and with the physical bounds of reading a
// stream, on the same deterministic corpora.
package bench

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
)

// A Corpus is one event stream, generated in memory.
type Corpus struct {
	Name string
	// Reads are the read patterns the corpus is benchmarked with.
	Reads []ReadMode
	gen   func() []byte

	once sync.Once
	data []byte
}

// Data returns the stream, generating it on first use.
func (c *Corpus) Data() []byte {
	c.once.Do(func() { c.data = c.gen() })
	return c.data
}

// A ReadMode says how many bytes each Read of the stream returns.
type ReadMode struct {
	Name string
	// Fixed, if non-zero, is the size of every read. Otherwise the sizes
	// are drawn, seeded, from 1 to 17 bytes.
	Fixed int
}

var (
	read4K   = ReadMode{Name: "4k", Fixed: 4 << 10}
	readTiny = ReadMode{Name: "tiny"}
	read16K  = ReadMode{Name: "16k", Fixed: 16 << 10}
	read512  = ReadMode{Name: "512", Fixed: 512}
)

// tinySizes is the seeded cycle of read sizes of the "tiny" read mode,
// drawn once so that drawing them costs nothing during a benchmark.
var tinySizes = func() []int {
	rng := rand.New(rand.NewPCG(1, 2))
	s := make([]int, 4099)
	for i := range s {
		s[i] = 1 + rng.IntN(17)
	}
	return s
}()

// ChunkReader returns at most a given number of bytes per Read. It has no
// WriteTo method, so io.Copy cannot bypass those reads.
type ChunkReader struct {
	data  []byte
	pos   int
	fixed int
	next  int
}

// NewReader returns a reader of data in mode's read sizes.
func NewReader(data []byte, mode ReadMode) *ChunkReader {
	r := &ChunkReader{}
	r.Reset(data, mode)
	return r
}

// Reset makes r read data from its start again.
func (r *ChunkReader) Reset(data []byte, mode ReadMode) {
	*r = ChunkReader{data: data, fixed: mode.Fixed}
}

func (r *ChunkReader) Read(p []byte) (int, error) {
	if r.pos >= len(r.data) {
		return 0, io.EOF
	}
	n := r.fixed
	if n == 0 {
		n = tinySizes[r.next]
		r.next++
		if r.next == len(tinySizes) {
			r.next = 0
		}
	}
	n = min(n, len(p), len(r.data)-r.pos)
	copy(p, r.data[r.pos:r.pos+n])
	r.pos += n
	return n, nil
}

// corpusTarget is about how large each generated corpus is, except the one
// huge event.
const corpusTarget = 1 << 20

// Corpora are the benchmarked streams.
var Corpora = []*Corpus{
	{Name: "chat", gen: genChat},
	{Name: "tiny", gen: genTiny},
	{Name: "line64k", gen: genLine64K},
	{Name: "lines100", gen: func() []byte { return genLines100("\n") }},
	{Name: "lines100-crlf", gen: func() []byte { return genLines100("\r\n") }},
	{Name: "lines100-cr", gen: func() []byte { return genLines100("\r") }},
	{Name: "keepalive", gen: genKeepAlive},
	{Name: "event32m", gen: genEvent32M, Reads: []ReadMode{read16K, read512}},
}

func init() {
	for _, c := range Corpora {
		if c.Reads == nil {
			c.Reads = []ReadMode{read4K, readTiny}
		}
	}
}

// CorpusByName returns the named corpus, or nil.
func CorpusByName(name string) *Corpus {
	for _, c := range Corpora {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var words = strings.Fields(`the of and to in is you that it he was for on are as
with his they I at be this have from or one had by word but not what all were we
when your can said there use an each which she do how their if will up other
about out many then them these so some her would make like him into time has look
two more write go see number no way could people my than first water been call
who oil its now find long down day did get come made may part é naïve café 東京
"quoted" back\slash new
line`)

// genChat makes an OpenAI-style chat completion stream: one "data: {json}"
// chunk of about 200 bytes per event, ending with "data: [DONE]".
func genChat() []byte {
	rng := rand.New(rand.NewPCG(3, 4))
	var b bytes.Buffer
	for i := 0; b.Len() < corpusTarget; i++ {
		w := words[rng.IntN(len(words))]
		content := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(" " + w)
		fmt.Fprintf(&b, `data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"content":"%s"},"logprobs":null,"finish_reason":null}]}`+"\n\n", content)
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// genTiny makes small events that each carry an id and, mostly, a type.
func genTiny() []byte {
	types := []string{"tick", "update", "", "presence"}
	var b bytes.Buffer
	for i := 0; b.Len() < corpusTarget; i++ {
		fmt.Fprintf(&b, "id: %d\n", 1000+i)
		if t := types[i%len(types)]; t != "" {
			fmt.Fprintf(&b, "event: %s\n", t)
		}
		fmt.Fprintf(&b, "data: %d\n\n", i*7)
	}
	return b.Bytes()
}

// genLine64K makes events whose one data line is 64 KiB long.
func genLine64K() []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	line := make([]byte, 64<<10)
	var b bytes.Buffer
	for b.Len() < corpusTarget {
		b.WriteString("data: ")
		for i := range line {
			line[i] = 'a' + byte(rng.IntN(26))
		}
		b.Write(line[:len(line)-len("data: ")])
		b.WriteString("\n\n")
	}
	return b.Bytes()
}

// genLines100 makes events of 100 data lines each, with the given line
// ending.
func genLines100(eol string) []byte {
	rng := rand.New(rand.NewPCG(7, 8))
	var b bytes.Buffer
	for b.Len() < corpusTarget {
		b.WriteString("event: batch" + eol)
		for range 100 {
			b.WriteString("data:")
			for range 4 + rng.IntN(8) {
				b.WriteString(" ")
				b.WriteString(strings.ReplaceAll(words[rng.IntN(len(words))], "\n", ""))
			}
			b.WriteString(eol)
		}
		b.WriteString(eol)
	}
	return b.Bytes()
}

// genKeepAlive makes a stream where most blocks are comments sent as
// keep-alives, with an event now and then.
func genKeepAlive() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < corpusTarget; i++ {
		if i%10 == 9 {
			fmt.Fprintf(&b, "event: status\ndata: {\"n\":%d}\n\n", i)
			continue
		}
		if i%2 == 0 {
			b.WriteString(": keep-alive\n\n")
		} else {
			b.WriteString(":\n\n")
		}
	}
	return b.Bytes()
}

// genEvent32M makes one event of 32 MiB of data on one line.
func genEvent32M() []byte {
	const size = 32 << 20
	b := make([]byte, 0, size+16)
	b = append(b, "data: "...)
	chunk := []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/")
	for len(b) < size+len("data: ") {
		b = append(b, chunk...)
	}
	return append(b, "\n\n"...)
}
