package tenant

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/storage"
)

type ctxKey struct{}

// WithTenant returns ctx carrying the request's tenant.
func WithTenant(ctx context.Context, t *storage.Tenant) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// FromContext returns the request's tenant; the server sets it on every
// request before any handler runs (in the request's reqinfo.Info, which
// saves a context of its own; WithTenant wins when both are there).
func FromContext(ctx context.Context) *storage.Tenant {
	if t, _ := ctx.Value(ctxKey{}).(*storage.Tenant); t != nil {
		return t
	}
	if i := reqinfo.Ptr(ctx); i != nil {
		return i.Tenant
	}
	return nil
}
