// Package sse reads Server-Sent Events (text/event-stream).
//
// A Decoder is a streaming parser that follows the WHATWG HTML
// "interpreting an event stream" algorithm exactly: CR, LF and CRLF line
// endings, the BOM, the data, event, id and retry fields, the last event
// ID, U+FFFD for invalid UTF-8, and a bound on memory (MaxEventSize). It
// reads any io.Reader and returns each event the moment the blank line
// that ends it arrives; Data, Type and ID give the event without copying.
//
// A Client turns an *http.Request (any method, headers, a body re-sent
// through GetBody) into a Stream that reconnects as EventSource does:
// Last-Event-ID, the server's retry, exponential backoff with jitter, a
// documented split between errors that are retried and errors that end
// the stream, an idle timeout, and a readyState. A Stream is read like a
// Decoder, on the caller's goroutine; Close may be called from any.
//
// JSON[T] decodes each event's data into a T, for LLM chat streams and
// the like: DoJSON sends a one-shot request, the "[DONE]" sentinel ends
// the stream cleanly, and in-band error events become *EventError.
//
// Package ssetest, beside this one, is a scripted SSE server for testing
// consumers, in the manner of net/http/httptest.
package sse
