package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type signingKeyRepo struct{ repos }

func (x signingKeyRepo) Create(ctx context.Context, k *storage.SigningKey) error {
	_, err := x.w.ExecContext(ctx, x.d.q(`INSERT INTO signing_keys (tenant_id, kid, algorithm, private_enc, active, created_at, not_before, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), k.TenantID, k.KID, k.Algorithm, k.PrivateEnc, k.Active, ms(k.CreatedAt), ms(k.NotBefore), ms(k.ExpiresAt))
	return mapErr(err)
}

func (x signingKeyRepo) Retire(ctx context.Context, tenantID, alg string, expiresAt time.Time) error {
	_, err := x.w.ExecContext(ctx, x.d.q("UPDATE signing_keys SET expires_at = ? WHERE tenant_id = ? AND algorithm = ? AND expires_at = 0"),
		ms(expiresAt), tenantID, alg)
	return err
}

func (x signingKeyRepo) List(ctx context.Context, tenantID string) ([]storage.SigningKey, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q(`SELECT kid, algorithm, private_enc, active, created_at, not_before, expires_at
		FROM signing_keys WHERE tenant_id = ? ORDER BY not_before DESC, created_at DESC, kid`), tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.SigningKey
	for rows.Next() {
		k := storage.SigningKey{TenantID: tenantID}
		var created, notBefore, expires int64
		if err := rows.Scan(&k.KID, &k.Algorithm, &k.PrivateEnc, &k.Active, &created, &notBefore, &expires); err != nil {
			return nil, err
		}
		k.CreatedAt, k.NotBefore, k.ExpiresAt = fromMS(created), fromMS(notBefore), fromMS(expires)
		out = append(out, k)
	}
	return out, rows.Err()
}
