package sqlstore

import (
	"context"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type casLoginRepo struct{ repos }

const casLoginCols = "ticket_hash, sid, application_id, service, sealed_ticket, created_at, expires_at"

// Create commits lazily, as the tickets do (lazycommit.go): it is written
// on the validation's path, and a power loss within a moment of it costs
// one application its logout request, nothing more.
func (x casLoginRepo) Create(ctx context.Context, l *storage.CASLogin) error {
	return x.lazyWrite(ctx, func(q querier, lazy bool) error {
		query := "INSERT INTO cas_logins (tenant_id, " + casLoginCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_hash) DO NOTHING"
		if lazy {
			query += " RETURNING " + pgLazyCommit
		}
		_, err := q.ExecContext(ctx, x.d.q(query),
			l.TenantID, l.TicketHash, l.SID, l.ApplicationID, l.Service, l.SealedTicket, ms(l.CreatedAt), ms(l.ExpiresAt))
		return mapErr(err)
	})
}

func (x casLoginRepo) TakeForSession(ctx context.Context, tenantID, sid string) ([]storage.CASLogin, error) {
	rows, err := x.w.QueryContext(ctx, x.d.q("DELETE FROM cas_logins WHERE sid = ? AND tenant_id = ? RETURNING "+casLoginCols), sid, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.CASLogin
	for rows.Next() {
		l := storage.CASLogin{TenantID: tenantID}
		var created, expires int64
		if err := rows.Scan(&l.TicketHash, &l.SID, &l.ApplicationID, &l.Service, &l.SealedTicket, &created, &expires); err != nil {
			return nil, err
		}
		l.CreatedAt, l.ExpiresAt = fromMS(created), fromMS(expires)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// RETURNING gives no order: oldest first, as the interface says.
	slices.SortStableFunc(out, func(a, b storage.CASLogin) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func (x casLoginRepo) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM cas_logins WHERE expires_at < ?"), ms(t))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
