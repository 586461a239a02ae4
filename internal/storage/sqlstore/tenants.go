package sqlstore

import (
	"context"
	"database/sql"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type tenantRepo struct{ repos }

func (x tenantRepo) Create(ctx context.Context, t *storage.Tenant) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO tenants (id, name, domain, created_at) VALUES (?, ?, ?, ?)"),
		t.ID, t.Name, nullable(t.Domain), ms(t.CreatedAt))
	return mapErr(err)
}

func (x tenantRepo) Get(ctx context.Context, id string) (*storage.Tenant, error) {
	row := x.r.QueryRowContext(ctx, x.d.q("SELECT id, name, domain, created_at FROM tenants WHERE id = ?"), id)
	t, err := scanTenant(row)
	return t, notFound(err)
}

func (x tenantRepo) List(ctx context.Context) ([]storage.Tenant, error) {
	rows, err := x.r.QueryContext(ctx, "SELECT id, name, domain, created_at FROM tenants ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// tenantTables lists every tenant-owned table, children before parents, so
// that deleting in this order never trips a foreign key.
var tenantTables = []string{
	"attribute_unique_values", "attribute_defs",
	"app_role_members", "app_role_orgs", "app_roles", "app_accounts", "app_orgs",
	"mgmt_tokens", "app_api_scopes", "saml_entity_ids", "applications", "api_clients", "audit_events", "signing_keys",
	"sso_sessions", "saml_sessions", "oauth_codes", "cas_tickets", "refresh_tokens", "consents", "revocations",
	"user_orgs", "user_counts", "mfa_credentials", "users", "organizations",
}

func (x tenantRepo) Delete(ctx context.Context, id string) error {
	return x.inTx(ctx, func(x repos) error {
		for _, table := range tenantTables {
			if table == "organizations" {
				// Children before parents within the tree.
				if _, err := x.w.ExecContext(ctx, x.d.q("UPDATE organizations SET parent_id = NULL WHERE tenant_id = ?"), id); err != nil {
					return err
				}
			}
			if _, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM "+table+" WHERE tenant_id = ?"), id); err != nil {
				return err
			}
		}
		return affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM tenants WHERE id = ?"), id))
	})
}

type scanner interface{ Scan(dest ...any) error }

func scanTenant(s scanner) (*storage.Tenant, error) {
	var t storage.Tenant
	var domain sql.NullString
	var created int64
	if err := s.Scan(&t.ID, &t.Name, &domain, &created); err != nil {
		return nil, err
	}
	t.Domain = domain.String
	t.CreatedAt = fromMS(created)
	return &t, nil
}
