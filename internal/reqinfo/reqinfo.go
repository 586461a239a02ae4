// Package reqinfo carries facts about the current HTTP request that the
// server establishes once (request id, client IP) to the handlers that
// record or log them.
package reqinfo

import "context"

// Info is what the server knows about a request before any handler runs.
type Info struct {
	ID string // request id, echoed in X-Request-Id and every log line
	IP string // client IP, after trusted proxies are peeled off
}

type ctxKey struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// From returns the request's Info (zero outside a request).
func From(ctx context.Context) Info {
	i, _ := ctx.Value(ctxKey{}).(Info)
	return i
}
