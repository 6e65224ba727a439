package sse

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// Tests of the Decoder's methods and fields: Reset, Event, All, the views
// Data returns, LastEventID, OnRetryField, the zero Decoder.

func TestEventBeforeNextIsZero(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: a\n\n"))
	if e := d.Event(); e != (Event{}) {
		t.Errorf("Event() before Next = %q", e)
	}
	for d.Next() {
	}
	if e := d.Event(); e != (Event{}) || d.Data() != nil {
		t.Errorf("Event() after the end = %q, Data() = %q", e, d.Data())
	}
}

func TestDataViewsStayValidUntilNext(t *testing.T) {
	for _, c := range chunkings() {
		d := NewDecoder(c.reader([]byte("data: first\n\n" + "data: " + long70k + "\n\ndata: \xFFthird\ndata: x\n\n")))
		want := []string{"first", long70k, "\uFFFDthird\nx"}
		for i := 0; d.Next(); i++ {
			data := d.Data()
			snapshot := string(data)
			if !utf8.Valid(data) || snapshot != want[i] {
				t.Fatalf("%s: event %d = %.20q", c.name, i, snapshot)
			}
			d.LastEventID()
			d.Event()
			if string(data) != snapshot {
				t.Fatalf("%s: Data() changed before Next", c.name)
			}
		}
	}
}

func TestLastEventIDFollowsBlankLines(t *testing.T) {
	d := NewDecoder(strings.NewReader("id: 1\n\nid: 2\ndata: a\n\nid: 3\n\nid\n\nid: 4\ndata: unfinished\n"))
	steps := []string{}
	for d.Next() {
		steps = append(steps, "event "+d.Event().ID+" last "+d.LastEventID())
	}
	steps = append(steps, "end last "+d.LastEventID())
	want := []string{"event 2 last 2", "end last "}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestOnRetryFieldOnlyForValidValues(t *testing.T) {
	var got []time.Duration
	d := NewDecoder(strings.NewReader("retry: x\nretry: 10\nretry:\nretry: 1e3\nretry: 20\n\n"))
	d.OnRetryField = func(r time.Duration) { got = append(got, r) }
	if _, ok := d.Retry(); ok {
		t.Error("Retry() set before any retry field")
	}
	for d.Next() {
		t.Error("unexpected event")
	}
	if diff := cmp.Diff([]time.Duration{10 * time.Millisecond, 20 * time.Millisecond}, got); diff != "" {
		t.Errorf("OnRetryField calls (-want +got)\n%s", diff)
	}
	if r, ok := d.Retry(); r != 20*time.Millisecond || !ok {
		t.Errorf("Retry() = %v, %v; want 20ms, true", r, ok)
	}
}

func TestResetReusesDecoder(t *testing.T) {
	var comments []string
	d := NewDecoder(strings.NewReader("id: 1\nretry: 5\nevent: e\ndata: a\n\nevent: half\ndata: b\n"))
	d.MaxEventSize = 1 << 10
	d.OnComment = func(b []byte) { comments = append(comments, string(b)) }
	for d.Next() {
	}
	d.Reset(strings.NewReader(":c\ndata: fresh\n\n"))
	var got []Event
	for d.Next() {
		got = append(got, d.Event())
	}
	if diff := cmp.Diff([]Event{msg("fresh")}, got); diff != "" {
		t.Errorf("events after Reset (-want +got)\n%s", diff)
	}
	if id := d.LastEventID(); id != "" {
		t.Errorf("LastEventID() after Reset = %q, want empty", id)
	}
	if _, ok := d.Retry(); ok {
		t.Error("Retry() still set after Reset")
	}
	if d.MaxEventSize != 1<<10 || len(comments) != 1 {
		t.Errorf("Reset lost exported fields: MaxEventSize %d, comments %q", d.MaxEventSize, comments)
	}
	// Reset after an error clears it.
	d.Reset(strings.NewReader(strings.Repeat("x", 2<<10)))
	if d.Next() || !errors.Is(d.Err(), ErrEventTooLarge) {
		t.Fatalf("Err() = %v, want ErrEventTooLarge", d.Err())
	}
	d.Reset(strings.NewReader("data: ok\n\n"))
	if !d.Next() || d.Event() != msg("ok") {
		t.Errorf("after Reset from an error: Next %v Err %v", d.Event(), d.Err())
	}
	// Reset with a BOM: the new stream's start is checked again.
	d.Reset(strings.NewReader("\uFEFFdata: bom\n\n"))
	if !d.Next() || d.Event() != msg("bom") {
		t.Errorf("BOM after Reset: %q %v", d.Event(), d.Err())
	}
}

// TestResetFromOnComment resets the decoder from inside OnComment: the
// line loop, which keeps its place in a local, must take the new stream's
// state up, not go on over the old buffer (which, stored back, would put
// the decoder's start past its end).
func TestResetFromOnComment(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: lost\n:switch\ndata: old\n\ndata: old too\n\n"))
	d.OnComment = func(b []byte) {
		if string(b) == "switch" {
			d.Reset(strings.NewReader("data: new\n\n"))
		}
	}
	var got []Event
	for d.Next() {
		got = append(got, d.Event())
	}
	if diff := cmp.Diff([]Event{msg("new")}, got); diff != "" || d.Err() != nil {
		t.Errorf("events (-want +got), Err %v\n%s", d.Err(), diff)
	}
}

func TestAllStopsWhenAsked(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: 1\n\ndata: 2\n\ndata: 3\n\n"))
	for e, err := range d.All() {
		if err != nil || e.Data != "1" {
			t.Fatalf("got %q, %v", e, err)
		}
		break
	}
	var rest []string
	for e, err := range d.All() {
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, e.Data)
	}
	if diff := cmp.Diff([]string{"2", "3"}, rest); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// A zero Decoder, or one given a nil reader, reports an error instead of
// panicking; Reset makes it usable.
func TestZeroDecoder(t *testing.T) {
	var d Decoder
	if d.Next() || !errors.Is(d.Err(), errNoReader) {
		t.Fatalf("zero Decoder: Next true or Err = %v, want errNoReader", d.Err())
	}
	if msg := d.Err().Error(); !strings.Contains(msg, "use NewDecoder or Reset") {
		t.Errorf("zero Decoder: Err() = %q, want it to say what to do", msg)
	}
	d.Reset(strings.NewReader("data: a\n\n"))
	if !d.Next() || d.Event().Data != "a" {
		t.Fatalf("after Reset: %v %v", d.Event(), d.Err())
	}
	if NewDecoder(nil).Next() {
		t.Fatal("NewDecoder(nil).Next() = true")
	}
}
