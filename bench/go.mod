module github.com/ssekit/sse/bench

go 1.25

require (
	github.com/google/go-cmp v0.7.0
	github.com/launchdarkly/eventsource v1.11.0
	github.com/openai/openai-go v1.12.0
	github.com/r3labs/sse/v2 v2.10.0
	github.com/ssekit/sse v0.0.0
	github.com/tmaxmax/go-sse v0.11.0
	gopkg.in/cenkalti/backoff.v1 v1.1.0
)

require (
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/tidwall/gjson v1.14.4 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.1 // indirect
	github.com/tidwall/sjson v1.2.5 // indirect
	golang.org/x/net v0.34.0 // indirect
)

replace github.com/ssekit/sse => ../
