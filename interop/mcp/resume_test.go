package mcpinterop

// These tests drive sse.Client against the official MCP Go SDK's Streamable
// HTTP server, through a proxy that cuts the response stream of a tools/call
// POST in the middle of an event.
//
// The MCP specification (revision 2025-11-25), Transports, Streamable HTTP,
// https://modelcontextprotocol.io/specification/2025-11-25/basic/transports:
//
//   - "Sending Messages to the Server", item 6: a disconnection "SHOULD NOT be
//     interpreted as the client cancelling its request", and the server
//     SHOULD prime the stream with an event that has an ID and empty data.
//   - "Resumability and Redelivery", item 2: "If the client wishes to resume
//     after a disconnection [...], it SHOULD issue an HTTP GET to the MCP
//     endpoint, and include the Last-Event-ID header"; "Resumption is always
//     via HTTP GET with Last-Event-ID", whether the stream began with a POST
//     or a GET.
//   - "Session Management", item 2: the client MUST send the MCP-Session-Id
//     it was given "on all of their subsequent HTTP requests", and "Protocol
//     Version Header": likewise MCP-Protocol-Version.
//
// So the resume of a broken POST is a GET to the same URL with
// Last-Event-ID, Mcp-Session-Id and MCP-Protocol-Version, never the POST
// again, which would ask the server to run the tool a second time.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/ssekit/sse"
)

// The tool's script and the cut. The tool sends progress 1 to numProgress,
// each after the client has read the previous one, and then its result. The
// proxy forwards the tools/call POST's response in full up to the event that
// carries progress cutAfter, then cutBytes of the next event, and then cuts
// the connection. While the client is cut off, the tool sends offline more
// notifications, which only the server's event store holds; the client must
// get the cut one and those from the store on the resume, and the rest live.
const (
	numProgress = 10
	cutAfter    = 4
	cutBytes    = 20
	offline     = 2

	toolName        = "count"
	toolResult      = "counted to 10"
	progressToken   = "tok-1"
	protocolVersion = "2025-11-25" // the newest revision that resumes with Last-Event-ID (SEP-2575 drops it in 2026-07-28)
	callID          = 2            // the JSON-RPC id of the tools/call request
)

// resumeWithGET is the Client.PrepareRequest of an MCP client: the first
// attempt sends the request (the tools/call POST); every later one resumes
// its stream with a GET to the same URL carrying the session's headers, to
// which the client adds Last-Event-ID.
func resumeWithGET(req *http.Request, a sse.Attempt) (*http.Request, error) {
	if a.N == 1 {
		return req, nil
	}
	if a.LastEventID == "" {
		// Nothing to resume from (the stream broke before the server's
		// priming event, or the server sends no IDs).
		return nil, sse.Permanent(errors.New("MCP stream lost before any event ID (a second POST would run the call again)"))
	}
	get, err := http.NewRequestWithContext(req.Context(), http.MethodGet, req.URL.String(), nil)
	if err != nil {
		return nil, err
	}
	get.Header.Set("Accept", "text/event-stream")
	get.Header.Set("Mcp-Session-Id", req.Header.Get("Mcp-Session-Id"))
	get.Header.Set("Mcp-Protocol-Version", req.Header.Get("Mcp-Protocol-Version"))
	return get, nil
}

// TestResumeWithGET cuts the tools/call POST's stream mid-event and resumes
// it with the GET the spec asks for: every notification and the result
// arrive exactly once and in order, and the tool runs once.
func TestResumeWithGET(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	h.initialize(ctx)

	c := &sse.Client{
		HTTPClient:       h.hc,
		ReconnectionTime: 10 * time.Millisecond, // the SDK sends no retry field
		MaxRetries:       2,
		PrepareRequest:   resumeWithGET,
	}
	s, err := c.NewStream(h.post(ctx, callBody))
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.readCall(s)
	s.Close()
	if err != nil {
		t.Errorf("stream: %v", err)
	}

	var want []string
	for i := 1; i <= numProgress; i++ {
		from := "GET"
		if i <= cutAfter {
			from = "POST"
		}
		want = append(want, fmt.Sprintf("%s progress %d/%d step %d", from, i, numProgress, i))
	}
	want = append(want, "GET result "+toolResult)
	if diff := cmp.Diff(want, got.what); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if n := h.runs.Load(); n != 1 {
		t.Errorf("the tool ran %d times, want 1", n)
	}

	h.endSession()
	wantHops := []hop{
		{Method: "POST", RPC: "initialize", Status: 200},
		{Method: "POST", RPC: "notifications/initialized", Status: 202, Session: h.session, Version: protocolVersion},
		{Method: "POST", RPC: "tools/call", Status: 200, Session: h.session, Version: protocolVersion, Cut: true},
		// The resume: a GET with the ID of the last event that arrived
		// whole over the POST.
		{Method: "GET", Status: 200, Session: h.session, Version: protocolVersion, LastEventID: got.lastIDOf("POST")},
		{Method: "DELETE", Status: 204, Session: h.session, Version: protocolVersion},
	}
	if diff := cmp.Diff(wantHops, h.hops()); diff != "" {
		t.Errorf("requests through the proxy (-want +got):\n%s", diff)
	}
	if got.lastIDOf("POST") == "" {
		t.Error("no event with an ID arrived over the POST")
	}
	h.checkConnsClosed()
}

// TestNaiveRePOST documents what a reconnecting stream without
// PrepareRequest does to MCP: it sends the tools/call POST again, with
// Last-Event-ID, and the SDK refuses it with 400 (it allows Last-Event-ID
// only on a GET), so the stream ends without the rest of the progress or the
// result. The tool, still running, is not run again.
func TestNaiveRePOST(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	h.initialize(ctx)

	c := &sse.Client{
		HTTPClient:       h.hc,
		ReconnectionTime: 10 * time.Millisecond,
		MaxRetries:       2,
	}
	s, err := c.NewStream(h.post(ctx, callBody))
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.readCall(s)
	s.Close()

	var re *sse.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest {
		t.Fatalf("stream error: %v, want a *sse.ResponseError with status 400", err)
	}
	if !strings.Contains(string(re.Body), "Last-Event-ID") {
		t.Errorf("400 body %q does not mention Last-Event-ID", re.Body)
	}
	var want []string
	for i := 1; i <= cutAfter; i++ {
		want = append(want, fmt.Sprintf("POST progress %d/%d step %d", i, numProgress, i))
	}
	if diff := cmp.Diff(want, got.what); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if n := h.runs.Load(); n != 1 {
		t.Errorf("the tool ran %d times, want 1", n)
	}

	// The tool still waits for the client to read progress it will never
	// get: endSession cancels the call.
	h.endSession()
	wantHops := []hop{
		{Method: "POST", RPC: "initialize", Status: 200},
		{Method: "POST", RPC: "notifications/initialized", Status: 202, Session: h.session, Version: protocolVersion},
		{Method: "POST", RPC: "tools/call", Status: 200, Session: h.session, Version: protocolVersion, Cut: true},
		{Method: "POST", RPC: "tools/call", Status: 400, Session: h.session, Version: protocolVersion, LastEventID: got.lastIDOf("POST")},
		{Method: "POST", RPC: "notifications/cancelled", Status: 202, Session: h.session, Version: protocolVersion},
		{Method: "DELETE", Status: 204, Session: h.session, Version: protocolVersion},
	}
	if diff := cmp.Diff(wantHops, h.hops()); diff != "" {
		t.Errorf("requests through the proxy (-want +got):\n%s", diff)
	}
	h.checkConnsClosed()
}

var callBody = fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":{},"_meta":{"progressToken":%q}}}`,
	callID, toolName, progressToken)

// A harness is an MCP server with the counting tool, a cutting proxy in
// front of it, and the client's HTTP client.
type harness struct {
	t       *testing.T
	url     string // the MCP endpoint, through the proxy
	session string // Mcp-Session-Id, once initialized

	hc              *http.Client
	clientTransport *http.Transport
	proxyTransport  *http.Transport
	front, back     *connTracker // the proxy's and the server's connections

	runs        atomic.Int32
	acks        chan int      // the progress the client has read
	released    chan struct{} // closed when the server's handler of the cut POST has returned
	releaseOnce sync.Once
	offlineSent chan struct{} // closed when the tool has sent the notifications of the offline window
	toolDone    chan struct{} // closed when the tool returns
	toolOnce    sync.Once
	stop        chan struct{} // closed by stopTool, for a tool still waiting
	stopOnce    sync.Once
	cut         atomic.Bool

	mu  sync.Mutex
	log []hop
}

// A hop is a request the proxy forwarded, and its response.
type hop struct {
	Method      string
	RPC         string // the JSON-RPC method of a POST
	Status      int
	Session     string // Mcp-Session-Id
	Version     string // MCP-Protocol-Version
	LastEventID string
	Cut         bool // the proxy cut the response
}

type rpcMethodKey struct{}

func newHarness(t *testing.T) *harness {
	checkGoroutines(t)
	h := &harness{
		t:           t,
		acks:        make(chan int, numProgress),
		released:    make(chan struct{}),
		offlineSent: make(chan struct{}),
		toolDone:    make(chan struct{}),
		stop:        make(chan struct{}),
		front:       newConnTracker(),
		back:        newConnTracker(),
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "progress", Version: "v0.0.1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: toolName, Description: "counts, with progress notifications"}, h.count)
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{EventStore: mcp.NewMemoryEventStore(nil)})
	back := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
		if r.Method == http.MethodPost && r.Header.Get("Last-Event-ID") == "" && h.cut.Load() {
			// The handler of the POST whose response the proxy cut has
			// returned: the server has released its stream (a later
			// POST carrying Last-Event-ID is only refused).
			h.releaseOnce.Do(func() { close(h.released) })
		}
	}))
	back.Config.ConnState = h.back.hook
	back.Start()
	t.Cleanup(back.Close)
	target, err := url.Parse(back.URL)
	if err != nil {
		t.Fatal(err)
	}

	h.proxyTransport = &http.Transport{}
	t.Cleanup(h.proxyTransport.CloseIdleConnections)
	rp := &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport:      h.proxyTransport,
		ModifyResponse: h.modifyResponse,
		ErrorLog:       log.New(io.Discard, "", 0),
	}
	front := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			var msg rpcMessage
			if json.Unmarshal(body, &msg) == nil {
				r = r.WithContext(context.WithValue(r.Context(), rpcMethodKey{}, msg.Method))
			}
		}
		rp.ServeHTTP(w, r)
	}))
	front.Config.ConnState = h.front.hook
	front.Config.ErrorLog = log.New(io.Discard, "", 0)
	front.Start()
	t.Cleanup(front.Close)
	h.url = front.URL + "/mcp"

	h.clientTransport = &http.Transport{}
	t.Cleanup(h.clientTransport.CloseIdleConnections)
	h.hc = &http.Client{Transport: h.clientTransport}
	// Cleanups run last first: a tool still waiting stops before the
	// servers close, which wait for its session.
	t.Cleanup(h.stopTool)
	return h
}

// count is the tool. It sends each progress notification once the client
// has read the previous one, but for the offline window: after the
// notification the proxy cuts, it waits for the server to notice the cut,
// then sends the offline ones at once.
func (h *harness) count(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
	h.runs.Add(1)
	defer h.toolOnce.Do(func() { close(h.toolDone) })
	for i := 1; i <= numProgress; i++ {
		err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
			ProgressToken: req.Params.GetProgressToken(),
			Progress:      float64(i),
			Total:         numProgress,
			Message:       fmt.Sprintf("step %d", i),
		})
		if err != nil {
			return nil, nil, err
		}
		switch last := cutAfter + 1 + offline; {
		case i == cutAfter+1:
			// The proxy cuts the stream in the middle of this one.
			err = h.wait(ctx, h.released)
		case i > cutAfter+1 && i < last:
			// The client is cut off: only the event store has these.
		case i == last:
			close(h.offlineSent)
			err = h.waitAck(ctx, i)
		default:
			err = h.waitAck(ctx, i)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: toolResult}}}, nil, nil
}

var errStopped = errors.New("test over")

// stopTool makes a tool that still waits return.
func (h *harness) stopTool() { h.stopOnce.Do(func() { close(h.stop) }) }

func (h *harness) wait(ctx context.Context, c <-chan struct{}) error {
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-h.stop:
		return errStopped
	}
}

// waitAck waits until the client has read progress want.
func (h *harness) waitAck(ctx context.Context, want int) error {
	for {
		select {
		case got := <-h.acks:
			if got == want {
				return nil
			}
			if got > want {
				return fmt.Errorf("client read progress %d before %d was sent", got, want)
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-h.stop:
			return errStopped
		}
	}
}

// modifyResponse logs each response the proxy forwards, and makes the
// first tools/call response that is an event stream a cut one.
func (h *harness) modifyResponse(resp *http.Response) error {
	req := resp.Request
	rpc, _ := req.Context().Value(rpcMethodKey{}).(string)
	hp := hop{
		Method:      req.Method,
		RPC:         rpc,
		Status:      resp.StatusCode,
		Session:     req.Header.Get("Mcp-Session-Id"),
		Version:     req.Header.Get("Mcp-Protocol-Version"),
		LastEventID: req.Header.Get("Last-Event-ID"),
	}
	if rpc == "tools/call" && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") && !h.cut.Load() {
		hp.Cut = true
		h.cut.Store(true)
		ctx := req.Context()
		body := resp.Body
		resp.Body = &cutReader{
			body:   body,
			events: cutAfter + 1, // the priming event, then progress 1 to cutAfter
			extra:  cutBytes,
			cut: func() {
				// Break the server's side first and let the tool send
				// the offline notifications; only then the client's
				// side, so that the resume finds the server ready (a
				// resume that came before the server noticed the cut
				// would be refused with 409 Conflict).
				body.Close()
				if h.wait(ctx, h.released) == nil {
					h.wait(ctx, h.offlineSent)
				}
			},
		}
	}
	h.mu.Lock()
	h.log = append(h.log, hp)
	h.mu.Unlock()
	return nil
}

func (h *harness) hops() []hop {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hop(nil), h.log...)
}

// A cutReader passes events whole events of an event stream (whose lines
// end in LF, as the SDK writes them), then extra bytes of the next one, and
// then fails, which makes the ReverseProxy abort the client's connection.
type cutReader struct {
	body   io.ReadCloser
	events int
	extra  int
	cut    func()
	prev   byte
	done   bool
}

var errCut = errors.New("proxy: cut")

func (c *cutReader) Read(p []byte) (int, error) {
	if c.done {
		return 0, errCut
	}
	n, err := c.body.Read(p)
	for i := range n {
		if c.events == 0 {
			if c.extra == 0 {
				c.done = true
				c.cut()
				return i, errCut
			}
			c.extra--
			continue
		}
		if p[i] == '\n' && c.prev == '\n' {
			c.events--
		}
		c.prev = p[i]
	}
	return n, err
}

func (c *cutReader) Close() error { return c.body.Close() }

// post makes a POST of a JSON-RPC message to the MCP endpoint, with the
// session's headers once there is one.
func (h *harness) post(ctx context.Context, body string) *http.Request {
	h.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	h.setSession(req)
	return req
}

func (h *harness) setSession(req *http.Request) {
	if h.session != "" {
		req.Header.Set("Mcp-Session-Id", h.session)
		req.Header.Set("Mcp-Protocol-Version", protocolVersion)
	}
}

// initialize opens the session: initialize with Client.Do, whose stream
// gives the response's Mcp-Session-Id, then notifications/initialized.
func (h *harness) initialize(ctx context.Context) {
	t := h.t
	t.Helper()
	c := &sse.Client{HTTPClient: h.hc}
	s, err := c.Do(h.post(ctx, fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"ssekit-interop","version":"v0.0.0"}}}`, protocolVersion)))
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	defer s.Close()
	h.session = s.Response().Header.Get("Mcp-Session-Id")
	if h.session == "" {
		t.Fatal("initialize: no Mcp-Session-Id in the response")
	}
	var res mcp.InitializeResult
	for s.Next() {
		msg, ok := decodeMessage(t, s.Event())
		if ok && string(msg.ID) == "1" {
			if err := json.Unmarshal(msg.Result, &res); err != nil {
				t.Fatalf("initialize result %s: %v", msg.Result, err)
			}
			break
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if res.ProtocolVersion != protocolVersion {
		t.Fatalf("initialize: protocol version %q, want %q", res.ProtocolVersion, protocolVersion)
	}

	if err := h.notify(ctx, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); err != nil {
		t.Fatal(err)
	}
}

// notify POSTs a JSON-RPC notification, which the server accepts with 202.
func (h *harness) notify(ctx context.Context, body string) error {
	resp, err := h.hc.Do(h.post(ctx, body))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("%s: %s, want 202", body, resp.Status)
	}
	return nil
}

// endSession cancels the call if the tool still runs, as a client that
// gives up on a request SHOULD ("To cancel, the client SHOULD explicitly
// send an MCP CancelledNotification"), and then ends the session with a
// DELETE, as a client that is done SHOULD (closing a session waits for its
// tools).
func (h *harness) endSession() {
	h.t.Helper()
	// A context of its own: the test's may have expired if it failed.
	ctx, cancel := context.WithTimeout(h.t.Context(), 2*time.Second)
	defer cancel()
	select {
	case <-h.toolDone:
	default:
		err := h.notify(ctx, fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":%d,"reason":"stream lost"}}`, callID))
		if err == nil {
			err = h.wait(ctx, h.toolDone)
		}
		if err != nil {
			h.t.Errorf("cancelling the call: %v", err)
			h.stopTool()
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, h.url, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.setSession(req)
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Errorf("DELETE: %v", err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// seen is what the client read of a tools/call stream.
type seen struct {
	what []string // "POST progress 1/10 step 1", ..., "GET result ...": the method of the request whose response carried it, and the message
	from []string // the method of each event with an ID
	ids  []string // the ID of each event with one
}

// lastIDOf returns the ID of the last event that came over a request with
// the method.
func (g seen) lastIDOf(method string) string {
	id := ""
	for i, m := range g.from {
		if m == method {
			id = g.ids[i]
		}
	}
	return id
}

// readCall reads a tools/call stream until its result, telling the tool
// of each progress notification read.
func (h *harness) readCall(s *sse.Stream) (seen, error) {
	t := h.t
	var g seen
	for s.Next() {
		ev := s.Event()
		method := s.Response().Request.Method
		if ev.ID != "" && (len(g.ids) == 0 || g.ids[len(g.ids)-1] != ev.ID) {
			g.from = append(g.from, method)
			g.ids = append(g.ids, ev.ID)
		}
		msg, ok := decodeMessage(t, ev)
		if !ok {
			continue
		}
		switch {
		case msg.Method == "notifications/progress":
			var p mcp.ProgressNotificationParams
			if err := json.Unmarshal(msg.Params, &p); err != nil {
				t.Fatalf("progress %s: %v", msg.Params, err)
			}
			if p.ProgressToken != progressToken {
				t.Errorf("progress token %v, want %q", p.ProgressToken, progressToken)
			}
			g.what = append(g.what, fmt.Sprintf("%s progress %v/%v %s", method, p.Progress, p.Total, p.Message))
			h.acks <- int(p.Progress)
		case string(msg.ID) == fmt.Sprint(callID):
			if msg.Error != nil {
				t.Fatalf("tools/call error %s", msg.Error)
			}
			var res mcp.CallToolResult
			if err := json.Unmarshal(msg.Result, &res); err != nil {
				t.Fatalf("tools/call result %s: %v", msg.Result, err)
			}
			text := ""
			for _, c := range res.Content {
				if tc, ok := c.(*mcp.TextContent); ok {
					text += tc.Text
				}
			}
			g.what = append(g.what, fmt.Sprintf("%s result %s", method, text))
			// The response ends the request's stream: stop here, or the
			// stream would reconnect to a stream that has ended.
			return g, nil
		default:
			g.what = append(g.what, fmt.Sprintf("%s unexpected %s", method, ev.Data))
		}
	}
	return g, s.Err()
}

// rpcMessage is any JSON-RPC message.
type rpcMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// decodeMessage decodes the JSON-RPC message of a "message" event; other
// events (the SDK's "prime" event, with an ID and no data) carry none.
func decodeMessage(t *testing.T, ev sse.Event) (rpcMessage, bool) {
	t.Helper()
	var msg rpcMessage
	if ev.Type != "message" {
		return msg, false
	}
	if err := json.Unmarshal([]byte(ev.Data), &msg); err != nil {
		t.Fatalf("event data %q: %v", ev.Data, err)
	}
	return msg, true
}

// checkConnsClosed fails the test if a connection stays open once the
// client and the proxy have closed their idle ones: the sign of a response
// body that was not closed.
func (h *harness) checkConnsClosed() {
	h.t.Helper()
	h.clientTransport.CloseIdleConnections()
	if n := h.front.waitClosed(); n != 0 {
		h.t.Errorf("%d connections from the client to the proxy still open", n)
	}
	h.proxyTransport.CloseIdleConnections()
	if n := h.back.waitClosed(); n != 0 {
		h.t.Errorf("%d connections from the proxy to the server still open", n)
	}
}

// A connTracker follows the connections of an http.Server.
type connTracker struct {
	mu    sync.Mutex
	conns map[net.Conn]http.ConnState
}

func newConnTracker() *connTracker {
	return &connTracker{conns: make(map[net.Conn]http.ConnState)}
}

func (c *connTracker) hook(conn net.Conn, state http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if state == http.StateClosed || state == http.StateHijacked {
		delete(c.conns, conn)
	} else {
		c.conns[conn] = state
	}
}

// waitClosed waits a while for every connection to close and returns how
// many are still open.
func (c *connTracker) waitClosed() int {
	deadline := time.Now().Add(3 * time.Second)
	for {
		c.mu.Lock()
		n := len(c.conns)
		c.mu.Unlock()
		if n == 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkGoroutines fails the test if, once its cleanups have run, more
// goroutines run than at the start. Call it first, so that its cleanup runs
// last.
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d before, %d after:\n%s", before, n, buf)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
