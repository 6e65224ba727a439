package bench

import (
	"fmt"
	"io"
	"testing"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/packages/ssestream"
	"github.com/ssekit/sse"
)

// chatChunk is the part of a chat.completion.chunk most programs read.
type chatChunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
}

// jsonReader is a typed stream of chat chunks, as a program reads it.
type jsonReader interface {
	Next() bool
	Err() error
}

// A jsonPeer opens a typed stream of chat chunks over a reader.
type jsonPeer struct {
	name string
	open func(r io.Reader) jsonReader
}

// jsonPeers decode the chat corpus into T: this package's JSON[T] over a
// Decoder, and openai-go's ssestream.Stream[T] over its decoder, as the
// SDK reads a chat completion stream.
func jsonPeers[T any]() []jsonPeer {
	return []jsonPeer{
		{"ssekit", func(r io.Reader) jsonReader { return sse.NewJSON[T](sse.NewDecoder(r)) }},
		{"openai-go", func(r io.Reader) jsonReader {
			return ssestream.NewStream[T](ssestream.NewDecoder(streamResponse(nil, r)), nil)
		}},
	}
}

// BenchmarkJSONChat measures decoded chunks per second on a long chat
// completion stream: the whole path from bytes to a Go value, for a small
// struct of the fields programs use and for the SDK's own chunk type.
func BenchmarkJSONChat(b *testing.B) {
	c := CorpusByName("chat")
	chunks := Reference(c).Events - 1 // all but [DONE]
	for _, m := range []ReadMode{read4K, readTiny} {
		b.Run(fmt.Sprintf("type=chunk/read=%s", m.Name), func(b *testing.B) {
			benchJSON(b, c.Data(), m, chunks, jsonPeers[chatChunk]())
		})
		b.Run(fmt.Sprintf("type=openai.ChatCompletionChunk/read=%s", m.Name), func(b *testing.B) {
			benchJSON(b, c.Data(), m, chunks, jsonPeers[openai.ChatCompletionChunk]())
		})
	}
}

func benchJSON(b *testing.B, data []byte, m ReadMode, chunks int, peers []jsonPeer) {
	for _, p := range peers {
		b.Run("peer="+p.name, func(b *testing.B) {
			measure(b, data, m, chunks, "chunk", func(r io.Reader) error {
				s := p.open(r)
				n := 0
				for s.Next() {
					n++
				}
				if err := s.Err(); err != nil {
					return err
				}
				if n != chunks {
					return fmt.Errorf("%d chunks, want %d", n, chunks)
				}
				return nil
			})
			b.ReportMetric(float64(b.N)*float64(chunks)/b.Elapsed().Seconds(), "chunks/s")
		})
	}
}
