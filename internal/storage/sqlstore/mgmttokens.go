package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type mgmtTokenRepo struct{ repos }

const mgmtTokenCols = "token_hash, client_id, sealed, scope, issued_at, expires_at"

func (x mgmtTokenRepo) Create(ctx context.Context, t *storage.MgmtToken) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO mgmt_tokens (tenant_id, "+mgmtTokenCols+") VALUES (?, ?, ?, ?, ?, ?, ?)"),
		t.TenantID, t.Hash, t.ClientID, t.Sealed, t.Scope, ms(t.IssuedAt), ms(t.ExpiresAt))
	return mapErr(err)
}

func (x mgmtTokenRepo) GetByHash(ctx context.Context, tenantID string, hash []byte) (*storage.MgmtToken, error) {
	row := x.r.QueryRowContext(ctx, x.d.q("SELECT "+mgmtTokenCols+" FROM mgmt_tokens WHERE token_hash = ? AND tenant_id = ?"), hash, tenantID)
	return scanMgmtToken(row, tenantID)
}

func (x mgmtTokenRepo) Latest(ctx context.Context, tenantID, clientID string, notBefore time.Time) (*storage.MgmtToken, error) {
	row := x.r.QueryRowContext(ctx, x.d.q("SELECT "+mgmtTokenCols+` FROM mgmt_tokens
		WHERE tenant_id = ? AND client_id = ? AND expires_at > ? ORDER BY expires_at DESC LIMIT 1`),
		tenantID, clientID, ms(notBefore))
	return scanMgmtToken(row, tenantID)
}

func (x mgmtTokenRepo) DeleteExpired(ctx context.Context, tenantID, clientID string, now time.Time) error {
	_, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM mgmt_tokens WHERE tenant_id = ? AND client_id = ? AND expires_at <= ?"),
		tenantID, clientID, ms(now))
	return err
}

func scanMgmtToken(s scanner, tenantID string) (*storage.MgmtToken, error) {
	var t storage.MgmtToken
	var issued, expires int64
	if err := s.Scan(&t.Hash, &t.ClientID, &t.Sealed, &t.Scope, &issued, &expires); err != nil {
		return nil, notFound(err)
	}
	t.TenantID = tenantID
	t.IssuedAt, t.ExpiresAt = fromMS(issued), fromMS(expires)
	return &t, nil
}
