package tenant

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// refreshEvery bounds how stale a node's view of the tenant list may be:
// tenants deleted by another node or by the CLI are gone within this time.
// A host or tenant id the list lacks triggers a reload at most once per
// missRefresh, so a tenant created elsewhere is served almost at once.
const (
	refreshEvery = 5 * time.Second
	missRefresh  = 500 * time.Millisecond
)

// Resolver maps hosts and tenant ids to tenants from an in-memory copy of
// the tenant list, refreshed from storage in the background of requests.
type Resolver struct {
	Store storage.Store
	Now   func() time.Time

	mu       sync.Mutex
	loadedAt time.Time
	byID     map[string]*storage.Tenant
	byDomain map[string]*storage.Tenant
}

// Resolve returns the tenant of a request: the one whose id is headerID
// when given (nil when there is none), else the one whose domain is host,
// else the default tenant.
func (r *Resolver) Resolve(ctx context.Context, host, headerID string) (*storage.Tenant, error) {
	t, found, err := r.lookup(ctx, host, headerID, refreshEvery)
	if err == nil && !found {
		t, _, err = r.lookup(ctx, host, headerID, missRefresh)
	}
	return t, err
}

// lookup resolves from a list at most maxAge old; found is false when the
// answer came from the fallback (no such id, or no such domain).
func (r *Resolver) lookup(ctx context.Context, host, headerID string, maxAge time.Duration) (*storage.Tenant, bool, error) {
	byID, byDomain, err := r.maps(ctx, maxAge)
	if err != nil {
		return nil, false, err
	}
	if headerID != "" {
		t := byID[headerID]
		return t, t != nil, nil
	}
	host = strings.ToLower(host)
	if t := byDomain[host]; t != nil {
		return t, true, nil
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		if t := byDomain[h]; t != nil {
			return t, true, nil
		}
	}
	return byID[storage.DefaultTenantID], false, nil
}

// Invalidate makes the next Resolve reload the tenant list.
func (r *Resolver) Invalidate() {
	r.mu.Lock()
	r.loadedAt = time.Time{}
	r.mu.Unlock()
}

func (r *Resolver) maps(ctx context.Context, maxAge time.Duration) (map[string]*storage.Tenant, map[string]*storage.Tenant, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID != nil && r.Now().Sub(r.loadedAt) < maxAge {
		return r.byID, r.byDomain, nil
	}
	list, err := r.Store.Tenants().List(ctx)
	if err != nil {
		if r.byID != nil {
			return r.byID, r.byDomain, nil // serve the last known list while the database is away
		}
		return nil, nil, err
	}
	byID := make(map[string]*storage.Tenant, len(list))
	byDomain := make(map[string]*storage.Tenant, len(list))
	for i := range list {
		t := &list[i]
		byID[t.ID] = t
		if t.Domain != "" {
			byDomain[t.Domain] = t
		}
	}
	r.byID, r.byDomain, r.loadedAt = byID, byDomain, r.Now()
	return byID, byDomain, nil
}
