module github.com/ssekit/sse

go 1.25

require github.com/cenkalti/backoff/v4 v4.3.0

require github.com/google/go-cmp v0.7.0
