// Package sse reads and writes Server-Sent Events (text/event-stream), as
// the WHATWG HTML standard defines them:
// https://html.spec.whatwg.org/multipage/server-sent-events.html
//
// The package has three parts, each the counterpart of the others:
//
//   - A [Decoder] parses an event stream from any [io.Reader], following
//     the spec's "interpreting an event stream" algorithm exactly: CR, LF
//     and CRLF line endings, the BOM, the data, event, id and retry
//     fields, the last event ID, U+FFFD for invalid UTF-8, and a bound on
//     memory ([Decoder.MaxEventSize]). Each event is returned the moment
//     the blank line that ends it arrives; [Decoder.Data], [Decoder.Type]
//     and [Decoder.ID] give it without copying or allocating.
//   - A [Client] sends any [*http.Request] (any method, headers and body)
//     and reads its response as a [Stream]: once with [Client.Do], shaped
//     like [http.Client.Do], or reconnecting as EventSource does with
//     [Client.NewStream]: Last-Event-ID, the server's retry, backoff with
//     jitter, a documented split between errors that are retried and
//     errors that end the stream ([DefaultShouldRetry]), an idle timeout,
//     a readyState, and a hook ([Client.PrepareRequest]) for protocols
//     that resume differently than they start, such as MCP.
//   - A [Writer] writes events to any [io.Writer] or to an
//     [http.ResponseWriter], refusing what the protocol cannot carry.
//
// Reading a stream:
//
//	req, err := http.NewRequestWithContext(ctx, "GET", "https://example.com/events", nil)
//	if err != nil {
//		return err
//	}
//	stream, err := sse.NewStream(req)
//	if err != nil {
//		return err
//	}
//	defer stream.Close()
//	for stream.Next() {
//		ev := stream.Event()
//		fmt.Println(ev.Type, ev.ID, ev.Data)
//	}
//	if errors.Is(stream.Err(), sse.ErrNoContent) {
//		return nil // the server's 204: "stop reconnecting"
//	}
//	return stream.Err()
//
// Errors are sentinels, for [errors.Is] ([ErrClosed], [ErrNoContent],
// [ErrEventTooLarge], …), and types, for [errors.As] ([*ResponseError],
// [*GaveUpError]); they are gathered in one file, errors.go.
//
// Package [github.com/ssekit/sse/ssejson], beside this one, decodes each
// event's data as JSON, for LLM chat streams, and package
// [github.com/ssekit/sse/ssetest] is a scripted SSE server for tests, in
// the manner of net/http/httptest.
package sse
