package tenant

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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
// Every request resolves its tenant, so lookups take no lock: they read an
// immutable snapshot, and only a reload takes the mutex.
type Resolver struct {
	Store storage.Store
	Now   func() time.Time
	// DefaultHost is the host (with its port, as in a Host header) of the
	// configured base URL. Requests for it belong to the default tenant
	// unless a tenant claims that domain, and count as found, so that they
	// never cause the reloads an unknown host does.
	DefaultHost string

	snap atomic.Pointer[tenantSnapshot]
	mu   sync.Mutex // held while reloading
}

// tenantSnapshot is one loaded copy of the tenant list; never modified.
type tenantSnapshot struct {
	loadedAt time.Time
	byID     map[string]*storage.Tenant
	byDomain map[string]*storage.Tenant
}

// Resolve returns the tenant of a request: the one whose id is headerID
// when given (nil when there is none), else the one whose domain is host,
// else the default tenant.
func (r *Resolver) Resolve(ctx context.Context, host, headerID string) (*storage.Tenant, error) {
	s, err := r.current(ctx, refreshEvery)
	if err != nil {
		return nil, err
	}
	t, found := s.lookup(host, headerID, r.DefaultHost)
	if !found {
		if s, err = r.current(ctx, missRefresh); err != nil {
			return nil, err
		}
		t, _ = s.lookup(host, headerID, r.DefaultHost)
	}
	return t, nil
}

// lookup resolves from the snapshot; found is false when the answer came
// from the fallback (no such id, or no such domain).
func (s *tenantSnapshot) lookup(host, headerID, defaultHost string) (*storage.Tenant, bool) {
	if headerID != "" {
		t := s.byID[headerID]
		return t, t != nil
	}
	host = strings.ToLower(host)
	if t := s.byDomain[host]; t != nil {
		return t, true
	}
	if strings.IndexByte(host, ':') >= 0 {
		if h, _, err := net.SplitHostPort(host); err == nil {
			if t := s.byDomain[h]; t != nil {
				return t, true
			}
		}
	}
	return s.byID[storage.DefaultTenantID], host == defaultHost && defaultHost != ""
}

// Invalidate makes the next Resolve reload the tenant list.
func (r *Resolver) Invalidate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.snap.Load(); s != nil {
		stale := *s
		stale.loadedAt = time.Time{}
		r.snap.Store(&stale)
	}
}

// current returns a snapshot at most maxAge old, reloading it when it is
// older; concurrent callers that find it stale wait for one reload.
func (r *Resolver) current(ctx context.Context, maxAge time.Duration) (*tenantSnapshot, error) {
	if s := r.snap.Load(); s != nil && r.Now().Sub(s.loadedAt) < maxAge {
		return s, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.snap.Load()
	if s != nil && r.Now().Sub(s.loadedAt) < maxAge {
		return s, nil // another request reloaded it meanwhile
	}
	list, err := r.Store.Tenants().List(ctx)
	if err != nil {
		if s != nil {
			return s, nil // serve the last known list while the database is away
		}
		return nil, err
	}
	n := &tenantSnapshot{loadedAt: r.Now(), byID: make(map[string]*storage.Tenant, len(list)),
		byDomain: make(map[string]*storage.Tenant, len(list))}
	for i := range list {
		t := &list[i]
		n.byID[t.ID] = t
		if t.Domain != "" {
			n.byDomain[t.Domain] = t
		}
	}
	r.snap.Store(n)
	return n, nil
}
