package sqlstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// Repositories of OAuth state: sessions, codes, refresh tokens, consents
// and revocations.

type sessionRepo struct{ repos }

const sessionCols = "id_hash, sid, user_id, auth_time, amr, acr, created_at, last_seen, expires_at"

func (x sessionRepo) Create(ctx context.Context, s *storage.Session) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO sso_sessions (tenant_id, "+sessionCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		s.TenantID, s.IDHash, s.SID, s.UserID, ms(s.AuthTime), strings.Join(s.AMR, " "), s.ACR, ms(s.CreatedAt), ms(s.LastSeen), ms(s.ExpiresAt))
	return mapErr(err)
}

func (x sessionRepo) GetByHash(ctx context.Context, tenantID string, hash []byte) (*storage.Session, error) {
	var s storage.Session
	var amr string
	var auth, created, seen, exp int64
	err := x.r.QueryRowContext(ctx, x.d.q("SELECT "+sessionCols+" FROM sso_sessions WHERE id_hash = ? AND tenant_id = ?"), hash, tenantID).
		Scan(&s.IDHash, &s.SID, &s.UserID, &auth, &amr, &s.ACR, &created, &seen, &exp)
	if err != nil {
		return nil, notFound(err)
	}
	s.TenantID, s.AMR = tenantID, strings.Fields(amr)
	s.AuthTime, s.CreatedAt, s.LastSeen, s.ExpiresAt = fromMS(auth), fromMS(created), fromMS(seen), fromMS(exp)
	return &s, nil
}

// sessionUserQuery reads a session and, left-joined, its user.
const sessionUserQuery = `SELECT s.id_hash, s.sid, s.user_id, s.auth_time, s.amr, s.acr, s.created_at, s.last_seen, s.expires_at, ` +
	userColsOrZero + ` FROM sso_sessions s LEFT JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
	WHERE s.id_hash = ? AND s.tenant_id = ?`

func (x sessionRepo) GetWithUser(ctx context.Context, tenantID string, hash []byte, orgs bool) (*storage.Session, *storage.User, error) {
	var su sessionUserScan
	if err := x.r.QueryRowContext(ctx, x.d.q(sessionUserQuery), hash, tenantID).Scan(su.dest()...); err != nil {
		return nil, nil, notFound(err)
	}
	return su.result(ctx, x.repos, tenantID, orgs)
}

// sessionUserScan receives a row of sessionUserQuery.
type sessionUserScan struct {
	s                        storage.Session
	amr                      string
	auth, created, seen, exp int64
	us                       userScan
}

func (x *sessionUserScan) dest() []any {
	s := &x.s
	return append([]any{&s.IDHash, &s.SID, &s.UserID, &x.auth, &x.amr, &s.ACR, &x.created, &x.seen, &x.exp}, x.us.dest()...)
}

// result is the session and its user (nil when gone), with the user's
// memberships read on the reader pool when orgs.
func (x *sessionUserScan) result(ctx context.Context, r repos, tenantID string, orgs bool) (*storage.Session, *storage.User, error) {
	s := &x.s
	s.TenantID, s.AMR = tenantID, strings.Fields(x.amr)
	s.AuthTime, s.CreatedAt, s.LastSeen, s.ExpiresAt = fromMS(x.auth), fromMS(x.created), fromMS(x.seen), fromMS(x.exp)
	if x.us.u.ID == "" {
		return s, nil, nil // the user is gone
	}
	u := x.us.user()
	u.TenantID = tenantID
	if orgs {
		if err := (userRepo{r}).loadOrgs(ctx, r.r, tenantID, []*storage.User{u}); err != nil {
			return nil, nil, err
		}
	}
	return s, u, nil
}

func (x sessionRepo) ListForUser(ctx context.Context, tenantID, userID string) ([]storage.Session, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT "+sessionCols+" FROM sso_sessions WHERE user_id = ? AND tenant_id = ? ORDER BY created_at, sid"), userID, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.Session
	for rows.Next() {
		s := storage.Session{TenantID: tenantID}
		var amr string
		var auth, created, seen, exp int64
		if err := rows.Scan(&s.IDHash, &s.SID, &s.UserID, &auth, &amr, &s.ACR, &created, &seen, &exp); err != nil {
			return nil, err
		}
		s.AMR = strings.Fields(amr)
		s.AuthTime, s.CreatedAt, s.LastSeen, s.ExpiresAt = fromMS(auth), fromMS(created), fromMS(seen), fromMS(exp)
		out = append(out, s)
	}
	return out, rows.Err()
}

func (x sessionRepo) Touch(ctx context.Context, tenantID string, hash []byte, lastSeen time.Time) error {
	return affectedOne(x.w.ExecContext(ctx, x.d.q("UPDATE sso_sessions SET last_seen = ? WHERE id_hash = ? AND tenant_id = ?"), ms(lastSeen), hash, tenantID))
}

func (x sessionRepo) StepUp(ctx context.Context, tenantID string, hash, newHash []byte, authTime time.Time, amr []string, acr string) error {
	return affectedOne(x.w.ExecContext(ctx, x.d.q(`UPDATE sso_sessions SET id_hash = ?, auth_time = ?, amr = ?, acr = ?, last_seen = ?
		WHERE id_hash = ? AND tenant_id = ?`), newHash, ms(authTime), strings.Join(amr, " "), acr, ms(authTime), hash, tenantID))
}

// The delete methods end sessions together with their CAS tickets (a
// proxy-granting ticket must not outlive the sign-in it came from),
// whichever protocol's logout asks.

func (x sessionRepo) Delete(ctx context.Context, tenantID string, hash []byte) error {
	return x.deleteWhere(ctx, "id_hash = ?", tenantID, hash)
}

func (x sessionRepo) DeleteBySID(ctx context.Context, tenantID, sid string) error {
	return x.deleteWhere(ctx, "sid = ?", tenantID, sid)
}

func (x sessionRepo) DeleteForUser(ctx context.Context, tenantID, userID string) (sids []string, err error) {
	err = x.inTx(ctx, func(x repos) error {
		sids = nil
		rows, err := x.w.QueryContext(ctx, x.d.q("SELECT sid FROM sso_sessions WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, sid"), tenantID, userID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sid string
			if err := rows.Scan(&sid); err != nil {
				rows.Close()
				return err
			}
			sids = append(sids, sid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return sessionRepo{x}.deleteWhere(ctx, "user_id = ?", tenantID, userID)
	})
	return sids, err
}

func (x sessionRepo) deleteWhere(ctx context.Context, cond, tenantID string, v any) error {
	return x.inTx(ctx, func(x repos) error {
		if _, err := x.w.ExecContext(ctx, x.d.q(`DELETE FROM cas_tickets WHERE tenant_id = ? AND sid IN
			(SELECT sid FROM sso_sessions WHERE tenant_id = ? AND `+cond+`)`), tenantID, tenantID, v); err != nil {
			return err
		}
		_, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM sso_sessions WHERE tenant_id = ? AND "+cond), tenantID, v)
		return err
	})
}

type codeRepo struct{ repos }

const codeCols = `code_hash, client_id, user_id, sid, grant_id, redirect_uri, scope, nonce, code_challenge,
	auth_time, amr, acr, created_at, expires_at, used_at`

func (x codeRepo) Create(ctx context.Context, c *storage.AuthCode) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO oauth_codes (tenant_id, "+codeCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		c.TenantID, c.Hash, c.ClientID, c.UserID, c.SID, c.GrantID, c.RedirectURI, c.Scope, c.Nonce, c.CodeChallenge,
		ms(c.AuthTime), strings.Join(c.AMR, " "), c.ACR, ms(c.CreatedAt), ms(c.ExpiresAt), ms(c.UsedAt))
	return mapErr(err)
}

func scanCode(s scanner, tenantID string) (*storage.AuthCode, error) {
	var cs codeScan
	if err := s.Scan(cs.dest()...); err != nil {
		return nil, notFound(err)
	}
	return cs.code(tenantID), nil
}

// codeScan receives the codeCols of one row.
type codeScan struct {
	c                        storage.AuthCode
	amr                      string
	auth, created, exp, used int64
}

func (s *codeScan) dest() []any {
	c := &s.c
	return []any{&c.Hash, &c.ClientID, &c.UserID, &c.SID, &c.GrantID, &c.RedirectURI, &c.Scope, &c.Nonce, &c.CodeChallenge,
		&s.auth, &s.amr, &c.ACR, &s.created, &s.exp, &s.used}
}

func (s *codeScan) code(tenantID string) *storage.AuthCode {
	c := &s.c
	c.TenantID, c.AMR = tenantID, strings.Fields(s.amr)
	c.AuthTime, c.CreatedAt, c.ExpiresAt, c.UsedAt = fromMS(s.auth), fromMS(s.created), fromMS(s.exp), fromMS(s.used)
	return c
}

// Consume marks the code used in one statement (UPDATE … RETURNING), so two
// concurrent exchanges cannot both see it unused.
func (x codeRepo) Consume(ctx context.Context, tenantID string, hash []byte, clientID string, now time.Time) (*storage.AuthCode, error) {
	row := x.w.QueryRowContext(ctx, x.d.q("UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND tenant_id = ? AND client_id = ? AND used_at = 0 RETURNING "+codeCols),
		ms(now), hash, tenantID, clientID)
	c, err := scanCode(row, tenantID)
	if err == nil {
		c.UsedAt = time.Time{} // as it was: unused
		return c, nil
	}
	if err != storage.ErrNotFound {
		return nil, err
	}
	return scanCode(x.w.QueryRowContext(ctx, x.d.q("SELECT "+codeCols+" FROM oauth_codes WHERE code_hash = ? AND tenant_id = ? AND client_id = ?"), hash, tenantID, clientID), tenantID)
}

// ConsumeWithUser is Consume that also reads the user of a code it
// consumes. On PostgreSQL that is one statement, one round trip: the
// UPDATE … RETURNING in a WITH, left-joined to the user's row (a
// data-modifying WITH runs to completion whether or not the user is
// there). SQLite has no UPDATE in WITH: Consume, then the user.
func (x codeRepo) ConsumeWithUser(ctx context.Context, tenantID string, hash []byte, clientID string, now time.Time) (*storage.AuthCode, *storage.User, error) {
	if x.d.name != dialectPostgres {
		c, err := x.Consume(ctx, tenantID, hash, clientID, now)
		if err != nil || !c.UsedAt.IsZero() {
			return c, nil, err
		}
		u, err := userRepo{x.repos}.GetWithoutOrgs(ctx, tenantID, c.UserID)
		if errors.Is(err, storage.ErrNotFound) {
			return c, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		return c, u, nil
	}
	var cs codeScan
	var us userScan
	err := x.w.QueryRowContext(ctx, x.d.q(`WITH c AS (UPDATE oauth_codes SET used_at = ?
		WHERE code_hash = ? AND tenant_id = ? AND client_id = ? AND used_at = 0 RETURNING `+codeCols+`)
		SELECT c.*, `+userColsOrZero+` FROM c LEFT JOIN users u ON u.tenant_id = ? AND u.id = c.user_id`),
		ms(now), hash, tenantID, clientID, tenantID).Scan(append(cs.dest(), us.dest()...)...)
	if err != nil {
		if err = notFound(err); !errors.Is(err, storage.ErrNotFound) {
			return nil, nil, err
		}
		// Used, another client's, or unknown: as Consume answers.
		c, err := scanCode(x.w.QueryRowContext(ctx, x.d.q("SELECT "+codeCols+" FROM oauth_codes WHERE code_hash = ? AND tenant_id = ? AND client_id = ?"), hash, tenantID, clientID), tenantID)
		return c, nil, err
	}
	c := cs.code(tenantID)
	c.UsedAt = time.Time{} // as it was: unused
	if us.u.ID == "" {
		return c, nil, nil // the user is gone
	}
	u := us.user()
	u.TenantID = tenantID
	return c, u, nil
}

func (x codeRepo) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM oauth_codes WHERE expires_at < ?"), ms(t))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

type refreshRepo struct{ repos }

const refreshCols = "token_hash, client_id, user_id, sid, grant_id, scope, auth_time, amr, acr, created_at, expires_at, used_at"

func (x refreshRepo) Create(ctx context.Context, t *storage.RefreshToken) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO refresh_tokens (tenant_id, "+refreshCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		t.TenantID, t.Hash, t.ClientID, t.UserID, t.SID, t.GrantID, t.Scope, ms(t.AuthTime), strings.Join(t.AMR, " "), t.ACR,
		ms(t.CreatedAt), ms(t.ExpiresAt), ms(t.UsedAt))
	return mapErr(err)
}

func scanRefresh(s scanner, tenantID string) (*storage.RefreshToken, error) {
	var t storage.RefreshToken
	var amr string
	var auth, created, exp, used int64
	if err := s.Scan(&t.Hash, &t.ClientID, &t.UserID, &t.SID, &t.GrantID, &t.Scope, &auth, &amr, &t.ACR, &created, &exp, &used); err != nil {
		return nil, notFound(err)
	}
	t.TenantID, t.AMR = tenantID, strings.Fields(amr)
	t.AuthTime, t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMS(auth), fromMS(created), fromMS(exp), fromMS(used)
	return &t, nil
}

func (x refreshRepo) Consume(ctx context.Context, tenantID string, hash []byte, clientID string, now time.Time) (*storage.RefreshToken, error) {
	row := x.w.QueryRowContext(ctx, x.d.q("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND tenant_id = ? AND client_id = ? AND used_at = 0 RETURNING "+refreshCols),
		ms(now), hash, tenantID, clientID)
	t, err := scanRefresh(row, tenantID)
	if err == nil {
		t.UsedAt = time.Time{}
		return t, nil
	}
	if err != storage.ErrNotFound {
		return nil, err
	}
	return scanRefresh(x.w.QueryRowContext(ctx, x.d.q("SELECT "+refreshCols+" FROM refresh_tokens WHERE token_hash = ? AND tenant_id = ? AND client_id = ?"), hash, tenantID, clientID), tenantID)
}

func (x refreshRepo) Get(ctx context.Context, tenantID string, hash []byte) (*storage.RefreshToken, error) {
	return scanRefresh(x.r.QueryRowContext(ctx, x.d.q("SELECT "+refreshCols+" FROM refresh_tokens WHERE token_hash = ? AND tenant_id = ?"), hash, tenantID), tenantID)
}

func (x refreshRepo) DeleteGrant(ctx context.Context, tenantID, grantID string) error {
	_, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM refresh_tokens WHERE tenant_id = ? AND grant_id = ?"), tenantID, grantID)
	return err
}

func (x refreshRepo) DeleteForUser(ctx context.Context, tenantID, userID string) error {
	_, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM refresh_tokens WHERE tenant_id = ? AND user_id = ?"), tenantID, userID)
	return err
}

func (x refreshRepo) DeleteForClient(ctx context.Context, tenantID, clientID string) error {
	_, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM refresh_tokens WHERE tenant_id = ? AND client_id = ?"), tenantID, clientID)
	return err
}

type consentRepo struct{ repos }

func (x consentRepo) Get(ctx context.Context, tenantID, userID, clientID string) (*storage.Consent, error) {
	c := storage.Consent{TenantID: tenantID, UserID: userID, ClientID: clientID}
	var at int64
	err := x.r.QueryRowContext(ctx, x.d.q("SELECT scope, granted_at FROM consents WHERE tenant_id = ? AND user_id = ? AND client_id = ?"),
		tenantID, userID, clientID).Scan(&c.Scope, &at)
	if err != nil {
		return nil, notFound(err)
	}
	c.GrantedAt = fromMS(at)
	return &c, nil
}

func (x consentRepo) Put(ctx context.Context, c *storage.Consent) error {
	_, err := x.w.ExecContext(ctx, x.d.q(`INSERT INTO consents (tenant_id, user_id, client_id, scope, granted_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, user_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at`),
		c.TenantID, c.UserID, c.ClientID, c.Scope, ms(c.GrantedAt))
	return mapErr(err)
}

type revocationRepo struct{ repos }

func (x revocationRepo) Revoke(ctx context.Context, tenantID, id string, expiresAt time.Time) error {
	_, err := x.w.ExecContext(ctx, x.d.q(`INSERT INTO revocations (tenant_id, id, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, id) DO NOTHING`), tenantID, id, ms(expiresAt))
	return err
}

func (x revocationRepo) Claim(ctx context.Context, tenantID, id string, expiresAt time.Time) (bool, error) {
	res, err := x.w.ExecContext(ctx, x.d.q(`INSERT INTO revocations (tenant_id, id, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, id) DO NOTHING`), tenantID, id, ms(expiresAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (x revocationRepo) AnyRevoked(ctx context.Context, tenantID string, ids ...string) (bool, error) {
	if len(ids) == 0 {
		return false, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, tenantID)
	for _, id := range ids {
		args = append(args, id)
	}
	var n int
	err := x.r.QueryRowContext(ctx, x.d.q("SELECT count(*) FROM revocations WHERE tenant_id = ? AND id IN (?"+strings.Repeat(", ?", len(ids)-1)+")"), args...).Scan(&n)
	return n > 0, err
}
