package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type apiClientRepo struct{ repos }

func (x apiClientRepo) Create(ctx context.Context, c *storage.APIClient) error {
	_, err := x.w.ExecContext(ctx, x.d.q(`INSERT INTO api_clients (tenant_id, client_id, name, secret_hash,
		prev_secret_hash, prev_valid_until, permissions, application_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		c.TenantID, c.ClientID, c.Name, c.SecretHash, c.PrevSecretHash, ms(c.PrevValidUntil),
		strings.Join(c.Permissions, " "), nullable(c.ApplicationID), ms(c.CreatedAt))
	return mapErr(err)
}

func (x apiClientRepo) Get(ctx context.Context, tenantID, clientID string) (*storage.APIClient, error) {
	return x.get(ctx, x.r, tenantID, clientID, "")
}

func (x apiClientRepo) get(ctx context.Context, q querier, tenantID, clientID, suffix string) (*storage.APIClient, error) {
	var c storage.APIClient
	var perms string
	var app sql.NullString
	var prevUntil, created int64
	err := q.QueryRowContext(ctx, x.d.q(`SELECT client_id, name, secret_hash, prev_secret_hash, prev_valid_until,
		permissions, application_id, created_at FROM api_clients WHERE tenant_id = ? AND client_id = ?`+suffix), tenantID, clientID).
		Scan(&c.ClientID, &c.Name, &c.SecretHash, &c.PrevSecretHash, &prevUntil, &perms, &app, &created)
	if err != nil {
		return nil, notFound(err)
	}
	c.TenantID = tenantID
	c.Permissions = strings.Fields(perms)
	c.ApplicationID = app.String
	c.PrevValidUntil, c.CreatedAt = fromMS(prevUntil), fromMS(created)
	return &c, nil
}

func (x apiClientRepo) Delete(ctx context.Context, tenantID, clientID string) error {
	return x.inTx(ctx, func(x repos) error {
		if _, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM mgmt_tokens WHERE tenant_id = ? AND client_id = ?"), tenantID, clientID); err != nil {
			return err
		}
		return affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM api_clients WHERE tenant_id = ? AND client_id = ?"), tenantID, clientID))
	})
}

func (x apiClientRepo) Update(ctx context.Context, tenantID, clientID string, fn func(c *storage.APIClient) error) (*storage.APIClient, error) {
	var out *storage.APIClient
	err := x.inTx(ctx, func(x repos) error {
		c, err := apiClientRepo{x}.get(ctx, x.w, tenantID, clientID, x.d.forUpd)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		_, err = x.w.ExecContext(ctx, x.d.q(`UPDATE api_clients SET name = ?, secret_hash = ?, prev_secret_hash = ?,
			prev_valid_until = ?, permissions = ?, application_id = ? WHERE tenant_id = ? AND client_id = ?`),
			c.Name, c.SecretHash, c.PrevSecretHash, ms(c.PrevValidUntil), strings.Join(c.Permissions, " "),
			nullable(c.ApplicationID), tenantID, clientID)
		if err != nil {
			return mapErr(err)
		}
		out = c
		return nil
	})
	return out, err
}
