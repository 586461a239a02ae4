package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type casTicketRepo struct{ repos }

const casCols = "ticket_hash, kind, application_id, service, user_id, sid, auth_time, new_login, proxies, pgt_hash, created_at, expires_at, used_at"

func scanCAS(s scanner, tenantID string) (*storage.CASTicket, error) {
	var t storage.CASTicket
	var proxies string
	var auth, created, exp, used int64
	if err := s.Scan(&t.Hash, &t.Kind, &t.ApplicationID, &t.Service, &t.UserID, &t.SID, &auth, &t.NewLogin, &proxies, &t.PGTHash,
		&created, &exp, &used); err != nil {
		return nil, notFound(err)
	}
	t.TenantID = tenantID
	if proxies != "" {
		t.Proxies = strings.Split(proxies, "\n")
	}
	t.AuthTime, t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMS(auth), fromMS(created), fromMS(exp), fromMS(used)
	return &t, nil
}

// Create and Consume commit lazily (lazycommit.go): a ticket lives for
// seconds and is used once, and the cost of not waiting for the disk is
// bounded. A power loss or OS crash (not a process crash) within a moment
// of the write can lose a new ticket, which the application then fails to
// validate (the user signs in to it again), or a ticket's "used" mark, so
// that whoever holds a ticket that was validated just before the power
// loss could validate it once more within what is left of its life
// (seconds). Deleting tickets (logout, expiry) stays durable: a logout
// must not come back.

func (x casTicketRepo) Create(ctx context.Context, t *storage.CASTicket) error {
	return x.lazyWrite(ctx, func(q querier, lazy bool) error {
		query := "INSERT INTO cas_tickets (tenant_id, " + casCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		if lazy {
			query += " RETURNING " + pgLazyCommit
		}
		_, err := q.ExecContext(ctx, x.d.q(query),
			t.TenantID, t.Hash, t.Kind, t.ApplicationID, t.Service, t.UserID, t.SID, ms(t.AuthTime), t.NewLogin,
			strings.Join(t.Proxies, "\n"), t.PGTHash, ms(t.CreatedAt), ms(t.ExpiresAt), ms(t.UsedAt))
		return mapErr(err)
	})
}

const (
	casConsume     = "UPDATE cas_tickets SET used_at = ? WHERE ticket_hash = ? AND tenant_id = ? AND used_at = 0 AND kind <> 'PGT'"
	casConsumeLazy = casConsume + " AND " + pgLazyCommit + " <> ''"
)

func (x casTicketRepo) Consume(ctx context.Context, tenantID string, hash []byte, now time.Time) (t *storage.CASTicket, err error) {
	err = x.lazyWrite(ctx, func(q querier, lazy bool) error {
		query := casConsume
		if lazy {
			// Every condition of the row's WHERE clause held when the row
			// is updated, so set_config ran in any transaction that wrote.
			query = casConsumeLazy
		}
		t, err = scanCAS(q.QueryRowContext(ctx, x.d.q(query+" RETURNING "+casCols), ms(now), hash, tenantID), tenantID)
		if err == nil {
			t.UsedAt = time.Time{}
			return nil
		}
		if err != storage.ErrNotFound {
			return err
		}
		// Unknown, used already, or a PGT: as it is (read on the same
		// connection, so a ticket consumed just now is seen used).
		t, err = x.get(ctx, q, tenantID, hash)
		return err
	})
	return t, err
}

func (x casTicketRepo) get(ctx context.Context, q querier, tenantID string, hash []byte) (*storage.CASTicket, error) {
	return scanCAS(q.QueryRowContext(ctx, x.d.q("SELECT "+casCols+" FROM cas_tickets WHERE ticket_hash = ? AND tenant_id = ?"), hash, tenantID), tenantID)
}

func (x casTicketRepo) Get(ctx context.Context, tenantID string, hash []byte) (*storage.CASTicket, error) {
	return x.get(ctx, x.r, tenantID, hash)
}

func (x casTicketRepo) DeleteForSession(ctx context.Context, tenantID, sid string) error {
	_, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM cas_tickets WHERE tenant_id = ? AND sid = ?"), tenantID, sid)
	return err
}

func (x casTicketRepo) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM cas_tickets WHERE expires_at < ?"), ms(t))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
