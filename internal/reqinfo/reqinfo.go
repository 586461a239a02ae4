// Package reqinfo carries facts about the current HTTP request that the
// server establishes once (request id, client IP) to the handlers that
// record or log them.
package reqinfo

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// Info is what the server knows about a request before any handler runs.
type Info struct {
	ID string // request id, echoed in X-Request-Id and every log line
	IP string // client IP, after trusted proxies are peeled off
	// Route is the pattern of the route that serves the request, set by
	// the server's router once it has matched ("unmatched" before).
	Route string
	// Tenant is the request's tenant, set once it is resolved (nil for the
	// operational endpoints, which answer for the process). Handlers read
	// it with tenant.FromContext.
	Tenant *storage.Tenant
}

type ctxKey struct{}

// With returns ctx carrying info. The server keeps info and fills Route
// once the router has matched: one context value per request carries all
// of it.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// From returns the request's Info (zero outside a request).
func From(ctx context.Context) Info {
	if i, _ := ctx.Value(ctxKey{}).(*Info); i != nil {
		return *i
	}
	return Info{}
}

// Ptr returns the request's Info for the server to fill in as it learns
// more (nil outside a request). Handlers read it with From.
func Ptr(ctx context.Context) *Info {
	i, _ := ctx.Value(ctxKey{}).(*Info)
	return i
}
