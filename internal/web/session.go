package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// CurrentUser returns the browser's live SSO session and its enabled user,
// or nils when there is none (a session whose user was disabled or
// deleted is ended here). Every protocol reads the session this way. The
// session and its user are read in one query (authn.Sessions.LookupWithUser),
// on every request: nothing is cached, so a disabled user is refused at
// once. (store is kept for the callers; the session store reads both.)
func CurrentUser(r *http.Request, sessions *authn.Sessions, store storage.Store, tenantID string) (*storage.Session, *storage.User, error) {
	return currentUser(r, sessions, tenantID, true)
}

// CurrentUserWithoutOrgs is CurrentUser with the user read without its
// organisation memberships (storage.UserRepo.GetWithoutOrgs), a query
// fewer, for callers that do not read them (see apps.NeedsOrgs).
func CurrentUserWithoutOrgs(r *http.Request, sessions *authn.Sessions, store storage.Store, tenantID string) (*storage.Session, *storage.User, error) {
	return currentUser(r, sessions, tenantID, false)
}

func currentUser(r *http.Request, sessions *authn.Sessions, tenantID string, orgs bool) (*storage.Session, *storage.User, error) {
	sess, u, _, err := current(r, sessions, tenantID, func(cookie string) (*storage.Session, *storage.User, bool, error) {
		// The session and its user in one query.
		sess, u, err := sessions.LookupWithUser(r.Context(), tenantID, cookie, orgs)
		return sess, u, false, err
	})
	return sess, u, err
}

// CurrentUserWithTicket is CurrentUser (CurrentUserWithoutOrgs unless
// orgs) that also stores t, a CAS service ticket for the session, in the
// same round trip where the database allows it
// (authn.Sessions.LookupWithTicket). stored says whether t was stored: a
// caller that then does not hand t out deletes it.
func CurrentUserWithTicket(r *http.Request, sessions *authn.Sessions, orgs bool, t *storage.CASTicket, newSince time.Time) (sess *storage.Session, u *storage.User, stored bool, err error) {
	return current(r, sessions, t.TenantID, func(cookie string) (*storage.Session, *storage.User, bool, error) {
		return sessions.LookupWithTicket(r.Context(), cookie, orgs, t, newSince)
	})
}

// current reads the browser's session with lookup: no session when there
// is no cookie, or its session has ended, or its user is gone or
// disabled (the session is ended then; lookup stores nothing for such a
// user).
func current(r *http.Request, sessions *authn.Sessions, tenantID string,
	lookup func(cookie string) (*storage.Session, *storage.User, bool, error)) (*storage.Session, *storage.User, bool, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, nil, false, nil
	}
	sess, u, stored, err := lookup(ck.Value)
	if errors.Is(err, authn.ErrNoSession) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	if u == nil || u.Disabled {
		sessions.End(r.Context(), tenantID, ck.Value)
		return nil, nil, false, nil
	}
	return sess, u, stored, nil
}

// EndSession ends the browser's SSO session and clears its cookie.
func EndSession(w http.ResponseWriter, r *http.Request, sessions *authn.Sessions, tenantID string, secure bool) {
	if ck, err := r.Cookie(SessionCookie); err == nil {
		sessions.End(r.Context(), tenantID, ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
}
