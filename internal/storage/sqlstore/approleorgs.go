package sqlstore

import (
	"context"
	"sort"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// Roles given to application organisations (app_role_orgs).

// AddOrg inserts only when the organisation belongs to the role's
// application; an existing assignment is left alone (ON CONFLICT DO
// NOTHING keeps a PostgreSQL transaction usable) and reported as not found.
func (x appRoleRepo) AddOrg(ctx context.Context, tenantID, roleID, appOrgID string) error {
	res, err := x.w.ExecContext(ctx, x.d.q(`INSERT INTO app_role_orgs (tenant_id, role_id, app_org_id)
		SELECT r.tenant_id, r.id, o.id FROM app_roles r JOIN app_orgs o ON o.tenant_id = r.tenant_id AND o.application_id = r.application_id
		WHERE r.tenant_id = ? AND r.id = ? AND o.id = ?
		ON CONFLICT DO NOTHING`), tenantID, roleID, appOrgID)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

func (x appRoleRepo) RemoveOrg(ctx context.Context, tenantID, roleID, appOrgID string) error {
	return affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM app_role_orgs WHERE tenant_id = ? AND role_id = ? AND app_org_id = ?"),
		tenantID, roleID, appOrgID))
}

func (x appRoleRepo) Orgs(ctx context.Context, tenantID, roleID string, offset, limit int) ([]storage.AppOrg, int, error) {
	var total int
	if err := x.r.QueryRowContext(ctx, x.d.q("SELECT count(*) FROM app_role_orgs WHERE tenant_id = ? AND role_id = ?"),
		tenantID, roleID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT o."+joinCols(appOrgCols, ", o.")+` FROM app_role_orgs ro
		JOIN app_orgs o ON o.tenant_id = ro.tenant_id AND o.id = ro.app_org_id
		WHERE ro.tenant_id = ? AND ro.role_id = ? ORDER BY o.id LIMIT ? OFFSET ?`), tenantID, roleID, limit, offset)
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

// RolesOfOrg walks up from appOrgID (CROSS JOIN keeps the walk the outer
// loop on SQLite) and collects the roles given on the way.
func (x appRoleRepo) RolesOfOrg(ctx context.Context, tenantID, appOrgID string) ([]string, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q(`WITH RECURSIVE up(id, parent_id) AS (
		SELECT id, parent_id FROM app_orgs WHERE tenant_id = ? AND id = ?
		UNION
		SELECT o.id, o.parent_id FROM up CROSS JOIN app_orgs o WHERE o.tenant_id = ? AND o.id = up.parent_id)
		SELECT DISTINCT r.code FROM up
		JOIN app_role_orgs ro ON ro.tenant_id = ? AND ro.app_org_id = up.id
		JOIN app_roles r ON r.tenant_id = ro.tenant_id AND r.id = ro.role_id
		ORDER BY r.code`), tenantID, appOrgID, tenantID, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		codes = append(codes, c)
	}
	sort.Strings(codes) // by byte, as GetByUserWithRoles (PostgreSQL's collation may differ)
	return codes, rows.Err()
}
