package tenant

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type ctxKey struct{}

// WithTenant returns ctx carrying the request's tenant.
func WithTenant(ctx context.Context, t *storage.Tenant) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// FromContext returns the request's tenant; the server sets it on every
// request before any handler runs.
func FromContext(ctx context.Context) *storage.Tenant {
	t, _ := ctx.Value(ctxKey{}).(*storage.Tenant)
	return t
}
