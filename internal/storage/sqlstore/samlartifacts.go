package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type samlArtifactRepo struct{ repos }

func (x samlArtifactRepo) Create(ctx context.Context, a *storage.SAMLArtifact) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO saml_artifacts (handle_hash, tenant_id, application_id, sealed_message, expires_at) VALUES (?, ?, ?, ?, ?)"),
		a.HandleHash, a.TenantID, a.ApplicationID, a.SealedMessage, ms(a.ExpiresAt))
	return mapErr(err)
}

func (x samlArtifactRepo) Take(ctx context.Context, tenantID string, handleHash []byte) (*storage.SAMLArtifact, error) {
	a := storage.SAMLArtifact{TenantID: tenantID, HandleHash: handleHash}
	var exp int64
	err := x.w.QueryRowContext(ctx, x.d.q("DELETE FROM saml_artifacts WHERE handle_hash = ? AND tenant_id = ? RETURNING application_id, sealed_message, expires_at"),
		handleHash, tenantID).Scan(&a.ApplicationID, &a.SealedMessage, &exp)
	if err != nil {
		return nil, notFound(err)
	}
	a.ExpiresAt = fromMS(exp)
	return &a, nil
}

func (x samlArtifactRepo) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM saml_artifacts WHERE expires_at < ?"), ms(t))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
