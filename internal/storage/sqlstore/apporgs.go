package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type appOrgRepo struct{ repos }

const appOrgCols = "id, application_id, code, name, parent_id, mapped_org_id, created_at, updated_at"

func scanAppOrg(s scanner, tenantID string) (*storage.AppOrg, error) {
	var o storage.AppOrg
	var parent, mapped sql.NullString
	var created, updated int64
	if err := s.Scan(&o.ID, &o.ApplicationID, &o.Code, &o.Name, &parent, &mapped, &created, &updated); err != nil {
		return nil, notFound(err)
	}
	o.TenantID, o.ParentID, o.MappedOrgID = tenantID, parent.String, mapped.String
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
	return &o, nil
}

func (x appOrgRepo) Create(ctx context.Context, o *storage.AppOrg) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO app_orgs (tenant_id, "+appOrgCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		o.TenantID, o.ID, o.ApplicationID, o.Code, o.Name, nullable(o.ParentID), nullable(o.MappedOrgID), ms(o.CreatedAt), ms(o.UpdatedAt))
	return mapErr(err)
}

func (x appOrgRepo) getWhere(ctx context.Context, q querier, cond, tenantID, appID, v string) (*storage.AppOrg, error) {
	row := q.QueryRowContext(ctx, x.d.q("SELECT "+appOrgCols+" FROM app_orgs WHERE tenant_id = ? AND application_id = ? AND "+cond), tenantID, appID, v)
	return scanAppOrg(row, tenantID)
}

func (x appOrgRepo) Get(ctx context.Context, tenantID, appID, id string) (*storage.AppOrg, error) {
	return x.getWhere(ctx, x.r, "id = ?", tenantID, appID, id)
}

func (x appOrgRepo) GetByCode(ctx context.Context, tenantID, appID, code string) (*storage.AppOrg, error) {
	return x.getWhere(ctx, x.r, "code = ?", tenantID, appID, code)
}

func (x appOrgRepo) Update(ctx context.Context, tenantID, appID, id string, fn func(o *storage.AppOrg) error) (*storage.AppOrg, error) {
	var out *storage.AppOrg
	err := x.inTx(ctx, func(x repos) error {
		o, err := appOrgRepo{x}.getWhere(ctx, x.w, "id = ?"+x.d.forUpd, tenantID, appID, id)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
		if _, err := x.w.ExecContext(ctx, x.d.q("UPDATE app_orgs SET code = ?, name = ?, parent_id = ?, mapped_org_id = ?, updated_at = ? WHERE tenant_id = ? AND id = ?"),
			o.Code, o.Name, nullable(o.ParentID), nullable(o.MappedOrgID), ms(o.UpdatedAt), tenantID, id); err != nil {
			return mapErr(err)
		}
		out = o
		return nil
	})
	return out, err
}

// Delete removes an application organisation; its accounts keep existing
// without one.
func (x appOrgRepo) Delete(ctx context.Context, tenantID, appID, id string) error {
	return x.inTx(ctx, func(x repos) error {
		if _, err := x.w.ExecContext(ctx, x.d.q("UPDATE app_accounts SET app_org_id = NULL WHERE tenant_id = ? AND application_id = ? AND app_org_id = ?"),
			tenantID, appID, id); err != nil {
			return err
		}
		return affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM app_orgs WHERE tenant_id = ? AND application_id = ? AND id = ?"), tenantID, appID, id))
	})
}

func (x appOrgRepo) HasChildren(ctx context.Context, tenantID, appID, id string) (bool, error) {
	var n int
	err := x.r.QueryRowContext(ctx, x.d.q("SELECT count(*) FROM (SELECT 1 FROM app_orgs WHERE tenant_id = ? AND application_id = ? AND parent_id = ? LIMIT 1) s"),
		tenantID, appID, id).Scan(&n)
	return n > 0, err
}

func (x appOrgRepo) List(ctx context.Context, tenantID, appID string, offset, limit int) ([]storage.AppOrg, int, error) {
	var total int
	if err := x.r.QueryRowContext(ctx, x.d.q("SELECT count(*) FROM app_orgs WHERE tenant_id = ? AND application_id = ?"), tenantID, appID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT "+appOrgCols+" FROM app_orgs WHERE tenant_id = ? AND application_id = ? ORDER BY id LIMIT ? OFFSET ?"),
		tenantID, appID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []storage.AppOrg{}
	for rows.Next() {
		o, err := scanAppOrg(rows, tenantID)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *o)
	}
	return out, total, rows.Err()
}

func joinCols(cols, sep string) string { return strings.ReplaceAll(cols, ", ", sep) }

// ForOrg walks up the Gatehouse organisation tree from orgID and returns
// the application organisation mapped to the nearest organisation on the
// way (ErrNotFound when none is).
func (x appOrgRepo) ForOrg(ctx context.Context, tenantID, appID, orgID string) (*storage.AppOrg, error) {
	row := x.r.QueryRowContext(ctx, x.d.q(`WITH RECURSIVE up(id, parent_id, depth) AS (
		SELECT id, parent_id, 0 FROM organizations WHERE tenant_id = ? AND id = ?
		UNION ALL
		SELECT o.id, o.parent_id, up.depth + 1 FROM up CROSS JOIN organizations o
		WHERE o.tenant_id = ? AND o.id = up.parent_id AND up.depth < 100)
		SELECT a.`+joinCols(appOrgCols, ", a.")+` FROM up
		JOIN app_orgs a ON a.tenant_id = ? AND a.application_id = ? AND a.mapped_org_id = up.id
		ORDER BY up.depth LIMIT 1`), tenantID, orgID, tenantID, tenantID, appID)
	return scanAppOrg(row, tenantID)
}
