package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// VerifyBudget is how much CPU time one peer may take to read a corpus
// once when it is checked; past it the peer is reported as too slow and not
// benchmarked on that corpus. CPU time, where known, rather than wall time,
// so that the verdict does not depend on the machine's load.
// SSE_BENCH_BUDGET (a time.Duration) overrides it.
var VerifyBudget = func() time.Duration {
	if s := os.Getenv("SSE_BENCH_BUDGET"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			return d
		}
	}
	return 3 * time.Second
}()

// Status is the outcome of checking a peer on a corpus.
type Status int

const (
	OK      Status = iota
	Wrong          // events differ from the reference
	Failed         // the peer returned an error
	TooSlow        // the peer exceeded VerifyBudget
)

func (s Status) String() string {
	return [...]string{"ok", "WRONG", "ERROR", "too slow"}[s]
}

// A Verdict says whether a peer reads a corpus as this package's parser
// does.
type Verdict struct {
	Status Status
	Detail string
	Events int // events the peer found
}

var (
	refMu   sync.Mutex
	refs    = map[string]*Visitor{}
	verdMu  sync.Mutex
	verdict = map[string]Verdict{}
)

// Reference returns the events of c as github.com/ssekit/sse reads them
// from one buffer.
func Reference(c *Corpus) *Visitor {
	refMu.Lock()
	defer refMu.Unlock()
	if v, ok := refs[c.Name]; ok {
		return v
	}
	data := c.Data()
	v := &Visitor{Record: true}
	if err := runSSEKitEvent(NewReader(data, ReadMode{Fixed: len(data)}), v); err != nil {
		panic(fmt.Sprintf("reference parser failed on %s: %v", c.Name, err))
	}
	refs[c.Name] = v
	return v
}

var errTooSlow = errors.New("verification budget exceeded")

// deadlineReader fails once the process has used its budget of CPU time
// (or, where that is unknown, of wall time), so that a peer that is too
// slow stops.
type deadlineReader struct {
	r      io.Reader
	cpu0   int64
	wall0  time.Time
	budget time.Duration
	reads  int
	hit    bool
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.reads++; d.reads%64 == 0 {
		used := time.Since(d.wall0)
		if d.cpu0 != 0 {
			used = time.Duration(CPUTime() - d.cpu0)
		}
		if used > d.budget {
			d.hit = true
			return 0, errTooSlow
		}
	}
	return d.r.Read(p)
}

// Check runs peer p once on c in mode m and compares its events with the
// reference. Verdicts are cached.
func Check(c *Corpus, m ReadMode, p *Peer) Verdict {
	key := c.Name + "/" + m.Name + "/" + p.Name
	verdMu.Lock()
	defer verdMu.Unlock()
	if v, ok := verdict[key]; ok {
		return v
	}
	v := check(c, m, p)
	verdict[key] = v
	return v
}

func check(c *Corpus, m ReadMode, p *Peer) Verdict {
	if p.Bound {
		return Verdict{Status: OK}
	}
	ref := Reference(c)
	got := &Visitor{Record: true}
	dr := &deadlineReader{r: NewReader(c.Data(), m), cpu0: CPUTime(), wall0: time.Now(), budget: VerifyBudget}
	err := p.Run(dr, got)
	if dr.hit {
		return Verdict{Status: TooSlow, Detail: fmt.Sprintf("over %v of CPU for one pass", VerifyBudget), Events: got.Events}
	}
	if err != nil {
		return Verdict{Status: Failed, Detail: shorten(err.Error()), Events: got.Events}
	}
	if d := diff(ref.Got, got.Got); d != "" {
		return Verdict{Status: Wrong, Detail: d, Events: got.Events}
	}
	return Verdict{Status: OK, Events: got.Events}
}

// diff describes the first difference between the reference events and a
// peer's, or returns "".
func diff(want, got []Ev) string {
	for i := range min(len(want), len(got)) {
		w, g := want[i], got[i]
		switch {
		case w.Data != g.Data:
			return fmt.Sprintf("%d events, want %d; event %d data %s, want %s", len(got), len(want), i, quote(g.Data), quote(w.Data))
		case w.Type != g.Type:
			return fmt.Sprintf("%d events, want %d; event %d type %s, want %s", len(got), len(want), i, quote(g.Type), quote(w.Type))
		case g.HasID && w.ID != g.ID:
			return fmt.Sprintf("%d events, want %d; event %d id %s, want %s", len(got), len(want), i, quote(g.ID), quote(w.ID))
		}
	}
	if len(want) != len(got) {
		return fmt.Sprintf("%d events, want %d", len(got), len(want))
	}
	return ""
}

func quote(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q…(%d bytes)", s[:40], len(s))
	}
	return fmt.Sprintf("%q", s)
}

func shorten(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}
