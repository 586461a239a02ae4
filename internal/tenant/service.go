package tenant

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Service creates, lists and deletes tenants.
type Service struct {
	Store    storage.Store
	Clients  *apps.Clients
	Audit    *audit.Recorder
	Resolver *Resolver // invalidated on every change; may be nil (CLI)
	Now      func() time.Time
}

// Created is a new tenant with the first API client of its management API.
type Created struct {
	Tenant storage.Tenant
	Client apps.NewClient
}

// EnsureDefault creates the default tenant on first start.
func (s *Service) EnsureDefault(ctx context.Context) (bool, error) {
	_, err := s.Store.Tenants().Get(ctx, storage.DefaultTenantID)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return false, err
	}
	err = s.Store.Tenants().Create(ctx, &storage.Tenant{ID: storage.DefaultTenantID, Name: "Default", CreatedAt: s.Now()})
	if errors.Is(err, storage.ErrConflict) { // another node won
		return false, nil
	}
	return err == nil, err
}

var domainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$`)

// Create makes a tenant served for requests whose Host is domain, with a
// first management-API client holding every permission. The event is
// audited in the default tenant, where the system API lives.
func (s *Service) Create(ctx context.Context, a audit.Actor, name, domain string) (*Created, error) {
	name = strings.TrimSpace(name)
	domain = strings.ToLower(strings.TrimSpace(domain))
	switch {
	case name == "":
		return nil, failure.Invalidf("TENANT.0002", "name", "The name is required.")
	case utf8.RuneCountInString(name) > 64:
		return nil, failure.Invalidf("TENANT.0003", "name", "The name must be at most 64 characters.")
	case domain == "":
		return nil, failure.Invalidf("TENANT.0004", "domain", "The domain is required.")
	case len(domain) > 253 || !domainRE.MatchString(domain):
		return nil, failure.Invalidf("TENANT.0005", "domain", "The domain must be a host name, optionally with :port, e.g. acme.example.com.")
	}
	out := &Created{Tenant: storage.Tenant{ID: newTenantID(), Name: name, Domain: domain, CreatedAt: s.Now()}}
	err := s.Audit.Do(ctx, storage.DefaultTenantID, a, "tenant.create", audit.Target{Type: "tenant", ID: out.Tenant.ID},
		func(tx storage.Repos, _ *audit.Target) error {
			if err := tx.Tenants().Create(ctx, &out.Tenant); err != nil {
				if errors.Is(err, storage.ErrConflict) {
					return failure.New(failure.Conflict, "TENANT.0006", "domain", "The domain is already used by another tenant.")
				}
				return err
			}
			var err error
			out.Client, err = s.Clients.Create(ctx, tx, out.Tenant.ID, "first API client", []string{storage.PermAll})
			return err
		})
	if err != nil {
		return nil, err
	}
	s.invalidate()
	return out, nil
}

var errNoTenant = failure.New(failure.NotFound, "TENANT.0001", "tenant_id", "Tenant does not exist.")

// Get returns one tenant.
func (s *Service) Get(ctx context.Context, id string) (*storage.Tenant, error) {
	t, err := s.Store.Tenants().Get(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errNoTenant
	}
	return t, err
}

// List returns every tenant, oldest first.
func (s *Service) List(ctx context.Context) ([]storage.Tenant, error) {
	return s.Store.Tenants().List(ctx)
}

// Delete removes a tenant and everything it owns. The default tenant
// cannot be deleted.
func (s *Service) Delete(ctx context.Context, a audit.Actor, id string) error {
	if id == storage.DefaultTenantID {
		return failure.Invalidf("TENANT.0007", "tenant_id", "The default tenant cannot be deleted.")
	}
	err := s.Audit.Do(ctx, storage.DefaultTenantID, a, "tenant.delete", audit.Target{Type: "tenant", ID: id},
		func(tx storage.Repos, _ *audit.Target) error {
			err := tx.Tenants().Delete(ctx, id)
			if errors.Is(err, storage.ErrNotFound) {
				return errNoTenant
			}
			return err
		})
	if err == nil {
		s.invalidate()
	}
	return err
}

func (s *Service) invalidate() {
	if s.Resolver != nil {
		s.Resolver.Invalidate()
	}
}
