package ssejson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssekit/sse"
)

// referenceCheckEvent is DefaultCheckEvent as it was before its fast
// path (ssejson.go at e4592cd): the plain statement of its doc, which
// the fast path must agree with on every input.
func referenceCheckEvent(eventType, data []byte) error {
	isErrorType := string(eventType) == "error"
	if !isErrorType {
		t := bytes.TrimSpace(data)
		if len(t) == 0 || t[0] != '{' || !bytes.Contains(t, []byte(`"error"`)) {
			return nil
		}
	}
	var payload struct {
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(data, &payload); err != nil && !isErrorType {
		return nil
	}
	raw := bytes.TrimSpace(payload.Error)
	if isEmptyJSON(raw) {
		if !isErrorType {
			return nil
		}
		raw = bytes.TrimSpace(data)
	}
	e := &EventError{Event: sse.Event{Type: string(eventType), Data: string(data)}}
	var obj struct {
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	switch {
	case len(raw) > 0 && raw[0] == '"':
		json.Unmarshal(raw, &e.Message)
	case json.Unmarshal(raw, &obj) == nil:
		e.Kind, e.Message = obj.Type, obj.Message
		var s string
		if json.Unmarshal(obj.Code, &s) == nil {
			e.Code = s
		} else if n, err := strconv.ParseFloat(string(obj.Code), 64); err == nil {
			e.Code = strconv.FormatFloat(n, 'f', -1, 64)
		}
	}
	return e
}

// manyRs is prose with an 'r' in about every 4 bytes, and some pairs of
// them, which containsErrorKey must step over.
var manyRs = strings.Repeat("rare error-free purr, or ", 20)

type checkEventCase struct {
	name, typ, data string
	want            error // the EventError's Event is filled in from typ and data
}

var checkEventCases = []checkEventCase{
	// An "error" member that says nothing is no error.
	{"error null", "message", `{"error":null}`, nil},
	{"error false", "message", `{"error":false}`, nil},
	{"error 0", "message", `{"error":0}`, nil},
	{"error empty string", "message", `{"error":""}`, nil},
	{"error empty object", "message", `{"error":{}}`, nil},
	{"error empty array", "message", `{"error":[]}`, nil},
	{"error null spaced", "message", `{ "error" : null , "x":1}`, nil},
	// Anything else it says is.
	{"error true", "message", `{"error":true}`, &EventError{}},
	{"error number", "message", `{"error":5}`, &EventError{}},
	{"error array", "message", `{"error":["boom"]}`, &EventError{}},
	{"error string", "message", `{"error":"boom"}`, &EventError{Message: "boom"}},
	{"error escaped string", "message", `{"error":"a \"b\"\n"}`, &EventError{Message: "a \"b\"\n"}},
	{"error object", "message", `{"id":"x","error":{"type":"server_error","code":"boom","message":"m","param":null}}`,
		&EventError{Kind: "server_error", Code: "boom", Message: "m"}},
	{"error last", "message", `{"choices":[],"usage":null,"error":{"message":"late"}}`, &EventError{Message: "late"}},
	// "error" elsewhere than as a member of the object.
	{"error escaped in a string", "message", `{"choices":[{"delta":{"content":"an \"error\""}}]}`, nil},
	{"error as a string value", "message", `{"type":"error"}`, nil},
	{"error as a value of error", "message", `{"error":"error"}`, &EventError{Message: "error"}},
	{"error nested", "message", `{"choices":[{"error":{"message":"x"}}]}`, nil},
	{"error in an array", "message", `[{"error":"x"}]`, nil},
	{"error not json", "message", `"error" happened`, nil},
	{"error bare", "message", `"error"`, nil},
	{"error invalid json", "message", `{"error":"x"`, nil},
	{"error trailing garbage", "message", `{"error":"x"} and more`, nil},
	{"Error capitalized", "message", `{"Error":"x"}`, nil},
	{"error after many r's", "message", `{"text":"` + manyRs + `","error":"late"}`, &EventError{Message: "late"}},
	{"many r's", "message", `{"text":"` + manyRs + `"}`, nil},
	{"rr before the key", "message", `{"brr":1,"error":"x"}`, &EventError{Message: "x"}},
	{"errrror", "message", `{"errror":"x","erro":1,"rror":2}`, nil},
	// White space before the object.
	{"space before", "message", " \r\n\t{\"error\":\"boom\"}\n", &EventError{Message: "boom"}},
	{"nbsp before", "message", "\u00a0{\"error\":\"boom\"}", nil}, // trimmed, but not JSON
	{"only space", "message", " \n ", nil},
	{"empty", "message", ``, nil},
	{"done", "message", `[DONE]`, nil},
	// Events of type "error" are errors whatever their data.
	{"type error anthropic", "error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
		&EventError{Kind: "overloaded_error", Message: "Overloaded"}},
	{"type error flat", "error", `{"type":"error","code":"server_error","message":"m","param":null}`,
		&EventError{Kind: "error", Code: "server_error", Message: "m"}},
	{"type error null error", "error", `{"error":null,"message":"m"}`, &EventError{Message: "m"}},
	{"type error string", "error", `{"error":"boom"}`, &EventError{Message: "boom"}},
	{"type error not json", "error", `something broke`, &EventError{}},
	{"type error invalid json", "error", `{"error":`, &EventError{}},
	{"type error empty", "error", ``, &EventError{}},
	{"type error array", "error", `[1]`, &EventError{}},
	{"type Error is not error", "Error", `{"message":"m"}`, nil},
	// The code, as a string or in decimal.
	{"code string", "message", `{"error":{"code":"rate_limit_exceeded"}}`, &EventError{Code: "rate_limit_exceeded"}},
	{"code number", "message", `{"error":{"code":429,"message":"slow down"}}`, &EventError{Code: "429", Message: "slow down"}},
	{"code fraction", "message", `{"error":{"code":1.5}}`, &EventError{Code: "1.5"}},
	{"code exponent", "message", `{"error":{"code":1e3}}`, &EventError{Code: "1000"}},
	{"code negative", "message", `{"error":{"code":-1}}`, &EventError{Code: "-1"}},
	{"code null", "message", `{"error":{"code":null,"message":"m"}}`, &EventError{Message: "m"}},
	{"code bool", "message", `{"error":{"code":true,"message":"m"}}`, &EventError{Message: "m"}},
	{"code object", "message", `{"error":{"code":{"n":1},"message":"m"}}`, &EventError{Message: "m"}},
	{"code number type error", "error", `{"type":"error","code":500}`, &EventError{Kind: "error", Code: "500"}},
	{"message not a string", "message", `{"error":{"message":5}}`, &EventError{}},
}

func (c checkEventCase) wanted() error {
	e, ok := c.want.(*EventError)
	if !ok {
		return c.want
	}
	w := *e
	w.Event = sse.Event{Type: c.typ, Data: c.data}
	return &w
}

func TestDefaultCheckEventCases(t *testing.T) {
	for _, c := range checkEventCases {
		t.Run(c.name, func(t *testing.T) {
			want := c.wanted()
			for _, f := range []struct {
				name  string
				check func(eventType, data []byte) error
			}{
				{"DefaultCheckEvent", DefaultCheckEvent},
				{"referenceCheckEvent", referenceCheckEvent}, // the table is right
			} {
				got := f.check([]byte(c.typ), []byte(c.data))
				if diff := cmp.Diff(want, got, errOpts); diff != "" {
					t.Errorf("%s(%q, %q) (-want +got):\n%s", f.name, c.typ, c.data, diff)
				}
			}
		})
	}
}

// TestContainsErrorKey puts the key at every offset of data with few and
// with many r's, and near them, and checks containsErrorKey against
// bytes.Contains.
func TestContainsErrorKey(t *testing.T) {
	bases := []string{
		`{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741570283,"system_fingerprint":"fp_eb9dce56a8","finish_reason":null}`,
		manyRs,
		strings.Repeat("r", 100),
		strings.Repeat(`"`, 40),
		"",
	}
	for _, base := range bases {
		for _, key := range []string{`"error"`, `"errorr`, `rerror"`, `"eror"`, `"rr"`} {
			for i := 0; i <= len(base); i++ {
				data := []byte(base[:i] + key + base[i:])
				for _, d := range [][]byte{data, data[:len(data)-1], data[1:]} {
					if got, want := containsErrorKey(d), bytes.Contains(d, []byte(errorKey)); got != want {
						t.Fatalf("containsErrorKey(%q) = %v, want %v", d, got, want)
					}
				}
			}
		}
	}
}

// FuzzDefaultCheckEvent checks that DefaultCheckEvent, with its fast path,
// returns what referenceCheckEvent returns: nil or not, and the same
// EventError fields.
func FuzzDefaultCheckEvent(f *testing.F) {
	for _, c := range checkEventCases {
		f.Add(c.typ, c.data)
	}
	for _, data := range []string{
		// encoding/json matches member names without regard to case,
		// once the data has passed the test of the key in lower case.
		`{"Error":"x","a":"error"}`,
		`{"ERROR":{"message":"m"},"b":{"error":null}}`,
		// The last of duplicate members wins.
		`{"error":"a","error":null}`,
		`{"error":null,"error":"b"}`,
		`{"\u0065rror":"escaped key"}`,
		`{"error":"x"}` + "\u00a0",
		"{\"error\":\"x\"}\u2028",
		"\x85{\"error\":\"x\"}",
		`{"error":{"type":"t","code":"c","message":"m","type":"u"}}`,
		`{"error":{"code":"1e400"}}`,
		`{"error":{"code":1e400}}`,
		`{"error":{"code":0.0000001}}`,
		`{"error":"\ud800"}`,
		"{\"error\":\"\xff\"}",
		`{"error":  {}  }`,
		`{"error":[ ]}`,
		`{"error":0.0}`,
		`{"error":-0}`,
	} {
		f.Add("message", data)
		f.Add("error", data)
	}
	f.Fuzz(func(t *testing.T, typ, data string) {
		if got, want := containsErrorKey([]byte(data)), strings.Contains(data, errorKey); got != want {
			t.Errorf("containsErrorKey(%q) = %v, want %v", data, got, want)
		}
		want := referenceCheckEvent([]byte(typ), []byte(data))
		got := DefaultCheckEvent([]byte(typ), []byte(data))
		if (got == nil) != (want == nil) {
			t.Fatalf("DefaultCheckEvent(%q, %q) = %v, reference %v", typ, data, got, want)
		}
		if diff := cmp.Diff(want, got, errOpts); diff != "" {
			t.Errorf("DefaultCheckEvent(%q, %q) (-reference +got):\n%s", typ, data, diff)
		}
	})
}
