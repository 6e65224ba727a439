//go:build goexperiment.jsonv2

package bench

import jsonv2 "encoding/json/v2"

// encoding/json/v2 needs GOEXPERIMENT=jsonv2 in Go 1.25 and 1.26; its
// Unmarshal takes options, hence the function literal, as ssejson's doc
// shows.
func init() {
	jsonDecoders = append(jsonDecoders, jsonDecoder{"ssekit-jsonv2", func(data []byte, v any) error {
		return jsonv2.Unmarshal(data, v)
	}})
}
