//go:build unix

package browsertest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ssekit/sse"
)

// page is the page the browser opens: an EventSource on /events that
// records every event (of the types written) and every readyState change,
// and posts the record to /report after the "done" event.
const page = `<!doctype html>
<meta charset="utf-8">
<title>sse browser test</title>
<script>
const log = [];
const es = new EventSource("/events");
const state = (what) => log.push({kind: what, readyState: es.readyState});
es.onopen = () => state("open");
es.onerror = () => state("error");
let seen = false;
const record = (e) => {
	log.push({kind: "event", type: e.type, data: e.data, lastEventId: e.lastEventId, readyState: es.readyState});
	if (e.lastEventId === DROP_AFTER && !seen) {
		seen = true; // the server drops the first connection when told
		fetch("/seen", {method: "POST"});
	}
};
for (const t of TYPES) es.addEventListener(t, record);
es.addEventListener("done", (e) => {
	record(e);
	es.close();
	state("closed");
	fetch("/report", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(log)});
});
</script>
`

// An entry is what the page recorded: an event, or a readyState change.
type entry struct {
	Kind        string `json:"kind"`
	Type        string `json:"type,omitempty"`
	Data        string `json:"data,omitempty"`
	LastEventID string `json:"lastEventId,omitempty"`
	ReadyState  int    `json:"readyState"`
}

// The events of the first connection, which then drops, and of the
// second, which resumes after the Last-Event-ID the browser sends.
var (
	first = []sse.Event{
		{ID: "1", Data: "plain"},
		{Type: "greeting", ID: "2", Data: "héllo wörld 👋 日本語"},
		{Type: "multi", ID: "3", Data: "line 1\nline 2\nline 3"},
		{Type: "multi", ID: "4", Data: "cr\rinside"},
		{Type: "multi", ID: "5", Data: "crlf\r\ninside\r\n"},
		{Data: "no id: the last one stays"},
		{Type: "greeting", ID: "7", Data: "  two leading spaces"},
		{Type: "empty", ID: "8"},
	}
	second = []sse.Event{
		{Type: "multi", ID: "9", Data: "\n\nmixed\r\n\rendings\n"},
		{ID: "10", Data: "{\"json\": \"with \\\"quotes\\\" and :colons:\"}"},
		{Type: "done", ID: "11", Data: "bye"},
	}
	types = []string{"message", "greeting", "multi", "empty"}
)

// expect is what an EventSource must report for events: the type
// "message" for none, data with its line endings as LF, and the last
// event ID carried to events without one.
func expect(events []sse.Event, lastID string) []entry {
	var want []entry
	for _, ev := range events {
		if ev.ID != "" {
			lastID = ev.ID
		}
		typ := ev.Type
		if typ == "" {
			typ = "message"
		}
		data := strings.ReplaceAll(strings.ReplaceAll(ev.Data, "\r\n", "\n"), "\r", "\n")
		want = append(want, entry{Kind: "event", Type: typ, Data: data, LastEventID: lastID, ReadyState: 1})
	}
	return want
}

func findBrowser(t *testing.T) string {
	if b := os.Getenv("SSE_BROWSER"); b != "" {
		return b
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no browser found (chromium, chromium-browser, google-chrome or $SSE_BROWSER), and CI is set: .ci/run installs chromium")
	}
	t.Skip("SKIPPED: no browser found (install Debian's chromium, or set SSE_BROWSER); the EventSource test did not run")
	return ""
}

func TestEventSource(t *testing.T) {
	browser := findBrowser(t)

	var (
		mu       sync.Mutex
		lastIDs  []string // the Last-Event-ID of each connection
		report   = make(chan []entry, 1)
		received = make(chan struct{}, 1)
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		js, _ := json.Marshal(types)
		io.WriteString(w, strings.NewReplacer("TYPES", string(js), "DROP_AFTER", strconv.Quote(first[len(first)-1].ID)).Replace(page))
	})
	mux.Handle("GET /events", &sse.Handler{WriteTimeout: 10 * time.Second, ServeEvents: func(w *sse.Writer, r *http.Request) {
		mu.Lock()
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		n := len(lastIDs)
		mu.Unlock()
		write := func(evs []sse.Event) {
			for _, ev := range evs {
				if err := w.WriteEvent(ev); err != nil {
					t.Errorf("WriteEvent(%+v): %v", ev, err)
				}
				w.WriteComment(" a comment between events")
			}
			w.Flush()
		}
		switch n {
		case 1:
			w.WriteRetry(50 * time.Millisecond) // reconnect quickly
			w.WriteComment("comments are ignored\nover several lines")
			write(first)
			// Wait for the browser to have everything, then drop the
			// connection without ending the response.
			select {
			case <-received:
			case <-r.Context().Done():
			}
			panic(http.ErrAbortHandler)
		case 2:
			write(second)
			<-r.Context().Done() // until the page closes it
		default:
			t.Errorf("connection %d: the page should have closed the EventSource", n)
		}
	}})
	mux.HandleFunc("POST /seen", func(w http.ResponseWriter, r *http.Request) {
		select {
		case received <- struct{}{}:
		default:
		}
	})
	mux.HandleFunc("POST /report", func(w http.ResponseWriter, r *http.Request) {
		var log []entry
		if err := json.NewDecoder(r.Body).Decode(&log); err != nil {
			t.Errorf("report: %v", err)
		}
		report <- log
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	profile := t.TempDir()
	cmd := exec.Command(browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, srv.URL+"/")
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers end with it
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}()

	var got []entry
	select {
	case got = <-report:
	case err := <-exited:
		t.Fatalf("%s exited before reporting: %v\n%s", browser, err, stderr.String())
	case <-ctx.Done():
		t.Fatalf("no report from %s in 45s\n%s", browser, stderr.String())
	}
	t.Logf("%s reported after %v", browser, time.Since(start).Round(time.Millisecond))

	want := []entry{{Kind: "open", ReadyState: 1}}
	want = append(want, expect(first, "")...)
	want = append(want, entry{Kind: "error", ReadyState: 0}, entry{Kind: "open", ReadyState: 1})
	want = append(want, expect(second, "8")...)
	want = append(want, entry{Kind: "closed", ReadyState: 2})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EventSource recorded (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"", "8"}, lastIDs); diff != "" {
		t.Errorf("Last-Event-ID of each connection (-want +got):\n%s", diff)
	}
}
