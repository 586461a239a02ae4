package sqlstore

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type appRoleRepo struct{ repos }

const roleCols = "id, application_id, code, name, created_at, updated_at"

func scanRole(s scanner, tenantID string) (*storage.AppRole, error) {
	var r storage.AppRole
	var created, updated int64
	if err := s.Scan(&r.ID, &r.ApplicationID, &r.Code, &r.Name, &created, &updated); err != nil {
		return nil, notFound(err)
	}
	r.TenantID = tenantID
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return &r, nil
}

func (x appRoleRepo) Create(ctx context.Context, r *storage.AppRole) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO app_roles (tenant_id, "+roleCols+") VALUES (?, ?, ?, ?, ?, ?, ?)"),
		r.TenantID, r.ID, r.ApplicationID, r.Code, r.Name, ms(r.CreatedAt), ms(r.UpdatedAt))
	return mapErr(err)
}

func (x appRoleRepo) get(ctx context.Context, q querier, tenantID, appID, id, suffix string) (*storage.AppRole, error) {
	row := q.QueryRowContext(ctx, x.d.q("SELECT "+roleCols+" FROM app_roles WHERE tenant_id = ? AND application_id = ? AND id = ?"+suffix), tenantID, appID, id)
	return scanRole(row, tenantID)
}

func (x appRoleRepo) Get(ctx context.Context, tenantID, appID, id string) (*storage.AppRole, error) {
	return x.get(ctx, x.r, tenantID, appID, id, "")
}

func (x appRoleRepo) Update(ctx context.Context, tenantID, appID, id string, fn func(r *storage.AppRole) error) (*storage.AppRole, error) {
	var out *storage.AppRole
	err := x.inTx(ctx, func(x repos) error {
		r, err := appRoleRepo{x}.get(ctx, x.w, tenantID, appID, id, x.d.forUpd)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		if _, err := x.w.ExecContext(ctx, x.d.q("UPDATE app_roles SET code = ?, name = ?, updated_at = ? WHERE tenant_id = ? AND id = ?"),
			r.Code, r.Name, ms(r.UpdatedAt), tenantID, id); err != nil {
			return mapErr(err)
		}
		out = r
		return nil
	})
	return out, err
}

func (x appRoleRepo) Delete(ctx context.Context, tenantID, appID, id string) error {
	return affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM app_roles WHERE tenant_id = ? AND application_id = ? AND id = ?"), tenantID, appID, id))
}

func (x appRoleRepo) List(ctx context.Context, tenantID, appID string, offset, limit int) ([]storage.AppRole, int, error) {
	var total int
	if err := x.r.QueryRowContext(ctx, x.d.q("SELECT count(*) FROM app_roles WHERE tenant_id = ? AND application_id = ?"), tenantID, appID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT "+roleCols+" FROM app_roles WHERE tenant_id = ? AND application_id = ? ORDER BY id LIMIT ? OFFSET ?"),
		tenantID, appID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []storage.AppRole{}
	for rows.Next() {
		r, err := scanRole(rows, tenantID)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *r)
	}
	return out, total, rows.Err()
}

// AddMember inserts the membership only when the account belongs to the
// role's application (the INSERT … SELECT finds no row otherwise). An
// existing membership is left alone (ON CONFLICT DO NOTHING: a unique
// violation would abort a PostgreSQL transaction) and reported as
// ErrNotFound like a foreign account: nothing was added.
func (x appRoleRepo) AddMember(ctx context.Context, tenantID, roleID, accountID string) error {
	res, err := x.w.ExecContext(ctx, x.d.q(`INSERT INTO app_role_members (tenant_id, role_id, account_id)
		SELECT r.tenant_id, r.id, a.id FROM app_roles r JOIN app_accounts a ON a.tenant_id = r.tenant_id AND a.application_id = r.application_id
		WHERE r.tenant_id = ? AND r.id = ? AND a.id = ?
		ON CONFLICT DO NOTHING`), tenantID, roleID, accountID)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

func (x appRoleRepo) RemoveMember(ctx context.Context, tenantID, roleID, accountID string) error {
	return affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM app_role_members WHERE tenant_id = ? AND role_id = ? AND account_id = ?"), tenantID, roleID, accountID))
}

func (x appRoleRepo) Members(ctx context.Context, tenantID, roleID string, offset, limit int) ([]storage.AppAccount, int, error) {
	var total int
	if err := x.r.QueryRowContext(ctx, x.d.q("SELECT count(*) FROM app_role_members WHERE tenant_id = ? AND role_id = ?"), tenantID, roleID).Scan(&total); err != nil {
		return nil, 0, err
	}
	cols := "a." + joinCols(accountCols, ", a.")
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT "+cols+` FROM app_role_members m JOIN app_accounts a ON a.tenant_id = m.tenant_id AND a.id = m.account_id
		WHERE m.tenant_id = ? AND m.role_id = ? ORDER BY a.id LIMIT ? OFFSET ?`), tenantID, roleID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	out, err := collectAccounts(rows, tenantID)
	return out, total, err
}

func (x appRoleRepo) RolesOf(ctx context.Context, tenantID string, accountIDs []string) (map[string][]storage.AppRole, error) {
	out := map[string][]storage.AppRole{}
	if len(accountIDs) == 0 {
		return out, nil
	}
	in, args := inList(tenantID, accountIDs)
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT m.account_id, r.id, r.application_id, r.code, r.name, r.created_at, r.updated_at"+
		" FROM app_role_members m JOIN app_roles r ON r.tenant_id = m.tenant_id AND r.id = m.role_id"+
		" WHERE m.tenant_id = ? AND m.account_id IN "+in+" ORDER BY r.code"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var acc string
		var r storage.AppRole
		var created, updated int64
		if err := rows.Scan(&acc, &r.ID, &r.ApplicationID, &r.Code, &r.Name, &created, &updated); err != nil {
			return nil, err
		}
		r.TenantID = tenantID
		r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
		out[acc] = append(out[acc], r)
	}
	return out, rows.Err()
}
