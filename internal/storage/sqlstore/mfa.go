package sqlstore

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// mfaRepo stores users' second factors (mfa_credentials).
type mfaRepo struct{ repos }

const mfaCols = "id, user_id, type, secret, label, confirmed, last_used_step, attempts, created_at"

func (x mfaRepo) Create(ctx context.Context, c *storage.MFACredential) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO mfa_credentials (tenant_id, "+mfaCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		c.TenantID, c.ID, c.UserID, c.Type, c.Secret, c.Label, c.Confirmed, c.LastUsedStep, c.Attempts, ms(c.CreatedAt))
	return mapErr(err)
}

func (x mfaRepo) Get(ctx context.Context, tenantID, id string) (*storage.MFACredential, error) {
	c, err := scanMFA(x.r.QueryRowContext(ctx, x.d.q("SELECT "+mfaCols+" FROM mfa_credentials WHERE tenant_id = ? AND id = ?"), tenantID, id))
	if err != nil {
		return nil, notFound(err)
	}
	c.TenantID = tenantID
	return c, nil
}

func (x mfaRepo) ListForUser(ctx context.Context, tenantID, userID string) ([]storage.MFACredential, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT "+mfaCols+" FROM mfa_credentials WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, id"),
		tenantID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []storage.MFACredential{}
	for rows.Next() {
		c, err := scanMFA(rows)
		if err != nil {
			return nil, err
		}
		c.TenantID = tenantID
		out = append(out, *c)
	}
	return out, rows.Err()
}

// UseStep is one conditional UPDATE: of two requests with the same code,
// on any nodes, exactly one moves the step.
func (x mfaRepo) UseStep(ctx context.Context, tenantID, id string, step int64) (bool, error) {
	res, err := x.w.ExecContext(ctx, x.d.q(`UPDATE mfa_credentials SET last_used_step = ?, confirmed = ?
		WHERE tenant_id = ? AND id = ? AND last_used_step < ?`), step, true, tenantID, id, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (x mfaRepo) AddAttempt(ctx context.Context, tenantID, id string) (int, error) {
	var n int
	err := x.inTx(ctx, func(x repos) error {
		if err := affectedOne(x.w.ExecContext(ctx, x.d.q("UPDATE mfa_credentials SET attempts = attempts + 1 WHERE tenant_id = ? AND id = ?"),
			tenantID, id)); err != nil {
			return err
		}
		return x.w.QueryRowContext(ctx, x.d.q("SELECT attempts FROM mfa_credentials WHERE tenant_id = ? AND id = ?"), tenantID, id).Scan(&n)
	})
	return n, err
}

func (x mfaRepo) Delete(ctx context.Context, tenantID, id string) error {
	return affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM mfa_credentials WHERE tenant_id = ? AND id = ?"), tenantID, id))
}

func (x mfaRepo) DeleteUnconfirmed(ctx context.Context, tenantID, userID string) error {
	_, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM mfa_credentials WHERE tenant_id = ? AND user_id = ? AND confirmed = ?"),
		tenantID, userID, false)
	return err
}

func scanMFA(s scanner) (*storage.MFACredential, error) {
	var c storage.MFACredential
	var created int64
	if err := s.Scan(&c.ID, &c.UserID, &c.Type, &c.Secret, &c.Label, &c.Confirmed, &c.LastUsedStep, &c.Attempts, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMS(created)
	return &c, nil
}
