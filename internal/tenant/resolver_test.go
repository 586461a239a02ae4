package tenant

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

func TestResolve(t *testing.T) {
	ctx := context.Background()
	store := sqltest.Open(t, sqltest.SQLiteDSN(t))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for _, tn := range []storage.Tenant{
		{ID: storage.DefaultTenantID, Name: "d", CreatedAt: now},
		{ID: "acme", Name: "acme", Domain: "acme.example.com", CreatedAt: now},
		{ID: "ported", Name: "p", Domain: "p.example.com:8443", CreatedAt: now},
	} {
		if err := store.Tenants().Create(ctx, &tn); err != nil {
			t.Fatal(err)
		}
	}
	r := &Resolver{Store: store, Now: clock, DefaultHost: "id.example.com"}
	cases := []struct{ host, header, want string }{
		{"acme.example.com", "", "acme"},
		{"ACME.example.com:8080", "", "acme"}, // case-insensitive, any port
		{"p.example.com:8443", "", "ported"},
		{"p.example.com", "", storage.DefaultTenantID}, // the tenant's port is part of its domain
		{"localhost:8080", "", storage.DefaultTenantID},
		{"", "", storage.DefaultTenantID},
		{"localhost", "acme", "acme"}, // X-tenant-id wins over Host
	}
	for _, c := range cases {
		got, err := r.Resolve(ctx, c.host, c.header)
		if err != nil || got == nil || got.ID != c.want {
			t.Errorf("Resolve(%q, %q) = %v, %v; want %s", c.host, c.header, got, err, c.want)
		}
	}
	if got, err := r.Resolve(ctx, "acme.example.com", "nope"); err != nil || got != nil {
		t.Errorf("unknown X-tenant-id = %v, %v; want no tenant", got, err)
	}
	// A tenant created elsewhere is found once the miss interval passes,
	// without waiting for the full refresh.
	store.Tenants().Create(ctx, &storage.Tenant{ID: "late", Name: "l", Domain: "late.example.com", CreatedAt: now})
	now = now.Add(missRefresh)
	if got, _ := r.Resolve(ctx, "late.example.com", ""); got == nil || got.ID != "late" {
		t.Errorf("tenant created elsewhere not found after %s: %v", missRefresh, got)
	}
	// The base URL's host is the default tenant's, and a hit: it does not
	// reload the list as an unknown host would (a tenant given that domain
	// elsewhere is served from the next full refresh).
	store.Tenants().Create(ctx, &storage.Tenant{ID: "claims", Name: "c", Domain: "id.example.com", CreatedAt: now})
	now = now.Add(missRefresh)
	if got, _ := r.Resolve(ctx, "id.example.com", ""); got == nil || got.ID != storage.DefaultTenantID {
		t.Errorf("base URL host = %v, want the default tenant without a reload", got)
	}
	// A deleted tenant disappears at the next refresh.
	store.Tenants().Delete(ctx, "acme")
	now = now.Add(refreshEvery)
	if got, _ := r.Resolve(ctx, "acme.example.com", ""); got == nil || got.ID != storage.DefaultTenantID {
		t.Errorf("deleted tenant still served: %v", got)
	}
	if got, _ := r.Resolve(ctx, "id.example.com", ""); got == nil || got.ID != "claims" {
		t.Errorf("a tenant's domain wins over the base URL's host after a refresh: %v", got)
	}
}

func TestBaseURL(t *testing.T) {
	def := &storage.Tenant{ID: storage.DefaultTenantID}
	cases := []struct {
		t    *storage.Tenant
		base string
		want string
	}{
		{def, "https://id.example.com", "https://id.example.com"},
		{&storage.Tenant{ID: "x", Domain: "acme.example.com"}, "https://id.example.com", "https://acme.example.com"},
		{&storage.Tenant{ID: "x", Domain: "acme.localhost"}, "http://localhost:8080", "http://acme.localhost:8080"},
		{&storage.Tenant{ID: "x", Domain: "acme.localhost:9000"}, "http://localhost:8080", "http://acme.localhost:9000"},
	}
	for _, c := range cases {
		if got := BaseURL(c.t, c.base); got != c.want {
			t.Errorf("BaseURL(%+v, %s) = %s, want %s", c.t, c.base, got, c.want)
		}
	}
}
