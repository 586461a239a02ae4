package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type appAccountRepo struct{ repos }

const accountCols = `id, application_id, user_id, account_name, account_type, name, password_enc, disabled, app_org_id,
	extension, created_at, updated_at`

func scanAccount(s scanner, tenantID string) (*storage.AppAccount, error) {
	var a storage.AppAccount
	var user, org sql.NullString
	var ext string
	var created, updated int64
	if err := s.Scan(&a.ID, &a.ApplicationID, &user, &a.AccountName, &a.AccountType, &a.Name, &a.PasswordEnc, &a.Disabled,
		&org, &ext, &created, &updated); err != nil {
		return nil, notFound(err)
	}
	a.TenantID, a.UserID, a.AppOrgID = tenantID, user.String, org.String
	a.Extension = json.RawMessage(ext)
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	return &a, nil
}

func (x appAccountRepo) Create(ctx context.Context, a *storage.AppAccount) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO app_accounts (tenant_id, "+accountCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		a.TenantID, a.ID, a.ApplicationID, nullable(a.UserID), a.AccountName, a.AccountType, a.Name, a.PasswordEnc, a.Disabled,
		nullable(a.AppOrgID), jsonText(a.Extension), ms(a.CreatedAt), ms(a.UpdatedAt))
	return mapErr(err)
}

func (x appAccountRepo) getWhere(ctx context.Context, q querier, cond string, args ...any) (*storage.AppAccount, error) {
	row := q.QueryRowContext(ctx, x.d.q("SELECT "+accountCols+" FROM app_accounts WHERE tenant_id = ? AND application_id = ? AND "+cond), args...)
	return scanAccount(row, args[0].(string))
}

func (x appAccountRepo) Get(ctx context.Context, tenantID, appID, id string) (*storage.AppAccount, error) {
	return x.getWhere(ctx, x.r, "id = ?", tenantID, appID, id)
}

func (x appAccountRepo) GetByUser(ctx context.Context, tenantID, appID, userID string) (*storage.AppAccount, error) {
	return x.getWhere(ctx, x.r, "user_id = ?", tenantID, appID, userID)
}

func (x appAccountRepo) Update(ctx context.Context, tenantID, appID, id string, fn func(a *storage.AppAccount) error) (*storage.AppAccount, error) {
	var out *storage.AppAccount
	err := x.inTx(ctx, func(x repos) error {
		a, err := appAccountRepo{x}.getWhere(ctx, x.w, "id = ?"+x.d.forUpd, tenantID, appID, id)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
		_, err = x.w.ExecContext(ctx, x.d.q(`UPDATE app_accounts SET user_id = ?, account_name = ?, account_type = ?, name = ?,
			password_enc = ?, disabled = ?, app_org_id = ?, extension = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`),
			nullable(a.UserID), a.AccountName, a.AccountType, a.Name, a.PasswordEnc, a.Disabled, nullable(a.AppOrgID),
			jsonText(a.Extension), ms(a.UpdatedAt), tenantID, id)
		if err != nil {
			return mapErr(err)
		}
		out = a
		return nil
	})
	return out, err
}

func (x appAccountRepo) Delete(ctx context.Context, tenantID, appID, id string) error {
	return x.inTx(ctx, func(x repos) error {
		if err := affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM app_accounts WHERE tenant_id = ? AND application_id = ? AND id = ?"), tenantID, appID, id)); err != nil {
			return err
		}
		return attributeRepo{x}.ClearUniqueValues(ctx, tenantID, id)
	})
}

func (x appAccountRepo) List(ctx context.Context, tenantID, appID, accountType string, offset, limit int) ([]storage.AppAccount, int, error) {
	where, args := "tenant_id = ? AND application_id = ?", []any{tenantID, appID}
	if accountType != "" {
		where += " AND account_type = ?"
		args = append(args, accountType)
	}
	var total int
	if err := x.r.QueryRowContext(ctx, x.d.q("SELECT count(*) FROM app_accounts WHERE "+where), args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT "+accountCols+" FROM app_accounts WHERE "+where+" ORDER BY id LIMIT ? OFFSET ?"),
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	out, err := collectAccounts(rows, tenantID)
	return out, total, err
}

func (x appAccountRepo) ListForUser(ctx context.Context, tenantID, userID string) ([]storage.AppAccount, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT "+accountCols+" FROM app_accounts WHERE tenant_id = ? AND user_id = ? ORDER BY id"), tenantID, userID)
	if err != nil {
		return nil, err
	}
	return collectAccounts(rows, tenantID)
}

func collectAccounts(rows *sql.Rows, tenantID string) ([]storage.AppAccount, error) {
	defer rows.Close()
	out := []storage.AppAccount{}
	for rows.Next() {
		a, err := scanAccount(rows, tenantID)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

func (x appAccountRepo) GetByUserWithRoles(ctx context.Context, tenantID, appID, userID string) (*storage.AppAccount, []string, error) {
	// One row: the account, and its role codes joined by spaces (codes
	// hold no spaces).
	agg := "group_concat(r.code, ' ')"
	if x.d.name == dialectPostgres {
		agg = "string_agg(r.code, ' ' ORDER BY r.code)"
	}
	row := x.r.QueryRowContext(ctx, x.d.q("SELECT "+accountCols+`, (SELECT `+agg+` FROM app_role_members m
		JOIN app_roles r ON r.tenant_id = m.tenant_id AND r.id = m.role_id
		WHERE m.tenant_id = app_accounts.tenant_id AND m.account_id = app_accounts.id)
		FROM app_accounts WHERE tenant_id = ? AND application_id = ? AND user_id = ?`), tenantID, appID, userID)
	var a storage.AppAccount
	var user, org, codes sql.NullString
	var ext string
	var created, updated int64
	if err := row.Scan(&a.ID, &a.ApplicationID, &user, &a.AccountName, &a.AccountType, &a.Name, &a.PasswordEnc, &a.Disabled,
		&org, &ext, &created, &updated, &codes); err != nil {
		return nil, nil, notFound(err)
	}
	a.TenantID, a.UserID, a.AppOrgID = tenantID, user.String, org.String
	a.Extension = json.RawMessage(ext)
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	roles := strings.Fields(codes.String)
	sort.Strings(roles)
	return &a, roles, nil
}
