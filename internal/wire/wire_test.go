package wire

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The encodings themselves are tested through sse.Writer, in the root
// package; these check what the Writer relies on: the functions append to
// what b holds and leave it as it was when they refuse.
func TestAppendKeepsPrefix(t *testing.T) {
	tests := []struct {
		name string
		app  func(b []byte) ([]byte, *FieldError)
		want string
		err  *FieldError
	}{
		{"event", func(b []byte) ([]byte, *FieldError) { return AppendEvent(b, "t", "1", "a\rb") },
			"prefix|id: 1\nevent: t\ndata: a\ndata: b\n\n", nil},
		{"refused event", func(b []byte) ([]byte, *FieldError) { return AppendEvent(b, "t", "1\n", "x") },
			"prefix|", &FieldError{"id", "1\n", 1}},
		{"retry", func(b []byte) ([]byte, *FieldError) { return AppendRetry(b, time.Second) },
			"prefix|retry: 1000\n", nil},
		{"refused retry", func(b []byte) ([]byte, *FieldError) { return AppendRetry(b, -1) },
			"prefix|", &FieldError{"retry", "-1ns", -1}},
		{"comment", func(b []byte) ([]byte, *FieldError) { return AppendComment(b, "a\r\nb") },
			"prefix|:a\n:b\n", nil},
		{"refused comment", func(b []byte) ([]byte, *FieldError) { return AppendComment(b, "\xff") },
			"prefix|", &FieldError{"comment", "\xff", 0}},
	}
	for _, tt := range tests {
		b, err := tt.app([]byte("prefix|"))
		if diff := cmp.Diff(tt.want, string(b)); diff != "" {
			t.Errorf("%s: bytes (-want +got):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.err, err); diff != "" {
			t.Errorf("%s: error (-want +got):\n%s", tt.name, diff)
		}
	}
}
