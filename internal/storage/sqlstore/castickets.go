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

func (x casTicketRepo) Create(ctx context.Context, t *storage.CASTicket) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO cas_tickets (tenant_id, "+casCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		t.TenantID, t.Hash, t.Kind, t.ApplicationID, t.Service, t.UserID, t.SID, ms(t.AuthTime), t.NewLogin,
		strings.Join(t.Proxies, "\n"), t.PGTHash, ms(t.CreatedAt), ms(t.ExpiresAt), ms(t.UsedAt))
	return mapErr(err)
}

func (x casTicketRepo) Consume(ctx context.Context, tenantID string, hash []byte, now time.Time) (*storage.CASTicket, error) {
	row := x.w.QueryRowContext(ctx, x.d.q("UPDATE cas_tickets SET used_at = ? WHERE ticket_hash = ? AND tenant_id = ? AND used_at = 0 AND kind <> 'PGT' RETURNING "+casCols),
		ms(now), hash, tenantID)
	t, err := scanCAS(row, tenantID)
	if err == nil {
		t.UsedAt = time.Time{}
		return t, nil
	}
	if err != storage.ErrNotFound {
		return nil, err
	}
	return x.get(ctx, x.w, tenantID, hash)
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
