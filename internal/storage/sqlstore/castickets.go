package sqlstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type casTicketRepo struct{ repos }

const casCols = "ticket_hash, kind, application_id, service, user_id, sid, auth_time, new_login, proxies, pgt_hash, created_at, expires_at, used_at"

func scanCAS(s scanner, tenantID string) (*storage.CASTicket, error) {
	var ts casScan
	if err := s.Scan(ts.dest()...); err != nil {
		return nil, notFound(err)
	}
	return ts.ticket(tenantID), nil
}

// casScan receives the casCols of one row.
type casScan struct {
	t                        storage.CASTicket
	proxies                  string
	auth, created, exp, used int64
}

func (s *casScan) dest() []any {
	t := &s.t
	return []any{&t.Hash, &t.Kind, &t.ApplicationID, &t.Service, &t.UserID, &t.SID, &s.auth, &t.NewLogin, &s.proxies, &t.PGTHash,
		&s.created, &s.exp, &s.used}
}

func (s *casScan) ticket(tenantID string) *storage.CASTicket {
	t := &s.t
	t.TenantID = tenantID
	if s.proxies != "" {
		t.Proxies = strings.Split(s.proxies, "\n")
	}
	t.AuthTime, t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMS(s.auth), fromMS(s.created), fromMS(s.exp), fromMS(s.used)
	return t
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
		t, err = x.consume(ctx, q, lazy, tenantID, hash, now)
		return err
	})
	return t, err
}

// consume marks the ticket used on q and returns it as it was.
func (x casTicketRepo) consume(ctx context.Context, q querier, lazy bool, tenantID string, hash []byte, now time.Time) (*storage.CASTicket, error) {
	query := casConsume
	if lazy {
		// Every condition of the row's WHERE clause held when the row
		// is updated, so set_config ran in any transaction that wrote.
		query = casConsumeLazy
	}
	t, err := scanCAS(q.QueryRowContext(ctx, x.d.q(query+" RETURNING "+casCols), ms(now), hash, tenantID), tenantID)
	if err == nil {
		t.UsedAt = time.Time{}
		return t, nil
	}
	if err != storage.ErrNotFound {
		return nil, err
	}
	// Unknown, used already, or a PGT: as it is (read on the same
	// connection, so a ticket consumed just now is seen used).
	return x.get(ctx, q, tenantID, hash)
}

// ConsumeWithUser: on PostgreSQL one statement, the consuming UPDATE …
// RETURNING in a WITH left-joined to the user's row (as
// codeRepo.ConsumeWithUser). SQLite has no UPDATE in WITH: the user is
// read right after the consumption, in the same lazy batch transaction on
// the writer (no second trip to a reader connection; the read is part of
// the batch, not of its commit).
func (x casTicketRepo) ConsumeWithUser(ctx context.Context, tenantID string, hash []byte, now time.Time, orgs bool) (t *storage.CASTicket, u *storage.User, err error) {
	if x.tx != nil || x.d.name != dialectPostgres {
		err = x.lazyWrite(ctx, func(q querier, lazy bool) error {
			t, u = nil, nil
			var err error
			if t, err = x.consume(ctx, q, lazy, tenantID, hash, now); err != nil {
				return err
			}
			if !t.UsedAt.IsZero() || t.Kind == storage.TicketProxyGranting {
				return nil
			}
			users := userRepo{x.repos}
			u, err = users.getRow(ctx, q, "id = ?", tenantID, t.UserID)
			if errors.Is(err, storage.ErrNotFound) {
				u = nil // the user is gone
				return nil
			}
			if err == nil && orgs {
				err = users.loadOrgs(ctx, q, tenantID, []*storage.User{u})
			}
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		return t, u, nil
	}
	var ts casScan
	var us userScan
	err = x.w.QueryRowContext(ctx, x.d.q(`WITH t AS (`+casConsumeLazy+` RETURNING `+casCols+`)
		SELECT t.*, `+userColsOrZero+` FROM t LEFT JOIN users u ON u.tenant_id = ? AND u.id = t.user_id`),
		ms(now), hash, tenantID, tenantID).Scan(append(ts.dest(), us.dest()...)...)
	if err != nil {
		if err = notFound(err); !errors.Is(err, storage.ErrNotFound) {
			return nil, nil, err
		}
		// Unknown, used already, or a PGT: as it is, without a user.
		t, err = x.get(ctx, x.w, tenantID, hash)
		return t, nil, err
	}
	t = ts.ticket(tenantID)
	t.UsedAt = time.Time{} // as it was: unused
	if us.u.ID == "" {
		return t, nil, nil // the user is gone
	}
	u = us.user()
	u.TenantID = tenantID
	if orgs {
		if err := (userRepo{x.repos}).loadOrgs(ctx, x.r, tenantID, []*storage.User{u}); err != nil {
			return nil, nil, err
		}
	}
	return t, u, nil
}

// casForSessionPG is CreateForSession's statement on PostgreSQL: the
// session, the ticket inserted from it when the session and its enabled
// user allow, and the session's row with its user and whether the ticket
// was stored.
var casForSessionPG = `WITH s AS (SELECT ` + sessionCols + ` FROM sso_sessions WHERE id_hash = ? AND tenant_id = ?),
	ins AS (INSERT INTO cas_tickets (tenant_id, ` + casCols + `)
		SELECT ?, ?, ?, ?, ?, s.user_id, s.sid, s.auth_time, s.auth_time >= ?, '', NULL, ?, ?, 0
		FROM s JOIN users u ON u.tenant_id = ? AND u.id = s.user_id
		WHERE s.expires_at > ? AND NOT u.disabled AND ` + pgLazyCommit + ` <> ''
		RETURNING 1)
	SELECT s.*, ` + userColsOrZero + `, EXISTS (SELECT 1 FROM ins)
	FROM s LEFT JOIN users u ON u.tenant_id = ? AND u.id = s.user_id`

func (x casTicketRepo) CreateForSession(ctx context.Context, sessionHash []byte, t *storage.CASTicket, newSince time.Time, orgs bool) (*storage.Session, *storage.User, bool, error) {
	fill := func(sess *storage.Session) {
		t.UserID, t.SID, t.AuthTime, t.NewLogin = sess.UserID, sess.SID, sess.AuthTime, !sess.AuthTime.Before(newSince)
	}
	if x.tx != nil || x.d.name != dialectPostgres {
		// SQLite: the session and its user from a reader, then the
		// ticket in a lazy batch on the writer.
		sess, u, err := (sessionRepo{x.repos}).GetWithUser(ctx, t.TenantID, sessionHash, orgs)
		if err != nil {
			return nil, nil, false, err
		}
		if u == nil || u.Disabled || !t.CreatedAt.Before(sess.ExpiresAt) {
			return sess, u, false, nil
		}
		fill(sess)
		if err := x.Create(ctx, t); err != nil {
			return nil, nil, false, err
		}
		return sess, u, true, nil
	}
	var su sessionUserScan
	var stored bool
	created := ms(t.CreatedAt)
	err := x.w.QueryRowContext(ctx, x.d.q(casForSessionPG), sessionHash, t.TenantID,
		t.TenantID, t.Hash, t.Kind, t.ApplicationID, t.Service, ms(newSince), created, ms(t.ExpiresAt),
		t.TenantID, created, t.TenantID).Scan(append(su.dest(), &stored)...)
	if err != nil {
		return nil, nil, false, notFound(err)
	}
	sess, u, err := su.result(ctx, x.repos, t.TenantID, orgs)
	if err != nil {
		return nil, nil, false, err
	}
	if stored {
		fill(sess)
	}
	return sess, u, stored, nil
}

func (x casTicketRepo) Delete(ctx context.Context, tenantID string, hash []byte) error {
	_, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM cas_tickets WHERE ticket_hash = ? AND tenant_id = ?"), hash, tenantID)
	return err
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
