package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type appRepo struct{ repos }

const appCols = `id, name, description, logo_url, home_url, protocol, disabled, settings, api_permissions,
	client_id, access_policy, claim_mappings, category, access_orgs, account_name_rule, access_rules, login_methods, mfa, created_at, updated_at`

func appArgs(a *storage.Application) []any {
	return []any{a.Name, a.Description, a.LogoURL, a.HomeURL, a.Protocol, a.Disabled, jsonText(a.Settings),
		strings.Join(a.APIPermissions, " "), a.ClientID, accessPolicy(a.AccessPolicy), jsonArray(a.ClaimMappings), a.Category,
		strings.Join(a.AccessOrgIDs, " "), accountNameRule(a.AccountNameRule), jsonArray(a.AccessRules), loginMethods(a.LoginMethods), mfaPolicy(a.MFA), ms(a.CreatedAt), ms(a.UpdatedAt)}
}

func (x appRepo) Create(ctx context.Context, a *storage.Application) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO applications (tenant_id, "+appCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		append([]any{a.TenantID, a.ID}, appArgs(a)...)...)
	return mapErr(err)
}

func (x appRepo) Get(ctx context.Context, tenantID, id string) (*storage.Application, error) {
	return x.getWhere(ctx, x.r, "id = ?", tenantID, id, "")
}

func (x appRepo) GetByClientID(ctx context.Context, tenantID, clientID string) (*storage.Application, error) {
	return x.getWhere(ctx, x.r, "client_id = ?", tenantID, clientID, "")
}

func (x appRepo) getWhere(ctx context.Context, q querier, cond, tenantID, val, suffix string) (*storage.Application, error) {
	row := q.QueryRowContext(ctx, x.d.q("SELECT "+appCols+" FROM applications WHERE tenant_id = ? AND "+cond+suffix), tenantID, val)
	a, err := scanApp(row)
	if err != nil {
		return nil, notFound(err)
	}
	a.TenantID = tenantID
	return a, nil
}

func (x appRepo) Update(ctx context.Context, tenantID, id string, fn func(a *storage.Application) error) (*storage.Application, error) {
	var out *storage.Application
	err := x.inTx(ctx, func(x repos) error {
		a, err := appRepo{x}.getWhere(ctx, x.w, "id = ?", tenantID, id, x.d.forUpd)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
		_, err = x.w.ExecContext(ctx, x.d.q(`UPDATE applications SET name = ?, description = ?, logo_url = ?, home_url = ?,
			protocol = ?, disabled = ?, settings = ?, api_permissions = ?, client_id = ?, access_policy = ?, claim_mappings = ?,
			category = ?, access_orgs = ?, account_name_rule = ?, access_rules = ?, login_methods = ?, mfa = ?, created_at = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`), append(appArgs(a), tenantID, id)...)
		if err != nil {
			return mapErr(err)
		}
		out = a
		return nil
	})
	return out, err
}

func (x appRepo) Delete(ctx context.Context, tenantID, id string) error {
	return x.inTx(ctx, func(x repos) error {
		a, err := appRepo{x}.getWhere(ctx, x.w, "id = ?", tenantID, id, x.d.forUpd)
		if err != nil {
			return err
		}
		if err := (apiClientRepo{x}).Delete(ctx, tenantID, a.ClientID); err != nil && err != storage.ErrNotFound {
			return err
		}
		if err := (refreshRepo{x}).DeleteForClient(ctx, tenantID, a.ClientID); err != nil {
			return err
		}
		// The application's account attributes, and the unique values its
		// accounts held (the accounts themselves go by cascade).
		if _, err := x.w.ExecContext(ctx, x.d.q(`DELETE FROM attribute_unique_values WHERE tenant_id = ?
			AND entity_id IN (SELECT id FROM app_accounts WHERE tenant_id = ? AND application_id = ?)`), tenantID, tenantID, id); err != nil {
			return err
		}
		if _, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM attribute_defs WHERE tenant_id = ? AND entity = 'app_account' AND application_id = ?"),
			tenantID, id); err != nil {
			return err
		}
		return affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM applications WHERE tenant_id = ? AND id = ?"), tenantID, id))
	})
}

func (x appRepo) List(ctx context.Context, tenantID string, offset, limit int) ([]storage.Application, int, error) {
	var total int
	if err := x.r.QueryRowContext(ctx, x.d.q("SELECT count(*) FROM applications WHERE tenant_id = ?"), tenantID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT "+appCols+" FROM applications WHERE tenant_id = ? ORDER BY id LIMIT ? OFFSET ?"),
		tenantID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []storage.Application{}
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, 0, err
		}
		a.TenantID = tenantID
		out = append(out, *a)
	}
	return out, total, rows.Err()
}

func scanApp(s scanner) (*storage.Application, error) {
	var a storage.Application
	var settings, perms, claims, orgs, rules, methods string
	var created, updated int64
	if err := s.Scan(&a.ID, &a.Name, &a.Description, &a.LogoURL, &a.HomeURL, &a.Protocol, &a.Disabled, &settings,
		&perms, &a.ClientID, &a.AccessPolicy, &claims, &a.Category, &orgs, &a.AccountNameRule, &rules, &methods, &a.MFA, &created, &updated); err != nil {
		return nil, err
	}
	a.AccessRules = json.RawMessage(rules)
	a.LoginMethods = strings.Fields(methods)
	a.AccessOrgIDs = strings.Fields(orgs)
	a.ClaimMappings = json.RawMessage(claims)
	a.Settings = json.RawMessage(settings)
	a.APIPermissions = strings.Fields(perms)
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	return &a, nil
}

func accessPolicy(p string) string {
	if p == "" {
		return storage.AccessAllUsers
	}
	return p
}

func accountNameRule(r string) string {
	if r == "" {
		return "user_name"
	}
	return r
}

func jsonArray(m json.RawMessage) string {
	if len(m) == 0 {
		return "[]"
	}
	return string(m)
}

func (x appRepo) SetAPIScopes(ctx context.Context, tenantID, appID string, scopes []string) error {
	return x.inTx(ctx, func(x repos) error {
		if _, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM app_api_scopes WHERE tenant_id = ? AND application_id = ?"), tenantID, appID); err != nil {
			return err
		}
		for _, sc := range scopes {
			_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO app_api_scopes (tenant_id, scope, application_id) VALUES (?, ?, ?)"), tenantID, sc, appID)
			if err != nil {
				if err = mapErr(err); errors.Is(err, storage.ErrConflict) {
					return &storage.ConflictError{Entity: "application", Field: "api_scopes:" + sc}
				}
				return err
			}
		}
		return nil
	})
}

func (x appRepo) APIScopeOwners(ctx context.Context, tenantID string, scopes []string) (map[string]string, error) {
	out := map[string]string{}
	if len(scopes) == 0 {
		return out, nil
	}
	in, args := inList(tenantID, scopes)
	rows, err := x.r.QueryContext(ctx, x.d.q(`SELECT s.scope, a.client_id FROM app_api_scopes s
		JOIN applications a ON a.tenant_id = s.tenant_id AND a.id = s.application_id
		WHERE s.tenant_id = ? AND s.scope IN `+in), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sc, cid string
		if err := rows.Scan(&sc, &cid); err != nil {
			return nil, err
		}
		out[sc] = cid
	}
	return out, rows.Err()
}

// loginMethods and mfaPolicy store an application's login settings, with
// today's behaviour (password, no second factor) for a zero value.
func loginMethods(m []string) string {
	if len(m) == 0 {
		return storage.LoginPassword
	}
	return strings.Join(m, " ")
}

func mfaPolicy(p string) string {
	if p == "" {
		return storage.MFAOff
	}
	return p
}
