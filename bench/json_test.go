package bench

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/bytedance/sonic"
	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/ssekit/sse"
	"github.com/ssekit/sse/ssejson"
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

// A jsonDecoder is an Unmarshal function for ssejson.Stream, as a user
// plugs it in; nil is the default, encoding/json.
type jsonDecoder struct {
	name      string
	unmarshal func(data []byte, v any) error
}

// jsonDecoders are the decoders measured with ssejson: the default, and
// sonic, plugged in with one line (ssejson's doc). Builds that have more
// add them in init: encoding/json/v2 with GOEXPERIMENT=jsonv2
// (json_v2_test.go).
var jsonDecoders = []jsonDecoder{
	{"ssekit", nil},
	{"ssekit-sonic", sonic.Unmarshal},
	{"ssekit-sonic-cs", sonicCaseSensitive.Unmarshal},
}

// sonicCaseSensitive matches object keys to field names exactly, as
// encoding/json/v2 does by default (encoding/json and sonic.Unmarshal also
// try a case-insensitive match of every key no field has).
var sonicCaseSensitive = sonic.Config{CaseSensitive: true}.Froze()

// A jsonPeer reads a chat stream as typed values, calling each, if not
// nil, with every value.
type jsonPeer[T any] struct {
	name string
	run  func(r io.Reader, each func(*T)) error
}

// jsonPeers decode the chat corpus into T: ssejson.Stream[T] over an
// sse.Decoder with each decoder, and openai-go v3's ssestream.Stream[T]
// over its decoder, as the SDK reads a chat completion stream.
func jsonPeers[T any]() []jsonPeer[T] {
	var peers []jsonPeer[T]
	for _, d := range jsonDecoders {
		peers = append(peers, jsonPeer[T]{d.name, func(r io.Reader, each func(*T)) error {
			s := ssejson.New[T](sse.NewDecoder(r))
			s.Unmarshal = d.unmarshal
			for s.Next() {
				if each != nil {
					v := s.Current()
					each(&v)
				}
			}
			return s.Err()
		}})
	}
	peers = append(peers, jsonPeer[T]{"openai-go", func(r io.Reader, each func(*T)) error {
		s := ssestream.NewStream[T](ssestream.NewDecoder(streamResponse(nil, r)), nil)
		for s.Next() {
			if each != nil {
				v := s.Current()
				each(&v)
			}
		}
		return s.Err()
	}})
	return peers
}

// TestJSONPeers checks that every peer decodes the chat corpus to the same
// values, in every read mode, before they are timed. The texts are kept
// until the end, so a decoder that kept slices of a buffer that the stream
// reuses would be caught.
func TestJSONPeers(t *testing.T) {
	c := CorpusByName("chat")
	want := Reference(c).Events - 1 // all but [DONE]
	for _, m := range c.Reads {
		checkJSONPeers(t, c.Data(), m, want, jsonPeers[chatChunk](), func(v *chatChunk) string { return v.Choices[0].Delta.Content })
		checkJSONPeers(t, c.Data(), m, want, jsonPeers[openai.ChatCompletionChunk](), func(v *openai.ChatCompletionChunk) string { return v.Choices[0].Delta.Content })
	}
}

func checkJSONPeers[T any](t *testing.T, data []byte, m ReadMode, chunks int, peers []jsonPeer[T], text func(*T) string) {
	t.Helper()
	var ref []string
	for i, p := range peers {
		var got []string
		if err := p.run(NewReader(data, m), func(v *T) { got = append(got, text(v)) }); err != nil {
			t.Errorf("%s/%T/%s: %v", p.name, *new(T), m.Name, err)
			continue
		}
		if len(got) != chunks {
			t.Errorf("%s/%T/%s: %d chunks, want %d", p.name, *new(T), m.Name, len(got), chunks)
		}
		if i == 0 {
			ref = got
			if !strings.HasPrefix(got[0], " ") {
				t.Errorf("%s: first text %q, want a word", p.name, got[0])
			}
			continue
		}
		if diff := cmp.Diff(ref, got); diff != "" {
			t.Errorf("%s/%T/%s: texts differ from %s's (-%s +%s):\n%s", p.name, *new(T), m.Name, peers[0].name, peers[0].name, p.name, diff)
		}
	}
}

// BenchmarkJSONChat measures decoded chunks per second on a long chat
// completion stream: the whole path from bytes to a Go value, for a small
// struct of the fields programs use and for the SDK's own chunk type.
func BenchmarkJSONChat(b *testing.B) {
	c := CorpusByName("chat")
	chunks := Reference(c).Events - 1 // all but [DONE]
	for _, m := range c.Reads {
		b.Run(fmt.Sprintf("type=chunk/read=%s", m.Name), func(b *testing.B) {
			benchJSON(b, c.Data(), m, chunks, jsonPeers[chatChunk]())
		})
		b.Run(fmt.Sprintf("type=openai.ChatCompletionChunk/read=%s", m.Name), func(b *testing.B) {
			benchJSON(b, c.Data(), m, chunks, jsonPeers[openai.ChatCompletionChunk]())
		})
	}
}

func benchJSON[T any](b *testing.B, data []byte, m ReadMode, chunks int, peers []jsonPeer[T]) {
	for _, p := range peers {
		b.Run("peer="+p.name, func(b *testing.B) {
			measure(b, data, m, chunks, "chunk", func(r io.Reader) error {
				n := 0
				err := p.run(r, func(*T) { n++ })
				if err != nil {
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
