package sse

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssekit/sse/ssetest"
)

// Every exported type's zero value either works or says why not; none
// panics. The zero Stream has its own test, TestZeroValues.
func TestZeroValueOfEveryType(t *testing.T) {
	checkLeaks(t)
	tests := []struct {
		name string
		// use uses a zero value and returns the error it reported, or nil
		// where the zero value works.
		use  func(t *testing.T) error
		want string // in the error; "" where the zero value works
	}{
		{"Decoder", func(t *testing.T) error {
			var d Decoder
			if d.Next() {
				t.Error("Next = true")
			}
			_ = d.Event()
			_, _ = d.Retry()
			d.Reset(strings.NewReader("data: x\n\n"))
			if !d.Next() || d.Event().Data != "x" {
				t.Errorf("after Reset: %+v, %v", d.Event(), d.Err())
			}
			var z Decoder
			z.Next()
			return z.Err()
		}, "no reader"},
		{"Client", func(t *testing.T) error {
			srv := ssetest.New(t, ssetest.Script{ssetest.Data("x")})
			var c Client
			s, err := c.Do(newRequest(t, "GET", srv.URL, ""))
			if err != nil {
				return err
			}
			defer s.Close()
			if got := readAll(s); len(got) != 1 || got[0].Data != "x" {
				t.Errorf("events %+v", got)
			}
			return s.Err()
		}, ""},
		{"Writer", func(t *testing.T) error {
			var w Writer
			if err := w.Flush(); err == nil {
				t.Error("Flush = nil")
			}
			if err := w.WriteComment("x"); err == nil {
				t.Error("WriteComment = nil")
			}
			return w.WriteEvent(Event{Data: "x"})
		}, "no destination"},
		{"Handler", func(t *testing.T) error {
			var h Handler
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status %d", rec.Code)
			}
			return errors.New(rec.Body.String())
		}, "no ServeEvents"},
		{"ssetest.Handler", func(t *testing.T) error {
			var h ssetest.Handler
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			h.Close()
			if rec.Code != http.StatusNoContent || len(h.Requests()) != 1 {
				t.Errorf("status %d, %d requests", rec.Code, len(h.Requests()))
			}
			return h.Err()
		}, ""},
		{"errors", func(t *testing.T) error {
			for _, err := range []error{&ResponseError{}, &GaveUpError{}, &FieldError{}} {
				if err.Error() == "" {
					t.Errorf("%T: empty message", err)
				}
			}
			return nil
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.use(t)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("zero %s: %v, want it to work", tt.name, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("zero %s: error %v, want one that says %q", tt.name, err, tt.want)
			}
		})
	}
}
