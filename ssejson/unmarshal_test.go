package ssejson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssekit/sse"
)

func TestUnmarshal(t *testing.T) {
	in := ": keep-alive\n\n" +
		tokData("a") +
		"event: ping\ndata: {\"type\":\"ping\"}\n\n" +
		"data:\n\n" +
		`data: {"choices":[{"delta":{"role":"assistant","content":"b"}}],"usage":{"completion_tokens":2}}` + "\n\n" +
		tokData("c") +
		"data: [DONE]\n\n"
	type call struct {
		Data     string
		WasZero  bool // the T was the zero value when the call began
		PointsAt bool // v is a *chunk
	}
	var calls []call
	j := New[chunk](sse.NewDecoder(strings.NewReader(in)))
	j.Skip = SkipTypes("ping")
	j.Unmarshal = func(data []byte, v any) error {
		c, ok := v.(*chunk)
		calls = append(calls, call{string(data), ok && c.Choices == nil && c.Usage == nil, ok})
		return json.Unmarshal(data, v)
	}
	got, err := readAll(j)
	if err != nil {
		t.Fatal(err)
	}
	wantValues := []chunk{
		tok("a"),
		{Choices: []choice{{Delta: delta{Role: "assistant", Content: "b"}}}, Usage: &usage{CompletionTokens: 2}},
		tok("c"),
	}
	if diff := cmp.Diff(wantValues, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	// Called once per value, with the event's data; not for comments,
	// skipped types, empty data or the sentinel.
	wantCalls := []call{
		{strings.TrimSuffix(strings.TrimPrefix(tokData("a"), "data: "), "\n\n"), true, true},
		{`{"choices":[{"delta":{"role":"assistant","content":"b"}}],"usage":{"completion_tokens":2}}`, true, true},
		{strings.TrimSuffix(strings.TrimPrefix(tokData("c"), "data: "), "\n\n"), true, true},
	}
	if diff := cmp.Diff(wantCalls, calls); diff != "" {
		t.Errorf("Unmarshal calls (-want +got):\n%s", diff)
	}
}

func TestUnmarshalError(t *testing.T) {
	// A decoder stricter than encoding/json's default: unknown members
	// are errors. Its error ends the stream as a *DecodeError that wraps
	// it.
	strict := func(data []byte, v any) error {
		d := json.NewDecoder(bytes.NewReader(data))
		d.DisallowUnknownFields()
		return d.Decode(v)
	}
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		unmarshal func([]byte, any) error
		want      []chunk
		wantErr   error // matched with errors.Is, if not nil
		wantMsg   string
	}{
		{"default", nil, []chunk{tok("a"), tok("b")}, nil, ""},
		{"strict", strict, []chunk{tok("a")}, nil, `json: unknown field "extra"`},
		{"failing", func([]byte, any) error { return errBoom }, nil, errBoom, "boom"},
	}
	in := tokData("a") + `data: {"choices":[{"delta":{"content":"b"}}],"extra":1}` + "\n\n"
	for _, tt := range tests {
		j := New[chunk](sse.NewDecoder(strings.NewReader(in)))
		j.Unmarshal = tt.unmarshal
		got, err := readAll(j)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: values (-want +got):\n%s", tt.name, diff)
		}
		if tt.wantMsg == "" {
			if err != nil {
				t.Errorf("%s: Err() = %v", tt.name, err)
			}
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(de.Err.Error(), tt.wantMsg) {
			t.Errorf("%s: Err() = %v, want a *DecodeError for %q", tt.name, err, tt.wantMsg)
		}
		if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Err() = %v, does not match %v", tt.name, err, tt.wantErr)
		}
		if diff := cmp.Diff(chunk{}, j.Current()); diff != "" {
			t.Errorf("%s: Current after the error is not zero:\n%s", tt.name, diff)
		}
	}
}
