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
// tenants created or deleted by another node or by the CLI are seen within
// this time.
const refreshEvery = 5 * time.Second

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
	byID, byDomain, err := r.maps(ctx)
	if err != nil {
		return nil, err
	}
	if headerID != "" {
		return byID[headerID], nil
	}
	host = strings.ToLower(host)
	if t := byDomain[host]; t != nil {
		return t, nil
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		if t := byDomain[h]; t != nil {
			return t, nil
		}
	}
	return byID[storage.DefaultTenantID], nil
}

// Invalidate makes the next Resolve reload the tenant list.
func (r *Resolver) Invalidate() {
	r.mu.Lock()
	r.loadedAt = time.Time{}
	r.mu.Unlock()
}

func (r *Resolver) maps(ctx context.Context) (map[string]*storage.Tenant, map[string]*storage.Tenant, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID != nil && r.Now().Sub(r.loadedAt) < refreshEvery {
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
