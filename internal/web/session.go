package web

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// CurrentUser returns the browser's live SSO session and its enabled user,
// or nils when there is none (a session whose user was disabled or
// deleted is ended here). Every protocol reads the session this way.
func CurrentUser(r *http.Request, sessions *authn.Sessions, store storage.Store, tenantID string) (*storage.Session, *storage.User, error) {
	return currentUser(r, sessions, store, tenantID, true)
}

// CurrentUserWithoutOrgs is CurrentUser with the user read without its
// organisation memberships (storage.UserRepo.GetWithoutOrgs), a query
// fewer, for callers that do not read them (see apps.NeedsOrgs).
func CurrentUserWithoutOrgs(r *http.Request, sessions *authn.Sessions, store storage.Store, tenantID string) (*storage.Session, *storage.User, error) {
	return currentUser(r, sessions, store, tenantID, false)
}

func currentUser(r *http.Request, sessions *authn.Sessions, store storage.Store, tenantID string, orgs bool) (*storage.Session, *storage.User, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, nil, nil
	}
	sess, err := sessions.Lookup(r.Context(), tenantID, ck.Value)
	if errors.Is(err, authn.ErrNoSession) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var u *storage.User
	if orgs {
		u, err = store.Users().Get(r.Context(), tenantID, sess.UserID)
	} else {
		u, err = store.Users().GetWithoutOrgs(r.Context(), tenantID, sess.UserID)
	}
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		sessions.End(r.Context(), tenantID, ck.Value)
		return nil, nil, nil
	}
	return sess, u, err
}

// EndSession ends the browser's SSO session and clears its cookie.
func EndSession(w http.ResponseWriter, r *http.Request, sessions *authn.Sessions, tenantID string, secure bool) {
	if ck, err := r.Cookie(SessionCookie); err == nil {
		sessions.End(r.Context(), tenantID, ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
}
