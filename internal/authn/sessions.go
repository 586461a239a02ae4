package authn

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Sessions keeps SSO sessions.
type Sessions struct {
	Store storage.Store
	Now   func() time.Time
	// Idle ends a session not used for this long; Absolute ends any
	// session this long after sign-in.
	Idle, Absolute time.Duration
}

// touchEvery bounds how often a session's last use is written.
const touchEvery = time.Minute

// ErrNoSession means the cookie names no live session.
var ErrNoSession = errors.New("authn: no live session")

// Create starts a session for the user and returns the cookie value.
func (s *Sessions) Create(ctx context.Context, tenantID, userID string, amr []string, acr string) (string, *storage.Session, error) {
	var raw [32]byte
	rand.Read(raw[:])
	cookie := base64.RawURLEncoding.EncodeToString(raw[:])
	var sid [16]byte
	rand.Read(sid[:])
	now := s.Now()
	sess := &storage.Session{TenantID: tenantID, IDHash: secret.Hash(cookie), SID: hex.EncodeToString(sid[:]), UserID: userID,
		AuthTime: now, AMR: amr, ACR: acr, CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.Absolute)}
	if err := s.Store.Sessions().Create(ctx, sess); err != nil {
		return "", nil, err
	}
	return cookie, sess, nil
}

// Lookup returns the live session behind a cookie value, recording its use.
func (s *Sessions) Lookup(ctx context.Context, tenantID, cookie string) (*storage.Session, error) {
	if cookie == "" || len(cookie) > 128 {
		return nil, ErrNoSession
	}
	h := secret.Hash(cookie)
	sess, err := s.Store.Sessions().GetByHash(ctx, tenantID, h)
	if err != nil {
		return nil, s.noSession(err)
	}
	return sess, s.live(ctx, tenantID, h, sess)
}

// LookupWithUser is Lookup that also returns the session's user, read in
// the same query (storage.SessionRepo.GetWithUser), with its organisation
// memberships when orgs; the user is nil when it no longer exists. The
// caller decides what a disabled or missing user means.
func (s *Sessions) LookupWithUser(ctx context.Context, tenantID, cookie string, orgs bool) (*storage.Session, *storage.User, error) {
	if cookie == "" || len(cookie) > 128 {
		return nil, nil, ErrNoSession
	}
	h := secret.Hash(cookie)
	sess, u, err := s.Store.Sessions().GetWithUser(ctx, tenantID, h, orgs)
	if err != nil {
		return nil, nil, s.noSession(err)
	}
	if err := s.live(ctx, tenantID, h, sess); err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// LookupWithTicket is LookupWithUser that also stores t, a CAS ticket
// for the session, in the same round trip where the database allows it
// (storage.CASTicketRepo.CreateForSession, which says what is filled in
// t). stored says whether t was stored; a caller that does not then hand
// t out deletes it. A session found idle or expired is ended with its new
// ticket.
func (s *Sessions) LookupWithTicket(ctx context.Context, cookie string, orgs bool, t *storage.CASTicket, newSince time.Time) (sess *storage.Session, u *storage.User, stored bool, err error) {
	if cookie == "" || len(cookie) > 128 {
		return nil, nil, false, ErrNoSession
	}
	h := secret.Hash(cookie)
	sess, u, stored, err = s.Store.CASTickets().CreateForSession(ctx, h, t, newSince, orgs)
	if err != nil {
		return nil, nil, false, s.noSession(err)
	}
	if err := s.live(ctx, t.TenantID, h, sess); err != nil {
		if stored {
			s.Store.CASTickets().Delete(ctx, t.TenantID, t.Hash)
		}
		return nil, nil, false, err
	}
	return sess, u, stored, nil
}

func (s *Sessions) noSession(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return ErrNoSession
	}
	return err
}

// live ends an expired or idle session (ErrNoSession) and records the use
// of a live one, at most every touchEvery.
func (s *Sessions) live(ctx context.Context, tenantID string, h []byte, sess *storage.Session) error {
	now := s.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeen) >= s.Idle {
		s.Store.Sessions().Delete(ctx, tenantID, h)
		return ErrNoSession
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		if err := s.Store.Sessions().Touch(ctx, tenantID, h, now); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
	}
	return nil
}

// StepUp records a second factor on the session behind cookie: its
// methods and level become amr and acr, its auth time now, and it moves to
// a new cookie value, returned (privileges changed, so the old value must
// not keep working: OWASP's session-management advice). The SID
// stays: the session's applications and logout are unchanged.
func (s *Sessions) StepUp(ctx context.Context, tenantID, cookie string, amr []string, acr string) (string, error) {
	var raw [32]byte
	rand.Read(raw[:])
	next := base64.RawURLEncoding.EncodeToString(raw[:])
	if err := s.Store.Sessions().StepUp(ctx, tenantID, secret.Hash(cookie), secret.Hash(next), s.Now(), amr, acr); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return "", ErrNoSession
		}
		return "", err
	}
	return next, nil
}

// End ends the session behind a cookie value.
func (s *Sessions) End(ctx context.Context, tenantID, cookie string) error {
	if cookie == "" {
		return nil
	}
	return s.Store.Sessions().Delete(ctx, tenantID, secret.Hash(cookie))
}

// SIDOf returns the public id of the session behind a cookie value, live
// or timed out but still stored ("" when there is none): a logout reads it
// before it ends the session, to reach the service providers the session
// signed in to, which may still hold theirs.
func (s *Sessions) SIDOf(ctx context.Context, tenantID, cookie string) string {
	if cookie == "" || len(cookie) > 128 {
		return ""
	}
	row, err := s.Store.Sessions().GetByHash(ctx, tenantID, secret.Hash(cookie))
	if err != nil {
		return ""
	}
	return row.SID
}

// EndSID ends a session by its public id (RP-initiated logout).
func (s *Sessions) EndSID(ctx context.Context, tenantID, sid string) error {
	return s.Store.Sessions().DeleteBySID(ctx, tenantID, sid)
}

var b64 = base64.RawURLEncoding
