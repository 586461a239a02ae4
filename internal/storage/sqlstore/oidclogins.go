package sqlstore

import (
	"context"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type oidcLoginRepo struct{ repos }

// Create commits lazily, as CAS logins do: losing one on a power failure
// costs one application its logout token.
func (x oidcLoginRepo) Create(ctx context.Context, l *storage.OIDCLogin) error {
	return x.lazyWrite(ctx, func(q querier, lazy bool) error {
		query := "INSERT INTO oidc_logins (sid, application_id, tenant_id, subject, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sid, application_id) DO NOTHING"
		if lazy {
			query += " RETURNING " + pgLazyCommit
		}
		_, err := q.ExecContext(ctx, x.d.q(query), l.SID, l.ApplicationID, l.TenantID, l.Subject, ms(l.CreatedAt), ms(l.ExpiresAt))
		return mapErr(err)
	})
}

func (x oidcLoginRepo) TakeForSession(ctx context.Context, tenantID, sid string) ([]storage.OIDCLogin, error) {
	rows, err := x.w.QueryContext(ctx, x.d.q("DELETE FROM oidc_logins WHERE sid = ? AND tenant_id = ? RETURNING application_id, subject, created_at, expires_at"), sid, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.OIDCLogin
	for rows.Next() {
		l := storage.OIDCLogin{TenantID: tenantID, SID: sid}
		var created, expires int64
		if err := rows.Scan(&l.ApplicationID, &l.Subject, &created, &expires); err != nil {
			return nil, err
		}
		l.CreatedAt, l.ExpiresAt = fromMS(created), fromMS(expires)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b storage.OIDCLogin) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func (x oidcLoginRepo) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM oidc_logins WHERE expires_at < ?"), ms(t))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
